# shellcheck shell=sh
# Benchmark section: the core generator, `lazykite generate`.
#
# For N targets (LAZYKITE_BENCH_SIZES, default "1000 10000 100000") a
# synthetic depot (the realistic .drv graph, ~2.2 N files) is made by
# build/tools/synth-manifest (seed 1) in LAZYKITE_BENCH_DIR (default
# $TMPDIR/lazykite-bench/deps-N; kept between runs and remade when
# tests/tools/synth-manifest.c changes; a 100k store takes about a minute). Two modes:
#   nodeps — `--no-deps`: no dependency analysis, no .drv is read;
#   deps   — `--store-dir`: the analysis walks the .drv graph.
# Each case runs LAZYKITE_BENCH_RUNS (default 5) times under /usr/bin/time -v;
# the table shows the medians of wall time, CPU time (user + system; less
# sensitive to a shared, loaded machine than wall time) and peak RSS, and
# (deps mode) the median wall time of the analysis alone
# (build/tools/bench-deps: deps_closest over all targets, manifest loading
# excluded).
# Targets, at N = 100000: nodeps ≤ 1 s and ≤ 512 MiB; deps ≤ 3 s.
# Exit status 1 when a target is missed.
set -u
root=${LAZYKITE_ROOT:?}
build=${LAZYKITE_BUILD:?}
sizes=${LAZYKITE_BENCH_SIZES:-1000 10000 100000}
runs=${LAZYKITE_BENCH_RUNS:-5}
data=${LAZYKITE_BENCH_DIR:-${TMPDIR:-/tmp}/lazykite-bench}
synth=$build/tools/synth-manifest
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "core: /usr/bin/time not found (package 'time', see ci/deps.sh)"; exit 1; }
for tool in "$build/lazykite" "$synth" "$build/tools/bench-deps"; do
    [ -x "$tool" ] || { echo "core: $tool not built (make all)"; exit 1; }
done
mkdir -p "$data"
out=$(mktemp -d "${TMPDIR:-/tmp}/lazykite-bench-out.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wall seconds and max RSS KiB from a `time -v` log
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
cpu_of() { awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1"; }

prepare() { # N -> dir
    dir=$data/deps-$1
    # shellcheck disable=SC3013 # -nt: dash and bash have it
    if [ ! -f "$dir/manifest.json" ] || [ "$root/tests/tools/synth-manifest.c" -nt "$dir/manifest.json" ]; then
        rm -rf "$dir"
        echo "  making the depot of $1 targets in $dir" >&2
        "$synth" "$1" 1 "$dir" >"$data/synth.log" 2>&1 || { cat "$data/synth.log" >&2; return 1; }
    fi
    echo "$dir"
}

missed=0
printf '%-8s %-6s %9s %9s %9s %9s %13s\n' targets mode drv-files "wall(s)" "cpu(s)" "rss(MiB)" "deps-only(s)"
for n in $sizes; do
    dir=$(prepare "$n") || { echo "core: cannot make the depot of $n targets"; exit 1; }
    files=$(find "$dir/store" -name '*.drv' | wc -l)
    for mode in nodeps deps; do
        if [ "$mode" = nodeps ]; then analysis="--no-deps"; else analysis="--store-dir $dir/store"; fi
        : >"$out/walls"; : >"$out/rsss"; : >"$out/deps"; : >"$out/cpus"
        i=0
        while [ "$i" -lt "$runs" ]; do
            rm -rf "$out/pipeline"
            # shellcheck disable=SC2086
            if ! "$TIME" -v "$build/lazykite" generate --manifest "$dir/manifest.json" \
                $analysis -o "$out/pipeline" >"$out/stdout" 2>"$out/time"; then
                cat "$out/time"; echo "core: lazykite generate failed"; exit 1
            fi
            wall_of "$out/time" >>"$out/walls"
            rss_of "$out/time" >>"$out/rsss"
            cpu_of "$out/time" >>"$out/cpus"
            if [ "$mode" = deps ]; then
                "$build/tools/bench-deps" "$dir/manifest.json" "$dir/store" |
                    sed 's/.*: \([0-9.]*\) s wall.*/\1/' >>"$out/deps"
            fi
            i=$((i + 1))
        done
        wall=$(median <"$out/walls")
        rss=$(median <"$out/rsss")
        cpu=$(median <"$out/cpus")
        deps=-; [ "$mode" = deps ] && deps=$(median <"$out/deps")
        rss_mib=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
        verdict=""
        if [ "$n" = 100000 ]; then
            if [ "$mode" = nodeps ]; then
                ok=$(awk -v w="$wall" -v r="$rss" 'BEGIN { print (w <= 1 && r <= 512 * 1024) ? 1 : 0 }')
                target="target <= 1 s, <= 512 MiB"
            else
                ok=$(awk -v w="$wall" 'BEGIN { print (w <= 3) ? 1 : 0 }')
                target="target <= 3 s"
            fi
            if [ "$ok" = 1 ]; then verdict="  ok ($target)"; else verdict="  MISSED ($target)"; missed=$((missed + 1)); fi
        fi
        printf '%-8s %-6s %9s %9s %9s %9s %13s%s\n' "$n" "$mode" "$files" "$wall" "$cpu" "$rss_mib" "$deps" "$verdict"
    done
done
echo "(medians of $runs runs; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
[ "$missed" -eq 0 ]
