#!/bin/sh
# The UTF-8 -> str transcoder of an older commit against the working tree's,
# timed in turn in one process (bench/transcode_ab.c), on input files.
#
# Usage: bench/transcode_ab.sh REV LEVEL FILE...
#   REV    the old tree (any git revision)
#   LEVEL  scalar, sse2, sse4, avx2 or avx512, or checked (the one-pass
#          scalar decoder of the scalar and SSE2 levels)
# Inputs as bench/transcode_time.c's, e.g.
#   python -c "from bench.inputs import text; \
#              open('/tmp/mixed.bin', 'wb').write(text('mixed', 65536))"
#   bench/transcode_ab.sh HEAD~1 avx512 /tmp/mixed.bin
# Builds go to a temporary directory, removed on exit.
set -eu
if [ $# -lt 3 ]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
rev=$1
level=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/old"
git -C "$root" archive "$rev" wsframe/_speedups | tar -x -C "$tmp/old"
$cc -O3 -DWSF_AB_SIDE=a -I "$tmp/old/wsframe/_speedups" -c "$here/transcode_ab.c" -o "$tmp/a.o"
$cc -O3 -DWSF_AB_SIDE=b -I "$root/wsframe/_speedups" -c "$here/transcode_ab.c" -o "$tmp/b.o"
$cc -O2 -DWSF_AB_MAIN "$here/transcode_ab.c" "$tmp/a.o" "$tmp/b.o" -o "$tmp/transcode_ab"
status=0
for file in "$@"; do
    "$tmp/transcode_ab" "$file" "$level" || status=1
done
exit $status
