"""``python -m bench``: see :mod:`bench.runner`; ``python -m bench --levels [...]``:
every SIMD level this CPU has, one subprocess per level (see :mod:`bench.levels`)."""

import os
import sys

from . import levels
from .runner import main

try:
    if "--levels" in sys.argv[1:]:
        code = levels.main([a for a in sys.argv[1:] if a != "--levels"])
    else:
        code = main()
except BrokenPipeError:  # e.g. `python -m bench | head`: stop quietly
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
raise SystemExit(code)
