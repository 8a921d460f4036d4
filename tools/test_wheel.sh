#!/usr/bin/env bash
# Build wsframe's wheel as a user gets it, check it, install it where no compiler exists
# and test what was installed (not the source tree).
#
#   bash tools/test_wheel.sh
#
# Steps (the python on PATH builds; auditwheel comes from the `ci` extra):
#   1. pip wheel . with WSFRAME_REQUIRE_C=1: a platform wheel holding the compiled modules
#   2. auditwheel show: the wheel must be consistent with a manylinux tag (it links
#      nothing beyond what the manylinux policy allows) - Linux only
#   3. a fresh virtual environment with no C compiler: PATH holds only the venv's bin
#      (no cc, gcc, clang) and CC=/bin/false; the wheel installed with its `test` extra
#   4. the tests, from a temporary copy of the checkout without wsframe/ (so `import
#      wsframe` finds the installed package, never the source tree), with
#      WSFRAME_EXPECT_BACKEND=c: the compiled half (--backend c) of the mask, UTF-8 and
#      frames tests (every compiled module, every kernel), then the package, build
#      record, README, errors, handshake, deflate and conformance tests (the rest of
#      the suite is tools/test.sh's, on the source tree: the same code)
#   5. the same checkout built again with a failing compiler (CC=/bin/false), as a user
#      without one would: the wheel must be py3-none-any and hold no compiled module
#      although build/ holds step 1's, and installed over the first one it must import
#      the pure-Python backend with a warning that says what to do and names no path of
#      the build machine; the package and build-record tests run against it
# About 4-5 minutes on 2 loaded cores (the compiled build is a third of it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"
repo="$(pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/wsframe-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset WSFRAME_PURE_PYTHON WSFRAME_PURE_PYTHON_BUILD

section() { printf '\n==== %s ====\n' "$*"; }

# Run "$@" with its output in a log; show the log's end only when it fails.
quietly() {
    local log="$work/step.log" rc=0
    "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 60 "$log" >&2
        echo "test_wheel: failed (exit $rc): $*" >&2
        exit "$rc"
    fi
}

section "1. pip wheel . (WSFRAME_REQUIRE_C=1)"
start=$SECONDS
WSFRAME_REQUIRE_C=1 quietly "$PYTHON" -m pip wheel --no-deps -w "$work/dist" .
wheel="$(ls "$work"/dist/wsframe-*.whl)"
echo "built $(basename "$wheel") in $((SECONDS - start)) s"
case "$(basename "$wheel")" in
    *-none-any.whl) echo "test_wheel: the compiled build made a pure wheel" >&2; exit 1 ;;
esac

if [ "$(uname -s)" = Linux ]; then
    section "2. auditwheel show"
    if ! "$PYTHON" -m auditwheel --version >/dev/null 2>&1; then
        echo "test_wheel: auditwheel is not installed (python -m pip install -e '.[ci]')" >&2
        exit 1
    fi
    shown="$("$PYTHON" -m auditwheel show "$wheel" 2>&1)"
    echo "$shown"
    # auditwheel wraps its lines: join them before looking for the verdict.
    if ! tr '\n' ' ' <<<"$shown" | tr -s ' ' | grep -q 'platform tag: "manylinux_'; then
        echo "test_wheel: the wheel is not consistent with any manylinux tag" >&2
        exit 1
    fi
fi

section "3. fresh venv without a compiler, the wheel installed"
"$PYTHON" -m venv "$work/venv"
venv_bin="$work/venv/bin"
# Nothing but the venv on PATH: no cc, gcc or clang to fall back on.
nocc=(env "PATH=$venv_bin" CC=/bin/false CXX=/bin/false LDSHARED=/bin/false)
for compiler in cc gcc clang; do
    if "${nocc[@]}" sh -c "command -v $compiler" >/dev/null 2>&1; then
        echo "test_wheel: $compiler is still on PATH" >&2
        exit 1
    fi
done
quietly "${nocc[@]}" "$venv_bin/python" -m pip install --progress-bar off "$wheel[test]"

