"""pytest configuration of the benchmark suites.

When pytest-benchmark is not installed, a stand-in ``benchmark`` fixture runs
each benchmarked function once, so ``pytest bench`` still checks every result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

try:
    import pytest_benchmark  # noqa: F401
except ImportError:

    class _RunOnce:
        """Calls the function once, like ``--benchmark-disable``."""

        def __init__(self) -> None:
            self.group: str | None = None
            self.extra_info: dict[str, Any] = {}

        def __call__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

    @pytest.fixture
    def benchmark() -> _RunOnce:
        """Stand-in for pytest-benchmark's fixture: runs the function once."""
        return _RunOnce()
