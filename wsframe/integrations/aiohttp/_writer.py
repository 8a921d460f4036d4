"""aiohttp's ``WebSocketWriter`` framing, masking and compressing with wsframe."""

from __future__ import annotations

import asyncio
from typing import Any

from ...deflate import DeflateParams, Deflater
from ...frames import encode_frame, encode_header, new_mask
from ._reader import PUBLIC_MODULE
from ._reader import aiohttp_zlib as _aiohttp_zlib


def build_writer_class() -> Any:
    from aiohttp._websocket import writer as writer_mod
    from aiohttp.client_exceptions import ClientConnectionResetError
    from aiohttp.compression_utils import ZLibBackend

    base = writer_mod.WebSocketWriter
    msg_size: int = getattr(writer_mod, "MSG_SIZE")  # noqa: B009
    sync_limit = getattr(writer_mod, "WEBSOCKET_MAX_SYNC_CHUNK_SIZE", 16 * 1024)

    class WebSocketWriter(base):  # type: ignore[misc, valid-type]
        """aiohttp's ``WebSocketWriter`` framing, masking and compressing with wsframe."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # A caller that passes its own ``random`` asked for those keys
            # (tests do); otherwise keys come from the OS CSPRNG.
            self._wsf_own_keys = "random" in kwargs
            self._wsf_deflaters: dict[tuple[int, bool], Deflater] = {}

        def _write_websocket_frame(self, message: Any, opcode: int, rsv: int) -> None:
            n = len(message)
            if opcode >= 8 and n > 125:
                # wsframe refuses to build it (RFC 6455 §5.5); aiohttp sends it.
                super()._write_websocket_frame(message, opcode, rsv)
                return
            transport = self.transport
            if transport.is_closing():
                raise ClientConnectionResetError("Cannot write to closing transport")
            rsv1 = bool(rsv & 0x40)
            if self.use_mask:
                if self._wsf_own_keys:
                    mask = self.get_random_bits().to_bytes(4, "big")
                else:
                    mask = new_mask()
                transport.write(encode_frame(opcode, message, rsv1=rsv1, mask=mask))
                header = 6 if n < 126 else 8 if n < 65536 else 14
            else:
                head = encode_header(opcode, n, rsv1=rsv1)
                header = len(head)
                if n > msg_size:
                    transport.write(head)
                    transport.write(message)
                else:
                    transport.write(head + message)
            self._output_size += header + n

        def _wsf_deflater(self, compress: int | None) -> Deflater:
            # One compressor per connection (per window size for the per-send
            # override, which aiohttp builds afresh for every message: reset
            # after each such message instead, the same stream).
            bits = compress or self.compress
            reset = bool(compress) or bool(self.notakeover)
            key = (bits, reset)
            deflater = self._wsf_deflaters.get(key)
            if deflater is None:
                params = DeflateParams(server_no_context_takeover=reset, server_max_window_bits=bits)
                deflater = self._wsf_deflaters[key] = Deflater(
                    params,
                    level=ZLibBackend.Z_BEST_SPEED,
                    mem_level=8,
                    zlib=_aiohttp_zlib(ZLibBackend),
                )
            return deflater

        def _send_compressed_frame_sync(self, message: Any, opcode: int, compress: int | None) -> None:
            self._write_websocket_frame(self._wsf_deflater(compress).compress(message), opcode, 0x40)

        async def _send_compressed_frame_async_locked(self, message: Any, opcode: int, compress: int | None) -> None:
            async with self._send_lock:
                deflater = self._wsf_deflater(compress)
                if len(message) > sync_limit:
                    # Off the event loop, as aiohttp does for large messages.
                    payload = await asyncio.get_running_loop().run_in_executor(None, deflater.compress, message)
                else:
                    payload = deflater.compress(message)
                self._write_websocket_frame(payload, opcode, 0x40)

    WebSocketWriter.__module__ = PUBLIC_MODULE
    WebSocketWriter.__qualname__ = "WebSocketWriter"
    return WebSocketWriter
