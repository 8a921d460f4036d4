"""wsproto's frame layer (``wsproto.frame_protocol``): ``FrameDecoder``,
``MessageDecoder`` and ``FrameProtocol.received_frames`` with fast paths for
complete frames (see the package's docstring for the exactness rule)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from .._frames import take_frame as take_buffered_frame
from ._fast_path import make_decode_text, make_take_frame, opcode_table, payload_converter, wsproto_step
from ._state import legacy_types

__all__ = ["make_process_buffer", "make_process_frame", "make_received_frames"]


def make_process_buffer(original: Any, module: ModuleType) -> Any:
    Frame = module.Frame
    opcodes = opcode_table(module)
    take_frame = take_buffered_frame
    convert = payload_converter(legacy_types())

    def process_buffer(self: Any) -> Any:
        """wsproto's ``FrameDecoder.process_buffer`` with a fast path.

        The fast path takes a complete frame at a frame boundary; anything
        else is wsproto's own code (see the module docstring).
        """
        if self.header is None and not self.extensions and self.buffer.bytes_used == 0:
            taken = take_frame(self.buffer.buffer, masked=not self.client, no_rsv=True)
            if taken is not None:
                h, payload = taken
                opcode = opcodes[h.opcode]
                # The state wsproto leaves behind after a frame.
                self.payload_required = h.length if opcode >= 8 else 0
                self.payload_consumed = h.length
                return Frame(opcode, convert(h, payload), True, h.fin)
        return original(self)

    process_buffer.__wrapped__ = original  # type: ignore[attr-defined]
    return process_buffer


def make_process_frame(original: Any, module: ModuleType) -> Any:
    Frame = module.Frame
    TEXT = module.Opcode.TEXT
    decode_text = make_decode_text(module)

    def process_frame(self: Any, frame: Any) -> Any:
        """wsproto's ``MessageDecoder.process_frame``; one-frame text is decoded at once."""
        if self.opcode is None and frame.opcode is TEXT and frame.frame_finished and frame.message_finished:
            return Frame(TEXT, decode_text(self, frame.payload), True, True)
        return original(self, frame)

    process_frame.__wrapped__ = original  # type: ignore[attr-defined]
    return process_frame


def make_received_frames(original: Any, module: ModuleType) -> Any:
    Frame = module.Frame
    Opcode = module.Opcode
    TEXT, CLOSE = Opcode.TEXT, Opcode.CLOSE
    CONTROL = 8
    ParseFailed = module.ParseFailed
    decode_text = make_decode_text(module)
    take_frame = make_take_frame(module)

    def received_frames(self: Any) -> Any:
        """wsproto's ``FrameProtocol.received_frames`` with a batch fast path.

        Yields the same ``Frame`` objects in the same order, and raises the
        same ``ParseFailed``, as wsproto; the loop below only runs while every
        buffered frame is complete and plainly valid, and hands over to
        wsproto's generator (which continues from the same state) otherwise.
        """
        state = take_frame.start(self)
        if state is None:
            yield from original(self)
            return
        gen, decoder, messages, prepared = state
        while True:
            # Fast path: complete, plainly valid frames at a frame boundary.
            try:
                while (taken := take_frame(decoder, gen, prepared)) is not None:
                    opcode, payload, fin = taken
                    if opcode >= CONTROL:
                        frame = Frame(opcode, payload, True, True)
                        if opcode is CLOSE:
                            try:
                                frame = self._process_close(frame)
                            finally:
                                # wsproto's generator ends after CLOSE.
                                gen.close()
                            yield frame
                            return
                        yield frame
                        continue
                    if opcode is TEXT and fin and messages.opcode is None:
                        yield Frame(TEXT, decode_text(messages, payload), True, True)
                        continue
                    yield messages.process_frame(Frame(opcode, payload, True, fin))
            except ParseFailed:
                gen.close()  # wsproto's generator ends after an error
                raise
            # One step of wsproto's own generator, then back to the fast path
            # once it is at a frame boundary again.
            frame = wsproto_step(decoder, gen)
            if frame is None:
                return  # needs more data, or the generator has finished
            yield frame
            if frame.opcode is CLOSE:
                yield from original(self)  # lets wsproto's generator finish
                return

    received_frames.__wrapped__ = original  # type: ignore[attr-defined]
    return received_frames
