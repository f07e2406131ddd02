"""The options of one compilation, in one typed object that the command line and the API
build and every stage reads (emit its black mode, shapes and verify the budget, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

TYPE_CHECKING = False  # not typing's: the fast path imports this module
if TYPE_CHECKING:  # the types only: this module imports nothing heavy
    import black


@dataclass(frozen=True)
class Options:
    imports: tuple[str, ...] = ()  # packages whose classes specs may name by import path
    verify: bool = True  # run the checks (import, script, trace, compile, export)
    numeric_budget: int | None = None  # bytes of weights checked with real values; None: default
    mode: black.Mode | None = None  # black's settings; None: black's defaults
    # new defaults for a parametrized spec's params, by name or as ["hidden=512", ...]
    params: Mapping[str, object] | Sequence[str] | None = None
    require: tuple[str, ...] = ()  # checks that must pass even where torch can't do them
    # progress: called with each check (a check.verify.Check) as it ends
    on_check: Callable[[object], None] | None = field(default=None, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "imports", tuple(self.imports))
        object.__setattr__(self, "require", tuple(self.require))

    def but(self, **changes) -> Options:
        """These options with ``changes``."""
        return replace(self, **changes)
