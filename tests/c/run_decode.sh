#!/bin/sh
# Build and run the UTF-8 -> str transcoder tests (test_decode.c, for
# wsframe/_speedups/wsf_decode.h) under AddressSanitizer+UBSan, then under
# valgrind (when installed).  Usage: tests/c/run_decode.sh [asan|valgrind|plain]...
# Binaries go to ${TMPDIR:-/tmp}; nothing is written into the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}
cc=${CC:-gcc}
src="$here/test_decode.c"
inc="$root/wsframe/_speedups"
modes=${*:-asan valgrind}

for mode in $modes; do
    case $mode in
    asan)
        $cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer -Wall -Wextra -Werror -I "$inc" "$src" \
            -o "$out/wsf_decode_asan"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/wsf_decode_asan"
        ;;
    valgrind)
        if ! command -v valgrind >/dev/null 2>&1; then
            echo "valgrind not installed: skipped"
            continue
        fi
        $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "$out/wsf_decode_vg"
        valgrind --error-exitcode=1 --leak-check=full "$out/wsf_decode_vg" --quick
        ;;
    plain)
        $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "$out/wsf_decode"
        "$out/wsf_decode"
        ;;
    *)
        echo "unknown mode $mode (asan|valgrind|plain)" >&2
        exit 2
        ;;
    esac
done
