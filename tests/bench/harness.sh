#!/bin/sh
# Benchmark section: the lazykite-sim harness end to end.
#
# 1. A synthetic depot of HARNESS_BENCH_TARGETS (1000) targets with one
#    build-phase extra step every 10th target (100) and a release one every
#    40th (tests/bench/synth-fixture), played with `lazykite-sim run
#    --agents 2 --unblock all`, HARNESS_BENCH_RUNS (3) times: the median
#    wall time of the whole run (checkouts, generation, every step in its
#    sandbox, invariants), with every run's. Target: <= 60 s.
#    Also the CPU time of every process of the run (perf's task-clock,
#    which follows every child, those in bwrap's namespaces too; reported
#    when perf can count), and how many steps' tree-clean check ran git.
# 2. The per-step cost of sandbox + harness: a generator that writes
#    HARNESS_BENCH_STEPS (100) steps whose command is `true`, played on one
#    agent. Reported: the median step duration the executor measured
#    (bwrap + bash + `true`) and the build's wall time per step (adds the
#    harness's work between steps: the tree-clean check and cleaning of the
#    checkout, uploads), both beyond
#    the command itself (`true` is taken as free), and their difference.
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
TARGETS=${HARNESS_BENCH_TARGETS:-1000}
STEPS=${HARNESS_BENCH_STEPS:-100}
RUNS=${HARNESS_BENCH_RUNS:-3}
PYTHON=/usr/bin/python3
work=$(mktemp -d /tmp/lk-bench-harness-XXXXXX)
trap 'rm -rf "$work"' EXIT
missed=0

sh "$ROOT/tests/bench/synth-fixture" "$TARGETS" 10 > "$work/big.yaml"
cpu=
if command -v perf >/dev/null 2>&1 && perf stat -x, -e task-clock -o "$work/probe.cpu" true >/dev/null 2>&1; then
    cpu=yes
fi
runs=""
for r in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    set +e
    ${cpu:+perf stat -x, -e task-clock -o "$work/big-$r.cpu" --} \
        "$B/lazykite-sim" run "$work/big.yaml" --agents 2 --unblock all --report "$work/big-$r.json" > "$work/big-$r.out" 2>&1
    st=$?
    set -e
    t1=$(date +%s.%N)
    runs="$runs $r:$(echo "$t1 - $t0" | bc):$st"
done
$PYTHON - "$work" "$TARGETS" "$cpu" $runs <<'PY' || missed=1
import json, sys
work, targets, have_cpu = sys.argv[1], sys.argv[2], sys.argv[3]
runs = sorted((float(w), n, int(st)) for n, w, st in (a.split(":") for a in sys.argv[4:]))
wall, n, status = runs[len(runs) // 2]  # the median run; its report is shown
r = json.load(open("%s/big-%s.json" % (work, n)))
cpu = None
if have_cpu:
    for line in open("%s/big-%s.cpu" % (work, n)):
        f = line.split(",")
        if len(f) > 2 and f[2].startswith("task-clock"):
            cpu = float(f[0]) / 1000
ran = [s for s in r["steps"] if s["seconds"] is not None]
print("%-48s %10s %8s" % ("case", "value", "target"))
print("%-48s %9.1fs %8s" % ("%s targets, %d steps ran, 2 agents: wall" % (targets, len(ran)), wall, "<= 60s"))
print("%-48s %10s" % ("  (median of %d runs: %s s)" % (len(runs), " ".join("%.1f" % w for w, _, _ in runs)), ""))
print("%-48s %9.1fs" % ("  of which the build (first step to last)", r["seconds"]))
if cpu is not None:
    print("%-48s %9.1fs" % ("  CPU, every process of the run (task-clock)", cpu))
else:
    print("%-48s %10s" % ("  CPU, every process of the run", "n/a (perf cannot count here)"))
checked = [s for s in ran if s.get("tree_check")]
print("%-48s %10s" % ("  steps whose tree-clean check ran git", "%d of %d" % (
    sum(s["tree_check"] == "git" for s in checked), len(checked))))
nix = sorted(s["seconds"] for s in ran if (s["label"] or "").startswith(":nix: "))
if nix:
    print("%-48s %8.1fms" % ("  median :nix: step (sandbox + realisation)", nix[len(nix) // 2] * 1000))
bad = [i["id"] for i in r["invariants"] if i["verdict"] == "violated"]
for u in r["unmet"][:5]:
    print("  unmet: " + u)
for s in r["steps"]:
    if s["outcome"] in ("failed", "timed_out", "broken", "canceled"):
        print("  %s: %s (%s)" % (s["label"], s["outcome"], s["reason"]))
print("%-48s %10s" % ("  exit status / violated invariants", "%s / %s" % (status, ",".join(bad) or "none")))
sys.exit(0 if wall <= 60 and all(st == 0 for _, _, st in runs) else 1)
PY

gen="mkdir -p pipeline; { printf '{\"steps\":['; i=1; while [ \$i -le $STEPS ]; do [ \$i -gt 1 ] && printf ','; printf '{\"key\":\"s%d\",\"command\":\"true\"}' \$i; i=\$((i+1)); done; printf ']}'; } > pipeline/build-chunk-1.json"
set +e
"$B/lazykite-sim" run "$ROOT/fixtures/seed-regression.yaml" --generator "$gen" --report "$work/steps.json" > "$work/steps.out" 2>&1
set -e
$PYTHON - "$work/steps.json" "$STEPS" <<'PY' || missed=1
import json, statistics, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
steps = [s for s in r["steps"] if (s["key"] or "").startswith("s") and s["key"][1:].isdigit()]
assert len(steps) == n and all(s["outcome"] == "passed" for s in steps), "the %d true steps did not all pass" % n
med = statistics.median(s["seconds"] for s in steps)
print("%-48s %8.1fms" % ("per step: sandbox (median, executor-measured)", med * 1000))
wall = r["seconds"] / (n + 5)
print("%-48s %8.1fms" % ("per step: build wall / steps (adds harness work)", wall * 1000))
print("%-48s %8.1fms" % ("per step: harness work between steps (difference)", (wall - med) * 1000))
PY
[ "$missed" -eq 0 ] || { echo "harness bench: a target was missed (see above)"; exit 1; }
