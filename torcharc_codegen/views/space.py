"""A parametrized spec's search space, exported for an optimizer, and budgets on its members.

``json``: a plain description (each searched param's type, default and domain, the fixed params,
the cost formulas and the budget). ``optuna``: param name -> the string
``optuna.distributions.distribution_to_json`` gives (``json_to_distribution`` reads it back; Ray
Tune's ``OptunaSearch`` takes the same distributions). ``wandb``: a sweep's ``parameters:``
mapping; W&B's ``q_uniform`` rounds to multiples of ``q``, so a grid that doesn't start at a
multiple of its step (odd kernels: 1, 3, 5, 7) is written as its ``values``.

Budgets (``max_params``, ``max_flops`` for a batch of ``batch`` rows) are checked with the cost
formulas, without building anything: :meth:`Space.fits` for one member (an objective prunes with
it), and, for a space of at most ``MAX_MEMBERS`` members, the export keeps only the values some
member within budget takes.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass

from ..check.costs import Costs, costs
from ..errors import SpecError
from ..params.declarations import Param
from ..params.family import space as plain_space

FORMATS = ("json", "optuna", "wandb")
MAX_MEMBERS = 100_000  # a finite space up to this size is narrowed to what fits a budget


@dataclass
class Space:
    params: dict[str, Param]  # every param of the spec (the searched ones have a domain)
    costs: Costs | None

    @property
    def searched(self) -> dict[str, dict]:
        return plain_space(self.params)

    def count_parameters(self, **values) -> int:
        return self._functions()["count_parameters"](**values)

    def count_flops(self, batch: int, **values) -> int:
        return self._functions()["count_flops"](batch, **values)

    def _functions(self) -> dict:
        if self.costs is None:
            raise ValueError("this spec has no cost formulas (the symbolic probe can't run)")
        if not hasattr(self, "_cached"):
            self._cached = self.costs.functions()
        return self._cached

    def suggest(self, trial) -> dict[str, object]:
        """One value per searched param from an Optuna ``trial`` (its public suggest_* calls)."""
        out = {}
        for name, e in self.searched.items():
            if "choices" in e:
                out[name] = trial.suggest_categorical(name, e["choices"])
            elif e["type"] == "int":
                step = e.get("step", 1)
                out[name] = trial.suggest_int(
                    name, e["low"], e["high"], step=step, log=e.get("log", False)
                )
            else:
                step, log = e.get("step"), e.get("log", False)
                out[name] = trial.suggest_float(name, e["low"], e["high"], step=step, log=log)
        return out

    def fits(
        self,
        values: Mapping[str, object],
        max_params: int | None = None,
        max_flops: int | None = None,
        batch: int = 1,
    ) -> bool:
        """The member with ``values`` (the defaults for the rest) is within the budgets."""
        if max_params is not None and self.count_parameters(**values) > max_params:
            return False
        return max_flops is None or self.count_flops(batch, **values) <= max_flops

    def within(self, max_params=None, max_flops=None, batch=1) -> dict[str, dict]:
        """The searched params' domains, narrowed to the values that some member within the
        budgets takes when the space is finite and small (else as declared). Raises ValueError
        when no member fits."""
        out = self.searched
        if max_params is None and max_flops is None:
            return out
        grids = {n: _finite(p) for n, p in self.params.items() if p.domain is not None}
        if not grids or any(g is None for g in grids.values()):
            return out
        if _product(len(g) for g in grids.values()) > MAX_MEMBERS:
            return out
        kept: dict[str, set] = {n: set() for n in grids}
        for combo in itertools.product(*grids.values()):
            values = dict(zip(grids, combo))
            if self.fits(values, max_params, max_flops, batch):
                for n, v in values.items():
                    kept[n].add(v)
        if not any(kept.values()):
            raise ValueError("no member of the space fits the budget")
        for name, entry in out.items():
            values = [v for v in grids[name] if v in kept[name]]
            out[name] = {"type": entry["type"], "default": entry["default"], "choices": values}
        return out


def _product(sizes) -> int:
    out = 1
    for s in sizes:
        out *= s
    return out


def _finite(p: Param) -> list | None:
    d = p.domain
    if d.choices is not None:
        return list(d.choices)
    if p.type is int:
        return list(range(d.low, d.high + 1, d.step or 1))
    return None


def load(spec, params: Mapping[str, object] | list[str] | None = None, imports=()) -> Space:
    """The space of ``spec`` (a path, YAML text or dict, as api.generate takes). Raises SpecError
    for an invalid spec or one with no params."""
    from ..api import load_model

    source, model = load_model(spec, imports, params=params)
    if model.family is None:
        raise SpecError(
            [source.problem((), "the spec declares no `params:`: it has no search space")],
            source.name,
        )
    found = costs(model.family.data, model.family.values, model.custom)
    return Space(dict(model.family.params), found)


def export(space: Space, fmt: str = "json", max_params=None, max_flops=None, batch=1) -> str:
    """The space as text in ``fmt`` (FORMATS)."""
    domains = space.within(max_params, max_flops, batch)
    if fmt == "optuna":
        from optuna.distributions import distribution_to_json

        return _dump({n: distribution_to_json(optuna(e)) for n, e in domains.items()})
    if fmt == "wandb":
        return _dump({n: wandb(e) for n, e in domains.items()})
    out: dict[str, object] = {
        "params": domains,
        "fixed": {n: p.default for n, p in space.params.items() if p.domain is None},
    }
    if space.costs is not None:
        out["costs"] = {"count_parameters": space.costs.parameters_source()}
        if space.costs.flops is not None:
            out["costs"]["count_flops"] = space.costs.flops_source()
            out["costs"]["batch"] = space.costs.batch
    if max_params is not None or max_flops is not None:
        out["budget"] = {"max_params": max_params, "max_flops": max_flops, "batch": batch}
    return _dump(out)


def _dump(data) -> str:
    return json.dumps(data, indent=2) + "\n"


def optuna(entry: Mapping):
    """An Optuna distribution for one param's domain (a plain description's entry)."""
    from optuna import distributions as D

    if "choices" in entry:
        return D.CategoricalDistribution(entry["choices"])
    if entry["type"] == "int":
        return D.IntDistribution(
            entry["low"], entry["high"], log=entry.get("log", False), step=entry.get("step", 1)
        )
    return D.FloatDistribution(
        entry["low"], entry["high"], log=entry.get("log", False), step=entry.get("step")
    )


def wandb(entry: Mapping) -> dict:
    """A W&B sweep parameter for one param's domain."""
    if "choices" in entry:
        return {"values": list(entry["choices"])}
    low, high, step = entry["low"], entry["high"], entry.get("step")
    integer = entry["type"] == "int"
    if entry.get("log"):
        kind = "q_log_uniform_values" if integer else "log_uniform_values"
        return {"distribution": kind, "min": low, "max": high, **({"q": 1} if integer else {})}
    if step is not None and (low / step) != round(low / step):
        # q_uniform rounds to multiples of q: a grid off those is its list of values
        n = round((high - low) / step)
        values = [low + step * k for k in range(n + 1)]
        return {"values": values if integer else [round(v, 12) for v in values]}
    if step is not None:
        return {"distribution": "q_uniform", "min": low, "max": high, "q": step}
    return {"distribution": "int_uniform" if integer else "uniform", "min": low, "max": high}
