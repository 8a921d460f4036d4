#!/usr/bin/env bash
# The integrations' version matrix: for wsproto, websockets, autobahn, websocket-client and aiohttp,
# the oldest and the newest release of the series each integration supports (its
# SUPPORTED_SERIES), plus one release outside the series, each in its own virtual
# environment.
#
#   tools/integration_matrix.sh                  # the whole matrix
#   tools/integration_matrix.sh wsproto          # the rows of one library
#   MATRIX_JOBS=1 tools/integration_matrix.sh    # one row at a time (default: 2)
#
# For each row: `python -m venv`, `pip install <library>==<version> pytest hypothesis`
# (pip's wheel cache makes a repeated run fast), wsframe taken from this checkout through
# PYTHONPATH (its compiled modules built in place: `python setup.py build_ext --inplace`
# is run first when they are missing), then
#   supported rows:   tests/integrations/test_integrations_<library>.py and
#                     tests/integrations/test_integrations_versions.py (install() before and after the
#                     import; refusals forced by series and by a failed probe; every real
#                     probe passes), and the library's own suite with the integration
#                     installed where tools/peer_suites.sh runs one (wsproto's sdist tests,
#                     autobahn's and websocket-client's packaged tests; the latter without
#                     its local echo server here, to keep the matrix short);
#   unsupported rows: tests/integrations/test_integrations_versions.py, which requires the warning,
#                     install() returning False and every target attribute left the
#                     library's own, in both import orders.
#   aiohttp rows:     tests/integrations/test_integrations_aiohttp_versions.py (each part,
#                     reader and writer, replaced where its internals match and used by a
#                     real server/client exchange, else aiohttp's own with one warning per
#                     install() naming its probe; outside the series, nothing replaced),
#                     plus tests/integrations/test_integrations_aiohttp.py and
#                     test_integrations_aiohttp_stall.py in the supported rows
#                     (aiohttp's own WebSocket tests run on the current release in the
#                     test step: tools/peer_suites.sh aiohttp).
# Prints one line per row and the total time; exits non-zero if any row fails.
# Environment: PYTHON (default python3; must be the interpreter the in-place build is
# for), MATRIX_JOBS (parallel rows, default 2), MATRIX_KEEP=1 keeps the logs and venvs.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${PYTHON:-python3}"
JOBS="${MATRIX_JOBS:-2}"
cd "$ROOT"

