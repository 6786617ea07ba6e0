#!/bin/sh
# Benchmark section: nixsim's realisation and instantiation overhead.
#
# A fixture depot of N trivial derivations (d_i depends on d_{2i+1} and
# d_{2i+2}, so d0's closure is all of them; each builder is
# `/bin/sh -c 'echo i > $out'`) is instantiated with `nix-instantiate -A d0`
# and realised with `nix-store --realise`, inside one bwrap that shows the
# private store at /nix/store (as in the Buildkite sandbox: builders run
# directly, no per-build bwrap). The bare cost of the builder processes is
# measured separately (N `/bin/sh -c 'echo i > $out'` runs, each spawned with
# posix_spawn and waited for, from python3), and the report is the
# per-derivation overhead beyond it. Medians of RUNS runs.
#
#   NIXSIM_BENCH_N (10000)  derivations realised;   target: <= 2 ms each (wall;
#                      also shown: the same difference in CPU time)
#   NIXSIM_BENCH_I (100000) derivations instantiated; target: <= 2 s in all
#                      (wall), with the store on tmpfs (/dev/shm); also shown:
#                      the same with the store on the disk, the CPU time, and
#                      each file system's floor: the time cp -a takes to create
#                      the same files
#   NIXSIM_BENCH_RUNS (3)
#   NIXSIM_BENCH_STEPS (40) single `nix-store --realise D --add-root L --indirect`
#                      processes of one trivial leaf each, in the instantiated
#                      store (a :nix: step's call); their wall and CPU time per
#                      process beyond a bare `/bin/sh -c` of the same builder
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
N=${NIXSIM_BENCH_N:-10000}
NI=${NIXSIM_BENCH_I:-100000}
RUNS=${NIXSIM_BENCH_RUNS:-3}
STEPS=${NIXSIM_BENCH_STEPS:-40}
PYTHON=/usr/bin/python3
work=$(mktemp -d /tmp/lk-bench-nixsim-XXXXXX)
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
verdict() { [ "$(echo "$1 <= $2" | bc)" -eq 1 ] && echo "target met" || echo "target MISSED"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

gen_depot() { # gen_depot N DIR
    mkdir -p "$2"
    awk -v n="$1" 'BEGIN {
        print "depot: bench-" n
        print "derivations:"
        for (i = 0; i < n; i++) {
            print "  d" i ":"
            a = 2 * i + 1; b = 2 * i + 2
            if (b < n) print "    deps: [d" a ", d" b "]"
            else if (a < n) print "    deps: [d" a "]"
            print "    build: echo " i " > $out"
        }
        print "targets:"
        print "  - attrPath: [d0]"
        print "    drv: d0"
    }' > "$2/depot.yaml"
}

# nixsim inside one sandbox with the store at /nix/store
insandbox() { # insandbox STORE STATE CMD...
    st=$1 sd=$2
    shift 2
    bwrap --dev-bind / / --bind "$st" /nix/store --chdir "$PWD" -- \
        env PATH="$ROOT/sim/bin:/usr/bin:/bin" NIXSIM_STORE=/nix/store NIXSIM_STATE="$sd" \
        LAZYKITE_LOG="$work/log" "$@"
}

echo "--- nixsim: realise $N trivial derivations (median of $RUNS)"
gen_depot "$N" "$work/depot"
mkdir -p "$work/base/store" "$work/base/state"
cd "$work/depot"
D0=$(insandbox "$work/base/store" "$work/base/state" nix-instantiate -A d0 2>/dev/null)
[ "$(ls "$work/base/store" | wc -l)" -eq "$N" ] || { echo "FAIL: instantiate wrote $(ls "$work/base/store" | wc -l) of $N"; exit 1; }

