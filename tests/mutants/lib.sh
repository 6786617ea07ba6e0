# lib.sh — shared by the negative-control generators in tests/mutants/.
#
# Each mutant is a pipeline generator for `lazykite-sim run --generator`:
# it runs where ci/pipeline.yml runs `lazykite generate` (in the fixture's
# checkout, with lazykite, the fake Nix and buildkite-agent on PATH, and
# that command's arguments), lets the real generator write its chunks into
# pipeline/, and then re-introduces one known bug with a small text
# transformation; the pipeline's own lines upload what it wrote. A mutant
# run with `--generation-step` is the whole generation step and uploads
# itself. Only POSIX sh, sed and awk are used (the step sandbox may have no
# python3 and no jq).
#
# Functions:
#   mutant_generate        lazykite generate with the arguments the pipeline
#                          gave (--eval . -o pipeline [--parent-map FILE]); run
#                          as the whole step, `--eval . -o pipeline` and the
#                          parent map as ci/pipeline.yml fetches it (`lazykite
#                          parent-map`, but on the default branch); exits on
#                          failure
#   chunk_steps FILE       print each top-level step of a chunk file (lazykite's
#                          one-line `{"steps":[...]}`) as one line of JSON
#   chunk_join             read step lines on stdin, print `{"steps":[a,b,...]}`

set -eu

# The mutant's own arguments (those of `lazykite generate`), one a line.
mutant_args=$(printf '%s\n' "$@")

mutant_generate() {
    if [ -z "$mutant_args" ]; then # the whole step: fetch the parent map as ci/pipeline.yml does
        set -- --eval . -o pipeline
        if [ "$BUILDKITE_BRANCH" != "${BUILDKITE_PIPELINE_DEFAULT_BRANCH-}" ]; then
            parent="$(mktemp -d)/drvmap.json"
            lazykite parent-map -o "$parent"
            if [ -f "$parent" ]; then
                set -- "$@" --parent-map "$parent"
            fi
        fi
        lazykite generate "$@"
        return
    fi
    old_ifs=$IFS
    IFS='
'
    set -f
    # shellcheck disable=SC2086
    set -- $mutant_args
    set +f
    IFS=$old_ifs
    lazykite generate "$@"
}

# Splits at the commas of the top-level `steps` array: depth counts `{` and
# `[` outside JSON strings; a string ends at a `"` not escaped by `\`.
chunk_steps() {
    awk '
    { text = text $0 }
    END {
        n = length(text); depth = 0; instr = 0; esc = 0; start = 0
        for (i = 1; i <= n; i++) {
            c = substr(text, i, 1)
            if (instr) {
                if (esc) esc = 0
                else if (c == "\\") esc = 1
                else if (c == "\"") instr = 0
                continue
            }
            if (c == "\"") { instr = 1; continue }
            if (c == "{" || c == "[") {
                depth++
                if (depth == 3 && !start) start = i
            } else if (c == "}" || c == "]") {
                if (depth == 3 && c == "}") { print substr(text, start, i - start + 1); start = 0 }
                depth--
            }
        }
    }' "$1"
}

chunk_join() {
    awk 'BEGIN { printf "{\"steps\":[" } { printf "%s%s", (NR > 1 ? "," : ""), $0 } END { print "]}" }'
}

# Copy stdin to stdout with every occurrence of the literal text $FROM
# replaced by the literal text $TO (both taken from the environment, so no
# escape processing applies to them).
replace_literal() {
    awk 'BEGIN { f = ENVIRON["FROM"]; t = ENVIRON["TO"]; n = length(f) }
    {
        out = ""; s = $0
        while ((i = index(s, f)) > 0) { out = out substr(s, 1, i - 1) t; s = substr(s, i + n) }
        print out s
    }'
}

# Copy stdin to stdout with, on each line, the text from the literal $FROM
# up to (not including) the next literal $UPTO removed.
cut_between() {
    awk 'BEGIN { f = ENVIRON["FROM"]; u = ENVIRON["UPTO"] }
    {
        s = $0; out = ""
        while ((i = index(s, f)) > 0) {
            rest = substr(s, i)
            j = index(rest, u)
            if (!j) break
            out = out substr(s, 1, i - 1); s = substr(rest, j)
        }
        print out s
    }'
}