# library version kind   (kind: supported | unsupported)
# (oldest and newest of the series on PyPI, then one release before the series; wsproto
# 1.3.1 too, whose Connection.events gives BytesMessage a bytearray where 1.3.2 does not;
# aiohttp: the oldest and newest of 3.13 and 3.14 inside the series, where the writer is
# replaced from 3.13.2 and the reader from 3.14.4, so 3.14.4 too, the oldest with both)
ROWS=(
    "wsproto 1.2.0 supported"
    "wsproto 1.3.1 supported"
    "wsproto 1.3.2 supported"
    "wsproto 1.1.0 unsupported"
    "websockets 16.1 supported"
    "websockets 17.4 supported"
    "websockets 15.0.1 unsupported"
    "autobahn 26.7.1 supported"
    "autobahn 26.11.1 supported"
    "autobahn 25.12.2 unsupported"
    "websocket-client 1.6.0 supported"
    "websocket-client 1.9.2 supported"
    "websocket-client 1.5.3 unsupported"
    "aiohttp 3.13.2 supported"
    "aiohttp 3.13.5 supported"
    "aiohttp 3.14.0 supported"
    "aiohttp 3.14.4 supported"
    "aiohttp 3.14.5 supported"
    "aiohttp 3.13.1 unsupported"
)
if [ $# -gt 0 ]; then
    selected=()
    for row in "${ROWS[@]}"; do
        for lib in "$@"; do
            if [ "${row%% *}" = "$lib" ]; then selected+=("$row"); fi
        done
    done
    ROWS=("${selected[@]}")
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/wsframe-matrix.XXXXXX")"
if [ "${MATRIX_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$WORK"' EXIT
else
    echo "logs and venvs kept in $WORK"
fi

# The compiled backend, built in place for $PYTHON (the rows import it from here).
if ! (cd "$WORK" && PYTHONPATH="$ROOT" WSFRAME_REQUIRE_C=1 "$PYTHON" -c \
        'import wsframe, sys; sys.exit(wsframe.backend != "c")') 2>/dev/null; then
    echo "==== building wsframe's compiled backend in place"
    "$PYTHON" setup.py build_ext --inplace -q
fi
BACKEND="$(cd "$WORK" && PYTHONPATH="$ROOT" "$PYTHON" -c 'import wsframe; print(wsframe.backend)')"

# pytest and hypothesis once, in a directory every row puts on its path (pure Python).
echo "==== test tools (pytest, hypothesis) into $WORK/testdeps"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$PYTHON" -m pip install -q --target "$WORK/testdeps" pytest hypothesis
# The differential tests' example budget per property (the full suite uses 200 for the
# current releases; here every row runs them, so fewer keeps the matrix within minutes).
export WSFRAME_HYPOTHESIS_EXAMPLES="${WSFRAME_HYPOTHESIS_EXAMPLES:-50}"

# run_row LIBRARY VERSION KIND: everything for one row, output in $WORK/<row>.log,
# status in $WORK/<row>.rc.
run_row() {
    local lib="$1" version="$2" kind="$3"
    local name="$lib-$version" venv="$WORK/venv-$lib-$version"
    local log="$WORK/$name.log" start=$SECONDS rc=0
    {
        # No pip inside the venv: the outer pip installs into it (--python), which
        # saves creating and starting one pip per row.
        "$PYTHON" -m venv --without-pip "$venv" || rc=1
        local py="$venv/bin/python"
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$PYTHON" -m pip --python "$py" install -q "$lib==$version" || rc=1
        export PYTHONPATH="$ROOT:$ROOT/tests:$WORK/testdeps" PYTHONDONTWRITEBYTECODE=1
        if [ "$lib" = aiohttp ]; then
            # Its own version-rule file: which parts are replaced (reader, writer), and a
            # real server/client exchange through them; refused outside the series.
            "$py" -m pytest -q -p no:cacheprovider tests/integrations/test_integrations_aiohttp_versions.py \
                $([ "$kind" = supported ] && echo tests/integrations/test_integrations_aiohttp.py \
                    tests/integrations/test_integrations_aiohttp_stall.py) || rc=1
        elif [ "$kind" = supported ]; then
            "$py" -m pytest -q -p no:cacheprovider \
                "tests/integrations/test_integrations_${lib//-/_}.py" tests/integrations/test_integrations_versions.py || rc=1
            case "$lib" in
            wsproto) DOWNLOAD_PYTHON="$PYTHON" WSPROTO_VERSION="$version" PYTHON="$py" bash tools/peer_suites.sh wsproto || rc=1 ;;
            autobahn) AUTOBAHN_VERSION="$version" PYTHON="$py" bash tools/peer_suites.sh autobahn || rc=1 ;;
            websocket-client) WEBSOCKET_CLIENT_LOCAL_SERVER=0 PYTHON="$py" bash tools/peer_suites.sh websocket_client || rc=1 ;;
            esac
        else
            "$py" -m pytest -q -p no:cacheprovider tests/integrations/test_integrations_versions.py || rc=1
        fi
    } >"$log" 2>&1 || rc=$?
    echo "$rc $((SECONDS - start))" >"$WORK/$name.rc"
}

echo "==== integration matrix (wsframe backend: $BACKEND, $(${PYTHON} --version 2>&1), $JOBS at a time)"
start=$SECONDS
running=0
for row in "${ROWS[@]}"; do
    # shellcheck disable=SC2086
    run_row $row &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

status=0
for row in "${ROWS[@]}"; do
    read -r lib version kind <<<"$row"
    name="$lib-$version"
    read -r rc secs <"$WORK/$name.rc"
    summary="$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$WORK/$name.log" \
        | head -n 1 | sed -E 's/=+ ?//g' || true)"
    peers="$(grep -E '^  (wsproto|autobahn|websocket-client) .*\(exit' "$WORK/$name.log" | sed -E 's/^ +//' \
        | tr '\n' ';' | sed 's/;$//' || true)"
    if [ "$rc" -eq 0 ]; then verdict=ok; else verdict=FAILED; status=1; fi
    printf '  %-8s %-16s %-9s %-12s %4ss  %s%s\n' "$verdict" "$lib" "$version" "$kind" "$secs" \
        "${summary:-no pytest summary}" "${peers:+ | peer suite: $peers}"
    if [ "$rc" -ne 0 ]; then
        echo "---- $name log (last 40 lines)"
        tail -n 40 "$WORK/$name.log"
    fi
done
echo "==== integration matrix: $((SECONDS - start)) s"
exit "$status"
