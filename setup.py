"""Build script for wsframe's optional compiled backend.

Static metadata lives in pyproject.toml.  This file adds one extension module per
``wsframe/_speedups/*.pyx`` (``wsframe._speedups.<name>``), compiled with Cython, and a
``build_ext`` command that falls back to the pure-Python package when they cannot be
built: a machine without a compiler must still be able to ``pip install wsframe``.

Environment switches (read at build time):

``WSFRAME_PURE_PYTHON_BUILD=1``
    Build no extension at all (used for the ``py3-none-any`` wheel).
``WSFRAME_REQUIRE_C=1``
    Turn every fallback into a hard error (CI and cibuildwheel set it, so a wheel or a
    test run can never silently lack the compiled backend).  Having no ``.pyx`` file at
    all is not a failure: there is then nothing to compile.
``WSFRAME_DEBUG_BUILD=1``
    ``-O1 -g -fno-omit-frame-pointer`` instead of the release flags ``-O3 -g0`` (and
    ``-Wl,-s``, stripped, on Linux): for sanitizer / valgrind runs.
``WSFRAME_CYTHON_ANNOTATE=1``
    Also write Cython's HTML annotation next to each ``.pyx``.

Optimisation flags are passed as ``extra_compile_args``, which the compiler sees
*after* ``CFLAGS`` from the environment, so a CFLAGS set by cibuildwheel, a distro or a
user cannot silently drop them.  ``-march=native`` is never used: wheels must run on
every CPU of their architecture; SIMD kernels are selected at run time.

The outcome is recorded in ``wsframe/_build_info.json`` (``compiled``, ``intended``,
``reason``): ``wsframe._backend`` reads it to warn at import when the compiled backend was
expected but is absent, and a wheel built without extensions is tagged ``py3-none-any``
rather than as a platform wheel.  The recorded reason is short and holds no path (it
travels in the wheel to other machines); the full compiler error is in the build log.

A build that falls back holds no compiled module: it deletes those an earlier build left
where its own would go (``build/lib.*`` after a ``pip install .`` in the same checkout; the
source tree for ``build_ext --inplace``), and a pure wheel never packs one, whatever the
build directory held.  Otherwise stale modules would load while the record says the C
build failed.

C sources that a ``.pyx`` needs besides headers are declared in the ``.pyx`` itself
with Cython's ``# distutils: sources = wsf_kernel.c`` comment.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any

import setuptools

# pyproject.toml's [build-system] requires these; pip's isolated build installs them.  With
# --no-build-isolation the build runs with whatever is installed, and an older setuptools
# fails later on `project.license` with an unclear validation error: say what is needed.
MIN_SETUPTOOLS = (77, 0)


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"77.0.3"`` -> ``(77, 0, 3)``; stops at the first non-numeric part."""
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


if _version_tuple(setuptools.__version__) < MIN_SETUPTOOLS:
    raise SystemExit(
        f"wsframe: building needs setuptools>={'.'.join(map(str, MIN_SETUPTOOLS))} "
        f"(found {setuptools.__version__} at {os.path.dirname(setuptools.__file__)}).\n"
        "This happens with `pip install --no-build-isolation`, which uses the installed "
        "setuptools instead of the build requirements of pyproject.toml.  Either drop "
        "--no-build-isolation, or first run:\n"
        "    python -m pip install 'setuptools>=77' wheel 'Cython>=3.1'"
    )

from setuptools import Extension, setup  # noqa: E402
from setuptools.command.bdist_wheel import bdist_wheel  # noqa: E402  (setuptools >= 70.1)
from setuptools.command.build_ext import build_ext  # noqa: E402
from setuptools.command.build_py import build_py  # noqa: E402
from setuptools.errors import (  # noqa: E402
    CCompilerError,
    CompileError,
    ExecError,
    LinkError,
    PlatformError,
)

SPEEDUPS_DIR = os.path.join("wsframe", "_speedups")
MIN_CYTHON = (3, 1)

# Errors that mean "this machine cannot build the extensions", as opposed to a bug in
# this script.  OSError covers a compiler executable that is missing altogether.
BUILD_ERRORS: tuple[type[BaseException], ...] = (
    CCompilerError,
    CompileError,
    ExecError,
    LinkError,
    PlatformError,
    OSError,
)

CYTHON_DIRECTIVES: dict[str, Any] = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "embedsignature": True,
    # The modules keep no unguarded global state (see docs/ on thread-safety), so
    # importing them does not re-enable the GIL on free-threaded CPython.
    "freethreading_compatible": True,
}


