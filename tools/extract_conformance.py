#!/usr/bin/env python3
"""Extract the conformance vectors the tests need into ``tests/data/`` (data only).

Sources (read from the directory given as the argument):

``autobahn_cases.json``
    The Autobahn|Testsuite cases 1.x-7.x re-expressed as data (Apache-2.0).  Kept: each
    case's id, kind and category label, its input bytes (hex), the header ground truth of
    its frames, the wire chopping, and the expected outcome (result, events, close codes,
    fail indices).  Dropped: the prose (case descriptions, notes, Autobahn's expectation
    sentence, the file's "conventions" essay; tests/data/README.md documents the format).
``UTF-8-test.txt``
    Markus Kuhn's "UTF-8 decoder capability and stress test" (CC BY 4.0).  Kept: for each
    numbered test item, its number and the bytes between its quotation marks, plus the
    expected outcome computed with CPython's strict decoder.  Dropped: every line of
    commentary and each item's description.
``NOTICE``, ``LICENSE.Apache-2.0.autobahn-testsuite.txt``
    Copied unchanged next to the data (the Apache licence requires the NOTICE to travel
    with derived works).

The output is deterministic: run it again and ``git diff tests/data`` shows nothing.

Usage::

    python tools/extract_conformance.py SOURCE_DIR
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data"

#: Keys of a case that are prose, not data.
PROSE_CASE_KEYS = {"description", "note", "subcategory"}
#: Keys of ``expected.autobahn`` that are prose.
PROSE_AUTOBAHN_KEYS = {"expectation"}

KUHN_SHA256 = "2229ae87134764c54492b8caa0a9f079e34265a7371ed2171bec83a19301c6fc"


def utf8_start(data: bytes) -> int:
    """``UnicodeDecodeError.start`` of strict decoding, or -1 when *data* is valid."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def _viable(prefix: bytes) -> bool:
    try:
        prefix.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.end == len(prefix)
    return True


def utf8_fail_index(data: bytes) -> int | None:
    """Index of the byte after which *data* can no longer become valid UTF-8, or None."""
    start = utf8_start(data)
    if start < 0:
        return None
    for i in range(start, min(len(data), start + 4)):
        if not _viable(data[: i + 1]):
            return i
    return None


def autobahn(src: Path) -> dict[str, Any]:
    """The Autobahn cases without their prose."""
    raw = json.loads((src / "autobahn_cases.json").read_text(encoding="utf-8"))
    cases = []
    for case in raw["cases"]:
        kept = {k: v for k, v in case.items() if k not in PROSE_CASE_KEYS}
        expected = kept["expected"]
        if isinstance(expected, dict) and isinstance(expected.get("autobahn"), dict):
            expected = dict(expected)
            expected["autobahn"] = {k: v for k, v in expected["autobahn"].items() if k not in PROSE_AUTOBAHN_KEYS}
            kept["expected"] = expected
        cases.append(kept)
    source = {k: raw["source"][k] for k in ("repository", "commit", "license")}
    close_codes = {k: v for k, v in raw["close_codes"].items() if k != "note"}
    return {
        "source": source,
        "format": "tests/data/README.md",
        "close_codes": close_codes,
        "counts": raw["counts"],
        "cases": cases,
    }


_HEADER = re.compile(rb"^(\d+(?:\.\d+)*)\s")
_ITEM = re.compile(rb"^\d+\.\d+\.\d+\s")
_MARKER = re.compile(rb" *\|?$")  # the right-hand "|" column marker and its padding


def _strip_layout(line: bytes) -> bytes:
    """One physical line of a multi-line sequence without indentation and column marker."""
    return _MARKER.sub(b"", line).lstrip(b" ")


def kuhn(src: Path) -> dict[str, Any]:
    """Each numbered test item of Kuhn's file: its number, bytes and expected outcome."""
    raw = (src / "UTF-8-test.txt").read_bytes()
    if hashlib.sha256(raw).hexdigest() != KUHN_SHA256:
        raise SystemExit("UTF-8-test.txt is not the expected 2015-08-28 version")
    lines = raw.split(b"\n")
    items: list[tuple[str, bytes]] = []
    current = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _HEADER.match(line)
        if header:
            current = header.group(1).decode()
        # A test sequence is quoted on an item line ("2.1.1 ... "x""), on an indented line
        # below its heading (3.1.9, 3.2.x, 3.4, 5.3.4), or in section 1's sample sentence.
        # Quotation marks in commentary lines (and in the introduction, before the first
        # numbered section) are not sequences; no sequence contains 0x22.
        starts = current != "" and (
            (_ITEM.match(line) is not None and b'"' in line)
            or line.lstrip(b" ").startswith(b'"')
            or line.startswith(b"You should see the Greek word")
        )
        if not starts:
            i += 1
            continue
        rest = line[line.index(b'"') + 1 :]
        end = i
        if b'"' in rest:
            seq = rest[: rest.index(b'"')]
        else:
            parts = [_strip_layout(rest)]
            end += 1
            while b'"' not in lines[end]:
                parts.append(_strip_layout(lines[end]))
                end += 1
            last = lines[end]
            parts.append(last[: last.index(b'"')].lstrip(b" "))
            seq = b"\n".join(parts)
        items.append((current, seq))
        i = end + 1
    out = []
    for label, seq in items:
        start = utf8_start(seq)
        fail = utf8_fail_index(seq)
        out.append(
            {
                "id": label,
                "input": seq.hex(),
                "valid": start < 0,
                "invalid_at": start,
                "fail_index": fail,
                "truncated_at_end": start >= 0 and fail is None,
            }
        )
    return {
        "source": {
            "title": "UTF-8 decoder capability and stress test",
            "author": "Markus Kuhn",
            "date": "2015-08-28",
            "license": "CC BY 4.0",
            "original": "https://www.cl.cam.ac.uk/~mgk25/ucs/examples/UTF-8-test.txt",
            "sha256": KUHN_SHA256,
        },
        "format": "tests/data/README.md",
        "items": out,
    }


def _dump(path: Path, data: dict[str, Any], list_key: str) -> None:
    """Write JSON with one list element per line, so a change shows as a small diff."""
    head = {k: v for k, v in data.items() if k != list_key}
    text = json.dumps(head, indent=1, sort_keys=False)[:-2]
    body = ",\n".join(json.dumps(item, separators=(",", ":")) for item in data[list_key])
    path.write_text(f'{text},\n "{list_key}": [\n{body}\n ]\n}}\n', encoding="utf-8")
    json.loads(path.read_text(encoding="utf-8"))  # well-formed, or fail here


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tools/extract_conformance.py SOURCE_DIR", file=sys.stderr)
        return 2
    src = Path(argv[1])
    if not (src / "autobahn_cases.json").is_file():
        print(f"extract_conformance: no autobahn_cases.json in {src}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    _dump(OUT / "autobahn_cases.json", autobahn(src), "cases")
    _dump(OUT / "kuhn_utf8_sequences.json", kuhn(src), "items")
    shutil.copyfile(src / "NOTICE", OUT / "NOTICE.txt")
    shutil.copyfile(
        src / "LICENSE.Apache-2.0.autobahn-testsuite.txt",
        OUT / "LICENSE.Apache-2.0.autobahn-testsuite.txt",
    )
    for name in sorted(p.name for p in OUT.iterdir()):
        print(f"tests/data/{name}: {(OUT / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
