# shellcheck shell=sh
# Benchmark section: `lazykite generate --eval` under real Nix, one
# evaluator against two (--eval-workers 1 and 2).
#
# For N targets (LAZYKITE_BENCH_EVAL_SIZES, default "5000 20000") a
# synthetic readTree depot is written by tests/bench/synth-nix-depot (seed
# 1: packages of 1-4 targets, a stand-in for stdenv.mkDerivation, a
# non-target package set, 1.35 inter-target edges a target, 10% of the
# targets with 1-3 extra steps). Real Nix runs only on private stores
# (tests/lib/realnix.sh) in a work directory on tmpfs (/dev/shm) when there
# is one, so that the file system's syncs are not what is measured.
#   warm — the .drv files already in the store (one run fills it first);
#   cold — a fresh private store for every run.
# Each case runs LAZYKITE_BENCH_RUNS (default 5) times, the cases of one
# repetition one after the other (so a change in the machine's load
# touches them alike); the table shows medians: wall time and CPU time
# (user + system, lazykite and its nix-instantiate processes) of the whole
# `lazykite generate`, the evaluation's wall time, each worker's peak
# resident memory and the whole (the workers' peaks summed, plus
# lazykite's own: an upper bound of what the run held at once), all read
# from lazykite's evaluation line. Every run's output must be byte-identical
# to the first one's. Beside them, in the same repetitions, the floor: a
# bare `nix-instantiate --eval --strict --read-write-mode` forcing only the
# targets' .drv paths (warm store), and each lazykite run as a ratio of it.
# Targets, at N = 20000 warm: 2 workers >= 1.6x faster than 1 (wall);
# goal: 1 worker <= 1.15x the floor. Exit status 1 when the target is
# missed. Without real Nix the section says so and measures nothing.
set -u
root=${LAZYKITE_ROOT:?}
build=${LAZYKITE_BUILD:?}
sizes=${LAZYKITE_BENCH_EVAL_SIZES:-5000 20000}
runs=${LAZYKITE_BENCH_RUNS:-5}
. "$root/tests/lib/realnix.sh"
base_config=$NIX_CONFIG
# store DIR: every later Nix call uses the private store DIR
store() { NIX_CONFIG=$base_config; realnix_private_store "$1"; export NIX_CONFIG; }
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "eval: /usr/bin/time not found (package 'time', see ci/deps.sh)"; exit 1; }
[ -x "$build/lazykite" ] || { echo "eval: $build/lazykite not built (make all)"; exit 1; }
if ! realnix_available; then
    echo "eval: real Nix (nix-instantiate) is not installed: nothing measured"
    exit 0