# bare builder cost: N runs of the same builder command, spawned and waited
# for one at a time with posix_spawn (as nixsim runs builders); it prints its
# wall time and the CPU time of the builders (RUSAGE_CHILDREN: the builders
# only, not the spawning loop). Bare and nixsim runs alternate, so that a
# change in the machine's load affects both alike.
bare_runs="" bare_cpu="" real_runs="" real_cpu=""
for r in $(seq "$RUNS"); do
    rm -rf "$work/bare"
    mkdir -p "$work/bare"
    set -- $($PYTHON - "$N" "$work/bare" <<'PY'
import os, resource, sys, time
n, d = int(sys.argv[1]), sys.argv[2]
t0 = time.time()
for i in range(n):
    env = {"out": "%s/%d" % (d, i), "PATH": "/usr/bin:/bin"}
    pid = os.posix_spawn("/bin/sh", ["/bin/sh", "-c", "echo %d > $out" % i], env)
    os.waitpid(pid, 0)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.time() - t0, ru.ru_utime + ru.ru_stime)
PY
)
    bare_runs="$bare_runs $1" bare_cpu="$bare_cpu $2"

    rm -rf "$work/run"
    cp -a "$work/base" "$work/run"
    : > "$work/log"
    t0=$(now)
    insandbox "$work/run/store" "$work/run/state" \
        /usr/bin/time -f '%U %S' -o "$work/realise.cpu" nix-store --realise "$D0" > /dev/null 2>&1
    t1=$(now)
    built=$(grep -c '"event":"build"' "$work/log")
    [ "$built" -eq "$N" ] || { echo "FAIL: $built of $N derivations built"; exit 1; }
    real_runs="$real_runs $(echo "$t1 - $t0" | bc)"
    real_cpu="$real_cpu $(awk '{ print $1 + $2 }' "$work/realise.cpu")"
done
bare=$(echo $bare_runs | tr ' ' '\n' | median)
bcpu=$(echo $bare_cpu | tr ' ' '\n' | median)
realise=$(echo $real_runs | tr ' ' '\n' | median)
rcpu=$(echo $real_cpu | tr ' ' '\n' | median)
per=$(echo "scale=3; ($realise - $bare) * 1000 / $N" | bc)
percpu=$(echo "scale=3; ($rcpu - $bcpu) * 1000 / $N" | bc)
echo "realise: ${realise}s wall, ${rcpu}s CPU (nix-store and its builders) for $N derivations"
echo "  the bare builder processes: ${bare}s wall, ${bcpu}s CPU"
echo "nixsim overhead per derivation: ${per} ms wall (target <= 2 ms): $(verdict "$per" 2)"
echo "  in CPU time (user+sys, steadier on a busy machine): ${percpu} ms"

# Before the instantiation section: removing its 10^5-file stores makes every
# file creation for a while slower on some file systems (ext4 without a
# journal skips recently freed inodes), which would be charged to these
# short processes.
echo "--- nixsim: $STEPS single-leaf realisations, one process each (a :nix: step's call)"
rm -rf "$work/run"
cp -a "$work/base" "$work/run"
cd "$work/depot"
# the leaves d_{N-STEPS} .. d_{N-1} have no inputs
ls "$work/run/store" | awk -F- -v lo=$((N - STEPS)) '{ n = $2; sub(/^d/, "", n); sub(/\.drv$/, "", n); if (n + 0 >= lo) print "/nix/store/" $0 }' > "$work/leaves"
insandbox "$work/run/store" "$work/run/state" /bin/sh -c '
    tm() { /usr/bin/time -f "%e %U %S" "$@"; }
    tm /bin/sh -c "while read d; do nix-store --realise \$d --add-root \$PWD/r-\${d##*/} --indirect >/dev/null 2>&1 || echo FAIL \$d; done" < "$1" 2> "$1.t1"
    tm /bin/sh -c "while read d; do /bin/sh -c \"echo 1 > /dev/null\"; done" < "$1" 2> "$1.t2"
    cat "$1.t1" "$1.t2"' sh "$work/leaves" > "$work/steps.out"
grep -q FAIL "$work/steps.out" && { echo "FAIL: a realisation failed"; cat "$work/steps.out"; exit 1; }
set -- $(tail -n 2 "$work/steps.out" | tr '\n' ' ')
echo "per process: $(echo "scale=2; ($1 - $4) * 1000 / $STEPS" | bc) ms wall, $(echo "scale=2; ($2 + $3 - $5 - $6) * 1000 / $STEPS" | bc) ms CPU beyond the bare builder"
rm -f r-*

