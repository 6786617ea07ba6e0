#!/bin/sh
# Benchmark section: `lazykite parent-map` against the simulated REST API
# (build/tools/bkapi-serve) serving 10,000 builds (on the branch and
# another, passed, failed, running, canceled) and a drvmap of 100,000
# targets (12 MB): the wall time and the peak RSS (/usr/bin/time) of the
# whole command, medians of PM_BENCH_RUNS (5) runs, in two cases: the map
# is the newest passed build's (one page of builds), and the 50th newest passed or running build's
# (the default --max-builds: 3 pages of builds, 50 jobs' artifact lists).
# Targets: <= 1 s and <= 100 MiB in each case.
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
RUNS=${PM_BENCH_RUNS:-5}
BUILDS=${PM_BENCH_BUILDS:-10000}
TARGETS=${PM_BENCH_TARGETS:-100000}
PYTHON=/usr/bin/python3
[ -x /usr/bin/time ] || { echo "skipped: /usr/bin/time is not installed"; exit 0; }
work=$(mktemp -d /tmp/lk-bench-parentmap-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

missed=0
printf '%-62s %7s %11s  %s\n' "case ($BUILDS builds, $TARGETS targets; median of $RUNS)" "seconds" "peak RSS" "target"
for at in 1 50; do
    rm -f "$work/api.sock" "$work/ready"
    "$B/tools/bkapi-serve" --socket "$work/api.sock" --token bench --synthetic "$BUILDS" \
        --map-targets "$TARGETS" --map-at "$at" > "$work/ready" &
    pid=$!
    i=0
    until grep -q ready "$work/ready" 2>/dev/null; do
        i=$((i + 1))
        [ "$i" -lt 600 ] && kill -0 "$pid" 2>/dev/null || { echo "bkapi-serve did not start"; exit 1; }
        sleep 0.1
    done
    : > "$work/times"
    r=0
    while [ "$r" -lt "$RUNS" ]; do
        r=$((r + 1))
        rm -f "$work/map.json"
        env -i PATH=/usr/bin:/bin BUILDKITE_API_TOKEN=bench /usr/bin/time -f '%e %M' -a -o "$work/times" \
            "$B/lazykite" parent-map -o "$work/map.json" --org acme --pipeline depot --branch main \
            --api http://localhost/v2 --unix-socket "$work/api.sock" --quiet
        [ -s "$work/map.json" ] || { echo "parent-map wrote no map"; exit 1; }
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    $PYTHON - "$work/times" "$at" <<'PY' || missed=$((missed + 1))
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("Command")]
secs = statistics.median(float(r[0]) for r in rows)
rss = statistics.median(int(r[1]) for r in rows) / 1024
ok = secs <= 1.0 and rss <= 100
name = "  the newest passed build's map" if sys.argv[2] == "1" else "  the 50th newest passed or running build's (3 pages, 50 jobs)"
print("%-62s %7.2f %7.1f MiB  %s" % (name, secs, rss, "<= 1 s, <= 100 MiB" + ("" if ok else " MISSED")))
sys.exit(0 if ok else 1)
PY
done
[ "$missed" -eq 0 ]
