"""pytest configuration shared by every wsframe test module.

Two kinds of test modules:

- The mask, UTF-8 and frames tests run against *both* implementations in one
  process: each declares ``implementation = implementation_fixture(...)``
  (see ``_support``), so every test appears twice, ``[python]`` and ``[c]``.
  The differential tests import both modules themselves.  All of these carry
  the ``both_backends`` marker (added below), so a run that only wants to
  re-check the public modules under another backend can deselect them with
  ``-m "not both_backends"`` (tools/run_tests.py's pure-Python pass does), and
  ``--backend c`` (or ``python``) keeps one implementation's half.
- Every other test goes through the public modules (``wsframe.mask``,
  ``wsframe.frames``, the integrations, ...), which ``wsframe._backend``
  binds once per process: compiled by default, the reference with
  ``WSFRAME_PURE_PYTHON=1``.

The hypothesis profiles are registered in ``_support``, imported here before any
test module.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import settings

import _support  # importable through pyproject's `pythonpath`; registers the profiles


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which backend and which conformance data this run uses."""
    import wsframe

    data = _support.DATA_DIR
    return [
        f"wsframe backend of the public modules: {wsframe.backend} (WSFRAME_PURE_PYTHON="
        f"{os.environ.get('WSFRAME_PURE_PYTHON', '')!r}); mask/utf8/frames tests run "
        f"both {_support.BACKENDS}",
        f"wsframe conformance data: {data if data.is_dir() else 'NOT FOUND'}",
        f"hypothesis profile: {getattr(settings, 'get_current_profile_name', lambda: '?')()}",
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--backend python|c``: run the per-implementation tests for one backend only."""
    parser.addoption(
        "--backend",
        choices=_support.BACKENDS,
        default=None,
        help="run the mask/utf8/frames tests against this implementation only (default: both)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that runs both implementations itself ``both_backends``;
    with ``--backend``, deselect the other implementation's tests."""
    only = config.getoption("--backend")
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        if "implementation" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.both_backends)
            callspec = getattr(item, "callspec", None)
            if only is not None and callspec is not None and callspec.params.get("implementation") != only:
                dropped.append(item)
                continue
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def autobahn_data() -> dict[str, Any]:
    """The parsed ``tests/data/autobahn_cases.json``; skips if absent."""
    data = _support.load_autobahn()
    if data is None:
        pytest.skip("tests/data/autobahn_cases.json not found")
    return data
