"""uvicorn's own command line with worker processes: the integration is in effect in them.

``uvicorn uvicorn_echo:app --ws wsproto --workers 2`` starts worker processes that
import the app module by name and run none of its ``__main__`` code; wsframe's
integration must be installed at import time of the app module to reach them
(examples/uvicorn_echo.py does so, docs/integrations.md says to).  The example app
answers a plain GET with ``wsframe=on|off`` for the process that served it.

The listening socket is made here and handed to uvicorn (``--fd``), so no port is
guessed; the server process group is stopped at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("wsproto")

from _integration_support import ROOT, checkout_env

STARTUP_TIMEOUT = 60.0  # seconds for the workers to start answering (a bound, not a measure)


def test_uvicorn_workers_have_the_integration_in_effect() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # requests queue up until a worker accepts them
    port = listener.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "uvicorn_echo:app",
            "--app-dir",
            os.path.join(ROOT, "examples"),
            "--ws",
            "wsproto",
            "--workers",
            "2",
            "--fd",
            str(listener.fileno()),
            "--log-level",
            "warning",
        ],
        pass_fds=(listener.fileno(),),
        env=checkout_env(),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=STARTUP_TIMEOUT) as r:
            pytest.fail(f"expected 426 Upgrade Required, got {r.status}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 426
        body = exc.read().decode()
    finally:
        listener.close()
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - a worker that hangs
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate(timeout=10)
    assert "wsframe=on" in body, (body, output)
