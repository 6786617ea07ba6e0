#!/bin/sh
# Benchmark section: the gate on real Nix against nixsim.
#
# The seed fixture played REALNIX_BENCH_RUNS (5) times on each backend,
# alternating: the median wall time of the whole run (checkouts,
# generation, every step, invariants) and the median duration of a target
# step (`:nix: …`, one realisation) on each, and their ratio. Target: the
# seed fixture on real Nix in <= 15 s.
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
RUNS=${REALNIX_BENCH_RUNS:-5}
PYTHON=/usr/bin/python3
if ! command -v nix-store >/dev/null 2>&1; then echo "skipped: real Nix is not installed"; exit 0; fi
work=$(mktemp -d /tmp/lk-bench-realnix-XXXXXX)
trap 'rm -rf "$work"' EXIT
for r in $(seq "$RUNS"); do
    for nix in sim real; do
        t0=$(date +%s.%N)
        "$B/lazykite-sim" run "$ROOT/fixtures/seed-regression.yaml" --nix $nix --report "$work/$nix-$r.json" > "$work/$nix-$r.out" 2>&1 || true
        t1=$(date +%s.%N)
        echo "$t1 - $t0" | bc > "$work/$nix-$r.wall"
    done
done
$PYTHON - "$work" "$RUNS" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
res = {}
for nix in ("sim", "real"):
    walls, steps, oks = [], [], []
    for r in range(1, runs + 1):
        walls.append(float(open("%s/%s-%d.wall" % (work, nix, r)).read()))
        rep = json.load(open("%s/%s-%d.json" % (work, nix, r)))
        oks.append(rep["ok"])
        steps += [s["seconds"] for s in rep["steps"] if s["seconds"] is not None and (s["label"] or "").startswith(":nix: ")]
    res[nix] = (statistics.median(walls), statistics.median(steps), all(oks))
print("%-48s %10s %10s %8s" % ("case (seed fixture, medians of %d)" % runs, "nixsim", "real Nix", "ratio"))
print("%-48s %9.2fs %9.2fs %7.1fx" % ("  whole run", res["sim"][0], res["real"][0], res["real"][0] / res["sim"][0]))
print("%-48s %8.1fms %8.1fms %7.1fx" % ("  a target step (:nix: ..., one realisation)", res["sim"][1] * 1000, res["real"][1] * 1000,
      res["real"][1] / res["sim"][1]))
ok = res["real"][0] <= 15 and res["sim"][2] and res["real"][2]
print("%-48s %10s" % ("  real Nix run <= 15 s, both runs ok", "met" if ok else "MISSED"))
sys.exit(0 if ok else 1)
PY
