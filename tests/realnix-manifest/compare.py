"""Helper of tests/realnix-manifest/run: compare.py A.json B.json exits 0
when both files hold the same JSON value, else prints where they first
differ (a JSON pointer and both values) and exits 1."""
import json
import sys


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return where, a, b
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return where + "/" + k, a.get(k, "<absent>"), b.get(k, "<absent>")
            d = first_difference(a[k], b[k], where + "/" + k)
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s/%d" % (where, i))
            if d:
                return d
        if len(a) != len(b):
            return where, "%d elements" % len(a), "%d elements" % len(b)
        return None
    return None if a == b else (where, a, b)


def main():
    with open(sys.argv[1]) as f:
        a = json.load(f)
    with open(sys.argv[2]) as f:
        b = json.load(f)
    d = first_difference(a, b)
    if d:
        where, x, y = d
        print("  at %s: %s" % (where or "(root)", json.dumps(x)[:300]))
        print("  %s   vs %s" % (" " * len(where or "(root)"), json.dumps(y)[:300]))
        sys.exit(1)


if __name__ == "__main__":
    main()
