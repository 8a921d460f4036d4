"""Helpers shared by the wsframe test suite: each one has its home here.

- *Backends*: :func:`load_implementation` and :func:`implementation_fixture`,
  which run a test module once per implementation (``[python]`` and ``[c]``).
- *Hypothesis*: the profiles (``dev`` / ``ci`` / ``thorough``) and
  :data:`PEER_SETTINGS` for the tests that compare wsframe with a peer.
- *Oracles*: independent, obviously-correct re-statements of the rules (built
  on CPython's own UTF-8 decoder and on plain integer XOR), and
  :func:`raw_frame`, a frame builder that can break any rule on purpose.
- *Locators*: the code that loads the conformance data in ``tests/data``.

Nothing here imports a wsframe backend at import time, so the oracles are
independent of the code they check.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

__all__ = [
    "REPO_ROOT",
    "conformance_path",
    "load_autobahn",
    "autobahn_cases",
    "cpython_utf8_start",
    "utf8_prefix_viable",
    "utf8_fail_index",
    "xor_mask_reference",
    "raw_frame",
    "buffer_variants",
    "BUFFER_KINDS",
    "BACKENDS",
    "IMPLEMENTATIONS",
    "load_implementation",
    "run_at_simd_level",
    "implementation_fixture",
    "PEER_SETTINGS",
    "DATA_DIR",
    "kuhn_items",
    "load_kuhn",
]

#: The repository root: ``tests/`` lives directly below it.
REPO_ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------
# Hypothesis profiles, registered and chosen here once (conftest imports this
# module before any test module, so every settings object below inherits).
#
# - ``dev`` (default): random, 100 examples per property.
# - ``ci`` (selected when ``$CI`` is set): derandomized, so a CI run is
#   reproducible, with the same budget.
# - ``thorough``: 2000 examples, for hunting bugs locally.
#
# ``HYPOTHESIS_PROFILE=<name>`` overrides the choice.  Deadlines are off and
# the "too slow" / "data too large" health checks suppressed: the machines
# running this suite are shared, timing is not what is tested, and the frame
# streams are large on purpose.
# ---------------------------------------------------------------------------

_COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.register_profile("ci", max_examples=100, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

#: For the properties that compare wsframe with a third-party library (wsproto,
#: websockets, autobahn): more examples than the profile gives, since each one
#: checks a whole stream; ``$WSFRAME_HYPOTHESIS_EXAMPLES`` sets the number.
PEER_SETTINGS = settings(max_examples=int(os.environ.get("WSFRAME_HYPOTHESIS_EXAMPLES", "200")))

# ---------------------------------------------------------------------------
# Both implementations in one run.
#
# A test module written against a public module (``from wsframe.mask import
# apply_mask``) declares ``implementation = implementation_fixture("mask")``;
# the fixture runs the whole module once per backend, rebinding the names the
# module imported from ``wsframe.mask`` to those of the implementation under
# test (as websockets' ``SpeedupsTests`` overrides ``self.apply_mask``), and
# restores them afterwards.  Test ids end in ``[python]`` or ``[c]``.
# ---------------------------------------------------------------------------

#: The test-id of each backend, in the order the tests run.
BACKENDS = ("python", "c")

#: concern -> (reference module, compiled module)
IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    "mask": ("wsframe._reference.mask", "wsframe._speedups._mask"),
    "utf8": ("wsframe._reference.utf8", "wsframe._speedups._utf8"),
    "frames": ("wsframe._reference.frames", "wsframe._speedups._frames"),
}


def run_at_simd_level(script: str, level: str) -> None:
    """Run ``script`` (with ``level`` as its argument) in a fresh interpreter whose
    kernels are forced to ``level`` (``WSFRAME_SIMD``), on this tree's compiled backend;
    the script prints ``OK <level>`` when all its checks passed.

    Raises:
        AssertionError: the script failed or did not say OK.
    """
    env = dict(os.environ, WSFRAME_SIMD=level, PYTHONPATH=str(REPO_ROOT))
    env.pop("WSFRAME_PURE_PYTHON", None)
    proc = subprocess.run(
        [sys.executable, "-c", script, level],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == f"OK {level}"


def load_implementation(concern: str, backend: str, *, module_level: bool = False) -> ModuleType:
    """Import one implementation of ``wsframe.<concern>``.

    The compiled one is skipped, with the reason, when it is not built — unless
    ``$WSFRAME_REQUIRE_C`` is ``1`` (CI sets it): then a missing or broken
    extension fails the test instead of hiding behind a skip.

    Args:
        concern: ``"mask"``, ``"utf8"`` or ``"frames"``.
        backend: ``"python"`` or ``"c"``.
        module_level: True when called while a test module is imported (the
            skip then covers the whole module).

    Raises:
        pytest.skip.Exception: the compiled module is not built (and not required).
        pytest.fail.Exception: it is not importable and ``WSFRAME_REQUIRE_C=1``.
    """
    reference, compiled = IMPLEMENTATIONS[concern]
    if backend == "python":
        return importlib.import_module(reference)
    try:
        return importlib.import_module(compiled)
    except ImportError as exc:
        if os.environ.get("WSFRAME_REQUIRE_C") == "1":
            pytest.fail(
                f"{compiled} cannot be imported ({exc}) and WSFRAME_REQUIRE_C=1 requires it",
                pytrace=False,
            )
        pytest.skip(
            f"{compiled} is not built ({exc}); build it with `python setup.py build_ext --inplace` (or `make build`)",
            allow_module_level=module_level,
        )


def implementation_fixture(concern: str) -> Any:
    """A module-scoped, autouse fixture running its module once per backend.

    Assign it in the test module: ``implementation = implementation_fixture("mask")``.
    It yields the implementation module and, for the module's duration, binds
    every name the test module imported from the public ``wsframe.<concern>``
    to the same name of that implementation.

    Args:
        concern: ``"mask"``, ``"utf8"`` or ``"frames"``.
    """

    @pytest.fixture(scope="module", params=BACKENDS, autouse=True)
    def implementation(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
        impl = load_implementation(concern, request.param)
        public = importlib.import_module(f"wsframe.{concern}")
        namespace = vars(request.module)
        saved: dict[str, Any] = {}
        for name in public.__all__:
            if name in namespace and namespace[name] is getattr(public, name):
                if not hasattr(impl, name):
                    pytest.fail(f"{impl.__name__} lacks {name!r}, which wsframe.{concern} exports")
                saved[name] = namespace[name]
                namespace[name] = getattr(impl, name)
        try:
            yield impl
        finally:
            namespace.update(saved)

    return implementation


# ---------------------------------------------------------------------------
# The conformance data (tests/data, extracted by tools/extract_conformance.py).
# ---------------------------------------------------------------------------

#: Where the conformance vectors live: inside the repository, so a clone runs them all.
DATA_DIR = REPO_ROOT / "tests" / "data"


def conformance_path(name: str) -> Path | None:
    """Path of ``tests/data/<name>``, or None if the file is missing.

    Raises:
        FileNotFoundError: the file is missing and ``$WSFRAME_REQUIRE_CONFORMANCE``
            is ``1`` (CI sets it so missing data fails instead of skipping).
    """
    path = DATA_DIR / name
    if path.is_file():
        return path
    if os.environ.get("WSFRAME_REQUIRE_CONFORMANCE") == "1":
        raise FileNotFoundError(f"conformance file {path} not found (regenerate it with tools/extract_conformance.py)")
    return None


def _load_json(name: str) -> dict[str, Any] | None:
    path = conformance_path(name)
    if path is None:
        return None
    with path.open("r", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def load_autobahn() -> dict[str, Any] | None:
    """Load ``tests/data/autobahn_cases.json`` (cached), or None if it is missing."""
    return _load_json("autobahn_cases.json")


def autobahn_cases(kind: str) -> list[dict[str, Any]]:
    """All cases of one ``kind`` ("utf8", "frames", "close"); [] if unavailable."""
    data = load_autobahn()
    if data is None:
        return []
    return [case for case in data["cases"] if case.get("kind") == kind]


@functools.cache
def load_kuhn() -> dict[str, Any] | None:
    """Load ``tests/data/kuhn_utf8_sequences.json`` (cached), or None if it is missing."""
    return _load_json("kuhn_utf8_sequences.json")


def kuhn_items() -> list[dict[str, Any]]:
    """The test sequences of Markus Kuhn's UTF-8 stress test file; [] if unavailable."""
    data = load_kuhn()
    return [] if data is None else list(data["items"])


