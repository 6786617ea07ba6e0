#!/bin/sh
# Benchmark section: the per-call cost of the simulated buildkite-agent.
#
# Inside a simulated step (the generation step of the seed fixture, run
# with --generation-step), AGENT_BENCH_CALLS (200) calls of `buildkite-agent
# meta-data set`, `meta-data get` and `pipeline upload` (a one-step
# pipeline) each, every call timed on its own, and as the floor the same
# number of runs of /bin/true in the same loop. Reported: the median per
# call of each, and the ratio to the floor. Target: <= 5 ms per call
# (median) for each kind.
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
CALLS=${AGENT_BENCH_CALLS:-200}
PYTHON=/usr/bin/python3
work=$(mktemp -d /tmp/lk-bench-agent-XXXXXX)
trap 'rm -rf "$work"' EXIT

step='set -eu
t() { s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
printf "steps:\n  - command: \"true\"\n" > /tmp/one.yml
for kind in floor set get upload; do
  i=0; : > /tmp/$kind
  while [ $i -lt '"$CALLS"' ]; do
    i=$((i + 1))
    case $kind in
    floor) t /bin/true ;;
    set) t buildkite-agent meta-data set "k$i" v ;;
    get) t buildkite-agent meta-data get "k$i" ;;
    upload) sed "s/true/true $i/" /tmp/one.yml > /tmp/u.yml; t buildkite-agent pipeline upload /tmp/u.yml ;;
    esac >> /tmp/$kind
  done
  buildkite-agent annotate --context "$kind" < /tmp/$kind
done'
"$B/lazykite-sim" run "$ROOT/fixtures/seed-regression.yaml" --generation-step "$step" --report "$work/r.json" > "$work/out" 2>&1 || true
$PYTHON - "$work/r.json" "$CALLS" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
times = {a["context"]: [int(x) for x in a["body"].split()] for a in r["agent"]["annotations"]}
assert all(len(times.get(k, [])) == n for k in ("floor", "set", "get", "upload")), {k: len(v) for k, v in times.items()}
floor = statistics.median(times["floor"]) / 1000
print("%-48s %10s %8s" % ("case (%d calls each, median per call)" % n, "value", "target"))
print("%-48s %8.2fms" % ("  /bin/true in the same loop (floor)", floor))
missed = False
for k in ("set", "get", "upload"):
    med = statistics.median(times[k]) / 1000
    ok = med <= 5.0
    missed |= not ok
    print("%-48s %8.2fms %8s  (%.1fx the floor)" % ("  buildkite-agent " + {"set": "meta-data set", "get": "meta-data get",
          "upload": "pipeline upload"}[k], med, "<= 5 ms" + ("" if ok else " MISSED"), med / floor))
sys.exit(1 if missed else 0)
PY
