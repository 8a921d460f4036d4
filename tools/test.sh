#!/usr/bin/env bash
# Install wsframe with its ci extra (tests, peers, coverage, the static gate's tools) and run the whole test suite: the README's test
# command, and CI's test step (.ci/run).
#
#   bash tools/test.sh                 # everything
#   bash tools/test.sh -k mask -x      # extra arguments go to both pytest runs
#
# Steps:
#   1. python -m pip install -e ".[ci]"  (editable: the compiled modules are built in
#      place, next to their .pyx, so the tests import them from this tree); progress lines
#      are shown as the build goes, the whole log only if it fails.  WSFRAME_EXTRAS
#      (default "ci") names the extras to install.
#   2. python tools/run_tests.py --cov: the test run defined once (make test runs the same
#      script): the compiled pass, then the pure-Python pass (WSFRAME_PURE_PYTHON=1) of
#      the tests that go through the public modules; coverage of the pure-Python code,
#      combined over both, is reported (and must reach the floor set there when
#      WSFRAME_REQUIRE_COVERAGE=1, as in CI)
#   3. tools/peer_suites.sh (third-party suites with wsframe installed)
#
# The static checks (ruff, mypy --strict, stubtest) are tools/quality.sh.
#
# Environment: WSFRAME_REQUIRE_C=1 makes step 1 fail when the compiled backend cannot be
# built (CI sets it); without it a machine with no compiler runs the pure pass only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"

section() { printf '\n==== %s ====\n' "$*"; }

# pip hides the build's output unless -v, and -v is mostly pip's own chatter: keep the full
# log in a file, show the lines that say how far it got (each dependency, each module
# Cythonized and compiled, wsframe's own build messages), and print the log's tail if the
# install fails.
EXTRAS="${WSFRAME_EXTRAS:-ci}"
section "install (editable, with the extras [$EXTRAS]; compiling the C modules takes about a minute)"
install_log="$(mktemp "${TMPDIR:-/tmp}/wsframe-install.XXXXXX")"
install_rc=0
"$PYTHON" -m pip install -v --progress-bar off -e ".[$EXTRAS]" 2>&1 \
    | tee "$install_log" \
    | { grep --line-buffered -E \
        "^(Collecting|Successfully|Installing collected)|Building editable|Compiling wsframe|building 'wsframe|wsframe: |[Ee]rror" \
        || true; } \
    || install_rc=$?
if [ "$install_rc" -ne 0 ]; then
    echo "tools/test.sh: pip install failed (exit $install_rc); the end of its log:" >&2
    tail -n 60 "$install_log" >&2
    rm -f "$install_log"
    exit "$install_rc"
fi
rm -f "$install_log"

status=0

section "tests: both backends (tools/run_tests.py --cov)"
"$PYTHON" tools/run_tests.py --cov "$@" || status=1

if [ -f tools/peer_suites.sh ]; then
    section "third-party test suites with wsframe installed (tools/peer_suites.sh)"
    # autobahn 26.10.2 (pinned by the peers extra) needs Python >= 3.11: on 3.10 the
    # extra leaves it out, so its suite cannot run there.
    suites=(wsproto)
    if "$PYTHON" -c "import autobahn" 2>/dev/null; then
        suites+=(autobahn)
    else
        echo "tools/test.sh: autobahn is not installed here; skipping its suite"
    fi
    # aiohttp's WebSocket tests from its sdist, with the aiohttp integration.
    suites+=(aiohttp)
    if "$PYTHON" -c "import websocket" 2>/dev/null; then
        suites+=(websocket_client)
    else
        echo "tools/test.sh: websocket-client is not installed here; skipping its suite"
    fi
    PYTHON="$PYTHON" bash tools/peer_suites.sh "${suites[@]}" || status=1
fi

if [ "$status" -ne 0 ]; then
    section "FAILED (see above)"
else
    section "all passed"
fi
exit "$status"
