#!/usr/bin/env bash
# Install wsframe with its bench extra (when needed) and run the comparison benchmarks:
# the README's benchmark command.  Arguments go to `python -m bench` (try --help).
#
#   bash tools/bench.sh
#   WSFRAME_BENCH_REINSTALL=1 bash tools/bench.sh   # reinstall even if nothing changed
#
# The editable install (`pip install -e ".[bench]"`, which builds the compiled modules in
# place: about a minute) runs only when this environment's install is not current: the
# first time, or after pyproject.toml, setup.py or a source of the compiled modules
# changed, or when wsframe no longer imports from this checkout with the backend it was
# built with.  What was installed is recorded in build/bench-install.<env>.stamp (the
# folder: $WSFRAME_BENCH_STAMP_DIR, for the tests).  pip's output is kept in a log, shown
# only if the install fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python}"
checkout="$(pwd)"

# This environment's state: a digest of what the install depends on, and the backend
# wsframe imports with from outside the checkout (so the source tree cannot stand in for
# the install).  Prints "<stamp file> <digest> <backend or 'missing'>".
state="$(cd / && "$PYTHON" - "$checkout" "${WSFRAME_BENCH_STAMP_DIR:-$checkout/build}" <<'EOF'
import hashlib
import os
import sys
from pathlib import Path

checkout, stamps = Path(sys.argv[1]), Path(sys.argv[2])
digest = hashlib.sha256()
sources = [checkout / "pyproject.toml", checkout / "setup.py"]
speedups = checkout / "wsframe" / "_speedups"
for pattern in ("*.pyx", "*.pxd", "*.pxi", "*.h", "wsf_*.c"):
    sources += sorted(speedups.glob(pattern))
for path in sources:
    digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
env = hashlib.sha256(os.path.realpath(sys.prefix).encode()).hexdigest()[:12]
try:
    import wsframe
except ImportError:
    backend = "missing"
else:
    here = Path(wsframe.__file__).resolve()
    backend = wsframe.backend if checkout.resolve() in here.parents else "missing"
print(stamps / f"bench-install.{env}.stamp", digest.hexdigest(), backend)
EOF
)"
read -r stamp digest backend <<<"$state"

if [ "${WSFRAME_BENCH_REINSTALL:-0}" != "1" ] && [ "$backend" != missing ] \
    && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest $backend" ]; then
    echo "bench.sh: the install is current (backend: $backend); WSFRAME_BENCH_REINSTALL=1 forces one"
else
    echo "bench.sh: installing wsframe with the bench extra (editable; building takes about a minute)"
    log="$(mktemp "${TMPDIR:-/tmp}/wsframe-bench-install.XXXXXX")"
    if ! "$PYTHON" -m pip install -q --progress-bar off -e ".[bench]" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        rm -f "$log"
        echo "bench.sh: pip install failed" >&2
        exit 1
    fi
    rm -f "$log"
    backend="$(cd / && "$PYTHON" -c 'import wsframe; print(wsframe.backend)')"
    mkdir -p "$(dirname "$stamp")"
    echo "$digest $backend" >"$stamp"
    echo "bench.sh: installed (backend: $backend)"
fi
exec "$PYTHON" -m bench "$@"
