"""Every implementation the runner knows, in the order tables list them."""

from __future__ import annotations

from .aiohttp import AiohttpImpl
from .autobahn import AutobahnImpl
from .bandwidth import CopyImpl
from .base import Impl
from .compressor import BareCompressorImpl
from .cpython import CPythonDecodeImpl, CPythonIncrementalImpl
from .integrations import WithIntegration
from .simdutf import SimdutfImpl
from .websocket_client import WebsocketClientImpl, WebsocketClientPureImpl
from .websockets import WebsocketsImpl
from .wsaccel import WsaccelImpl
from .wsframe import WsframeImpl
from .wsproto import WsprotoImpl

__all__ = ["implementations"]


def implementations() -> list[Impl]:
    """A fresh list of every implementation, wsframe first."""
    return [
        WsframeImpl(name="wsframe[c]", kind="wsframe", backend="c"),
        WsframeImpl(name="wsframe[python]", kind="wsframe", backend="python"),
        WebsocketsImpl(),
        AiohttpImpl(),
        AiohttpImpl(name="aiohttp[isal]", zlib="isal.isal_zlib", deflate_only=True),
        WsaccelImpl(),
        AutobahnImpl(),
        WsprotoImpl(),
        WithIntegration(
            name="wsproto+wsframe", base=WsprotoImpl(), library="wsproto", ops=("wsproto_deflate", "wsproto_plain")
        ),
        WithIntegration(
            name="websockets+wsframe",
            base=WebsocketsImpl(),
            library="websockets",
            ops=("websockets_deflate", "websockets_plain"),
        ),
        WebsocketClientImpl(),
        WebsocketClientPureImpl(),
        WithIntegration(
            name="websocket-client+wsframe",
            base=WebsocketClientImpl(),
            library="websocket_client",
            ops=("client_send", "client_recv"),
        ),
        CPythonDecodeImpl(),
        CPythonIncrementalImpl(),
        SimdutfImpl(),
        CopyImpl(),
        BareCompressorImpl(),
    ]
