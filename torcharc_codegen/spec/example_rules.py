"""The checks of example inputs (``graph.input: {x: {shape, dtype, low, high}}``), all made
before any tensor is allocated: positive sizes, an element budget, and bounds that are finite,
ordered and fit the dtype (``torch.randint`` / ``torch.rand`` would fail or overflow)."""

from __future__ import annotations

import math
import sys

from ..errors import Problem
from ..messages import quote
from .load import Source

# All example inputs together; the checks run a batch twice this size at most.
ELEMENT_BUDGET = 2**28
# Integer dtypes: (lowest `low`, highest `high`), `high` exclusive; int64's `high` must itself
# fit an int64. tests/test_validate.py checks these against torch.iinfo / torch.finfo.
INTEGER_RANGES = {
    "uint8": (0, 2**8),
    "int8": (-(2**7), 2**7),
    "int16": (-(2**15), 2**15),
    "int32": (-(2**31), 2**31),
    "int64": (-(2**63), 2**63 - 1),
}
FLOAT_MAX = {
    "float16": 65504.0,
    "bfloat16": 3.3895313892515355e38,
    "float32": 3.4028234663852886e38,
    "float64": sys.float_info.max,
}


def example_problems(inp: object, source: Source) -> list[Problem]:
    if not isinstance(inp, dict):
        return []
    problems: list[Problem] = []
    for name, ex in inp.items():
        if isinstance(ex, dict):
            problems += _size_problems(name, ex, source) + _bound_problems(name, ex, source)
    return problems + _budget_problems(inp, source)


def _shape(ex: object) -> list[int] | None:
    shape = ex.get("shape") if isinstance(ex, dict) else None
    if isinstance(shape, list) and all(_is_int(n) for n in shape):
        return shape
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _size_problems(name: str, ex: dict, source: Source) -> list[Problem]:
    shape = _shape(ex) or []
    return [
        source.problem(
            ("graph", "input", name, "shape", i),
            f"example input {quote(name)}: a size of 0 makes an empty tensor; give a positive size",
        )
        for i, n in enumerate(shape)
        if n == 0
    ]


def _budget_problems(inp: dict, source: Source) -> list[Problem]:
    """The first input at which the example inputs exceed ELEMENT_BUDGET elements in all."""
    total = 0
    for name, ex in inp.items():
        shape = _shape(ex)
        if shape is None or any(n <= 0 for n in shape):
            continue
        count = 1
        for n in shape:
            count = min(count * n, ELEMENT_BUDGET + 1)  # never a huge product
        total += count
        if total > ELEMENT_BUDGET:
            what = (
                f"example input {quote(name)} of shape {quote(shape)} has"
                if count > ELEMENT_BUDGET
                else f"with example input {quote(name)}, the example inputs have"
            )
            return [
                source.problem(
                    ("graph", "input", name, "shape"),
                    f"{what} more than {ELEMENT_BUDGET:,} elements (2**28, the budget for all "
                    "example inputs together): give smaller shapes",
                )
            ]
    return []


def _bound_problems(name: str, ex: dict, source: Source) -> list[Problem]:
    path = ("graph", "input", name)
    bounds = {k: ex[k] for k in ("low", "high") if _is_number(ex.get(k))}
    bad = [k for k, v in bounds.items() if not math.isfinite(v)]
    if bad:
        what = "must be a finite number (values are drawn from [low, high))"
        return [
            source.problem(path + (k,), f"{k} of example input {quote(name)} {what}, got {v}")
            for k, v in bounds.items()
            if k in bad
        ]
    dtype = ex.get("dtype", "float32")
    if not isinstance(dtype, str):
        return []  # the schema says what it must be
    if dtype in INTEGER_RANGES:
        return _integer_bounds(name, dtype, ex, bounds, source)
    if dtype in FLOAT_MAX:
        return _float_bounds(name, dtype, bounds, source)
    return []


def _integer_bounds(name: str, dtype: str, ex: dict, bounds: dict, source: Source):
    path = ("graph", "input", name)
    if "high" not in ex:
        what = (
            f"example input {quote(name)} has dtype {dtype}: give `high` "
            "(integers are drawn from [low, high))"
        )
        return [source.problem(path, what)]
    if "high" not in bounds:
        return []  # not a number: the schema says so
    low, high = int(bounds.get("low", 0)), int(bounds["high"])
    least, most = INTEGER_RANGES[dtype]
    for key, value in (("low", low), ("high", high)):
        if not least <= value <= most:
            what = (
                f"{key} {quote(bounds.get(key, value))} of example input {quote(name)} does not "
                f"fit {dtype}: {dtype} integers are drawn from [low, high) with "
                f"{least} <= low < high <= {most}"
            )
            return [source.problem(path + (key,), what)]
    return _ordered(name, low, high, source)


def _float_bounds(name: str, dtype: str, bounds: dict, source: Source) -> list[Problem]:
    path = ("graph", "input", name)
    for key, value in bounds.items():
        if abs(value) > FLOAT_MAX[dtype]:
            what = (
                f"{key} {quote(value)} of example input {quote(name)} does not fit {dtype} "
                f"(its largest value is {FLOAT_MAX[dtype]:g}): give a smaller bound"
            )
            return [source.problem(path + (key,), what)]
    if len(bounds) == 2:
        return _ordered(name, bounds["low"], bounds["high"], source)
    return []


def _ordered(name: str, low: float, high: float, source: Source) -> list[Problem]:
    if low < high:
        return []
    what = (
        f"example input {quote(name)}: low ({quote(low)}) must be less than high "
        f"({quote(high)}): values are drawn from [low, high)"
    )
    return [source.problem(("graph", "input", name, "high"), what)]
