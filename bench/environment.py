"""What the results depend on: machine, CPU features, interpreter, versions."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["describe"]

# CPU features that decide which SIMD kernels can run (x86-64 and arm64 names).
_SIMD_FLAGS = (
    "sse2",
    "ssse3",
    "sse4_1",
    "sse4_2",
    "avx",
    "avx2",
    "bmi2",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512vbmi",
    "avx512vbmi2",
    "neon",
    "asimd",
    "sve",
)
_PACKAGES = (
    "wsframe",
    "websockets",
    "aiohttp",
    "wsproto",
    "autobahn",
    "wsaccel",
    "simdutf",
    "Cython",
    "pytest-benchmark",
    "matplotlib",
)


def _cpuinfo() -> tuple[str | None, list[str]]:
    """CPU model and feature flags from /proc/cpuinfo (Linux), else sysctl (macOS)."""
    model: str | None = None
    flags: list[str] = []
    path = Path("/proc/cpuinfo")
    if path.exists():
        try:
            for line in path.read_text(errors="replace").splitlines():
                key, _, value = line.partition(":")
                key = key.strip().lower()
                if key in ("model name", "hardware", "cpu model") and model is None:
                    model = value.strip()
                elif key in ("flags", "features") and not flags:
                    flags = value.split()
        except OSError:
            pass
    elif sys.platform == "darwin":
        try:
            model = (
                subprocess.run(
                    ["sysctl", "-n", "machdep.cpu.brand_string"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                ).stdout.strip()
                or None
            )
        except (OSError, subprocess.SubprocessError):
            pass
    return model or platform.processor() or None, flags


def _git_commit() -> str | None:
    """The commit of the wsframe checkout being benchmarked, if it is one."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def describe() -> dict[str, Any]:
    """Everything about this machine and install that the figures depend on."""
    from .peers import wsframe_c_status, wsframe_simd_level

    model, flags = _cpuinfo()
    versions: dict[str, str | None] = {}
    for dist in _PACKAGES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        import wsframe

        active_backend = wsframe.backend
        versions["wsframe"] = versions["wsframe"] or wsframe.__version__
    except Exception as exc:  # a broken checkout is reported, not fatal
        active_backend = f"import failed: {type(exc).__name__}: {exc}"
    try:
        load = os.getloadavg()
    except (AttributeError, OSError):
        load = None
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpu_flags_simd": [f for f in _SIMD_FLAGS if f in flags],
        "cpu_flags": flags,
        "load_average": load,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "versions": versions,
        "wsframe": {
            "active_backend": active_backend,
            "compiled_modules": wsframe_c_status(),
            "simd_level": wsframe_simd_level(),
            "git_commit": _git_commit(),
            "WSFRAME_PURE_PYTHON": os.environ.get("WSFRAME_PURE_PYTHON"),
            "WSFRAME_SIMD": os.environ.get("WSFRAME_SIMD"),
        },
    }
