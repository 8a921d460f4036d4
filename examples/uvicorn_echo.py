"""An ASGI WebSocket echo app served by uvicorn's wsproto backend, accelerated by wsframe.

Run::

    python examples/uvicorn_echo.py --port 8000             # wsframe installed
    python examples/uvicorn_echo.py --port 8000 --no-wsframe  # plain wsproto
    uvicorn uvicorn_echo:app --app-dir examples --ws wsproto --workers 4

The last form is how apps are usually served: uvicorn's worker processes (``--workers``,
``--reload``) import this module by name (``uvicorn_echo:app``) and run none of its
``__main__`` code.  That is why :func:`wsframe.integrations.wsproto.install` is called
at import time, at the top of the module, and not in :func:`main`: every process that
imports the app is accelerated, before or after it imports wsproto.  A plain GET of
``/`` says whether the process that answered has the integration in effect
(``wsframe=on``).

The app follows the ASGI order: it receives ``websocket.connect`` before it
sends ``websocket.accept``, then echoes every ``websocket.receive`` (text as
``text`` with ``bytes`` left out/None, binary as ``bytes``) until
``websocket.disconnect`` (whose code it prints as ``DISCONNECT <code>``).
uvicorn runs with ``ws="wsproto"``; ``--no-wsframe`` undoes the import-time
:func:`wsframe.integrations.wsproto.install` (``uninstall()``) before uvicorn loads
wsproto.

With ``--port 0`` a free port is chosen.  Once listening, one line is
printed to stdout (the end-to-end tests and the benchmark read it)::

    LISTENING <host> <port> wsframe=<on|off> backend=<c|python>
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from typing import Any

import wsframe
import wsframe.integrations.wsproto

# At import time: uvicorn's workers import this module and nothing else of ours.
wsframe.integrations.wsproto.install()

__all__ = ["app", "main"]


def wsframe_state() -> str:
    """``on`` when this process's wsproto is accelerated by wsframe, else ``off``."""
    integration = wsframe.integrations.wsproto
    return "on" if integration.is_installed() and integration.active() else "off"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI echo application."""
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        body = (
            f"WebSocket echo (wsframe={wsframe_state()} backend={wsframe.backend}): connect with a WebSocket client\n"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 426,
                "headers": [(b"content-type", b"text/plain"), (b"upgrade", b"websocket")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] != "websocket":
        return
    # ASGI: websocket.connect comes first; only then may the app accept.
    event = await receive()
    if event["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        event = await receive()
        if event["type"] == "websocket.receive":
            text = event.get("text")
            if text is not None:
                await send({"type": "websocket.send", "text": text, "bytes": None})
            else:
                await send({"type": "websocket.send", "bytes": event.get("bytes") or b""})
        elif event["type"] == "websocket.disconnect":
            # Reported so that tests can see the close code wsproto decided
            # (e.g. 1007 for invalid UTF-8, which uvicorn does not send back).
            print(f"DISCONNECT {event.get('code')}", flush=True)
            return


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, undo the integration if ``--no-wsframe``, serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-wsframe", action="store_true", help="plain wsproto, for comparison")
    parser.add_argument("--ws-max-size", type=int, default=2**20)
    parser.add_argument(
        "--per-message-deflate",
        choices=["on", "off"],
        default="on",
        help="let uvicorn negotiate permessage-deflate when the client offers it",
    )
    args = parser.parse_args(argv)

    if args.no_wsframe:
        # Before uvicorn imports wsproto: plain wsproto, for comparison.
        wsframe.integrations.wsproto.uninstall()

    import uvicorn

    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        ws="wsproto",
        ws_max_size=args.ws_max_size,
        ws_per_message_deflate=args.per_message_deflate == "on",
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    config.load()  # imports uvicorn's wsproto protocol (and so wsproto)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.set_inheritable(True)
    sock.listen(config.backlog)  # connections queue up until uvicorn accepts them
    host, port = sock.getsockname()[:2]

    state = wsframe_state()
    if state != ("off" if args.no_wsframe else "on"):  # pragma: no cover - would be a bug
        sys.exit(f"wsframe integration: {state}, against --no-wsframe={args.no_wsframe}")
    print(f"LISTENING {host} {port} wsframe={state} backend={wsframe.backend}", flush=True)
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    main()
