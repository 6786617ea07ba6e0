#!/bin/sh
# Install every Debian package lazykite's build, tests and benchmarks need.
# Idempotent; quiet when everything is already present.
set -eu
PKGS="build-essential pkg-config git libjansson-dev libyaml-dev libcmocka-dev
libssl-dev libcurl4-openssl-dev libmicrohttpd-dev libpcre2-dev bubblewrap nix-bin
python3 python3-jsonschema clang curl libclang-rt-14-dev valgrind time bc strace
scdoc man-db groff-base chromium fonts-dejavu-core"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "ci/deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