def _flag(name: str) -> bool:
    """Return True when environment variable ``name`` is set to a true value."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def _say(message: str) -> None:
    """Print a build message where pip shows it (``pip install -v``) and in logs."""
    print(message, file=sys.stderr, flush=True)


#: What this build produced, written to ``wsframe/_build_info.json`` for wsframe._backend:
#: ``compiled`` (the extensions were built), ``intended`` (a pure build the user asked for)
#: and ``reason`` (why there is no compiled backend; "" when there is).
OUTCOME: dict[str, Any] = {"compiled": False, "intended": False, "reason": "not built yet"}
BUILD_INFO = "_build_info.json"


def _write_build_info(package_dir: str) -> None:
    """Record OUTCOME in ``<package_dir>/_build_info.json`` (read by wsframe._backend)."""
    os.makedirs(package_dir, exist_ok=True)
    with open(os.path.join(package_dir, BUILD_INFO), "w", encoding="utf-8") as fh:
        json.dump(OUTCOME, fh, sort_keys=True)
        fh.write("\n")


def _short(exc: BaseException, limit: int = 200) -> str:
    """The error's message cut to *limit* characters (a compiler command line is long)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# An absolute path (POSIX or Windows) not glued to a word, or after an option letter:
# "/usr/bin/cc", "-I/usr/include", "C:\\VC\\cl.exe" (not the "/" of "and/or").
_ABSOLUTE_PATH = re.compile(
    r"(?:(?<=-[A-Za-z])|(?<![\w.]))"  # start: after an option letter, or not inside a word
    r"(?:[A-Za-z]:)?[\\/]"  # the root: "/" or "C:\\"
    r"(?:[^\s'\"\\/,\]\)]+[\\/])*"  # the directories
    r"([^\s'\"\\/,\]\)]*)"  # the last part, kept
)


def _without_paths(text: str) -> str:
    """*text* with every absolute path cut to its last part.

    The build record travels inside the wheel to other machines, where the build
    machine's directories mean nothing (and are not theirs to see); the full message
    stays in the build log.
    """
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "/", text)


def _basename(path: str) -> str:
    """The last part of a POSIX or Windows path, whichever system built."""
    return re.split(r"[\\/]", path)[-1]


def _compiler_failure(exc: BaseException) -> str:
    """A short reason for a failed compile or link, without command line or paths.

    ``Command '['/usr/bin/cc', '-O3', ...]' returned non-zero exit status 1.`` becomes
    ``the C compiler failed: `cc` exited with status 1``; a compiler that does not exist
    (``[Errno 2] No such file or directory: 'cc'``) ``the C compiler failed: `cc` was
    not found``.
    """
    text = str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"the C compiler failed: `{_basename(str(exc.filename))}` was not found"
    program = re.search(r"""(?:Command|command) ['"]?\[?['"]?([^'",\s\]]+)""", text)
    status = re.search(r"exit (?:status|code) (-?\d+)", text)
    missing = re.search(r"""No such file or directory: ['"]([^'"]+)['"]""", text)
    if missing:
        return f"the C compiler failed: `{_basename(missing.group(1))}` was not found"
    if program and status:
        name = _basename(program.group(1))
        return f"the C compiler failed: `{name}` exited with status {status.group(1)}"
    return f"the C compiler failed ({type(exc).__name__}; `pip install -v` shows the build log)"


#: Endings of compiled extension modules (every Python version and platform: a stale
#: ``.cpython-311-...so`` must go too when building for another interpreter).
EXTENSION_ENDINGS = (".so", ".pyd", ".dylib")


def _is_extension_module(name: str, this_interpreter_only: bool) -> bool:
    """True for a compiled module's file name (``_mask.cpython-311-x86_64-linux-gnu.so``).

    With *this_interpreter_only*, only the names this interpreter would import
    (``_mask.cpython-312-...so`` is not one of them on 3.11).
    """
    if not this_interpreter_only:
        return name.endswith(EXTENSION_ENDINGS)
    return "." in name and name[name.index(".") :] in EXTENSION_SUFFIXES


def _remove_extension_modules(root: str, this_interpreter_only: bool = False) -> list[str]:
    """Delete every compiled module under *root*; return their paths relative to it.

    A build that falls back to pure Python must not ship or leave behind extension
    modules from an earlier build (``build/lib.*`` after a ``pip install .``, or in-place
    ones): they would load silently while the build record says the C build failed.
    """
    removed: list[str] = []
    if not os.path.isdir(root):
        return removed
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if _is_extension_module(name, this_interpreter_only):
                path = os.path.join(folder, name)
                os.remove(path)
                removed.append(os.path.relpath(path, root))
    return sorted(removed)


