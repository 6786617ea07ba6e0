#!/usr/bin/python3
"""domcheck.py DOM MODE DRV PHASE: in the DOM of an --html page after its
script ran (chromium --dump-dom), the build of derivation DRV in PHASE
(construction or execution) is drawn: with MODE "violation" as a violation
(class "violation", its chip filled with the violation red); with MODE "ok" not as one, and nothing
on the page is. Prints what it found; exit 1 when it is not so."""
import sys
from html.parser import HTMLParser

RED = "#d40000"


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.builds = []      # (classes, data-drv, chip fill, step classes)
        self.violations = 0   # elements with class "violation"
        self.steps = []       # the class lists of the open step <g>s
        self.stack = []
        self.pending = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if "violation" in cls:
            self.violations += 1
        if tag == "g" and "step" in cls:
            self.stack.append(cls)
        elif tag == "g":
            self.stack.append(None)
        if tag == "g" and "build" in cls:
            step = next((c for c in reversed(self.stack[:-1]) if c), [])
            self.pending = [cls, a.get("data-drv"), None, step]
            self.builds.append(self.pending)
        elif tag == "rect" and self.pending is not None and self.pending[2] is None:
            self.pending[2] = a.get("fill")

    def handle_endtag(self, tag):
        if tag == "g" and self.stack:
            self.stack.pop()
            self.pending = None


def main():
    path, mode, drv, phase = sys.argv[1:5]
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    found = [b for b in d.builds if b[1] == drv and phase in b[0]]
    if not found:
        print("no %s build of %s in the DOM (builds: %s)" % (phase, drv, ", ".join(str(b[1]) for b in d.builds)))
        return 1
    cls, _, fill, step = found[0]
    if mode == "violation":
        if "violation" in cls and fill == RED:
            print("the %s build of %s is drawn as a violation (%s, fill %s, in a step of class %s)" % (phase, drv, " ".join(cls), fill, " ".join(step)))
            return 0
        print("the %s build of %s is not drawn as a violation: class %s, fill %s" % (phase, drv, cls, fill))
        return 1
    if "violation" not in cls and fill != RED and d.violations == 0:
        print("the %s build of %s is drawn (%s, fill %s) and nothing is a violation" % (phase, drv, " ".join(cls), fill))
        return 0
    print("unexpected violation: build class %s, fill %s, %d violation element(s)" % (cls, fill, d.violations))
    return 1


sys.exit(main())
