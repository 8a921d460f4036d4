"""A peer library with wsframe's integration installed (``wsframe.integrations``).

:class:`WithIntegration` wraps a peer's adapter: the same operation, the same
inputs, the same oracle, with ``install()`` before and ``uninstall()`` after
each timed call (a few microseconds against a call of milliseconds), so the
rows with and without wsframe alternate round by round in one run. Its kind is
"wsframe", so the ratio to the best peer is the speed-up the integration gives
that library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Impl, Prepared, Unavailable, import_or_skip, version_of

__all__ = ["WithIntegration"]


@dataclass
class WithIntegration(Impl):
    """``base`` with ``wsframe.integrations.<library>`` installed while it runs.

    Attributes:
        base: the peer's adapter (loaded by :meth:`load`).
        library: the integration module's name (``wsproto``, ``websockets``).
        ops: the operations taken over from ``base``.
    """

    kind: str = "wsframe"
    base: Impl = field(default_factory=Impl)
    library: str = ""
    ops: tuple[str, ...] = ()

    def load(self) -> None:
        self.base.load()
        self.integration: Any = import_or_skip(f"wsframe.integrations.{self.library}")
        try:
            self.integration.install()
        except Exception as exc:  # an unsupported version: the integration says why
            raise Unavailable(f"install() refused: {type(exc).__name__}: {exc}") from None
        finally:
            self.integration.uninstall()
        self.detail = f"{self.base.name} with wsframe.integrations.{self.library}.install()"

    def version(self) -> str | None:
        return version_of(self.base.dist) if self.base.dist else None

    def supports(self, op: str) -> bool:
        return op in self.ops and self.base.supports(op)

    def __getattr__(self, name: str) -> Any:
        if name in ("ops", "base") or name not in self.ops:
            raise AttributeError(name)
        method = getattr(self.base, name)
        install, uninstall = self.integration.install, self.integration.uninstall

        def wrapped(*args: Any) -> Prepared:
            prepared: Prepared = method(*args)

            def run() -> Any:
                install()
                try:
                    return prepared.run()
                finally:
                    uninstall()

            ns = dict(prepared.ns, _install=install, _uninstall=uninstall)
            body = "\n".join("    " + line for line in prepared.stmt.splitlines())
            stmt = f"_install()\ntry:\n{body}\nfinally:\n    _uninstall()"
            return Prepared(stmt, ns, run, note=f"{prepared.note}; wsframe installed", expected=prepared.expected)

        return wrapped
