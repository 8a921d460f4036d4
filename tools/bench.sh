#!/usr/bin/env bash
# Install wsframe with its bench extra and run the comparison benchmarks: the README's
# benchmark command.  Arguments go to `python -m bench` (try --help).
#
#   bash tools/bench.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"

"$PYTHON" -m pip install -e ".[bench]"
exec "$PYTHON" -m bench "$@"
