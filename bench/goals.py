"""Every speed goal of the benchmarks, in one place.

Each goal is a ratio read in one run (never an absolute time, which depends on the
machine and its load):

- :data:`TARGETS`: wsframe[c] against a peer (or CPython) in the same ``python -m bench``
  run; the report prints each with its verdict.
- :data:`FRAMES_PER_S_TARGET`: the one rate goal (frames per second of the decoder).
- :data:`EQUAL_WORK`: comparisons shown first in the report, with no fixed goal.
- :data:`BEFORE_AFTER_GOALS`: the speed-up of this checkout over an earlier commit, read
  by ``python -m bench.baseline REV``.

``area`` labels the part of wsframe a goal is about; it is shown in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from .workloads import size_label

__all__ = ["BEFORE_AFTER_GOALS", "EQUAL_WORK", "FRAMES_PER_S_TARGET", "TARGETS", "Target"]

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Target:
    """A speed goal checked on every run (ratio of medians).

    Attributes:
        what: the goal in words.
        workload: the workload name.
        size: the size it is read at; None for "the size of this run".
        against: the implementation(s) compared with; with several, the fastest
            of them in this run (e.g. aiohttp with its fastest zlib backend).
        need: the minimum speed ratio.
        area: the part of wsframe the goal is about (a label in the reports).
    """

    what: str
    workload: str
    size: int | None
    against: tuple[str, ...]
    need: float
    area: str
    impl: str = "wsframe[c]"


def _t(
    what: str, workload: str, size: int | None, against: str, need: float, area: str, impl: str = "wsframe[c]"
) -> Target:
    return Target(what, workload, size, tuple(against.split("|")), need, area, impl)


_AIOHTTP_FASTEST = "aiohttp|aiohttp[isal]"
_NON_ASCII = ("latin1", "cyrillic", "cjk", "mixed")

TARGETS: tuple[Target, ...] = (
    # The compiled backend against the peers' masking, CPython's UTF-8 check, frame parsing.
    _t("apply_mask_inplace 16 B vs aiohttp", "mask.inplace", 16, "aiohttp", 1.0, "compiled backend"),
    _t("apply_mask_inplace 16 KiB vs aiohttp", "mask.inplace", 16 * KiB, "aiohttp", 2.5, "compiled backend"),
    _t("apply_mask_inplace 1 MiB vs bytes() copy", "mask.inplace", MiB, "bytes() copy", 0.9, "compiled backend"),
    _t("apply_mask 16 B vs websockets", "mask.copy", 16, "websockets", 2.0, "compiled backend"),
    _t("apply_mask 16 KiB vs websockets", "mask.copy", 16 * KiB, "websockets", 2.0, "compiled backend"),
    _t("is_valid 64 KiB ASCII vs bytes.decode", "utf8.ascii", 64 * KiB, "CPython decode", 4.0, "compiled backend"),
    *(
        _t(
            f"is_valid 64 KiB {kind} vs bytes.decode",
            f"utf8.{kind}",
            64 * KiB,
            "CPython decode",
            10.0,
            "compiled backend",
        )
        for kind in ("2byte", "3byte", "4byte", "mixed")
    ),
    _t(
        "FrameDecoder 16 B text frames vs aiohttp reader_c (frame-only: aiohttp builds str messages)",
        "frames.decode.text16",
        None,
        "aiohttp",
        3.0,
        "compiled backend",
    ),
    _t(
        "FrameDecoder 16 B text frames vs wsproto (frame-only: wsproto builds str)",
        "frames.decode.text16",
        None,
        "wsproto",
        50.0,
        "compiled backend",
    ),
    # Text to str, one message, masked sends.
    *(
        _t(
            f"utf8.decode {size_label(n)} {kind} vs bytes.decode",
            f"decode.{kind}",
            n,
            "CPython decode",
            need,
            "text and send paths",
        )
        for n in (64 * KiB, MiB)
        for kind, need in ((k, 3.0) for k in _NON_ASCII)
    ),
    *(
        _t(
            f"utf8.decode {size_label(n)} emoji vs bytes.decode",
            "decode.emoji",
            n,
            "CPython decode",
            2.0,
            "text and send paths",
        )
        for n in (64 * KiB, MiB)
    ),
    *(
        _t(
            f"utf8.decode 1 KiB {kind} vs bytes.decode",
            f"decode.{kind}",
            KiB,
            "CPython decode",
            1.5,
            "text and send paths",
        )
        for kind in (*_NON_ASCII, "emoji")
    ),
    *(
        _t(
            f"utf8.decode {size_label(n)} ascii vs bytes.decode",
            "decode.ascii",
            n,
            "CPython decode",
            1.0,
            "text and send paths",
        )
        for n in (16, 64, KiB, 64 * KiB, MiB)
    ),
    *(
        _t(
            f"text message {size_label(n)} {kind} -> str vs aiohttp reader_c",
            f"message.text.{kind}",
            n,
            "aiohttp",
            3.0,
            "text and send paths",
        )
        for kind in ("ascii", "mixed")
        for n in (64, KiB, 64 * KiB)
    ),
    _t(
        "encode_frame(TEXT, 16 B, mask=new_mask()) vs websockets Frame.serialize",
        "frames.encode.text16.masked",
        16,
        "websockets",
        8.0,
        "text and send paths",
    ),
    _t(
        "encode_frame(TEXT, 16 B, mask=new_mask()) vs aiohttp's frame writer",
        "frames.encode.text16.masked",
        16,
        "aiohttp",
        4.0,
        "text and send paths",
    ),
    # permessage-deflate.
    *(
        _t(
            f"compress + frame {size_label(n)} JSON vs websockets (its defaults)",
            "deflate.compress",
            n,
            "websockets",
            3.0,
            "compression",
        )
        for n in (300, 4 * KiB, 64 * KiB)
    ),
    *(
        _t(
            f"compress + frame {size_label(n)} JSON vs aiohttp (fastest backend)",
            "deflate.compress",
            n,
            _AIOHTTP_FASTEST,
            1.5,
            "compression",
        )
        for n in (300, 4 * KiB, 64 * KiB)
    ),
    *(
        _t(
            f"decode + inflate + validate {size_label(n)} JSON vs websockets",
            "deflate.inflate",
            n,
            "websockets",
            need,
            "compression",
        )
        for n, need in ((300, 2.0), (4 * KiB, 1.5), (64 * KiB, 1.5))
    ),
    # The same zlib backend (zlib-ng) on both sides, level 1, window 15.
    _t(
        "compress + frame ~300 B JSON within 1.25x of the bare compressor (compress + sync flush)",
        "deflate.compress",
        300,
        "bare compressor",
        0.8,
        "compression",
    ),
    *(
        _t(
            f"compress + frame {size_label(n)} JSON on zlib-ng, vs aiohttp's writer",
            "deflate.compress",
            n,
            "aiohttp",
            need,
            "compression",
        )
        for n, need in ((300, 1.3), (4 * KiB, 1.1), (64 * KiB, 1.0))
    ),
    *(
        _t(
            f"decode + inflate + validate {size_label(n)} JSON on zlib-ng, vs aiohttp's compiled reader",
            "deflate.inflate",
            n,
            "aiohttp",
            need,
            "compression",
        )
        for n, need in ((300, 1.5), (4 * KiB, 1.2), (64 * KiB, 1.2))
    ),
    _t(
        "wsproto WSConnection, compressed ~300 B messages: with wsframe installed vs without",
        "integration.wsproto.deflate",
        None,
        "wsproto",
        4.0,
        "compression",
        "wsproto+wsframe",
    ),
    _t(
        "websockets ServerProtocol, compressed ~300 B messages: with wsframe vs without",
        "integration.websockets.deflate",
        None,
        "websockets",
        2.0,
        "compression",
        "websockets+wsframe",
    ),
)
FRAMES_PER_S_TARGET = 3e6  # list(FrameDecoder().feed(buf)), 16 B masked text frames

# Equal work: frames to messages on both sides, no fixed goal; shown first.
EQUAL_WORK: tuple[tuple[str, str, str], ...] = (
    ("16 B text frames -> str messages vs aiohttp reader_c", "messages.text16", "aiohttp"),
    ("16 B text frames -> str messages vs wsproto", "messages.text16", "wsproto"),
    ("the same in 64 KiB reads vs aiohttp", "messages.text16.chunked", "aiohttp"),
    ("the same in 64 KiB reads vs wsproto", "messages.text16.chunked", "wsproto"),
    ("1 KiB binary frames -> messages, 64 KiB reads, vs aiohttp", "messages.bin1k.chunked", "aiohttp"),
    ("one compressed ~300 B message to 1,000 connections vs aiohttp", "deflate.broadcast", "aiohttp"),
)


#: ``python -m bench.baseline REV``: (what, workload, size, minimum speed-up of this
#: checkout over the earlier commit, area).  A need of 1.0 reads "faster" (> 1x).
BEFORE_AFTER_GOALS: tuple[tuple[str, str, int, float, str], ...] = (
    ("text message 64 B mixed -> str, vs before", "message.text.mixed", 64, 1.3, "text and send paths"),
    ("text message 1 KiB mixed -> str, vs before", "message.text.mixed", KiB, 2.0, "text and send paths"),
    ("text message 64 KiB mixed -> str, vs before", "message.text.mixed", 64 * KiB, 2.0, "text and send paths"),
    *(
        (
            f"decoder + assembler text path {label}, vs before (faster)",
            f"message.text.{kind}",
            size,
            1.0,
            "no regression",
        )
        for kind in ("ascii", "mixed")
        for size, label in ((64, "64 B " + kind), (KiB, "1 KiB " + kind), (64 * KiB, "64 KiB " + kind))
    ),
    (
        "encode_frame(TEXT, 16 B, mask=new_mask()), vs before",
        "frames.encode.text16.masked",
        16,
        3.0,
        "text and send paths",
    ),
)
