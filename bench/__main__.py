"""``python -m bench``: see :mod:`bench.runner`."""

import os
import sys

from .runner import main

try:
    code = main()
except BrokenPipeError:  # e.g. `python -m bench | head`: stop quietly
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
raise SystemExit(code)
