"""Type stub for the compiled frames module (same API as wsframe._reference.frames)."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final, Protocol, final

from typing_extensions import Self, disjoint_base

from wsframe._rules import DEFAULT_MAX_SIZE as DEFAULT_MAX_SIZE
from wsframe._rules import CloseCode as CloseCode
from wsframe._rules import Opcode as Opcode
from wsframe._rules import encode_close as encode_close
from wsframe._rules import is_valid_close_code as is_valid_close_code
from wsframe._rules import parse_close as parse_close

if TYPE_CHECKING:
    from wsframe.deflate import Deflater, Inflater

# Written out for the type checker (a stub cannot compute it); at run time the module
# takes it from wsframe._api.FRAMES_API, and stubtest holds the two equal.
__all__ = [
    "Opcode",
    "CloseCode",
    "FrameHeader",
    "Frame",
    "Message",
    "parse_header",
    "FrameDecoder",
    "encode_frame",
    "encode_header",
    "encode_message",
    "encode_message_bytes",
    "new_mask",
    "parse_close",
    "encode_close",
    "is_valid_close_code",
    "MessageAssembler",
    "DEFAULT_MAX_SIZE",
]

simd_level: Final[str]

class _RecordFields(Protocol):
    """What the three immutable records share; for the type checker only (the
    compiled classes have no such base)."""

    @property
    def opcode(self) -> Opcode: ...
    def __replace__(self, **changes: Any) -> Self: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class _FrameBits(_RecordFields, Protocol):
    """The FIN and RSV bits of a frame header, on FrameHeader and Frame."""

    @property
    def fin(self) -> bool: ...
    @property
    def rsv1(self) -> bool: ...
    @property
    def rsv2(self) -> bool: ...
    @property
    def rsv3(self) -> bool: ...

@disjoint_base
class FrameHeader(_FrameBits):
    __match_args__ = ("fin", "rsv1", "rsv2", "rsv3", "opcode", "masked", "length", "mask", "header_size")
    @property
    def masked(self) -> bool: ...
    @property
    def length(self) -> int: ...
    @property
    def mask(self) -> bytes | None: ...
    @property
    def header_size(self) -> int: ...
    @property
    def rsv(self) -> int: ...
    def __init__(
        self,
        fin: bool,
        rsv1: bool,
        rsv2: bool,
        rsv3: bool,
        opcode: Opcode,
        masked: bool,
        length: int,
        mask: bytes | None,
        header_size: int,
    ) -> None: ...

@disjoint_base
class Frame(_FrameBits):
    __match_args__ = ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")
    @property
    def payload(self) -> bytes: ...
    def __init__(
        self,
        opcode: Opcode,
        payload: bytes,
        fin: bool = True,
        rsv1: bool = False,
        rsv2: bool = False,
        rsv3: bool = False,
    ) -> None: ...

def parse_header(data: Any, offset: int = 0) -> FrameHeader | None: ...

@disjoint_base
class FrameDecoder:
    client: bool
    validate_utf8: bool
    _bytes_copied: int
    def __init__(
        self,
        *,
        client: bool = False,
        max_frame_size: float | None = ...,
        rsv_allowed: int = 0,
        validate_utf8: bool = True,
    ) -> None: ...
    @property
    def max_frame_size(self) -> int | None: ...
    @max_frame_size.setter
    def max_frame_size(self, value: float | None) -> None: ...
    @property
    def rsv_allowed(self) -> int: ...
    @rsv_allowed.setter
    def rsv_allowed(self, value: int) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def buffered(self) -> int: ...
    def feed(self, data: Any) -> Iterator[Frame]: ...
    def feed_messages(self, data: Any, assembler: MessageAssembler) -> Iterator[Message]: ...

def encode_header(
    opcode: int,
    length: int,
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: Any = None,
) -> bytes: ...
def encode_frame(
    opcode: int,
    payload: Any = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: Any = None,
) -> bytes: ...
def new_mask() -> bytes: ...
def encode_message(
    opcode: int,
    payload: Any,
    *,
    fragment_size: float | None = None,
    masked: bool = False,
    deflater: Deflater | None = None,
) -> list[bytes]: ...
def encode_message_bytes(
    opcode: int,
    payload: Any,
    *,
    fragment_size: float | None = None,
    masked: bool = False,
    deflater: Deflater | None = None,
) -> bytes: ...

@disjoint_base
class Message(_RecordFields):
    __match_args__ = ("opcode", "data", "compressed")
    @property
    def data(self) -> bytes | str: ...
    @property
    def compressed(self) -> bool: ...
    def __init__(self, opcode: Opcode, data: bytes | str, compressed: bool = False) -> None: ...

@disjoint_base
class MessageAssembler:
    decode_text: bool
    inflater: Inflater | None
    def __init__(
        self,
        max_message_size: float | None = ...,
        decode_text: bool = True,
        *,
        inflater: Inflater | None = None,
    ) -> None: ...
    @property
    def max_message_size(self) -> int | None: ...
    @max_message_size.setter
    def max_message_size(self, value: float | None) -> None: ...
    @property
    def in_message(self) -> bool: ...
    def add(self, frame: Frame) -> Message | None: ...

# The aiohttp integration's reader loop (_aiohttp.pxi).
@final
class _AiohttpFeed:
    def __init__(
        self, decoder: FrameDecoder, queue: Any, kinds: tuple[Any, ...], text: bool, inflate: Any, bound: Any
    ) -> None: ...
    def feed(self, data: Any) -> tuple[int, int, Any]: ...

# The wsproto integration's batch step (_wsproto.pxi).
@final
class _WsprotoBatch:
    def __init__(
        self,
        buffer: bytearray,
        state: Any,
        pmd: Any,
        events: tuple[Any, Any, int],
        client: bool,
        rsv_allowed: int,
        inflater_type: Any,
        window: int,
    ) -> None: ...
    def __iter__(self) -> _WsprotoBatch: ...
    def __next__(self) -> Any: ...
