#!/usr/bin/env bash
# The static quality gate, one definition for make (lint, format-check, types, stubtest,
# quality) and CI (.ci/run's quality step):
#
#   lint       ruff check .                 (rules: [tool.ruff.lint] in pyproject.toml)
#   format     ruff format --check .        (layout: [tool.ruff.format])
#   types      mypy --strict wsframe
#   stubtest   the compiled modules against their .pyi stubs (mypy's stubtest; the
#              allowlist, tools/stubtest_allowlist.txt, names Cython artefacts only)
#
#   bash tools/quality.sh              # every step
#   bash tools/quality.sh lint types   # the named ones
#
# Every step named runs; the exit status is non-zero when any failed.  Needs the `lint`
# extra (ruff, mypy) and, for stubtest, the compiled backend built (make build, or an
# editable install).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"

lint() { "$PYTHON" -m ruff check .; }
format() { "$PYTHON" -m ruff format --check .; }
types() { "$PYTHON" -m mypy --strict wsframe; }
stubtest() {
    # One module per wsframe._backend.COMPILED_MODULES entry (the one list of them).
    local modules
    modules="$("$PYTHON" -W ignore -c 'from wsframe._backend import COMPILED_MODULES as m; print(" ".join("wsframe._speedups." + n for n in m))')" || return 1
    # shellcheck disable=SC2086  # one word per module
    "$PYTHON" -m mypy.stubtest --allowlist tools/stubtest_allowlist.txt $modules
}

steps=("$@")
[ "${#steps[@]}" -gt 0 ] || steps=(lint format types stubtest)
status=0
for step in "${steps[@]}"; do
    case "$step" in
        lint | format | types | stubtest) ;;
        *) echo "tools/quality.sh: unknown step '$step' (lint, format, types, stubtest)" >&2; exit 2 ;;
    esac
    printf '\n==== quality: %s\n' "$step"
    "$step" || { echo "tools/quality.sh: FAILED: $step" >&2; status=1; }
done
exit "$status"
