"""The README's Python examples run as written, on the active backend."""

from __future__ import annotations

import re

import pytest

from _support import REPO_ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib
    import sys

    try:
        exec(compile(BLOCKS[index], f"README.md example {index + 1}", "exec"), {})
    finally:
        # An example that installs an integration must not leave it installed.
        for name in ("wsproto", "websockets", "autobahn"):
            module = sys.modules.get(f"wsframe.integrations.{name}")
            if module is not None:
                importlib.import_module(module.__name__).uninstall()