# ---------------------------------------------------------------------------
# UTF-8 oracles, all derived from CPython's strict decoder.
# ---------------------------------------------------------------------------


def cpython_utf8_start(data: bytes) -> int:
    """``UnicodeDecodeError.start`` of strict decoding, or -1 if *data* is valid."""
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def utf8_prefix_viable(prefix: bytes) -> bool:
    """True if *prefix* can still be extended into well-formed UTF-8.

    CPython's one-shot decoder reports a truncated final sequence as
    "unexpected end of data" and every other problem (bad lead byte, bad
    continuation, overlong, surrogate, > U+10FFFF: Unicode Table 3-7 second
    byte ranges included) differently, so a prefix is viable exactly when it
    decodes or its only problem is that it ends mid-sequence.
    """
    try:
        prefix.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.end == len(prefix)
    return True


def utf8_fail_index(data: bytes) -> int | None:
    """Index of the first byte after which *data* can no longer become valid.

    That is the byte whose arrival must make a fail-fast validator raise.
    None when every prefix is viable (valid, or only truncated at the end).
    """
    start = cpython_utf8_start(data)
    if start < 0:
        return None
    # The offending byte is at most 3 bytes after the start of the ill-formed
    # sequence (a 4-byte sequence fails at its last byte at the latest).
    for i in range(start, min(len(data), start + 4)):
        if not utf8_prefix_viable(data[: i + 1]):
            return i
    return None