fi
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/lazykite-bench-eval.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
cpu_of() { awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"; }
# From lazykite's line "evaluated … in S s …; peak resident memory A and B
# MiB, lazykite's own L MiB": S, then the peaks one a line as "worker K
# MiB", then "whole SUM".
eval_of() {
    sed -n 's/^lazykite: evaluated .* in \([0-9.]*\) s .*peak resident memory \(.*\) MiB, lazykite.s own \([0-9]*\) MiB$/\1 \2 \3/p' "$1" |
        tr -d ',' | sed 's/ and / /g' |
        awk '{ print "eval", $1; s = $NF; for (i = 2; i < NF; i++) { print "worker" (i - 1), $i; s += $i } print "whole", s }'
}

# run CASE OUT CMD...: one timed run; appends its figures to $work/CASE.*
run() {
    c=$1 out=$2
    shift 2
    [ "$out" = - ] || rm -rf "$out"
    if ! "$TIME" -v "$@" >/dev/null 2>"$work/time"; then
        tail -5 "$work/time"; echo "eval: $c failed"; exit 1
    fi
    wall_of "$work/time" >>"$work/$c.wall"
    cpu_of "$work/time" >>"$work/$c.cpu"
    eval_of "$work/time" | while read -r key value; do echo "$value" >>"$work/$c.$key"; done
    if [ "$out" != - ]; then
        diff -r "$ref" "$out" >/dev/null || { echo "eval: $c wrote another pipeline than the first run"; exit 1; }
    fi
}

missed=0
printf '%-7s %-5s %-8s %8s %8s %8s %20s %10s %8s %8s\n' targets store workers "wall(s)" "cpu(s)" "eval(s)" \
    "worker peaks(MiB)" "whole(MiB)" speedup "/floor"
for n in $sizes; do
    depot=$work/depot-$n
    "$root/tests/bench/synth-nix-depot" "$n" "$depot" || { echo "eval: cannot write the depot"; exit 1; }
    ref=$work/ref-$n
    warm=$work/warm-$n
    store "$warm"
    # the warm store, and the reference output
    "$build/lazykite" generate --eval "$depot" --eval-workers 1 --store-dir "$warm/nix/store" -o "$ref" --quiet ||
        { echo "eval: the first run failed"; exit 1; }
    rm -f "$work"/*.wall "$work"/*.cpu "$work"/*.eval "$work"/*.worker* "$work"/*.whole
    i=0
    while [ "$i" -lt "$runs" ]; do
        store "$warm"
        run floor - nix-instantiate --eval --strict --read-write-mode \
            -E "map (t: t.drvPath) (import $depot {}).ci.targets"
        run floorsteps - nix-instantiate --eval --strict --read-write-mode -E "map (t: [ t.drvPath ] ++
            map (n: t.meta.ci.extraSteps.\${n}.command.drvPath) (builtins.attrNames (t.meta.ci.extraSteps or { })))
            (import $depot {}).ci.targets"
        for w in 1 2; do
            run "warm$w" "$work/out" "$build/lazykite" generate --eval "$depot" --eval-workers "$w" \
                --store-dir "$warm/nix/store" -o "$work/out"
        done
        for w in 1 2; do
            rm -rf "$work/cold"
            store "$work/cold"
            run "cold$w" "$work/out" "$build/lazykite" generate --eval "$depot" --eval-workers "$w" \
                --store-dir "$work/cold/nix/store" -o "$work/out"
        done
        i=$((i + 1))
    done
    rm -rf "$work/cold" "$work/out"
    floor=$(median <"$work/floor.wall")
    printf '%-7s %-5s %-8s %8s %8s %8s %20s %10s %8s %8s\n' "$n" warm floor "$floor" "$(median <"$work/floor.cpu")" \
        - - - - 1.00
    fs=$(median <"$work/floorsteps.wall")
    printf '%-7s %-5s %-8s %8s %8s %8s %20s %10s %8s %8s\n' "$n" warm +steps "$fs" "$(median <"$work/floorsteps.cpu")" \
        - - - - "$(awk -v a="$fs" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
    for kind in warm cold; do
        one=$(median <"$work/${kind}1.wall")
        for w in 1 2; do
            c=$kind$w
            wall=$(median <"$work/$c.wall")
            peaks=""
            k=1
            while [ -f "$work/$c.worker$k" ]; do
                peaks="$peaks${peaks:+ }$(median <"$work/$c.worker$k")"
                k=$((k + 1))
            done
            speedup=$(awk -v a="$one" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')
            ratio=-
            [ "$kind" = warm ] && ratio=$(awk -v a="$wall" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')
            verdict=""
            if [ "$n" = 20000 ] && [ "$kind" = warm ] && [ "$w" = 2 ]; then
                if awk -v s="$speedup" 'BEGIN { exit !(s >= 1.6) }'; then verdict="  ok (target >= 1.6x)"
                else verdict="  MISSED (target >= 1.6x)"; missed=$((missed + 1)); fi
            fi
            if [ "$n" = 20000 ] && [ "$kind" = warm ] && [ "$w" = 1 ]; then
                if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.15) }'; then verdict="  (goal <= 1.15x the floor: met)"
                else verdict="  (goal <= 1.15x the floor: not met)"; fi
            fi
            printf '%-7s %-5s %-8s %8s %8s %8s %20s %10s %8s %8s%s\n' "$n" "$kind" "$w" "$wall" \
                "$(median <"$work/$c.cpu")" "$(median <"$work/$c.eval")" "$peaks" "$(median <"$work/$c.whole")" \
                "$speedup" "$ratio" "$verdict"
        done
    done
    rm -rf "$warm" "$depot" "$ref"
done
echo "(medians of $runs runs; every output byte-identical to the first; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
[ "$missed" -eq 0 ]
