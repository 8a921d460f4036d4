#!/usr/bin/env bash
# Install headless Chromium for tests/e2e/test_browser.py when no browser is on PATH.
#
#   bash tools/install_browser.sh
#
# Debian/Ubuntu only (apt-get, as root); anywhere else it says why and exits 0, and the
# browser test skips (or fails on CI, or with WSFRAME_REQUIRE_BROWSER=1).  The test itself
# never installs anything: this script is the one place that does, run by .ci/run or by
# hand.  Quiet; prints how long the install took.
set -euo pipefail

for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "install_browser: $name already installed ($(command -v "$name"))"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: no apt-get here; install Chromium yourself to run the browser test" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install_browser: not root; run 'apt-get install chromium' as root to run the browser test" >&2
    exit 0
fi

start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp "${TMPDIR:-/tmp}/install_browser.XXXXXX")"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "install_browser: apt-get install chromium failed" >&2
    exit 1
fi
rm -f "$log"
echo "install_browser: installed $(chromium --version 2>/dev/null | head -n 1) in $(( $(date +%s) - start )) s"
