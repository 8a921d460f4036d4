#!/bin/sh
# Build and run the C kernel tests -- test_kernels.c (masking and UTF-8 validation,
# every SIMD level) and test_decode.c (the UTF-8 -> str transcoder of wsf_decode.h)
# -- under AddressSanitizer+UBSan, then under valgrind (when installed).
# Usage: tests/c/run.sh [asan|valgrind|plain|arm64]...
# WSF_C_TESTS="kernels decode" (the default) picks the test programs.
# Binaries go to ${TMPDIR:-/tmp}; nothing is written into the repository.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${TMPDIR:-/tmp}
cc=${CC:-gcc}
inc="$root/wsframe/_speedups"
modes=${*:-asan valgrind}
tests=${WSF_C_TESTS:-kernels decode}

for name in $tests; do
    src="$here/test_$name.c"
    bin="$out/wsf_test_$name"
    echo "== tests/c/test_$name.c"
    for mode in $modes; do
        case $mode in
        asan)
            $cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -Wall -Wextra -Werror -I "$inc" "$src" \
                -o "${bin}_asan"
            ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "${bin}_asan"
            ;;
        valgrind)
            if ! command -v valgrind >/dev/null 2>&1; then
                echo "valgrind not installed: skipped"
                continue
            fi
            $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "${bin}_vg"
            # valgrind emulates no AVX-512 (its CPUID hides it), so levels up to
            # AVX2 run there; --quick trims the exhaustive placements.
            valgrind --error-exitcode=1 --leak-check=full "${bin}_vg" --quick
            ;;
        arm64)
            # The NEON layer, cross-compiled and run under qemu user emulation
            # (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user, which
            # .ci/run installs with tools/apt_install.sh).  Skipped without them,
            # except on CI.
            if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 ||
                ! command -v qemu-aarch64 >/dev/null 2>&1; then
                echo "aarch64-linux-gnu-gcc or qemu-aarch64 not installed: skipped"
                if [ -n "${CI:-}" ]; then
                    exit 1
                fi
                continue
            fi
            aarch64-linux-gnu-gcc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" \
                -o "${bin}_arm64"
            qemu-aarch64 -L /usr/aarch64-linux-gnu "${bin}_arm64" --quick
            ;;
        plain)
            $cc -O2 -g -Wall -Wextra -Werror -I "$inc" "$src" -o "$bin"
            "$bin"
            ;;
        *)
            echo "unknown mode $mode (asan|valgrind|plain|arm64)" >&2
            exit 2
            ;;
        esac
    done
done
