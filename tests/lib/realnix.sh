# Source this to run Debian's real Nix (2.8) as the tests need it:
# no substituters (no network), no sandbox (builders use /usr/bin), builds as
# the current user (no nixbld group on a fresh machine).
# Real Nix uses the machine's /nix/store; tests must not depend on what an
# earlier run left valid there (make derivations unique per run, or check).
export NIX_CONFIG='substituters =
sandbox = false
build-users-group =
experimental-features = nix-command'
# Python with Debian's python3-jsonschema (a pyenv shim may shadow python3).
PYTHON=/usr/bin/python3
realnix_available() { command -v nix-instantiate >/dev/null 2>&1 && [ -x /usr/bin/nix-instantiate ]; }
# realnix_private_store DIR: make every later Nix call in this shell use a
# store rooted at DIR (paths still read /nix/store; the files are under
# DIR/nix/store), never the machine's /nix. Builds in such a store run in
# Nix's sandbox, which is given /bin and /usr (the builders use them).
realnix_private_store() {
    NIX_CONFIG="$NIX_CONFIG
store = $1
sandbox-paths = /bin /usr /lib /lib64"
}
