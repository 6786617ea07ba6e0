"""schemacheck — Buildkite pipeline documents against Buildkite's JSON schema.

usage: schemacheck.py SCHEMA FILE...

For each FILE (a JSON pipeline document, e.g. a generated chunk), prints at
most five lines `NAME: /POINTER: message` (NAME the file's base name, the
message cut at 300 characters), the errors sorted by place; a file that is
not JSON gives one line `NAME: not JSON: …`. No output: every file is
valid. Without python3's jsonschema module it prints one line
`UNAVAILABLE: …` and exits 0. Used by lazykite-sim (the pipeline-schema
check) and by tests/golden/compare.py."""
import json
import os
import sys


def validator(schema_path):
    import jsonschema
    with open(schema_path) as f:
        return jsonschema.Draft7Validator(json.load(f))


def problems(v, path, limit=5):
    name = os.path.basename(path)
    try:
        with open(path) as f:
            doc = json.load(f)
    except ValueError as e:
        return [f"{name}: not JSON: {e}"]
    errors = sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.path)))[:limit]
    return [f"{name}: /{'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors]


def main(argv):
    if len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        v = validator(argv[0])
    except ImportError:
        print("UNAVAILABLE: the jsonschema module is not installed")
        return 0
    for path in argv[1:]:
        for line in problems(v, path):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