# ---------------------------------------------------------------------------
# Masking oracle (RFC 6455 §5.3): j-th octet XOR mask[(offset + j) % 4].
# ---------------------------------------------------------------------------


def xor_mask_reference(data: bytes, mask: bytes, offset: int = 0) -> bytes:
    """RFC 6455 §5.3 masking as big-integer XOR (fast enough for MiB inputs)."""
    if len(mask) != 4:
        raise AssertionError("oracle needs a 4-byte mask")
    n = len(data)
    if n == 0:
        return b""
    phase = offset % 4
    key = (mask * (n // 4 + 2))[phase : phase + n]
    value = int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(n, "little")


# ---------------------------------------------------------------------------
# Frames built by hand (RFC 6455 §5.2), independently of both backends.
# ---------------------------------------------------------------------------


def raw_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = None,
    length: int | None = None,
    form: int | None = None,
) -> bytes:
    """One frame's bytes, with any header, valid or not.

    Args:
        opcode: any 4-bit value, reserved ones included.
        payload: the unmasked payload.
        fin: the FIN bit.
        rsv: the three RSV bits as one number (4 = RSV1, 2 = RSV2, 1 = RSV3).
        mask: the masking key, or None for an unmasked frame.
        length: the declared payload length when it should differ from
            ``len(payload)`` (truncated to the field's width; for a 64-bit
            length with its most significant bit set pass ``n | 1 << 63``).
        form: 7, 16 or 64 forces that length encoding (a non-minimal one is a
            §5.2 violation); None picks the minimal one.
    """
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0x0F)])
    mbit = 0x80 if mask is not None else 0
    if form is None:
        form = 7 if n < 126 else 16 if n < 0x10000 else 64
    if form == 7:
        head += bytes([mbit | (n & 0x7F)])
    elif form == 16:
        head += bytes([mbit | 126]) + (n & 0xFFFF).to_bytes(2, "big")
    elif form == 64:
        head += bytes([mbit | 127]) + (n & (2**64 - 1)).to_bytes(8, "big")
    else:
        raise AssertionError(f"form must be 7, 16, 64 or None, not {form!r}")
    if mask is None:
        return head + payload
    return head + mask + xor_mask_reference(payload, mask)


# ---------------------------------------------------------------------------
# Buffer flavours: the same raw bytes presented through different objects.
# ---------------------------------------------------------------------------


def _as_array(code: str, raw: bytes) -> array[Any]:
    arr: array[Any] = array(code)
    arr.frombytes(raw)
    return arr


def _sliced_memoryview(raw: bytes) -> memoryview:
    # A contiguous view into the middle of a larger buffer: the backend must
    # honour the view's start and length, not the underlying object's.
    padded = b"\xaa\x55\xaa" + raw + b"\x55\xaa\x55\xaa\x55"
    return memoryview(padded)[3 : 3 + len(raw)]


#: name -> (factory, predicate telling whether the raw length is representable)
BUFFER_KINDS: dict[str, tuple[Callable[[bytes], Any], Callable[[int], bool]]] = {
    "bytes": (bytes, lambda n: True),
    "bytearray": (bytearray, lambda n: True),
    "memoryview": (lambda raw: memoryview(raw), lambda n: True),
    "memoryview-sliced": (_sliced_memoryview, lambda n: True),
    "memoryview-readonly": (lambda raw: memoryview(bytearray(raw)).toreadonly(), lambda n: True),
    "array-B": (lambda raw: _as_array("B", raw), lambda n: True),
    "array-H": (lambda raw: _as_array("H", raw), lambda n: n % array("H").itemsize == 0),
    "array-I": (lambda raw: _as_array("I", raw), lambda n: n % array("I").itemsize == 0),
    "memoryview-2d": (
        lambda raw: memoryview(bytearray(raw)).cast("B", (2, len(raw) // 2)),
        lambda n: n >= 2 and n % 2 == 0,
    ),
}


def buffer_variants(raw: bytes) -> Iterator[tuple[str, Any]]:
    """Yield ``(kind, object)`` for every buffer flavour that can hold *raw*."""
    for name, (factory, fits) in BUFFER_KINDS.items():
        if fits(len(raw)):
            yield name, factory(raw)
