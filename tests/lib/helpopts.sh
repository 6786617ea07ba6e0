# Source this for what a program's --help text offers (tests/man,
# tests/completion):
#   help_options CMD...   the options `CMD...` prints, one a line, sorted:
#                         every --long word, and every -x word followed by a
#                         space, a comma or the end of the line (so that
#                         "(sh -c)" in a description is not one)
#   help_words CMD...     the commands it lists: the first word of each line
#                         indented by two spaces under "Commands:"
help_options() {
    "$@" 2>&1 | grep -oE -- '(^|[][ ,|(])(--[A-Za-z][A-Za-z0-9-]*|-[A-Za-z]([, ]|$))' |
        sed -E 's/^[][ ,|(]//; s/[, ]$//' | sort -u
}
help_words() {
    "$@" 2>&1 | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u
}
