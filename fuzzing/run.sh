#!/usr/bin/env bash
# Run every fuzz harness for a while: the CI smoke run, or a long local run.
#
#   bash fuzzing/run.sh                 # each harness 20 s (what .ci/run does)
#   SECONDS_EACH=3600 bash fuzzing/run.sh decoder utf8
#   MAX_LEN=512 ...                     # longest input (default 8192)
#
# Needs atheris and the compiled backend built in place (python setup.py build_ext
# --inplace).  Seeds come from fuzzing/make_corpus.py (generated on first use); inputs
# the fuzzer finds interesting are added to fuzzing/corpus/<name>/, so a later run starts
# from there.  A divergence or crash stops that harness; the input is saved as
# fuzzing/artifacts/<name>/crash-* and the script exits non-zero after the other harnesses.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"
SECONDS_EACH="${SECONDS_EACH:-20}"
# Longest input libFuzzer makes.  Under AddressSanitizer (LD_PRELOAD) every allocation of
# the interpreter is slower: use MAX_LEN=512 there (see fuzzing/README.md).
MAX_LEN="${MAX_LEN:-8192}"
harnesses=("$@")
[ "${#harnesses[@]}" -gt 0 ] || harnesses=(decoder assembler utf8 wsproto)

[ -d fuzzing/corpus ] || "$PYTHON" fuzzing/make_corpus.py

status=0
for name in "${harnesses[@]}"; do
    mkdir -p "fuzzing/corpus/$name" "fuzzing/artifacts/$name"
    echo "==== fuzzing/fuzz_$name.py for ${SECONDS_EACH}s"
    log="fuzzing/artifacts/$name/last-run.log"
    rc=0
    "$PYTHON" "fuzzing/fuzz_$name.py" \
        -max_total_time="$SECONDS_EACH" -print_final_stats=1 -max_len="$MAX_LEN" \
        -artifact_prefix="fuzzing/artifacts/$name/" \
        "fuzzing/corpus/$name" >"$log" 2>&1 || rc=$?
    # The pulse lines and the final statistics say how much was run.
    grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb" "$log" || true
    if [ "$rc" -ne 0 ]; then
        echo "fuzz_$name: FAILED (exit $rc); end of fuzzing/artifacts/$name/last-run.log:" >&2
        tail -n 40 "$log" >&2
        status=1
    fi
done
exit "$status"
