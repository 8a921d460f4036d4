#!/usr/bin/env bash
# Run the peers' own test suites with wsframe's integrations installed.
#
#   tools/peer_suites.sh            # wsproto + autobahn + aiohttp + websocket-client (+ websockets)
#   tools/peer_suites.sh wsproto    # one of them (wsproto, autobahn, aiohttp, websocket_client, websockets)
#
# 1. wsproto: downloads the sdist of the pinned version from PyPI, unpacks it
#    in a temporary directory and runs its tests/ against that source with
#    wsframe.integrations.wsproto installed before wsproto is imported (the
#    pytest plugin tools/wsframe_peer_plugin.py calls install() when pytest
#    loads it, before collection).
# 2. autobahn: runs the tests shipped inside the installed package,
#    `USE_ASYNCIO=1 python -m pytest --pyargs autobahn.websocket.test`, with
#    wsframe.integrations.autobahn installed; then autobahn's UTF-8 validator
#    test (autobahn.nvx.test.test_nvx_utf8validator) with AUTOBAHN_USE_NVX=0,
#    where its "standard" validator, incremental positions included, is ours.
# 3. aiohttp: downloads the sdist of the installed aiohttp version and runs its
#    WebSocket tests (parser, writer, data queue, client and server, unit and
#    functional) against the installed aiohttp with
#    wsframe.integrations.aiohttp installed before collection.  The tests that
#    take a zlib backend run on each one aiohttp supports (zlib, zlib-ng, isal:
#    its parametrize_zlib_backend fixture), none of them deselected.
# 4. websocket-client: runs the tests shipped inside the installed package,
#    `python -m pytest --pyargs websocket.tests`, with
#    wsframe.integrations.websocket_client installed, and with the package's own
#    local echo server (websocket/tests/echo-server.py, which needs websockets)
#    started on a free port so that its LOCAL_WS_SERVER_PORT tests run too (its
#    Internet-requiring tests stay skipped; WEBSOCKET_CLIENT_LOCAL_SERVER=0 skips
#    the local-server tests as well).
# 5. websockets (only when WEBSOCKETS_TESTS names a websockets source tree: its tests
#    are in neither its sdist nor its wheel; e.g. `git clone --depth 1
#    https://github.com/python-websockets/websockets`, which needs the network, so CI
#    leaves this suite out): the Sans-I/O tests (test_protocol, test_server,
#    test_client, test_frames, test_streams, test_http11, test_utils, extensions/) and
#    the asyncio/sync connection and message tests (no network), run without and then
#    with wsframe.integrations.websockets installed; the suite passes when the same
#    tests pass both times (a test tree newer or older than the installed websockets
#    has failures of its own).  Two tests are left out: they simulate an internal
#    error by patching struct.unpack, which websockets' frame parser calls and
#    wsframe's does not.
#
# Prints the pass counts; exits non-zero if any suite fails or if an
# integration was not in effect during its suite.
# Environment: PYTHON (default python3), DOWNLOAD_PYTHON (whose pip fetches the sdist;
# not PIP_PYTHON, which pip itself reads as its --python option;
# default PYTHON), WSPROTO_VERSION (default 1.3.2),
# AUTOBAHN_VERSION (default 26.10.2: only checked against the installed one).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
DOWNLOAD_PYTHON="${DOWNLOAD_PYTHON:-$PYTHON}"  # the interpreter whose pip downloads the sdist
WSPROTO_VERSION="${WSPROTO_VERSION:-1.3.2}"
AUTOBAHN_VERSION="${AUTOBAHN_VERSION:-26.10.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SUITES=("$@")
if [ ${#SUITES[@]} -eq 0 ]; then
    SUITES=(wsproto autobahn aiohttp websocket_client websockets)
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wsframe-peers.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# wsframe itself: the installed package if there is one, else this checkout.
if (cd "$WORK" && "$PYTHON" -c "import wsframe" 2>/dev/null); then
    EXTRA_PATH="$HERE"
else
    EXTRA_PATH="$HERE:$ROOT"
fi
export PYTHONPATH="$EXTRA_PATH${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

declare -a REPORT=()
STATUS=0

# run_suite NAME LOG DIR -- COMMAND...: run in DIR, keep the output, record the summary.
run_suite() {
    local name="$1" log="$2" dir="$3"
    shift 4
    echo "=== $name: (cd $dir && $*)"
    local rc=0
    (cd "$dir" && "$@") >"$log" 2>&1 || rc=$?
    tail -n 25 "$log"
    local summary
    summary="$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^[0-9]+ (passed|failed)| (passed|failed|error)' "$log" | tail -n 1 || true)"
    REPORT+=("$name: ${summary:-no pytest summary} (exit $rc)")
    if [ "$rc" -ne 0 ]; then
        STATUS=1
    fi
}

for suite in "${SUITES[@]}"; do
    STATUS_BEFORE_WS=$STATUS
    case "$suite" in
    wsproto)
        (cd "$WORK" && "$DOWNLOAD_PYTHON" -m pip download --quiet --no-binary :all: --no-deps \
            "wsproto==$WSPROTO_VERSION" -d "$WORK/dl")
        tar -xzf "$WORK/dl/wsproto-$WSPROTO_VERSION.tar.gz" -C "$WORK"
        SRC="$WORK/wsproto-$WSPROTO_VERSION"
        # The sdist's own tests (tests/ since 1.3, test/ before) against its own source.
        TESTS=tests
        if [ ! -d "$SRC/$TESTS" ]; then TESTS=test; fi
        run_suite "wsproto $WSPROTO_VERSION (sdist tests)" "$WORK/wsproto.log" "$SRC" -- \
            env PYTHONPATH="$SRC/src:$PYTHONPATH" WSFRAME_INTEGRATIONS=wsproto \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -q "$TESTS"
        ;;
    autobahn)
        if ! installed="$(cd "$WORK" && "$PYTHON" -c 'import autobahn; print(autobahn.__version__)' 2>/dev/null)"; then
            # autobahn 26.x needs Python >= 3.11; the peers extra leaves it out below.
            if "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
                echo "autobahn is not installed (pip install -e '.[peers]')" >&2
                REPORT+=("autobahn: NOT INSTALLED (failure)")
                STATUS=1
            else
                REPORT+=("autobahn: skipped (needs Python >= 3.11)")
            fi
            continue
        fi
        if [ "$installed" != "$AUTOBAHN_VERSION" ]; then
            echo "warning: autobahn $installed installed, pinned $AUTOBAHN_VERSION" >&2
        fi
        run_suite "autobahn $installed (autobahn.websocket.test)" "$WORK/autobahn.log" "$WORK" -- \
            env USE_ASYNCIO=1 WSFRAME_INTEGRATIONS=autobahn \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -q \
            --pyargs autobahn.websocket.test
        run_suite "autobahn $installed (utf8validator test, AUTOBAHN_USE_NVX=0)" \
            "$WORK/autobahn-utf8.log" "$WORK" -- \
            env USE_ASYNCIO=1 AUTOBAHN_USE_NVX=0 WSFRAME_INTEGRATIONS=autobahn \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -q -rs \
            --pyargs autobahn.nvx.test.test_nvx_utf8validator
        ;;
    aiohttp)
        if ! version="$(cd "$WORK" && "$PYTHON" -c 'import aiohttp; print(aiohttp.__version__)' 2>/dev/null)"; then
            echo "aiohttp is not installed (pip install -e '.[peers]')" >&2
            REPORT+=("aiohttp: NOT INSTALLED (failure)")
            STATUS=1
            continue
        fi
        (cd "$WORK" && "$DOWNLOAD_PYTHON" -m pip download --quiet --no-binary :all: --no-deps \
            "aiohttp==$version" -d "$WORK/dl")
        tar -xzf "$WORK/dl/aiohttp-$version.tar.gz" -C "$WORK"
        # Only its tests/ and pytest.ini: the installed (compiled) aiohttp is
        # the one under test, not the sdist's unbuilt source.
        mkdir -p "$WORK/aiohttp-tests"
        cp -r "$WORK/aiohttp-$version/tests" "$WORK/aiohttp-$version/pytest.ini" "$WORK/aiohttp-tests/"
        # pytest-timeout is not a test dependency here.
        sed -i '/^timeout = /d' "$WORK/aiohttp-tests/pytest.ini"
        # None of them is deselected.  Its stall tests assert that the compiled
        # queue's _stalled_reader slot, read-only to Python, holds a weak
        # reference to the reader itself (`out._stalled_reader() is parser`):
        # on that queue the integration's reader subclasses aiohttp's compiled
        # reader, whose own _feed_data parks it there.
        run_suite "aiohttp $version (sdist WebSocket tests)" "$WORK/aiohttp.log" "$WORK/aiohttp-tests" -- \
            env WSFRAME_INTEGRATIONS=aiohttp \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -o addopts= -q \
            tests/test_websocket_parser.py tests/test_websocket_writer.py \
            tests/test_websocket_data_queue.py tests/test_client_ws.py \
            tests/test_client_ws_functional.py tests/test_web_websocket.py \
            tests/test_web_websocket_functional.py
        ;;
    websocket_client)
        if ! wsc_dir="$(cd "$WORK" && "$PYTHON" -c 'import os, websocket; print(os.path.dirname(websocket.__file__))' 2>/dev/null)"; then
            echo "websocket-client is not installed (pip install -e '.[peers]')" >&2
            REPORT+=("websocket-client: NOT INSTALLED (failure)")
            STATUS=1
            continue
        fi
        wsc_version="$(cd "$WORK" && "$PYTHON" -c 'import importlib.metadata as m; print(m.version("websocket-client"))')"
        ECHO_PID=""
        if [ "${WEBSOCKET_CLIENT_LOCAL_SERVER:-1}" != 0 ] \
            && (cd "$WORK" && "$PYTHON" -c 'import websockets' 2>/dev/null); then
            port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("localhost", 0)); print(s.getsockname()[1])')"
            (cd "$WORK" && LOCAL_WS_SERVER_PORT="$port" exec "$PYTHON" "$wsc_dir/tests/echo-server.py") \
                >"$WORK/echo-server.log" 2>&1 &
            ECHO_PID=$!
            # Wait (at most 10 s) until the echo server accepts connections.
            "$PYTHON" -c 'import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("localhost", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)' "$port"
        else
            port=-1
            echo "websocket-client's local-server tests are skipped (no websockets, or WEBSOCKET_CLIENT_LOCAL_SERVER=0)" >&2
        fi
        run_suite "websocket-client $wsc_version (websocket.tests)" "$WORK/websocket-client.log" "$WORK" -- \
            env LOCAL_WS_SERVER_PORT="$port" WSFRAME_INTEGRATIONS=websocket_client \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -q --pyargs websocket.tests
        if [ -n "$ECHO_PID" ]; then
            kill "$ECHO_PID" 2>/dev/null || true
            wait "$ECHO_PID" 2>/dev/null || true
        fi
        ;;
    websockets)
        if [ -z "${WEBSOCKETS_TESTS:-}" ]; then
            REPORT+=("websockets: skipped (set WEBSOCKETS_TESTS to a websockets source tree)")
            continue
        fi
        ws_version="$(cd "$WORK" && "$PYTHON" -c 'import websockets; print(websockets.__version__)')"
        ws_files=(tests/test_protocol.py tests/test_server.py tests/test_client.py
            tests/test_frames.py tests/test_streams.py tests/test_http11.py tests/test_utils.py
            tests/extensions tests/asyncio/test_connection.py tests/sync/test_connection.py
            tests/asyncio/test_messages.py tests/sync/test_messages.py)
        ws_deselect=(
            --deselect tests/test_protocol.py::ErrorTests::test_client_hits_internal_error_reading_frame
            --deselect tests/test_protocol.py::ErrorTests::test_server_hits_internal_error_reading_frame)
        (cd "$WEBSOCKETS_TESTS" && "$PYTHON" -m pytest -p no:cacheprovider -q -rf \
            "${ws_deselect[@]}" "${ws_files[@]}") >"$WORK/websockets-plain.log" 2>&1 || true
        run_suite "websockets $ws_version (its tests, installed)" "$WORK/websockets.log" \
            "$WEBSOCKETS_TESTS" -- env WSFRAME_INTEGRATIONS=websockets \
            "$PYTHON" -m pytest -p no:cacheprovider -p wsframe_peer_plugin -q -rf \
            "${ws_deselect[@]}" "${ws_files[@]}"
        grep -E '^(SUB)?FAILED' "$WORK/websockets-plain.log" | sed 's/ - .*//' | sort >"$WORK/ws-plain.txt" || true
        grep -E '^(SUB)?FAILED' "$WORK/websockets.log" | sed 's/ - .*//' | sort >"$WORK/ws-installed.txt" || true
        if cmp -s "$WORK/ws-plain.txt" "$WORK/ws-installed.txt" \
                && grep -qE '[0-9]+ passed' "$WORK/websockets.log"; then
            # run_suite counted the tree's own failures: they are the same without wsframe.
            if [ "${REPORT[-1]##*(exit }" != "0)" ]; then
                REPORT[-1]="${REPORT[-1]} - the same $(wc -l <"$WORK/ws-plain.txt") failures without wsframe: ok"
                STATUS=$STATUS_BEFORE_WS
            fi
        else
            echo "--- failures that differ (without wsframe < > with wsframe)"
            diff "$WORK/ws-plain.txt" "$WORK/ws-installed.txt" || true
            REPORT[-1]="${REPORT[-1]} - failures differ from the run without wsframe"
            STATUS=1
        fi
        ;;
    *)
        echo "unknown suite: $suite (wsproto, autobahn, aiohttp, websocket_client, websockets)" >&2
        exit 2
        ;;
    esac
done

echo
echo "=== peer suites with wsframe installed"
for line in "${REPORT[@]}"; do
    echo "  $line"
done
exit "$STATUS"
