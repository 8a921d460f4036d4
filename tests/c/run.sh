#!/bin/sh
# Build and run the C kernel tests under AddressSanitizer+UBSan, then under
# valgrind (when installed).  Usage: tests/c/run.sh [asan|valgrind|plain|arm64]...
# Binaries go to ${TMPDIR:-/tmp}; nothing is written into the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}
cc=${CC:-gcc}
src="$here/test_kernels.c"
inc="$root/wsframe/_speedups"
modes=${*:-asan valgrind}

for mode in $modes; do
    case $mode in
    asan)
        $cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -fno-omit-frame-pointer -Wall -Wextra -Werror -I "$inc" "$src" \
            -o "$out/wsf_test_asan"
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/wsf_test_asan"
        ;;
    valgrind)
        if ! command -v valgrind >/dev/null 2>&1; then
            echo "valgrind not installed: skipped"
            continue
        fi
        $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "$out/wsf_test_vg"
        # valgrind emulates no AVX-512 (its CPUID hides it), so levels up to
        # AVX2 run there; --quick trims the exhaustive placements.
        valgrind --error-exitcode=1 --leak-check=full "$out/wsf_test_vg" --quick
        ;;
    arm64)
        # The NEON layer, cross-compiled and run under qemu user emulation
        # (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user).
        if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
            ! command -v qemu-aarch64 >/dev/null 2>&1; then
            echo "aarch64-linux-gnu-gcc or qemu-aarch64 not installed: skipped"
            continue
        fi
        aarch64-linux-gnu-gcc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" \
            -o "$out/wsf_test_arm64"
        qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/wsf_test_arm64" --quick
        ;;
    plain)
        $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "$out/wsf_test"
        "$out/wsf_test"
        ;;
    *)
        echo "unknown mode $mode (asan|valgrind|plain|arm64)" >&2
        exit 2
        ;;
    esac
done
