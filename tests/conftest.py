"""pytest configuration shared by every wsframe test module.

The suite is backend-agnostic: it imports only the public modules
(``wsframe.mask``, ``wsframe.utf8``, ...), so the same tests run against the
compiled backend and, with ``WSFRAME_PURE_PYTHON=1``, against the reference.

Hypothesis profiles:

- ``dev`` (default): random, 100 examples per property.
- ``ci`` (selected when ``$CI`` is set): derandomized, so a CI run is
  reproducible, with the same budget.
- ``thorough``: 2000 examples, for hunting bugs locally.

``HYPOTHESIS_PROFILE=<name>`` overrides the choice.  Deadlines are off: the
machines running this suite are shared and timing is not what is tested.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Make ``import _support`` work however pytest was invoked (rootdir or tests/).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support  # noqa: E402

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which backend and which conformance data this run uses."""
    import wsframe

    data = _support.DATA_DIR
    return [
        f"wsframe backend: {wsframe.backend} (WSFRAME_PURE_PYTHON="
        f"{os.environ.get('WSFRAME_PURE_PYTHON', '')!r})",
        f"wsframe conformance data: {data if data.is_dir() else 'NOT FOUND'}",
        f"hypothesis profile: {getattr(settings, 'get_current_profile_name', lambda: '?')()}",
    ]


@pytest.fixture(scope="session")
def autobahn_data() -> dict[str, Any]:
    """The parsed ``tests/data/autobahn_cases.json``; skips if absent."""
    data = _support.load_autobahn()
    if data is None:
        pytest.skip("tests/data/autobahn_cases.json not found")
    return data
