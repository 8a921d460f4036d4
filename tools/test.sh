#!/usr/bin/env bash
# Install wsframe with its test extra and run the whole test suite: the README's test
# command, and what .ci/run runs.
#
#   bash tools/test.sh                 # everything
#   bash tools/test.sh -k mask -x      # extra arguments go to both pytest runs
#
# Steps:
#   1. python -m pip install -e ".[test]"  (editable: the compiled modules are built in
#      place, next to their .pyx, so the tests import them from this tree); progress lines
#      are shown as the build goes, the whole log only if it fails
#   2. pytest with the compiled backend (WSFRAME_EXPECT_BACKEND=c), when it was built:
#      every test; the mask, UTF-8 and frames tests (marked both_backends) check the
#      reference and the compiled implementation side by side in this one run
#   3. pytest again with WSFRAME_PURE_PYTHON=1 (WSFRAME_EXPECT_BACKEND=python), for the
#      tests that go through the public modules (integrations, conformance, end-to-end,
#      package): -m "not both_backends", since step 2 already ran the others on both
#      backends.  Coverage of both runs is combined and reported after this one
#   4. mypy --strict wsframe
#   5. tools/peer_suites.sh, when it exists (third-party suites with wsframe installed)
#
# Environment: WSFRAME_REQUIRE_C=1 makes step 1 fail when the compiled backend cannot be
# built (CI sets it); without it a machine with no compiler runs the pure pass only.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"

section() { printf '\n==== %s ====\n' "$*"; }

# pytest exits 5 when it collected no test: that is a failure here, never a success.
run_pytest() {
    local rc=0
    "$PYTHON" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "tools/test.sh: pytest collected no tests; treating this as a failure" >&2
        return 1
    fi
    return "$rc"
}

# pip hides the build's output unless -v, and -v is mostly pip's own chatter: keep the full
# log in a file, show the lines that say how far it got (each dependency, each module
# Cythonized and compiled, wsframe's own build messages), and print the log's tail if the
# install fails.
section "install (editable, with the test extra; compiling the C modules takes about a minute)"
install_log="$(mktemp "${TMPDIR:-/tmp}/wsframe-install.XXXXXX")"
install_rc=0
"$PYTHON" -m pip install -v --progress-bar off -e ".[test]" 2>&1 \
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

# The compiled backend counts as built when every module wsframe._backend loads from
# wsframe/_speedups (_mask, _utf8, _frames) has a compiled extension in place.  The
# tests then check WSFRAME_EXPECT_BACKEND against wsframe.backend, so an extension that
# built but fails to import is caught rather than silently replaced by the reference.
compiled_backend_built() {
    "$PYTHON" - <<'EOF'
import importlib.machinery
import os
import sys

import glob

base = os.path.join("wsframe", "_speedups")
# One module per .pyx, as setup.py builds them.
missing = [
    name
    for name in sorted(
        os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(base, "*.pyx"))
    )
    if not any(
        os.path.exists(os.path.join(base, name + suffix))
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )
]
if missing:
    print("tools/test.sh: compiled modules not built: " + ", ".join(missing))
    sys.exit(1)
EOF
}

COV=(--cov=wsframe --cov-branch)
status=0

if compiled_backend_built; then
    section "tests: compiled backend"
    (
        unset WSFRAME_PURE_PYTHON
        export WSFRAME_EXPECT_BACKEND=c
        run_pytest "${COV[@]}" --cov-report= "$@"
    ) || status=1
    section "tests: pure-Python reference backend (WSFRAME_PURE_PYTHON=1)"
    (
        export WSFRAME_PURE_PYTHON=1 WSFRAME_EXPECT_BACKEND=python
        run_pytest "${COV[@]}" --cov-append --cov-report=term-missing -m "not both_backends" "$@"
    ) || status=1
else
    echo "tools/test.sh: the compiled backend is not available; running the pure-Python pass only"
    section "tests: pure-Python reference backend"
    (
        export WSFRAME_PURE_PYTHON=1 WSFRAME_EXPECT_BACKEND=python
        run_pytest "${COV[@]}" --cov-report=term-missing "$@"
    ) || status=1
fi

section "mypy --strict wsframe"
"$PYTHON" -m mypy --strict wsframe || status=1

if [ -f tools/peer_suites.sh ]; then
    section "third-party test suites with wsframe installed (tools/peer_suites.sh)"
    # autobahn 26.10.2 (pinned by the test extra) needs Python >= 3.11: on 3.10 the
    # extra leaves it out, so its suite cannot run there.
    suites=(wsproto)
    if "$PYTHON" -c "import autobahn" 2>/dev/null; then
        suites+=(autobahn)
    else
        echo "tools/test.sh: autobahn is not installed here; skipping its suite"
    fi
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
