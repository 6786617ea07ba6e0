#!/bin/sh
# Benchmark section: deep YAML is rejected in linear time. A fixture whose
# one value is 10^5 nested flow mappings ({a: {a: ...}}) and one of 10^5
# nested flow sequences, each given to `lazykite-sim export-nix`: exit 2 at
# the nesting limit (nix/yamltree.h), the wall time of each. Target: <= 0.1 s
# (libyaml's scanner is quadratic in the flow depth: 69 s when the limit was
# only checked after loading).
set -eu
ROOT=${LAZYKITE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LAZYKITE_BUILD:-$ROOT/build}
PYTHON=/usr/bin/python3
work=$(mktemp -d /tmp/lk-bench-yaml-XXXXXX)
trap 'rm -rf "$work"' EXIT
missed=0
for kind in mapping sequence; do
    "$PYTHON" - "$kind" >"$work/deep.yaml" <<'PY'
import sys
n = 10**5
o, c = ("{a: ", "}") if sys.argv[1] == "mapping" else ("[", "]")
print("depot: x\ndefaultStepOverrides: " + o * n + "1" + c * n)
PY
    t0=$(date +%s.%N)
    set +e
    "$B/lazykite-sim" export-nix "$work/deep.yaml" -o "$work/out" 2>"$work/err"
    status=$?
    set -e
    t1=$(date +%s.%N)
    took=$(echo "$t1 - $t0" | bc)
    verdict=ok
    if [ "$status" -ne 2 ] || ! grep -q 'levels of nesting' "$work/err"; then
        verdict="MISSED (exit $status: $(cut -c1-200 "$work/err"))"; missed=1
    elif [ "$(echo "$took > 0.1" | bc)" = 1 ]; then
        verdict="MISSED (target 0.1 s)"; missed=1
    fi
    printf '10^5 nested flow %ss rejected: %.3f s  %s\n' "$kind" "$took" "$verdict"
done
exit "$missed"
