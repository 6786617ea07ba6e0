"""Checks of `lazykite generate --eval` on the real-Nix depot.

usage: check.py MANIFEST OUT_DIR NORMALISED_DIR

- every drv path named in the manifest, the chunks or drvmap.json is a file
  in /nix/store (under $STORE_ROOT, when set: a private store);
- drvmap.json names exactly the manifest's targets and drv paths, and every
  target, extra-step command and parentOverride drv of the manifest appears
  in the chunks;
- prints every such drv path (one a line) on stdout, for the validity check;
- writes OUT_DIR normalised into NORMALISED_DIR: each store hash (the 32
  characters after /nix/store/, which depend on the per-run nonce) is
  replaced, everywhere it occurs (also in `drv-<hash>` keys), by
  `{NAME}` where NAME is the rest of that store path's base name, e.g.
  /nix/store/{site.drv}-site.drv and key drv-{site.drv} (a valid key).
"""
import json
import os
import re
import sys

manifest_path, out_dir, norm_dir = sys.argv[1:4]
STORE_RE = re.compile(r"/nix/store/([0-9a-z]{32})-([A-Za-z0-9+._?=-]+)")
failed = []

with open(manifest_path) as f:
    manifest_text = f.read()
manifest = json.loads(manifest_text)

wanted = {}  # drv path -> what it is
for t in manifest["targets"]:
    label = "/".join(t["attrPath"][: len(t["attrPath"]) - (1 if "subtarget" in t else 0)])
    if "subtarget" in t:
        label += ":" + t["subtarget"]
    wanted[t["drvPath"]] = f"target {label}"
    for name, step in t.get("meta", {}).get("ci", {}).get("extraSteps", {}).items():
        wanted[step["command"]["drvPath"]] = f"command of extra step {name} of {label}"
        if "parentOverride" in step:
            wanted[step["parentOverride"]["drvPath"]] = f"parentOverride of {name} of {label}"

texts = {}
for name in sorted(os.listdir(out_dir)):
    with open(os.path.join(out_dir, name)) as f:
        texts[name] = f.read()
chunks_text = "".join(v for k, v in texts.items() if "-chunk-" in k)

drvmap = json.loads(texts.get("drvmap.json", "{}"))
map_paths = sorted(v["drvPath"] for v in drvmap.values())
target_paths = sorted(t["drvPath"] for t in manifest["targets"])
if map_paths != target_paths:
    failed.append(f"drvmap.json drv paths {map_paths} != manifest targets {target_paths}")

for path, what in wanted.items():
    if path not in chunks_text:
        failed.append(f"{what} ({path}) does not appear in the chunks")

mentioned = set()
for text in [manifest_text] + list(texts.values()):
    for m in STORE_RE.finditer(text):
        if m.group(2).endswith(".drv"):
            mentioned.add(m.group(0))
for path in sorted(mentioned):
    if not os.path.isfile(os.environ.get("STORE_ROOT", "") + path):
        failed.append(f"{path} is named but is not a file")
    print(path)

hashes = {}
for text in texts.values():
    for m in STORE_RE.finditer(text):
        hashes.setdefault(m.group(1), m.group(2))
os.makedirs(norm_dir, exist_ok=True)
for name, text in texts.items():
    for h, base in hashes.items():
        text = text.replace(h, "{" + base + "}")
    with open(os.path.join(norm_dir, name), "w") as f:
        f.write(text)

for msg in failed:
    print("FAIL: " + msg, file=sys.stderr)
sys.exit(1 if failed else 0)
