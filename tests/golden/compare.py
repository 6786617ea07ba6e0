"""Golden comparison: the output directory against expected/, as JSON values
and as a set of file names (the output must also carry the marker file
.lazykite-output, which is not compared); with SCHEMA_PATH, every chunk validated against
Buildkite's schema (tests/golden-schema validates the expected chunks when
the suites run without it).
usage: compare.py OUT_DIR EXPECTED_DIR [SCHEMA_PATH]"""
import json
import os
import sys

out, expected = sys.argv[1:3]
schema_path = sys.argv[3] if len(sys.argv) > 3 else None
failed = False
MARKER = ".lazykite-output"
got_files, want_files = sorted(os.listdir(out)), sorted(os.listdir(expected))
if MARKER in got_files:
    got_files.remove(MARKER)
else:
    print(f"  no {MARKER} in the output")
    failed = True
if got_files != want_files:
    print(f"  files differ: got {got_files}, expected {want_files}")
    failed = True
for name in sorted(set(got_files) & set(want_files)):
    with open(os.path.join(out, name)) as g, open(os.path.join(expected, name)) as w:
        got, want = json.load(g), json.load(w)
    if got != want:
        print(f"  {name}: differs from the expected value")
        failed = True
if schema_path is None:
    sys.exit(1 if failed else 0)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../sim/harness"))
import schemacheck  # the same check lazykite-sim makes
validator = schemacheck.validator(schema_path)
for name in got_files:
    if "-chunk-" not in name:
        continue
    errors = schemacheck.problems(validator, os.path.join(out, name), limit=3)
    for line in errors:
        print(f"  schema: {line}")
    failed = failed or bool(errors)
sys.exit(1 if failed else 0)