echo "--- nixsim: instantiate $NI derivations (median of $RUNS)"
gen_depot "$NI" "$work/depot-i"
cd "$work/depot-i"
# inst_bench BASE LABEL: RUNS instantiations, each into a fresh store under
# BASE (and its event log there too), then the floor of that file system:
# the time `cp -a` takes to create the same files (names and sizes), doing
# nothing but read, create and write them. The stores are removed only after
# the last run (removing 10^5 files just before creating as many slows the
# creation down on some file systems, which would be measured as nixsim's
# time). Sets $inst (median wall), $icpu (median CPU) and $floor.
inst_bench() {
    base=$1
    inst_runs="" inst_cpu="" floor_runs=""
    for r in $(seq "$RUNS"); do
        mkdir -p "$base/inst-$r/store" "$base/inst-$r/state"
        t0=$(now)
        bwrap --dev-bind / / --bind "$base/inst-$r/store" /nix/store --chdir "$PWD" -- \
            env PATH="$ROOT/sim/bin:/usr/bin:/bin" NIXSIM_STORE=/nix/store \
            NIXSIM_STATE="$base/inst-$r/state" LAZYKITE_LOG="$base/inst-$r/log" \
            /usr/bin/time -f '%U %S' -o "$base/inst-$r/cpu" nix-instantiate -A d0 > /dev/null 2>&1
        t1=$(now)
        wrote=$(ls "$base/inst-$r/store" | wc -l)
        [ "$wrote" -eq "$NI" ] || { echo "FAIL: instantiate wrote $wrote of $NI"; exit 1; }
        inst_runs="$inst_runs $(echo "$t1 - $t0" | bc)"
        inst_cpu="$inst_cpu $(awk '{ print $1 + $2 }' "$base/inst-$r/cpu")"
    done
    for r in $(seq "$RUNS"); do
        t0=$(now)
        cp -a "$base/inst-$r/store" "$base/floor-$r"
        t1=$(now)
        floor_runs="$floor_runs $(echo "$t1 - $t0" | bc)"
    done
    for r in $(seq "$RUNS"); do rm -rf "$base/inst-$r" "$base/floor-$r"; done
    inst=$(echo $inst_runs | tr ' ' '\n' | median)
    icpu=$(echo $inst_cpu | tr ' ' '\n' | median)
    floor=$(echo $floor_runs | tr ' ' '\n' | median)
    echo "instantiate, store on $2: ${inst}s wall, ${icpu}s CPU (user+sys) for $NI derivations"
    echo "  file-creation floor there: ${floor}s to copy the same $NI files with cp -a"
}
# The target is nixsim's own time, so it is judged with the store on tmpfs
# (/dev/shm), where creating the files costs what the kernel's file creation
# costs; on a disk, creating 10^5 files alone can take longer than the target
# (the floor printed beside it). The tmpfs runs come first: removing the
# disk's stores keeps the kernel busy for a while (discard, journal).
# Without a writable tmpfs /dev/shm the disk figure is judged.
judged=
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(df -PT /dev/shm | awk 'NR == 2 { print $2 }')" = tmpfs ]; then
    shm=$(mktemp -d /dev/shm/lk-bench-nixsim-XXXXXX)
    trap 'rm -rf "$work" "$shm"' EXIT
    inst_bench "$shm" "tmpfs (/dev/shm)"
    judged=$inst
else
    echo "  (no writable tmpfs at /dev/shm: the disk figure is judged)"
fi
inst_bench "$work" "the disk ($(df -PT "$work" | awk 'NR == 2 { print $2 }'))"
inst=${judged:-$inst}
echo "instantiate $NI derivations: ${inst}s (target <= 2 s): $(verdict "$inst" 2)"
# Like every bench section: a missed target is a non-zero exit.
[ "$(echo "$per <= 2" | bc)" -eq 1 ] && [ "$(echo "$inst <= 2" | bc)" -eq 1 ]
