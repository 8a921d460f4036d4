"""One frame out of a peer library's receive buffer: the integrations' shared primitive.

The wsproto and websockets integrations both keep the peer's own receive
buffer (a ``bytearray``) and take whole frames out of it on their fast paths.
:func:`take_frame` is that step, written once, on wsframe's public API
(:func:`wsframe.frames.parse_header`, :func:`wsframe.mask.apply_mask`), so it
runs on either backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ProtocolError
from ..frames import FrameHeader, parse_header
from ..mask import apply_mask

__all__ = ["take_frame", "VIEW_THRESHOLD"]

#: Payloads at least this long are unmasked from a memoryview of the buffer
#: instead of a bytearray slice (one copy less; below it the view's set-up
#: costs more than the copy).
VIEW_THRESHOLD = 2048


def take_frame(
    buf: bytearray,
    *,
    masked: bool,
    max_size: int | None = None,
    no_rsv: bool = False,
    check: Callable[[FrameHeader], bool] | None = None,
) -> tuple[FrameHeader, Any] | None:
    """Parse, check, unmask and consume one complete frame at the start of ``buf``.

    The frame is taken only when all of this holds; otherwise ``buf`` is left
    untouched and ``None`` returned, so that the peer library's own parser
    handles the bytes (with its own error messages and partial-frame
    behaviour):

    - :func:`wsframe.frames.parse_header` finds a well-formed header (RFC 6455
      §5.2; a header it rejects gives ``None``, not an error);
    - the frame is masked exactly when ``masked`` says so (§5.1, §5.3);
    - its declared length is at most ``max_size`` (when given);
    - no RSV bit is set, when ``no_rsv`` is true (no extension negotiated,
      RFC 6455 §5.2);
    - the whole payload is in ``buf``;
    - ``check(header)``, when given, returns true.  ``check`` runs before
      anything is consumed and may raise; the exception propagates with
      ``buf`` untouched.

    Args:
        buf: the receive buffer; the frame is deleted from its start.
        masked: whether frames must arrive masked (a server's receive side).
        max_size: the largest payload length to take, or ``None``.
        no_rsv: refuse frames with any RSV bit set.
        check: an extra test of the parsed header (extensions).

    Returns:
        ``(header, payload)``: the unmasked payload is ``bytes`` for a masked
        frame and a ``bytearray`` (a copy) for an unmasked one; or ``None``.
    """
    if len(buf) < 2:
        return None
    try:
        h = parse_header(buf)
    except ProtocolError:
        return None
    if h is None or h.masked != masked:
        return None
    length = h.length
    if max_size is not None and length > max_size:
        return None
    start = h.header_size
    end = start + length
    if end > len(buf):
        return None
    if no_rsv and (h.rsv1 or h.rsv2 or h.rsv3):
        return None
    if check is not None and not check(h):
        return None
    payload: Any
    if h.mask is not None:
        if length < VIEW_THRESHOLD:
            payload = apply_mask(buf[start:end], h.mask)
        else:
            with memoryview(buf) as view:
                payload = apply_mask(view[start:end], h.mask)
    else:
        payload = buf[start:end]
    del buf[:end]
    return h, payload
