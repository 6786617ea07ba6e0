"""Helper of tests/realnix-export/run: builds the attribute queries for a
fixture's manifest and compares real Nix's answers with the manifest.

  compare.py queries MANIFEST            -> JSON list of queries on stdout
  compare.py check MANIFEST QUERIES REAL -> exit 1 with a message on a mismatch
A query is {"attrs": [...], "target": [...] or null, "expect": drvPath}:
the value at `attrs` (applied to the value at `target` when it is a
parentOverride function) must have that drvPath."""
import json
import sys


def queries(manifest):
    out = []
    for t in manifest["targets"]:
        path = t["attrPath"] + ([t["subtarget"]] if "subtarget" in t else [])
        out.append({"attrs": path, "target": None, "expect": t["drvPath"]})
        steps = t.get("meta", {}).get("ci", {}).get("extraSteps", {})
        for name, s in sorted(steps.items()):
            base = path + ["meta", "ci", "extraSteps", name]
            out.append({"attrs": base + ["command"], "target": None,
                        "expect": s["command"]["drvPath"]})
            if "parentOverride" in s:
                out.append({"attrs": base + ["parentOverride"], "target": path,
                            "expect": s["parentOverride"]["drvPath"]})
    return out


def main():
    if sys.argv[1] == "queries":
        with open(sys.argv[2]) as f:
            json.dump(queries(json.load(f)), sys.stdout)
        return 0
    with open(sys.argv[2]) as f:
        manifest = json.load(f)
    with open(sys.argv[3]) as f:
        qs = json.load(f)
    with open(sys.argv[4]) as f:
        real = json.load(f)
    bad = 0
    want = [t["drvPath"] for t in manifest["targets"]]
    if real["targets"] != want:
        print("ci.targets: real Nix %s, in memory %s" % (real["targets"], want))
        bad += 1
    for q, got in zip(qs, real["queries"]):
        if got != q["expect"]:
            print("%s: real Nix %s, in memory %s" % (q["attrs"], got, q["expect"]))
            bad += 1
    if len(real["queries"]) != len(qs):
        print("query count differs")
        bad += 1
    if real["pipeline"] != manifest["pipeline"]:
        print("ci.pipeline: real Nix %s, manifest %s" % (real["pipeline"], manifest["pipeline"]))
        bad += 1
    return 1 if bad else 0


sys.exit(main())