# The checkout without the package: the tests, their data, the docs they read.
tree="$work/tree"
mkdir -p "$tree"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$repo" ls-files -z | grep -zv '^wsframe/' | (cd "$repo" && xargs -0 cp --parents -t "$tree")
else
    tar -C "$repo" --exclude=./wsframe --exclude=./build --exclude=./.git -cf - . | tar -C "$tree" -xf -
fi

where="$(cd "$tree" && "${nocc[@]}" "$venv_bin/python" -c \
    'import wsframe; print(wsframe.backend, wsframe.__file__)')"
echo "imports: $where"
case "$where" in
    "c $work/venv/"*) ;;
    *) echo "test_wheel: expected the compiled backend from the venv, got: $where" >&2; exit 1 ;;
esac

section "4. tests against the installed wheel (compiled backend)"
start=$SECONDS
(cd "$tree" && "${nocc[@]}" WSFRAME_EXPECT_BACKEND=c \
    "$venv_bin/python" -m pytest -q -p no:cacheprovider -m both_backends --backend c tests)
(cd "$tree" && "${nocc[@]}" WSFRAME_EXPECT_BACKEND=c \
    "$venv_bin/python" -m pytest -q -p no:cacheprovider tests/package/test_package.py \
    tests/package/test_build_fallback.py tests/docs/test_readme.py tests/package/test_errors.py \
    tests/handshake/test_handshake.py tests/deflate/test_deflate_codec.py tests/conformance/test_conformance_frames.py \
    tests/conformance/test_conformance_utf8.py)
echo "tests took $((SECONDS - start)) s"

section "5. the same checkout built without a compiler (CC=/bin/false)"
env CC=/bin/false LDSHARED=/bin/false WSFRAME_REQUIRE_C=0 \
    "$PYTHON" -m pip wheel --no-deps -w "$work/pure" . >"$work/pure.log" 2>&1 \
    || { tail -n 60 "$work/pure.log" >&2; exit 1; }
pure="$(ls "$work"/pure/wsframe-*.whl)"
echo "built $(basename "$pure")"
"$PYTHON" - "$pure" <<'EOF'
import json
import sys
import zipfile

path = sys.argv[1]
if not path.endswith("-py3-none-any.whl"):
    sys.exit(f"test_wheel: a build without a compiler made {path}, not a py3-none-any wheel")
with zipfile.ZipFile(path) as zf:
    compiled = [n for n in zf.namelist() if n.endswith((".so", ".pyd", ".dylib"))]
    record = json.loads(zf.read("wsframe/_build_info.json"))
if compiled:
    sys.exit(f"test_wheel: the pure wheel holds compiled modules: {compiled}")
if record["compiled"] or "/" in record["reason"] or "\\" in record["reason"]:
    sys.exit(f"test_wheel: wrong build record in the pure wheel: {record}")
print(f"no compiled module; build record: {record}")
EOF
quietly "${nocc[@]}" "$venv_bin/python" -m pip install --force-reinstall --no-deps "$pure"
(cd "$tree" && "${nocc[@]}" "$venv_bin/python" - "$repo" "$work" <<'EOF'
import sys
import warnings

repo, work = sys.argv[1], sys.argv[2]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import wsframe
messages = [str(w.message) for w in caught if "wsframe" in str(w.message)]
print(f"backend: {wsframe.backend} - {wsframe.backend_reason}")
assert wsframe.backend == "python", wsframe.backend
assert len(messages) == 1, messages
message = messages[0]
print(f"warning: {message}")
assert "Install a C compiler" in message, message
assert "python -m pip install --force-reinstall --no-cache-dir" in message, message
for path in (repo, work, "/bin/false", "/usr/"):
    assert path not in message, f"the warning names {path!r}"
EOF
)
(cd "$tree" && "${nocc[@]}" WSFRAME_EXPECT_BACKEND=python \
    "$venv_bin/python" -m pytest -q -p no:cacheprovider tests/package/test_package.py tests/package/test_build_fallback.py)

section "wheel checks passed"
