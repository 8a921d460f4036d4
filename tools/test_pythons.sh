#!/usr/bin/env bash
# Build the compiled backend and run its tests on other CPython versions than the one
# tools/test.sh runs on: a build break or a failing kernel on 3.13 must fail here, not
# only in the hosted matrix.
#
#   bash tools/test_pythons.sh                  # every other CPython found (see below)
#   bash tools/test_pythons.sh 3.10 3.12 3.13   # these, each required: one missing fails
#
# For each version, in a fresh virtual environment (kept in a temporary directory):
#   1. python -m pip install -e ".[test]" with WSFRAME_REQUIRE_C=1: the compiled modules
#      for that version are built in place (next to the other versions'), and a C or
#      Cython failure is an error, never a silent pure-Python fallback
#   2. the mask, UTF-8 and frames tests (marked both_backends), compiled half only
#      (--backend c): every kernel and code path of the compiled modules
#   3. a smoke run of the public modules on the compiled backend (package, build record,
#      errors, handshake, deflate): WSFRAME_EXPECT_BACKEND=c holds the import to it
# About 2-3 minutes per version on 2 loaded cores (most of it the build); each version is
# cut off after PER_PYTHON_TIMEOUT seconds (default 900) and then counts as failed.
#
# Interpreters are looked for as python3.X on PATH, then in ~/.pyenv/versions/3.X*/bin
# (the newest patch release).  Without arguments, every CPython 3.10-3.14 found except
# the version of `python` on PATH (tools/test.sh covers that one).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PER_PYTHON_TIMEOUT="${PER_PYTHON_TIMEOUT:-900}"

# True when $2 runs and is CPython $1 (a pyenv shim for a version not selected fails).
is_cpython() {
    "$2" -c "import sys; sys.exit(not (sys.implementation.name == 'cpython'
        and '%d.%d' % sys.version_info[:2] == '$1'))" >/dev/null 2>&1
}

# The interpreter for version $1 (3.X), or nothing.
find_python() {
    local version="$1" candidate
    candidate="$(command -v "python$version" 2>/dev/null || true)"
    if [ -n "$candidate" ] && is_cpython "$version" "$candidate"; then
        echo "$candidate"
        return
    fi
    local root="${PYENV_ROOT:-$HOME/.pyenv}/versions"
    # Newest patch release first (3.12.10 after 3.12.9: sort -V); 3.13.0t and the like
    # (free-threaded, other builds) are not what is asked for.
    for candidate in $(ls -d "$root/$version".* 2>/dev/null | sort -V -r); do
        if [[ "$(basename "$candidate")" =~ ^[0-9.]+$ ]] && is_cpython "$version" "$candidate/bin/python3"; then
            echo "$candidate/bin/python3"
            return
        fi
    done
}

if [ "$#" -gt 0 ]; then
    versions=("$@")
    required=1
else
    current="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
    versions=()
    for v in 3.10 3.11 3.12 3.13 3.14; do
        if [ "$v" != "$current" ] && [ -n "$(find_python "$v")" ]; then
            versions+=("$v")
        fi
    done
    required=0
    echo "test_pythons: found ${versions[*]:-none} (tools/test.sh runs ${current:-?})"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/wsframe-pythons.XXXXXX")"
trap 'rm -rf "$work"' EXIT

export WSFRAME_REQUIRE_C=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset WSFRAME_PURE_PYTHON

# One version: venv, editable build, both test runs.  Its output goes to $work/<v>.log.
run_version() {
    local version="$1" python="$2"
    local venv="$work/venv-$version"
    echo "-- $("$python" --version 2>&1) at $python"
    "$python" -m venv "$venv"
    local py="$venv/bin/python"
    local smoke=(
        tests/package/test_package.py
        tests/package/test_build_fallback.py
        tests/package/test_errors.py
        tests/handshake/test_handshake.py
        tests/deflate/test_deflate_codec.py
    )
    echo "-- build (pip install -e .[test], WSFRAME_REQUIRE_C=1)"
    "$py" -m pip install -q --progress-bar off -e ".[test]"
    echo "-- tests: compiled half of the mask/utf8/frames tests"
    WSFRAME_EXPECT_BACKEND=c "$py" -m pytest -q -p no:cacheprovider -m both_backends --backend c tests
    echo "-- tests: smoke of the public modules on the compiled backend"
    WSFRAME_EXPECT_BACKEND=c "$py" -m pytest -q -p no:cacheprovider "${smoke[@]}"
}

status=0
report=()
for version in "${versions[@]}"; do
    python="$(find_python "$version")"
    if [ -z "$python" ]; then
        if [ "$required" -eq 1 ]; then
            report+=("$version: NO INTERPRETER (failure)")
            status=1
        else
            report+=("$version: not installed (skipped)")
        fi
        continue
    fi
    printf '\n==== CPython %s ====\n' "$version"
    log="$work/$version.log"
    start=$SECONDS
    rc=0
    # A function cannot be run under timeout(1): export what it needs and re-enter bash.
    export -f run_version
    export work
    timeout --kill-after=30 "$PER_PYTHON_TIMEOUT" \
        bash -c 'set -euo pipefail; run_version "$0" "$1"' "$version" "$python" >"$log" 2>&1 || rc=$?
    took=$((SECONDS - start))
    # The progress lines and pytest's summaries; the whole log when it failed.
    if [ "$rc" -eq 0 ]; then
        grep -E "^-- |passed|failed|error" "$log" || true
        report+=("$version: passed (${took} s)")
    else
        tail -n 80 "$log"
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            report+=("$version: TIMED OUT after ${took} s (failure)")
        else
            report+=("$version: FAILED (exit $rc, ${took} s)")
        fi
        status=1
    fi
done

printf '\n==== CPython versions ====\n'
printf '  %s\n' "${report[@]}"
exit "$status"
