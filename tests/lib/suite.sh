# Source this in a tests/*/run suite: the suite convention, in one place.
# A suite exits 0 when it passed, 77 when it could not run (after printing
# one line `skipped: <reason>`), anything else when it failed. A tool the
# suite needs that is missing is a skip; tests/run-suites turns it into a
# failure under CI=true (ci/deps.sh installs every tool). Public data read
# from ../shared may be absent anywhere, CI included: that skip says so
# (`skipped: data absent: ...`) and is never a failure.
#   skip REASON...       print `skipped: REASON` and exit 77
#   need_tool NAME...    skip unless every NAME is on PATH
#   skip_data REASON...  print `skipped: data absent: REASON` and exit 77
#   BUILDKITE_SCHEMA     Buildkite's pipeline schema (LAZYKITE_SCHEMA, else
#                        ../shared/buildkite/schema.json beside the tree)
#   CONFORMANCE          public conformance data (LAZYKITE_CONFORMANCE, else
#                        ../shared/conformance beside the tree)
skip() { echo "skipped: $*"; exit 77; }
skip_data() { skip "data absent: $*"; }
need_tool() {
    for _t in "$@"; do
        command -v "$_t" >/dev/null 2>&1 || skip "$_t is not installed"
    done
}
BUILDKITE_SCHEMA=${LAZYKITE_SCHEMA:-${LAZYKITE_ROOT:-.}/../shared/buildkite/schema.json}
CONFORMANCE=${LAZYKITE_CONFORMANCE:-${LAZYKITE_ROOT:-.}/../shared/conformance}
# reports_valid FILE...: every lazykite-sim JSON report against its schema
# (sim/harness/report.schema.json); prints the problems and returns 1 when
# one is invalid. Without python3's jsonschema it says so and returns 0,
# or 1 under CI=true (ci/deps.sh installs it).
reports_valid() {
    _out=$(/usr/bin/python3 "${LAZYKITE_ROOT:-.}/sim/harness/schemacheck.py" \
        "${LAZYKITE_ROOT:-.}/sim/harness/report.schema.json" "$@" 2>&1)
    case $_out in
    UNAVAILABLE*)
        echo "note: reports not validated: ${_out#UNAVAILABLE: }"
        [ "${CI:-}" != true ]
        return ;;
    "") return 0 ;;
    *) printf '%s\n' "$_out"; return 1 ;;
    esac
}
