"""Memory per compressed connection (RFC 7692): one compressor plus one decompressor.

For each zlib backend (stdlib zlib, zlib-ng, isal) and window / memLevel, and
for wsframe's own ``Deflater`` + ``Inflater`` with each backend, a fresh child
process creates ``count`` connections' worth of compressor and decompressor,
sends one ~300 B JSON message through each (zlib allocates its inflate window
on first use), keeps them all alive and reports per connection:

- *allocated*: bytes the allocator handed out (``tracemalloc``; CPython's
  zlib, zlib-ng and isal all allocate through ``PyMem``), i.e. what a
  connection reserves, whether or not its pages were touched yet;
- *resident*: growth of the process's resident set (``/proc/self/statm``),
  what those connections actually occupy after one small message each.

Run alone: ``python -m bench --only memory``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, TextIO

__all__ = ["CONFIGS", "MEMORY_WORKLOAD", "markdown", "measure", "print_table"]

MEMORY_WORKLOAD = "memory.deflate"

# (window bits, memLevel): zlib's default, websockets' server default (12/5), and
# smaller settings down to what RFC 7692 allows (a compressor cannot use 8 bits).
CONFIGS: tuple[tuple[int, int], ...] = ((15, 8), (15, 5), (12, 8), (12, 5), (10, 4), (9, 1))
BACKENDS: tuple[tuple[str, str], ...] = (
    ("zlib", "zlib"),
    ("zlib-ng", "zlib_ng.zlib_ng"),
    ("isal", "isal.isal_zlib"),
)

# Who uses a configuration by default (zlib and zlib-ng rows; aiohttp: wbits 15, default
# memLevel, with whichever backend it was given).
USED_BY = {
    ("zlib", 12, 5): "websockets' server default",
    ("zlib", 15, 8): "zlib's default; aiohttp's",
    ("zlib-ng", 15, 8): "aiohttp's with zlib-ng",
    ("isal", 15, 8): "aiohttp's with isal",
}

# wsframe's Deflater + Inflater: its defaults, and websockets' 12 / 5.
_WSFRAME_CONFIGS: tuple[tuple[int | None, int | None], ...] = ((None, None), (12, 5))

_CHILD = r"""
import gc, importlib, json, os, sys, tracemalloc
spec = json.loads(sys.argv[1])
mod = importlib.import_module(spec["module"])
count, wbits, mem = spec["count"], spec["wbits"], spec["mem"]
sys.path.insert(0, spec["root"])
from bench.inputs import json_messages
message = json_messages(1, 300)[0]

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

if spec["wsframe"]:
    from wsframe import deflate
    params = deflate.DeflateParams(server_max_window_bits=wbits, client_max_window_bits=wbits) \
        if wbits else deflate.DeflateParams()
    kw = {"mem_level": mem} if mem else {}
    def connection():
        d = deflate.Deflater(params, client=False, zlib=mod, **kw)
        i = deflate.Inflater(params, client=True, zlib=mod)
        i.feed(d.compress(message), fin=True)
        return d, i
else:
    level = getattr(mod, "Z_DEFAULT_COMPRESSION", 6)
    def connection():
        c = mod.compressobj(level, mod.DEFLATED, -wbits, mem)
        d = mod.decompressobj(-wbits)
        data = c.compress(message) + c.flush(mod.Z_SYNC_FLUSH)
        assert d.decompress(data) == message
        return c, d

connection()  # imports, first-use allocations of the module itself
gc.collect()
tracemalloc.start()
before = rss()
keep = [connection() for _ in range(count)]
allocated = tracemalloc.get_traced_memory()[0]
resident = rss() - before
print(json.dumps({"allocated": allocated / count, "resident": max(resident, 0) / count}))
"""


def _version(module: str) -> str | None:
    from importlib import metadata

    dist = {"zlib_ng.zlib_ng": "zlib-ng", "isal.isal_zlib": "isal"}.get(module)
    if dist is None:
        import zlib

        return f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
    try:
        return f"{dist} {metadata.version(dist)}"
    except metadata.PackageNotFoundError:
        return None


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its result or the reason it failed."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if done.returncode != 0:
        lines = (done.stderr.strip() or "failed").splitlines()
        return {"error": lines[-1][:160]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(quick: bool, root: str) -> list[dict[str, Any]]:
    """Every backend x configuration, plus wsframe's Deflater + Inflater per backend.

    Args:
        quick: fewer connections per measurement (200 instead of 1000).
        root: the checkout whose ``bench`` and ``wsframe`` the children import.
    """
    count = 200 if quick else 1000
    rows: list[dict[str, Any]] = []
    for name, module in BACKENDS:
        version = _version(module)
        for wbits, mem in CONFIGS:
            spec = {"module": module, "count": count, "wbits": wbits, "mem": mem, "root": root, "wsframe": False}
            used = USED_BY.get((name, wbits, mem))
            rows.append(
                {
                    "what": "compressobj + decompressobj" + (f" ({used})" if used else ""),
                    "backend": name,
                    "version": version,
                    "window_bits": wbits,
                    "mem_level": mem,
                    "connections": count,
                    **_child(spec),
                }
            )
        for wsf_bits, wsf_mem in _WSFRAME_CONFIGS:
            spec = {"module": module, "count": count, "wbits": wsf_bits, "mem": wsf_mem, "root": root, "wsframe": True}
            what = "wsframe Deflater + Inflater" + (" (defaults)" if wsf_bits is None else "")
            rows.append(
                {
                    "what": what,
                    "backend": name,
                    "version": version,
                    "window_bits": wsf_bits,
                    "mem_level": wsf_mem,
                    "connections": count,
                    **_child(spec),
                }
            )
    return rows


def _kib(value: float | None) -> str:
    return "-" if value is None else f"{value / 1024:.1f}"


def _setting(row: dict[str, Any]) -> str:
    if row["window_bits"] is None:
        return "defaults"
    return f"{row['window_bits']} / {row['mem_level']}"


def print_table(rows: list[dict[str, Any]], out: TextIO) -> None:
    """The memory table on the terminal."""
    out.write("\n== memory.deflate: memory per connection (compressor + decompressor), KiB\n")
    out.write(f"{'what':64} {'window/mem':>10} {'allocated':>10} {'resident':>9}\n")
    for r in rows:
        what = f"{r['what']} [{r['backend']}]"
        if "error" in r:
            out.write(f"{what:64} {_setting(r):>10} not available: {r['error']}\n")
        else:
            out.write(f"{what:64} {_setting(r):>10} {_kib(r['allocated']):>10} {_kib(r['resident']):>9}\n")
    out.flush()


def markdown(rows: list[dict[str, Any]], h: str) -> list[str]:
    """The memory table as Markdown lines (``h``: the heading prefix of a section)."""
    lines = [
        "",
        f"{h}# deflate-memory",
        "",
        f"{h}## {MEMORY_WORKLOAD}: memory per connection, compressor + decompressor",
        "",
        "Per connection, after one ~300 B message each way; *allocated* is what the "
        "allocator handed out (tracemalloc), *resident* the growth of the resident set "
        f"(/proc), over {rows[0]['connections'] if rows else 0} connections in a fresh "
        "process. Window bits / memLevel; zlib's default level.",
        "",
        "| what | backend | window / memLevel | allocated KiB | resident KiB |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "error" in r:
            cells = f"not available: {r['error']} | |"
        else:
            cells = f"{_kib(r['allocated'])} | {_kib(r['resident'])} |"
        lines.append(f"| {r['what']} | {r['version'] or r['backend']} | {_setting(r)} | " + cells)
    return lines
