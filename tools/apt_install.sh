#!/usr/bin/env bash
# Install Debian packages that a test needs (a real program), when they are missing.
#
#   bash tools/apt_install.sh WHAT COMMANDS PACKAGE...
#
# WHAT names the test in the messages; COMMANDS (comma-separated) are the programs it
# runs: when all are on PATH there is nothing to do.  Debian/Ubuntu only (apt-get, as
# root); anywhere else it says why and exits 0, and the test skips.  Tests never
# install anything themselves: .ci/run (or a user, by hand) runs this first.  Quiet;
# prints how long the install took.
set -euo pipefail

what=$1
commands=$2
shift 2
missing=0
IFS=, read -r -a names <<<"$commands"
for name in "${names[@]}"; do
    command -v "$name" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
    echo "apt_install: $commands already installed for $what"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt_install: no apt-get here; install $* yourself to run $what" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "apt_install: not root; run 'apt-get install $*' as root to run $what" >&2
    exit 0
fi

start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp "${TMPDIR:-/tmp}/apt_install.XXXXXX")"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "apt_install: apt-get install $* failed" >&2
    exit 1
fi
rm -f "$log"
echo "apt_install: installed $* for $what in $(( $(date +%s) - start )) s"
