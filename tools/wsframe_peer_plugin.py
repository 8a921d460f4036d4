"""pytest plugin: install wsframe integrations before a peer's tests import it.

Used by tools/peer_suites.sh as ``python -m pytest -p wsframe_peer_plugin``
(with tools/ on ``PYTHONPATH``).  ``WSFRAME_INTEGRATIONS`` is a comma list of
integrations to install (``wsproto``, ``websockets``, ``autobahn``,
``aiohttp``, ``websocket_client``); the
plugin fails the session if an integration is not in effect at the end.
"""

from __future__ import annotations

import importlib
import os
import sys

_NAMES = [n.strip() for n in os.environ.get("WSFRAME_INTEGRATIONS", "").split(",") if n.strip()]
_MODULES = [importlib.import_module(f"wsframe.integrations.{n}") for n in _NAMES]
for _m in _MODULES:
    _m.install()


def pytest_report_header(config):  # type: ignore[no-untyped-def]
    import wsframe

    installed = ", ".join(_NAMES) or "none"
    return f"wsframe {wsframe.__version__} backend={wsframe.backend} integrations installed: {installed}"


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    for name, mod in zip(_NAMES, _MODULES):
        if not mod.is_installed() or not mod.active():
            sys.stderr.write(f"\nwsframe integration {name!r} was not in effect during the tests\n")
            session.exitstatus = 1