class BuildFailed(RuntimeError):
    """The compiled backend could not be built and WSFRAME_REQUIRE_C forbids falling back."""


def _fallback(reason: str, *, intended: bool = False, detail: str = "") -> None:
    """Report that the pure-Python backend will be used, or fail under WSFRAME_REQUIRE_C.

    An unintended fallback is also issued as a warning: pip (>= 24) shows a build
    backend's warnings without ``-v``, while it hides everything the build prints.

    Args:
        reason: why the extensions are not built, for the message and the build record
            (absolute paths are cut from it before it is recorded).
        intended: True when the user asked for a pure build (no warning then).
        detail: the full error (compiler command line and all), for this build's log
            only: it is never recorded.

    Raises:
        BuildFailed: if ``WSFRAME_REQUIRE_C`` is set.
    """
    if _flag("WSFRAME_REQUIRE_C"):
        raise BuildFailed(
            f"wsframe: the C extensions could not be built ({reason}) "
            f"and WSFRAME_REQUIRE_C is set{': ' + detail if detail else ''}"
        )
    reason = _without_paths(reason)
    message = f"wsframe: building without C extensions ({reason}); the pure-Python backend will be used"
    bar = "*" * 78
    _say(f"\n{bar}\n{message}\n{bar}\n" + (f"{detail}\n" if detail else ""))
    if not intended:
        warnings.warn(message, UserWarning, stacklevel=2)
    OUTCOME.update(compiled=False, intended=intended, reason=reason)


def _cython_version() -> tuple[int, ...] | None:
    """Return the installed Cython version as a tuple, or None if Cython is missing."""
    try:
        import Cython
    except ImportError:
        return None
    parts: list[int] = []
    for piece in Cython.__version__.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


class OptionalBuildExt(build_ext):
    """``build_ext`` that cythonizes lazily and degrades to a pure-Python install."""

    def run(self) -> None:
        # setuptools' run() clears `inplace` while it builds (it copies the modules into
        # the source tree afterwards) and does not restore it when the build fails.
        self._into_source = bool(self.inplace or getattr(self, "editable_mode", False))
        if not self.extensions:
            # A pure build run as `setup.py build_ext` (setuptools' `build` skips this
            # command when there is no extension): leave no older module behind.
            self._remove_stale_modules()
            self._record()
            return
        try:
            from Cython.Build import cythonize
            from Cython.Compiler.Errors import CompileError as CythonCompileError
        except ImportError as exc:  # pragma: no cover - checked before ext_modules is set
            self._give_up(f"Cython is not importable: {exc}")
            self._record()
            return
        ext = None
        try:
            for ext in self.extensions:
                (translated,) = cythonize(
                    [ext],
                    compiler_directives=CYTHON_DIRECTIVES,
                    annotate=_flag("WSFRAME_CYTHON_ANNOTATE"),
                    quiet=not self.verbose,
                )
                # Keep setuptools' own Extension object (finalize_options annotated it)
                # and take over what Cython produced: the .c sources plus anything a
                # "# distutils:" comment in the .pyx declared.
                for name, value in vars(translated).items():
                    if not name.startswith("_"):
                        setattr(ext, name, value)
        except CythonCompileError as exc:
            source = os.path.basename(ext.sources[0]) if ext is not None else "the .pyx sources"
            self._give_up(f"Cython failed to translate {source}", detail=_short(exc, 2000))
            self._record()
            return
        try:
            super().run()
        except BUILD_ERRORS as exc:
            self._give_up(_compiler_failure(exc), detail=str(exc))
        else:
            OUTCOME.update(compiled=True, intended=False, reason="")
        finally:
            self._record()

    def _package_dir(self) -> str:
        """Where the modules this command builds go: the source tree, or the build dir."""
        if self._into_source:
            return "wsframe"
        return os.path.join(self.build_lib, "wsframe")

    def _record(self) -> None:
        """Write the outcome next to the modules that will be imported."""
        _write_build_info(self._package_dir())

    def _remove_stale_modules(self) -> None:
        """Delete compiled modules a previous build left where this one puts its own.

        In the source tree, only this interpreter's (``.cpython-311-...so``): the modules
        built there for another Python version are not this build's to judge.
        """
        target = self._package_dir()
        for path in _remove_extension_modules(target, this_interpreter_only=self._into_source):
            _say(f"wsframe: removed {os.path.join(target, path)} (left by an earlier build)")

    def build_extensions(self) -> None:
        """Append optimisation and release flags suited to the compiler, then build."""
        debug = _flag("WSFRAME_DEBUG_BUILD")
        link: list[str] = []
        if self.compiler.compiler_type == "msvc":
            opt = ["/Od", "/Zi"] if debug else ["/O2"]
        elif debug:
            opt = ["-O1", "-g", "-fno-omit-frame-pointer"]
        else:
            # Release: no debug information (Python's own CFLAGS carry -g), and on
            # Linux strip the symbol table at link time (_frames: 1.9 MB -> ~0.3 MB).
            opt = ["-O3", "-g0"]
            if sys.platform.startswith("linux"):
                link = ["-Wl,-s"]
        for ext in self.extensions:
            # Last on the command line, so they win over any -O or -g in CFLAGS.
            ext.extra_compile_args = list(ext.extra_compile_args or []) + opt
            ext.extra_link_args = list(ext.extra_link_args or []) + link
        super().build_extensions()

    def _give_up(self, reason: str, detail: str = "") -> None:
        """Drop the extensions so no later step expects their outputs, and delete the
        modules an earlier build left in their place (in-place, or in ``build/``)."""
        self.extensions = []
        self.distribution.ext_modules = []
        _fallback(reason, detail=detail)
        self._remove_stale_modules()


