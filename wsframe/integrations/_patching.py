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

The version rule every integration follows is written here once:

- a **series**: the releases of the peer the integration is written for, as
  a specifier such as ``">=1.2,<1.4"`` (:func:`in_series`), checked from the
  peer's metadata before anything is touched (the peer is not imported);
- **feature probes** (:class:`Probe`, built with :func:`has`,
  :func:`signature`, :func:`kind`, :func:`fields`, :func:`check`): facts about
  exactly the internals the patches replace (names present, signatures,
  types), each run on its module when that module is first patched.

A release inside the series whose internals pass every probe is patched; a
release outside it, or a failed probe, leaves the peer entirely untouched
with a ``RuntimeWarning`` that says why (the series, or the probe that
failed), whether ``install()`` runs before or after the peer is imported, and
never breaks the peer's import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.metadata
import inspect
import re
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

__all__ = [
    "Patch",
    "PatchSet",
    "Probe",
    "MISSING",
    "Unsupported",
    "check",
    "constant",
    "entry_points",
    "fields",
    "has",
    "in_series",
    "installed_version",
    "kind",
    "signature",
]


#: distribution -> version, for the distributions found installed (reading
#: package metadata takes milliseconds; install() and the factories ask often).
_versions: dict[str, str] = {}


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, read from its metadata.

    Does not import the distribution's packages (so it is safe to call
    before the library is imported, and never triggers its import).  A
    version found is remembered for the life of the process (an upgrade
    takes a new process, as the imported library would too).

    Returns:
        The version string, or ``None`` when no metadata is found.
    """
    version = _versions.get(distribution)
    if version is None:
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            return None
        _versions[distribution] = version
    return version


_RELEASE = re.compile(r"(\d+(?:\.\d+)*)((?:\.?post\d+)?)(?:\+[A-Za-z0-9.]+)?")
_CLAUSE = re.compile(r"(>=|<=|==|!=|<|>)\s*(\d+(?:\.\d+)*)")


def _release(version: str) -> tuple[int, ...] | None:
    """The release numbers of a final or post release (``"1.3.2"`` ->
    ``(1, 3, 2)``); ``None`` for a pre-release, a development release or a
    string that is not a version."""
    match = _RELEASE.fullmatch(version.strip())
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def _compare(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a = a + (0,) * (width - len(a))
    b = b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def in_series(version: str, series: str) -> bool:
    """True if ``version`` is a release inside ``series``.

    Args:
        version: an installed version, such as ``"1.3.2"`` (post releases
            and local labels count as their release; pre-releases and
            development releases are never inside a series, as with pip).
        series: comma-separated clauses ``>=X``, ``>X``, ``<=X``, ``<X``,
            ``==X``, ``!=X`` (``X``: release numbers, ``1.2`` = ``1.2.0``),
            all of which must hold, such as ``">=16.1,<18"``.

    Raises:
        ValueError: ``series`` is not made of such clauses.
    """
    release = _release(version)
    clauses = [clause.strip() for clause in series.split(",")]
    tests = []
    for clause in clauses:
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"not a version series clause: {clause!r} in {series!r}")
        tests.append((match.group(1), tuple(int(p) for p in match.group(2).split("."))))
    if release is None:
        return False
    for op, bound in tests:
        c = _compare(release, bound)
        ok = {">=": c >= 0, ">": c > 0, "<=": c <= 0, "<": c < 0, "==": c == 0, "!=": c != 0}[op]
        if not ok:
            return False
    return True


def _resolve(module: ModuleType, path: str) -> Any:
    """``module.<path>`` (dotted), as ``getattr`` sees it.

    Raises:
        AttributeError: a name on the path is missing.
    """
    obj: Any = module
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _raw(module: ModuleType, path: str) -> Any:
    """``module.<path>`` as stored: a class member is read from the class
    ``__dict__`` along its MRO (a ``staticmethod`` or ``classmethod`` object,
    not the function it gives).

    Raises:
        AttributeError: a name on the path is missing.
    """
    owner_path, _, name = path.rpartition(".")
    owner = _resolve(module, owner_path) if owner_path else module
    if isinstance(owner, type):
        for cls in owner.__mro__:
            if name in cls.__dict__:
                return cls.__dict__[name]
        raise AttributeError(f"{owner.__name__} has no attribute {name!r}")
    return getattr(owner, name)


class Probe:
    """One feature probe: a fact about the peer's internals a patch relies on.

    Args:
        module: the module the probe inspects; it runs when that module is
            patched (at ``install()`` if it is imported, otherwise right after
            its first import), before any of its patches.
        what: what is probed, named for the warning
            (``"wsproto.frame_protocol.FrameDecoder.process_buffer"``).
        test: ``test(module)`` returns ``None`` (or ``True``) when the fact
            holds, otherwise a short description of what was found instead
            (or ``False``); an exception it raises counts as a failure.
    """

    __slots__ = ("module", "what", "_test")

    def __init__(self, module: str, what: str, test: Callable[[ModuleType], str | bool | None]) -> None:
        self.module = module
        self.what = what
        self._test = test

    def failure(self, module: ModuleType) -> str | None:
        """Run the probe on ``module``: ``None`` if it passes, else the
        sentence the refusal warning carries (naming the probe)."""
        try:
            found = self._test(module)
        except Exception as exc:  # a probe never breaks the peer's import
            found = f"{type(exc).__name__}: {exc}"
        if found is None or found is True:
            return None
        detail = "" if found is False else f": {found}"
        return f"probe failed: {self.what}{detail}"

    def __repr__(self) -> str:
        return f"Probe({self.what!r})"


def has(module: str, *paths: str) -> list[Probe]:
    """Probes that each ``module.<path>`` exists (dotted paths reach into classes)."""

    def make(path: str) -> Probe:
        def test(mod: ModuleType) -> str | None:
            try:
                _resolve(mod, path)
            except AttributeError:
                return "missing"
            return None

        return Probe(module, f"{module}.{path}", test)

    return [make(path) for path in paths]


def signature(module: str, path: str, params: Sequence[str]) -> Probe:
    """A probe that ``module.<path>`` has exactly the parameters ``params``.

    The signature is the one ``inspect.signature`` gives for the attribute as
    ``getattr`` returns it: a method read from its class keeps ``self``, a
    classmethod loses ``cls``, a class gives its constructor's parameters.
    """
    expected = list(params)

    def test(mod: ModuleType) -> str | None:
        found = list(inspect.signature(_resolve(mod, path)).parameters)
        if found != expected:
            return f"parameters ({', '.join(found)}), expected ({', '.join(expected)})"
        return None

    return Probe(module, f"{module}.{path}", test)


def kind(module: str, path: str, expected: type | tuple[type, ...]) -> Probe:
    """A probe that ``module.<path>``, as stored (a class member from the class
    ``__dict__``: ``staticmethod``, ``classmethod``, ``property``...), is an
    instance of ``expected``."""

    def test(mod: ModuleType) -> str | None:
        value = _raw(mod, path)
        if not isinstance(value, expected):
            return f"is a {type(value).__name__}"
        return None

    return Probe(module, f"{module}.{path}", test)


def fields(module: str, path: str, names: Sequence[str]) -> Probe:
    """A probe that the named tuple class ``module.<path>`` has the fields ``names``."""
    expected = tuple(names)

    def test(mod: ModuleType) -> str | None:
        found = getattr(_resolve(mod, path), "_fields", None)
        if found != expected:
            return f"fields {found}, expected {expected}"
        return None

    return Probe(module, f"{module}.{path}", test)


def check(module: str, what: str, test: Callable[[ModuleType], str | bool | None]) -> Probe:
    """A probe with its own test (see :class:`Probe`), for facts the other
    constructors do not cover: attributes of a fresh instance, generator locals..."""
    return Probe(module, what, test)


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

    def __init__(self, module: str, path: str, factory: Factory, *, optional: bool = False) -> None:
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
    """A group of patches installed and uninstalled together, under the version rule.

    Args:
        patches: the patches, applied in order (a later patch may rely on an
            earlier one of the same module having been applied).
        distribution: the peer's distribution name on PyPI, whose installed
            version is checked (from its metadata, without importing it)
            before anything is patched; ``None`` skips the check.
        series: the releases of ``distribution`` the patches are written for
            (see :func:`in_series`), such as ``">=1.2,<1.4"``.
        probes: the feature probes of the internals the patches replace.  A
            probe's module need not be one the patches target: it is watched
            for import all the same.
    """

    def __init__(
        self,
        patches: Sequence[Patch],
        *,
        distribution: str | None = None,
        series: str = "",
        probes: Sequence[Probe] = (),
    ) -> None:
        self._patches = list(patches)
        self.distribution = distribution
        self.series = series
        self.probes = list(probes)
        self.modules = frozenset(p.module for p in self._patches) | frozenset(probe.module for probe in self.probes)
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
            targets = {p.module for p in self._patches}
            imported = [name for name in targets if name in sys.modules]
            return self._installed and bool(imported) and all(self.applied_to(name) for name in imported)

    def unsupported_reason(self) -> str | None:
        """Why the installed peer's version may not be patched, or ``None`` if it may.

        Reads the distribution's metadata only; the peer is not imported.
        """
        if self.distribution is None:
            return None
        version = installed_version(self.distribution)
        if version is None:
            return f"{self.distribution} is not installed (no package metadata)"
        if not in_series(version, self.series):
            return f"{self.distribution} {version} is outside the series this integration supports ({self.series})"
        return None

    def probe_failure(self, name: str, module: ModuleType) -> str | None:
        """The first failed probe of ``module`` (named ``name``), as the
        sentence a warning carries, or ``None`` when every probe passes."""
        for probe in self.probes:
            if probe.module == name:
                failure = probe.failure(module)
                if failure is not None:
                    return failure
        return None

    def _peer(self) -> str:
        if self.distribution is None:
            return "the library"
        return f"{self.distribution} {installed_version(self.distribution) or ''}".rstrip()

    def _warn(self, reason: str, stacklevel: int) -> None:
        warnings.warn(f"wsframe: {reason}; left untouched", RuntimeWarning, stacklevel=stacklevel + 1)

    def install(self) -> bool:
        """Apply the patches now and to target modules imported later (idempotent).

        Checks the peer's installed version against :attr:`series` and runs
        the probes of the modules already imported first: if either fails,
        nothing is touched and a :class:`RuntimeWarning` says why.  The probes
        of a module imported later run at its import; if one fails there,
        everything is undone (the integration uninstalls itself) with the
        same warning.  A failure while patching also undoes everything and
        warns; the peer keeps its own code and its import never fails.

        Returns:
            True if the patches are installed (so far: a module imported
            later may still be refused by its probes; :meth:`active` tells).
        """
        with self._lock:
            if self._installed:
                return True
            reason = self.unsupported_reason()
            if reason is None:
                for name in sorted(self.modules):
                    mod = sys.modules.get(name)
                    if mod is not None:
                        failure = self.probe_failure(name, mod)
                        if failure is not None:
                            reason = f"{self._peer()}: {failure}"
                            break
            if reason is not None:
                self._warn(reason, stacklevel=3)
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
                self._warn(f"could not patch {self._peer()} ({type(exc).__name__}: {exc})", stacklevel=3)
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
        # not make that import fail.  A failed probe or an error while
        # patching undoes the whole integration (all or nothing).
        with self._lock:
            if not self._installed:
                return
            failure = self.probe_failure(name, module)
            if failure is None:
                try:
                    self._apply(name, module)
                    return
                except Exception as exc:  # never break the peer: warn, keep its code
                    failure = f"could not patch {name} ({type(exc).__name__}: {exc})"
            self._unshadow(module)
            self.uninstall()
            self._warn(f"{self._peer()}: {failure}", stacklevel=2)

    def _unshadow(self, module: ModuleType) -> None:
        """Put the originals back where ``module`` imported a replacement by name
        (``from patched import name`` while it was being executed)."""
        for owner, name, original, _mod in list(self._saved.values()):
            if owner is module or original is MISSING:
                continue
            replacement = getattr(owner, name, MISSING)
            if module.__dict__.get(name, MISSING) is replacement:
                setattr(module, name, original)

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
            replacement = patch.factory(original, module)
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
        f"a version outside the series {patches.series}, "
        f"{peer} is left\nuntouched and a RuntimeWarning says why; so is it when\n"
        "a feature probe of the internals the patches replace fails (at once, or\n"
        "when the probed module is first imported).\n\n"
        "Returns:\n    True if the integration is installed.\n"
    )
    uninstall.__doc__ = f"Restore {peer}'s own implementation (idempotent)."
    is_installed.__doc__ = "True between :func:`install` and :func:`uninstall`."
    active.__doc__ = f"True when installed and every imported {peer} module it targets is patched."
    functions: tuple[Callable[..., Any], ...] = (install, uninstall, is_installed, active)
    for function in functions:
        function.__module__ = module
        function.__qualname__ = function.__name__
    return install, uninstall, is_installed, active
