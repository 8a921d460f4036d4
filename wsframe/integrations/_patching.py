"""Reversible, import-order-independent monkey patching for the integrations.

Each integration describes its patches as ``(module name, attribute path,
replacement factory)`` triples and hands them to a :class:`PatchSet`.
:meth:`PatchSet.install` applies the patches to every target module that is
already imported and registers a :data:`sys.meta_path` finder that applies
them to the others right after they are executed, so ``install()`` may be
called before or after the peer library is imported.
:meth:`PatchSet.uninstall` restores every original attribute and removes the
finder.  Both are idempotent.

The replacement factory receives the original attribute (so a replacement can
subclass or delegate to it) and the module, and returns the new value.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = [
    "Patch",
    "PatchSet",
    "MISSING",
    "Unsupported",
    "constant",
    "entry_points",
    "installed_version",
    "version_supported",
]


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, read from its metadata.

    Does not import the distribution's packages (so it is safe to call
    before the library is imported, and never triggers its import).

    Returns:
        The version string, or ``None`` when no metadata is found.
    """
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def version_supported(version: str, supported: Sequence[str]) -> bool:
    """True if ``version`` matches one of ``supported``.

    Args:
        version: a version string such as ``"1.3.2"``.
        supported: exact versions (``"1.3.2"``) or prefixes ending in ``.*``
            (``"17.*"`` matches ``17``, ``17.0.1``, ``17.4``; not ``170``).
    """
    for spec in supported:
        if spec.endswith(".*"):
            stem = spec[:-2]
            if version == stem or version.startswith(stem + "."):
                return True
        elif version == spec:
            return True
    return False


class Unsupported(Exception):
    """Raised by a factory when the peer's code is not what it was written for."""


