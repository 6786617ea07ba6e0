#!/bin/sh
# Benchmark section: the simulated Buildkite taking a large pipeline. A
# YAML pipeline of 10,000 steps, every one with an `if` (half true: the
# build's branch is the default branch; half false; every seventh also
# matching the message against a regular expression), every fiftieth
# depending on an earlier key, a top-level env its commands interpolate,
# and one step with a 10 x 10 matrix (100 jobs). Timed, PIPELINE_BENCH_RUNS (7) times each:
#   - build/tools/bkload: the load (parse, interpolation, the schema check,
#     the matrix expanded) and the upload into a build (every `if`
#     evaluated, the steps and jobs added), the runs in one process (the
#     first, with fresh memory, reported too, and the CPU time); target:
#     median wall time <= 50 ms;
#   - `buildkite-agent pipeline upload --dry-run FILE`, the real program
#     (load, and the document written back as JSON; a new process each
#     time), for comparison (no target).
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
RUNS=${PIPELINE_BENCH_RUNS:-7}
PYTHON=/usr/bin/python3
work=$(mktemp -d /tmp/lk-bench-pipeline-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$PYTHON" - >"$work/big.yml" <<'PY'
print("env:\n  STAGE: bench\nsteps:")
for i in range(10000):
    cond = "build.branch == pipeline.default_branch" if i % 2 == 0 else "build.branch != pipeline.default_branch"
    if i % 7 == 0:
        cond += " && build.message !~ /skip/i"
    print("  - label: \"step %d\"\n    key: s%d\n    command: \"echo %d $$STAGE\"\n    if: \"%s\"" % (i, i, i, cond))
    if i % 50 == 49:
        print("    depends_on: [s%d]" % (i - 48))
print("""  - label: "{{matrix.os}} {{matrix.arch}}"
    command: "build --os {{matrix.os}} --arch {{matrix.arch}}"
    if: build.branch == pipeline.default_branch
    matrix:
      setup:
        os: [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9]
        arch: [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9]""")
PY
[ -x "$B/tools/bkload" ] || { echo "MISSED: $B/tools/bkload is not built"; exit 1; }
"$B/tools/bkload" --runs "$RUNS" "$work/big.yml" >"$work/load" || { echo "MISSED: bkload failed"; exit 1; }
i=0
: >"$work/dry"
while [ "$i" -lt "$RUNS" ]; do
    i=$((i + 1))
    s=$(date +%s%N)
    (cd "$work" && "$B/buildkite-agent" pipeline upload --dry-run big.yml >/dev/null)
    e=$(date +%s%N)
    echo $(( (e - s) / 1000 )) >>"$work/dry"
done
"$PYTHON" - "$work/load" "$work/dry" <<'PY'
import statistics, sys
lines = open(sys.argv[1]).read().split("\n")
runs = [l.split() for l in lines if l]
ms = [float(r[0]) for r in runs]
cpu = [float(r[9]) for r in runs]
dry = [int(x) / 1000 for x in open(sys.argv[2]).read().split()]
steps, nodes, left = runs[0][2], runs[0][4], runs[0][6]
med = statistics.median(ms)
print("10,000 steps with if + a 10x10 matrix: %s steps, %s nodes (%s left out by their if)" % (steps, nodes, left))
print("load + upload (bkload, in process): median %.1f ms of %d runs (min %.1f, max %.1f; the first %.1f; "
      "CPU time median %.1f ms)  target <= 50 ms  %s"
      % (med, len(ms), min(ms), max(ms), ms[0], statistics.median(cpu), "ok" if med <= 50 else "MISSED"))
print("buildkite-agent pipeline upload --dry-run (process, JSON out): median %.1f ms" % statistics.median(dry))
assert int(nodes) == 10000 + 1 + 100 and int(left) == 5000, (nodes, left)
sys.exit(0 if med <= 50 else 1)
PY
