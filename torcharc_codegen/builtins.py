"""TorchArc's 15 built-in helper modules, as data: their constructor signatures, the names of
their forward parameters, and the torch expression each one stands for.

TorchArc registers these into ``torch.nn``; we never import TorchArc, so this table is the one
place that knows what they mean. The schema generator reads the signatures and docs, the
validator the forward parameters, and the emitter the expressions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .literals import literal

P = inspect.Parameter


def _kw(name: str, annotation: object, default: object = P.empty) -> inspect.Parameter:
    return P(name, P.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)


# An expression builder gets the constructor kwargs (defaults filled in, values as in the spec)
# and the forward arguments (parameter name -> Python expression text), and returns the torch
# expression as Python source; spec values go through `literal`.
Expr = Callable[[dict[str, object], dict[str, str]], str]


@dataclass(frozen=True)
class Helper:
    name: str
    params: tuple[inspect.Parameter, ...]
    inputs: tuple[str, ...]
    doc: str
    # Stateful helpers (a buffer or submodules) are emitted as a small class in the generated
    # file, so their state_dict names match TorchArc's; the others become inline torch code.
    stateful: bool = False
    expr: Expr | None = None
    # The Python type of each forward argument, for TorchScript annotations.
    input_types: tuple[str, ...] = ()

    @property
    def signature(self) -> inspect.Signature:
        return inspect.Signature(list(self.params))


def _merge_dim(fn: str, reduce: str | None = None) -> Expr:
    def expr(kw: dict[str, object], a: dict[str, str]) -> str:
        dim = literal(kw["dim"])
        inner = f"torch.{fn}({a['args']}, dim={dim})"
        return f"torch.{reduce}({inner}, dim={dim})" if reduce else inner

    return expr


def _call(fn: str, *order: str) -> Expr:
    """``torch.<fn>(x, k=v, ...)`` with the keyword arguments in ``order`` (defaults filled)."""

    def expr(kw: dict[str, object], a: dict[str, str]) -> str:
        (x,) = a.values()
        rest = "".join(f", {k}={literal(kw[k])}" for k in order)
        return f"torch.{fn}({x}{rest})"

    return expr


def _torch_fn(kw: dict[str, object], a: dict[str, str]) -> str:
    # `name` was checked by the validator to be a torch function (an identifier).
    rest = "".join(f", {k}={literal(v)}" for k, v in kw["kwargs"].items())
    return f"torch.{kw['name']}({a['input']}{rest})"


def _reduce(kw: dict[str, object], a: dict[str, str]) -> str:
    dim, keepdim = literal(kw["dim"]), literal(kw["keepdim"])
    return f"torch.{kw['name']}({a['input']}, dim={dim}, keepdim={keepdim})"


_MERGE_DOC = "Merge a list of tensors with torch.{fn} along `dim`{extra}."
_T = "torch.Tensor"
_TL = "list[torch.Tensor]"

HELPERS: dict[str, Helper] = {
    h.name: h
    for h in [
        Helper(
            "Get",
            (_kw("key", int | str, 0),),
            ("input",),
            "Get one item of a tuple, list or dict: `input[key]`.",
            expr=lambda kw, a: f"{a['input']}[{literal(kw['key'])}]",
            input_types=("Any",),
        ),
        Helper(
            "Narrow",
            (_kw("dim", int), _kw("start", int), _kw("length", int)),
            ("x",),
            "Slice a tensor with torch.narrow: `dim` from `start` to `start + length`.",
            expr=_call("narrow", "dim", "start", "length"),
            input_types=(_T,),
        ),
        Helper(
            "IndexSelect",
            (_kw("dim", int), _kw("index", list[int])),
            ("x",),
            "Select entries along `dim` with torch.index_select; `index` is kept as a buffer.",
            stateful=True,
            input_types=(_T,),
        ),
        Helper(
            "ForkChunk",
            (_kw("chunks", int, 2), _kw("dim", int, 1)),
            ("x",),
            "Split a tensor into `chunks` pieces along `dim` with torch.chunk (a tuple).",
            expr=_call("chunk", "chunks", "dim"),
            input_types=(_T,),
        ),
        Helper(
            "ForkSplit",
            (_kw("split_size_or_sections", int | list[int]), _kw("dim", int, 1)),
            ("x",),
            "Split a tensor along `dim` with torch.split (a tuple).",
            expr=lambda kw, a: (
                f"torch.split({a['x']}, {literal(kw['split_size_or_sections'])},"
                f" dim={literal(kw['dim'])})"
            ),
            input_types=(_T,),
        ),
        Helper(
            "MergeConcat",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="cat", extra=""),
            expr=_merge_dim("cat"),
            input_types=(_TL,),
        ),
        Helper(
            "MergeStack",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=" (a new dimension)"),
            expr=_merge_dim("stack"),
            input_types=(_TL,),
        ),
        Helper(
            "MergeSum",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then sum over it"),
            expr=_merge_dim("stack", "sum"),
            input_types=(_TL,),
        ),
        Helper(
            "MergeProd",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then take the product over it"),
            expr=_merge_dim("stack", "prod"),
            input_types=(_TL,),
        ),
        Helper(
            "MergeMean",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then average over it"),
            expr=_merge_dim("stack", "mean"),
            input_types=(_TL,),
        ),
        Helper(
            "MergeDot",
            (),
            ("x", "y"),
            "Dot product of two tensors over the last dimension (torch.linalg.vecdot).",
            expr=lambda kw, a: f"torch.linalg.vecdot({a['x']}, {a['y']})",
            input_types=(_T, _T),
        ),
        Helper(
            "MergeBMM",
            (),
            ("input", "mat2"),
            "Batch matrix-matrix product of two tensors (torch.bmm).",
            expr=lambda kw, a: f"torch.bmm({a['input']}, {a['mat2']})",
            input_types=(_T, _T),
        ),
        Helper(
            "MergeFiLM",
            (_kw("feature_dim", int), _kw("conditioner_dim", int)),
            ("feature", "conditioner"),
            "Feature-wise linear modulation: `gamma(conditioner) * feature + beta(conditioner)`,"
            " with gamma and beta Linear(conditioner_dim, feature_dim).",
            stateful=True,
            input_types=(_T, _T),
        ),
        Helper(
            "Reduce",
            (
                _kw("name", str),
                _kw("dim", int | list[int] | None),
                _kw("keepdim", bool, False),
            ),
            ("input",),
            "A torch reduction over `dim`: `torch.<name>(input, dim=dim, keepdim=keepdim)`"
            " (sum, mean, amax, ...).",
            expr=_reduce,
            input_types=(_T,),
        ),
        Helper(
            "TorchFn",
            (_kw("name", str), P("kwargs", P.VAR_KEYWORD)),
            ("input",),
            "Any torch function: `torch.<name>(input, **kwargs)`.",
            expr=_torch_fn,
            input_types=(_T,),
        ),
    ]
}