class _Missing:
    """Marker for an attribute that did not exist before patching."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

Factory = Callable[[Any, ModuleType], Any]


def constant(value: Any) -> Factory:
    """A factory that replaces the attribute with ``value`` whatever it was."""
    return lambda original, module: value


class Patch:
    """One attribute replacement.

    Args:
        module: the dotted name of the module that owns the attribute.
        path: the attribute, possibly dotted (``"FrameDecoder.process_buffer"``
            patches a method of a class defined in ``module``).
        factory: ``factory(original, module) -> replacement``; ``original``
            is :data:`MISSING` when the attribute does not exist.
        optional: when true, a missing attribute (or owner) is skipped
            silently instead of raising ``AttributeError``.
    """

    __slots__ = ("module", "path", "factory", "optional")

    def __init__(
        self, module: str, path: str, factory: Factory, *, optional: bool = False
    ) -> None:
        self.module = module
        self.path = path
        self.factory = factory
        self.optional = optional

    def owner(self, mod: ModuleType) -> Any:
        """Return the object that holds the attribute (the module or a class).

        Raises:
            AttributeError: an intermediate name is missing.
        """
        obj: Any = mod
        for part in self.path.split(".")[:-1]:
            obj = getattr(obj, part)
        return obj

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


class _PatchingLoader(importlib.abc.Loader):
    """Delegates to the real loader, then applies the pending patches."""

    def __init__(self, loader: importlib.abc.Loader, patchset: PatchSet) -> None:
        self._loader = loader
        self._patchset = patchset

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._patchset._on_import(module.__name__, module)

    def __getattr__(self, name: str) -> Any:
        # get_code, get_source, is_package, ... for tools that introspect.
        return getattr(self._loader, name)


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """A meta path finder that only wraps the loaders of the target modules."""

    def __init__(self, patchset: PatchSet) -> None:
        self._patchset = patchset
        self._busy = threading.local()

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._patchset.modules or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.on = False
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _PatchingLoader(spec.loader, self._patchset)
        return spec


def _put_back(owner: Any, name: str, original: Any) -> None:
    """Restore one patched attribute: its original value, or its absence."""
    if original is MISSING:
        try:
            delattr(owner, name)
        except AttributeError:
            pass
    else:
        setattr(owner, name, original)


class PatchSet:
    """A group of patches installed and uninstalled together.

    Args:
        patches: the patches, applied in order (a later patch may rely on an
            earlier one of the same module having been applied).
        distribution: the peer's distribution name on PyPI, whose installed
            version is checked (from its metadata, without importing it)
            before anything is patched; ``None`` skips the check.
        supported: the versions of ``distribution`` the patches are proven
            on (see :func:`version_supported`).
    """

    def __init__(
        self,
        patches: Sequence[Patch],
        *,
        distribution: str | None = None,
        supported: Sequence[str] = (),
    ) -> None:
        self._patches = list(patches)
        self.distribution = distribution
        self.supported = tuple(supported)
        self.modules = frozenset(p.module for p in self._patches)
        self._lock = threading.RLock()
        self._installed = False
        self._finder: _PatchingFinder | None = None
        # (id of the owner, attribute name) -> (owner: the module or class that
        # holds the attribute, attribute name, original value or MISSING,
        # name of the patched module), in the order the patches were applied.
        self._saved: dict[tuple[int, str], tuple[Any, str, Any, str]] = {}

    @property
    def installed(self) -> bool:
        """True between :meth:`install` and :meth:`uninstall`."""
        return self._installed

    def applied_to(self, module: str) -> bool:
        """True if patches of ``module`` are currently in effect."""
        with self._lock:
            return any(saved[3] == module for saved in self._saved.values())

    def active(self) -> bool:
        """True when installed, at least one target module is imported, and
        every imported target module carries its patches."""
        with self._lock:
            imported = [name for name in self.modules if name in sys.modules]
            return (
                self._installed
                and bool(imported)
                and all(self.applied_to(name) for name in imported)
            )

    def unsupported_reason(self) -> str | None:
        """Why the installed peer may not be patched, or ``None`` if it may.

        Reads the distribution's metadata only; the peer is not imported.
        """
        if self.distribution is None:
            return None
        version = installed_version(self.distribution)
        if version is None:
            return f"{self.distribution} is not installed (no package metadata)"
        if not version_supported(version, self.supported):
            return (
                f"{self.distribution} {version} is not a version this integration"
                f" supports ({', '.join(self.supported)})"
            )
        return None

    def install(self) -> bool:
        """Apply the patches now and to target modules imported later (idempotent).

        Checks the peer's installed version first: with a version outside
        :attr:`supported`, nothing is touched and a :class:`RuntimeWarning`
        says why.  A failure while patching a module that is already
        imported undoes everything and warns; the peer keeps its own code.

        Returns:
            True if the patches are installed.
        """
        with self._lock:
            if self._installed:
                return True
            reason = self.unsupported_reason()
            if reason is not None:
                warnings.warn(
                    f"wsframe: {reason}; left untouched", RuntimeWarning, stacklevel=3
                )
                return False
            self._installed = True
            self._finder = _PatchingFinder(self)
            sys.meta_path.insert(0, self._finder)
            try:
                for name in sorted(self.modules):
                    mod = sys.modules.get(name)
                    if mod is not None:
                        self._apply(name, mod)
            except Exception as exc:  # never break the peer: warn, keep its code
                self.uninstall()  # all or nothing
                warnings.warn(
                    f"wsframe: could not patch {self.distribution or 'the library'}"
                    f" ({type(exc).__name__}: {exc}); left untouched",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return False
            return True

    def uninstall(self) -> None:
        """Restore every original attribute and stop patching imports (idempotent)."""
        with self._lock:
            if not self._installed:
                return
            self._installed = False
            if self._finder is not None:
                try:
                    sys.meta_path.remove(self._finder)
                except ValueError:
                    pass
                self._finder = None
            # Restore in reverse order of application.
            for key in reversed(list(self._saved)):
                owner, name, original, _module = self._saved.pop(key)
                _put_back(owner, name, original)

    def _on_import(self, name: str, module: ModuleType) -> None:
        # Runs inside the peer's own ``import``: whatever happens here must
        # not make that import fail.  On an unexpected error this module's
        # patches are undone and the peer keeps its own code.
        with self._lock:
            if not self._installed:
                return
            try:
                self._apply(name, module)
            except Exception as exc:  # never break the peer: warn, keep its code
                self._restore(name)
                warnings.warn(
                    f"wsframe: {name} left unaccelerated ({type(exc).__name__}: {exc})",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def _restore(self, module: str) -> None:
        """Undo the patches applied to ``module`` (the others stay)."""
        for key in reversed(list(self._saved)):
            owner, name, original, mod = self._saved[key]
            if mod != module:
                continue
            del self._saved[key]
            _put_back(owner, name, original)

    def _apply(self, name: str, module: ModuleType) -> None:
        for patch in self._patches:
            if patch.module != name:
                continue
            try:
                owner = patch.owner(module)
            except AttributeError:
                if patch.optional:
                    continue
                raise
            key = (id(owner), patch.name)
            if key in self._saved:
                continue  # already applied (module imported twice?)
            # Use the class __dict__ so that a method inherited from a base
            # class is not copied onto the subclass on restore.
            if isinstance(owner, type):
                original = owner.__dict__.get(patch.name, MISSING)
            else:
                original = getattr(owner, patch.name, MISSING)
            if original is MISSING and patch.optional:
                continue
            # A module that did ``from patched_module import name`` while we
            # were installed holds our replacement: its true original is the
            # one we saved where that replacement was first installed.
            for _owner, _name, _original, _module in self._saved.values():
                replaced = getattr(_owner, _name, MISSING)
                if replaced is original and _name == patch.name:
                    original = _original
                    break
            try:
                replacement = patch.factory(original, module)
            except Unsupported as exc:
                # A peer version whose internals differ from the tested one:
                # leave its own code in place rather than break it.
                warnings.warn(
                    f"wsframe: {name}.{patch.path} left unaccelerated: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            setattr(owner, patch.name, replacement)
            self._saved[key] = (owner, patch.name, original, name)


def entry_points(
    patches: PatchSet, module: str, peer: str
) -> tuple[Callable[[], bool], Callable[[], None], Callable[[], bool], Callable[[], bool]]:
    """The ``install``, ``uninstall``, ``is_installed`` and ``active`` functions
    an integration module exports, all driven by ``patches``.

    Args:
        patches: the integration's patches.
        module: the integration module's ``__name__`` (set as the functions'
            ``__module__`` so that they document as that module's own).
        peer: the peer library's name, for the docstrings.
    """

    def install() -> bool:
        return patches.install()

    def uninstall() -> None:
        patches.uninstall()

    def is_installed() -> bool:
        return patches.installed

    def active() -> bool:
        return patches.active()

    install.__doc__ = (
        f"Accelerate {peer} with wsframe (idempotent).\n\n"
        f"Safe before or after {peer} is imported: an imported module is patched\n"
        "at once, otherwise when it is first imported.  The installed version of\n"
        f"{peer} is checked first (from its metadata, without importing it): with\n"
        f"a version outside {', '.join(patches.supported) or 'the supported ones'}, "
        f"{peer} is left\nuntouched and a RuntimeWarning says why.\n\n"
        "Returns:\n    True if the integration is installed.\n"
    )
    uninstall.__doc__ = f"Restore {peer}'s own implementation (idempotent)."
    is_installed.__doc__ = "True between :func:`install` and :func:`uninstall`."
    active.__doc__ = (
        f"True when installed and every imported {peer} module it targets is patched."
    )
    functions: tuple[Callable[..., Any], ...] = (install, uninstall, is_installed, active)
    for function in functions:
        function.__module__ = module
        function.__qualname__ = function.__name__
    return install, uninstall, is_installed, active