class BuildPyWithInfo(build_py):
    """``build_py`` that also writes ``wsframe/_build_info.json``.

    It runs before ``build_ext``, which overwrites the record with the final outcome;
    when there is no extension to build, ``build_ext`` does not run and this record
    (with the reason ``_extensions()`` gave) is the one that ships.
    """

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            _write_build_info("wsframe")
        else:
            _write_build_info(os.path.join(self.build_lib, "wsframe"))


class PureAwareBdistWheel(bdist_wheel):
    """``bdist_wheel`` whose tag is ``py3-none-any`` when no extension was built.

    ``bdist_wheel`` decides purity from the extension list before building; when
    ``build_ext`` then falls back to pure Python, the wheel would still be tagged
    ``cp3XX-cp3XX-<platform>`` and a later install on a machine with a compiler would
    reuse this pure wheel from pip's cache.
    """

    def run_command(self, command: str) -> None:
        super().run_command(command)
        if OUTCOME["compiled"]:
            return
        if command == "build":
            self.root_is_pure = True
        elif command == "install":
            # What the wheel will hold: a pure wheel never holds a compiled module,
            # whichever earlier build or source-tree file it came from.
            for path in _remove_extension_modules(self.bdist_dir):
                _say(f"wsframe: left {path} out of the pure wheel (an earlier build's)")


def _extensions() -> list[Extension]:
    """Return the extension modules to build, or [] (after saying why) for pure Python."""
    if _flag("WSFRAME_PURE_PYTHON_BUILD"):
        if _flag("WSFRAME_REQUIRE_C"):
            raise BuildFailed("wsframe: WSFRAME_PURE_PYTHON_BUILD and WSFRAME_REQUIRE_C are both set")
        _fallback("WSFRAME_PURE_PYTHON_BUILD is set", intended=True)
        return []
    sources = sorted(glob.glob(os.path.join(SPEEDUPS_DIR, "*.pyx")))
    if not sources:
        _say("wsframe: no Cython sources in wsframe/_speedups; building pure Python only")
        OUTCOME.update(compiled=False, intended=True, reason="no Cython sources")
        return []
    version = _cython_version()
    if version is None:
        _fallback("Cython is not installed")
        return []
    if version < MIN_CYTHON:
        have, need = ".".join(map(str, version)), ".".join(map(str, MIN_CYTHON))
        _fallback(f"Cython {have} is older than {need}")
        return []
    return [
        Extension(
            "wsframe._speedups." + os.path.splitext(os.path.basename(path))[0],
            sources=[path],
            include_dirs=[SPEEDUPS_DIR],
            # Rebuild when a kernel header, an included room or a .pxd changes.
            depends=sorted(
                glob.glob(os.path.join(SPEEDUPS_DIR, "*.h"))
                + glob.glob(os.path.join(SPEEDUPS_DIR, "*.pxi"))
                + glob.glob(os.path.join(SPEEDUPS_DIR, "*.pxd"))
            ),
            # Never -march=native: kernels pick their ISA at run time.
        )
        for path in sources
    ]


setup(
    ext_modules=_extensions(),
    cmdclass={
        "build_ext": OptionalBuildExt,
        "build_py": BuildPyWithInfo,
        "bdist_wheel": PureAwareBdistWheel,
    },
)
