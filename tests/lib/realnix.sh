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
