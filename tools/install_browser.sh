#!/usr/bin/env bash
# Install headless Chromium for tests/e2e/test_browser.py when no browser is on PATH.
#
#   bash tools/install_browser.sh
#
# Debian/Ubuntu only (tools/apt_install.sh); anywhere else it says why and exits 0, and
# the browser test skips (or fails on CI, or with WSFRAME_REQUIRE_BROWSER=1).  The test
# itself never installs anything.
set -euo pipefail

for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "install_browser: $name already installed ($(command -v "$name"))"
        exit 0
    fi
done
exec bash "$(dirname "$0")/apt_install.sh" "the browser test" chromium chromium
