"""Search domains: where a parameter may range (a range, a grid, a log scale, or choices),
read from its ``params:`` entry, tested, described and sampled."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .expressions import TYPES, a_type


@dataclass(frozen=True)
class Domain:
    """Where a parameter may range in a search: a range ``[low, high]`` (with ``step`` a grid
    from ``low``; ``log``: sampled on a log scale) or a list of ``choices``."""

    low: int | float | None = None
    high: int | float | None = None
    step: int | float | None = None
    log: bool = False
    choices: tuple | None = None

    def __contains__(self, value: object) -> bool:
        if self.choices is not None:
            return value in self.choices and type(value) in {type(c) for c in self.choices}
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not self.low <= value <= self.high:
            return False
        return self.step is None or _on_grid(value - self.low, self.step)

    def points(self) -> list:
        """Values to try the model at: every choice; else the range's corners and a few
        interior points (on the grid, the default's type)."""
        if self.choices is not None:
            return list(self.choices)
        low, high = self.low, self.high
        if isinstance(low, int) and isinstance(high, int):
            step = self.step or 1
            n = (high - low) // step
            out = [low + step * (n * k // 4) for k in range(5)]
        else:
            out = [low + (high - low) * k / 4 for k in range(5)]
            if self.step is not None:
                out = [low + self.step * round((v - low) / self.step) for v in out]
        return list(dict.fromkeys(out))


def describe(domain: Domain) -> str:
    """``64..1024, log scale``, ``1..7, step 2``, ``one of 32, 64, 128``: for docstrings, help
    and messages."""
    if domain.choices is not None:
        return "one of " + ", ".join(map(repr, domain.choices))
    text = f"{domain.low!r}..{domain.high!r}"
    if domain.step is not None:
        text += f", step {domain.step!r}"
    return text + (", log scale" if domain.log else "")


def _on_grid(distance: float, step: float) -> bool:
    """``distance`` is a whole number of ``step``s (to float rounding, for float grids)."""
    if isinstance(distance, int) and isinstance(step, int):
        return distance % step == 0
    n = round(distance / step)
    return math.isclose(n * step, distance, rel_tol=1e-9, abs_tol=1e-12)


_DOMAIN_KEYS = ("default", "low", "high", "step", "log", "choices")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class DomainError(ValueError):
    """A domain that is wrong; ``key``: the domain's key at fault, when one is."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.message = message
        self.key = key


def parse_domain(raw: Mapping) -> tuple[object, Domain]:
    """(default, Domain) of ``{default: 256, low: 64, high: 1024, log: true}`` or
    ``{default: 64, choices: [32, 64, 128]}``; DomainError when it is wrong."""
    for key in raw:
        if key not in _DOMAIN_KEYS:
            close = difflib.get_close_matches(str(key), _DOMAIN_KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            keys = ", ".join(_DOMAIN_KEYS)
            raise DomainError(f"unknown key `{key}`{hint}: a domain takes {keys}", key)
    if "default" not in raw:
        raise DomainError(
            "a domain needs its `default`, e.g. `{default: 256, low: 64, high: 1024}`"
        )
    default = raw["default"]
    kind = type(default)
    if kind not in TYPES:
        raise DomainError("the default must be an int, float, bool or string", "default")
    if "choices" in raw:
        return default, _choices(raw, default)
    if kind not in (int, float):
        raise DomainError(
            f"{a_type(kind)} parameter ranges over `choices`, e.g. `choices: [true, false]`"
        )
    return default, _range(raw, default)


def _choices(raw: Mapping, default: object) -> Domain:
    kind = type(default)
    extra = [k for k in ("low", "high", "step", "log") if k in raw]
    if extra:
        raise DomainError(f"`choices` and `{extra[0]}` can't be combined: give one or the other")
    choices = raw["choices"]
    if not isinstance(choices, list) or not choices:
        raise DomainError("`choices` must be a non-empty list of values", "choices")
    out = []
    for c in choices:
        if kind is float and type(c) is int:
            c = float(c)
        if type(c) is not kind:
            raise DomainError(
                f"every choice must be {a_type(kind)} like the default (got {c!r})", "choices"
            )
        out.append(c)
    if len(set(out)) != len(out):
        raise DomainError("`choices` lists a value twice", "choices")
    if default not in out:
        raise DomainError(f"the default {default!r} is not one of the choices {out!r}", "default")
    return Domain(choices=tuple(out))


def _range(raw: Mapping, default: int | float) -> Domain:
    kind = type(default)
    for key in ("low", "high"):
        if key not in raw:
            raise DomainError("a range needs `low` and `high` (or give `choices`)")
        if not _is_number(raw[key]) or (kind is int and type(raw[key]) is not int):
            raise DomainError(f"`{key}` must be {a_type(kind)} like the default", key)
    low, high = raw["low"], raw["high"]
    if kind is float:
        low, high = float(low), float(high)
    if not low < high:
        raise DomainError(f"`low` ({low!r}) must be below `high` ({high!r})", "low")
    log = raw.get("log", False)
    if type(log) is not bool:
        raise DomainError("`log` is true or false", "log")
    step = raw.get("step")
    if step is not None:
        if not _is_number(step) or (kind is int and type(step) is not int) or step <= 0:
            raise DomainError(
                f"`step` must be a positive {'int' if kind is int else 'number'}", "step"
            )
        if not _on_grid(high - low, step):
            raise DomainError(
                f"`step` {step!r} doesn't divide the range {low!r}..{high!r}: choose a `high`"
                f" that is `low` plus a whole number of steps",
                "step",
            )
    if log:
        if low <= 0:
            raise DomainError("`log: true` needs `low` > 0", "low")
        if step is not None and (kind is float or step != 1):
            raise DomainError(
                "`log: true` samples every value of the range: no `step`"
                + (" other than 1" if kind is int else ""),
                "step",
            )
    domain = Domain(low, high, step, log)
    if default not in domain:
        where = f"on the grid {low!r}, {low + step!r}, ... up to" if step else "within"
        raise DomainError(f"the default {default!r} is not {where} {low!r}..{high!r}", "default")
    return domain
