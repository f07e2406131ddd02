"""TorchArc's 15 built-in helper modules and this project's extensions, as data: each
helper's one definition holds its constructor signature, its forward parameters and their
types, the torch code it stands for, its return type, and how it is written (inline torch code
in forward, or a small class from its template in templates/helpers/).

TorchArc registers these into ``torch.nn``; we never import TorchArc, so this table is the one
place that knows what they mean. The schema generator reads the signatures and docs, the
validator the forward parameters, the symbolic probe runs each ``torch_fn``, and the emitter
reads everything else.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .literals import literal
from .return_types import TENSOR, element_type, function_returns, tensor_returns, tensor_tuple
from .subscripts import key_text, parse_key

P = inspect.Parameter


def _kw(name: str, annotation: object, default: object = P.empty) -> inspect.Parameter:
    return P(name, P.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)


# An expression builder gets the constructor kwargs (defaults filled in, values as in the spec)
# and the forward arguments (parameter name -> Python expression text), and returns the torch
# expression as Python source; spec values go through `literal`.
Expr = Callable[[dict[str, object], dict[str, str]], str]


STATELESS_TEMPLATE = "helpers/stateless.py.j2"


@dataclass(frozen=True)
class Helper:
    name: str
    params: tuple[inspect.Parameter, ...]
    inputs: tuple[str, ...]
    doc: str
    # Stateful helpers (a buffer, submodules, or a training mode of their own) are emitted as
    # a small class in the generated file, so their state_dict names match TorchArc's; the
    # others become inline torch code.
    stateful: bool = False
    expr: Expr | None = None
    # The Python type of each forward argument, for TorchScript annotations.
    input_types: tuple[str, ...] = ()
    # The Python type forward returns (None: no annotation, TorchScript infers it).
    returns: str | None = TENSOR
    # When it depends on the arguments: (constructor kwargs, the input's type) -> the type.
    returns_for: Callable[[dict, str | None], str | None] | None = None
    # The Python operator that gives the same bits as its stack-and-reduce on a few tensors
    # of one float dtype and one shape (see OPERATOR_LIMITS), written ``a + b``.
    operator: str | None = None
    # What it computes, as torch: constructor kwargs (Helper.bind's) -> the forward callable.
    torch_fn: Callable[..., Callable] | None = None
    # Its forward also takes tensors by keyword (``**tensors``), passed on to the function by
    # name: TorchFn's ``weight`` and ``bias`` in ``torch.layer_norm`` (this project's extension).
    tensor_keywords: bool = False

    @property
    def signature(self) -> inspect.Signature:
        return inspect.Signature(list(self.params))

    @property
    def inline(self) -> bool:
        """Written as torch code in forward when called as a node (a class otherwise)."""
        return not self.stateful

    @property
    def template(self) -> str:
        """The Jinja template of its class in the generated file."""
        return f"helpers/{self.name}.py.j2" if self.stateful else STATELESS_TEMPLATE

    def bind(self, kwargs: dict) -> dict:
        """The constructor arguments with defaults filled in (``**kwargs`` as a dict)."""
        bound = self.signature.bind(**kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def code(self, kwargs: dict, args: dict[str, str]) -> str:
        """The torch expression for constructor ``kwargs`` (as in the spec) applied to ``args``
        (forward parameter name -> Python expression text)."""
        return self.expr(Bound(self.bind(kwargs), written=frozenset(kwargs)), args)

    def return_type(self, kwargs: dict, input_type: str | None = None) -> str | None:
        """The type forward returns for constructor ``kwargs`` (as in the spec) on an input
        of ``input_type`` (its first forward argument's; None: unknown)."""
        if self.returns_for is None:
            return self.returns
        return self.returns_for(self.bind(kwargs), input_type)

    def forward_params(self, input_type: str | None = None) -> list[str]:
        """Its forward's parameters, annotated for TorchScript where the type is known; an
        "Any" parameter (Get's) takes ``input_type``, the type it is given."""
        types = [input_type if t == "Any" else t for t in self.input_types]
        return [
            p if t in (None, "Any") else f"{p}: {t}"
            for p, t in zip(self.inputs, types, strict=True)
        ]


class Bound(dict):
    """A helper's constructor arguments, defaults filled in, knowing which the spec wrote."""

    def __init__(self, values: dict, written: frozenset = frozenset()):
        super().__init__(values)
        self.written = written

    def implied(self, fn: str, key: str) -> bool:
        """Whether the call ``torch.<fn>(..., key=...)`` can leave ``key`` out: the spec did
        not write it and its value is torch's own default there (TorchArc's defaults are not
        torch's: MergeConcat's dim 1 is not torch.cat's 0, so that one is written)."""
        if key in self.written:
            return False
        default = torch_default(fn, key)
        return (
            default is not _NO_DEFAULT and type(default) is type(self[key]) and default == self[key]
        )


_NO_DEFAULT = object()


@functools.cache
def torch_default(fn: str, key: str) -> object:
    """The default of argument ``key`` of ``torch.<fn>``, from its TorchScript schemas, when
    every schema that takes ``key`` agrees on one; else a sentinel (no default to rely on)."""
    import torch

    defaults = set()
    for schema in torch._C._jit_get_schemas_for_operator(f"aten::{fn}"):
        for a in schema.arguments:
            if a.name == key:
                value = a.default_value if a.has_default_value() else _NO_DEFAULT
                defaults.add((type(value), value) if not isinstance(value, list) else None)
    if len(defaults) != 1 or None in defaults:
        return _NO_DEFAULT
    return defaults.pop()[1]


def _reduce_returns(kw: dict, input_type: str | None) -> str | None:
    if kw["dim"] is None:
        return TENSOR
    count = tensor_returns(kw["name"])
    if count <= 1:
        return TENSOR if count == 1 else None
    return tensor_tuple(count)


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
        rest = "".join(f", {k}={literal(kw[k])}" for k in order if not kw.implied(fn, k))
        return f"torch.{fn}({x}{rest})"

    return expr


def _torch_fn(kw: dict[str, object], a: dict[str, str]) -> str:
    # `name` was checked by the validator: a torch function, or nn.functional.<fn>.
    tensors = "".join(f", {k}={v}" for k, v in a.items() if k != "input")
    rest = "".join(f", {k}={_argument(k, v)}" for k, v in kw["kwargs"].items())
    return f"torch.{kw['name']}({a['input']}{tensors}{rest})"


def _argument(key: str, value: object) -> str:
    """A TorchFn or Method argument as Python: ``dtype: float64`` is ``torch.float64``."""
    if key == "dtype" and isinstance(value, str):  # the validator checked it names a dtype
        return f"torch.{value}"
    return literal(value)


def _arguments(kwargs: dict) -> dict:
    """TorchFn's or Method's arguments as the torch call takes them (a dtype's name: the
    dtype)."""
    import torch

    dtype = kwargs.get("dtype")
    return {**kwargs, "dtype": getattr(torch, dtype)} if isinstance(dtype, str) else kwargs


def _reduce(kw: Bound, a: dict[str, str]) -> str:
    keepdim = "" if kw.implied(kw["name"], "keepdim") else f", keepdim={literal(kw['keepdim'])}"
    return f"torch.{kw['name']}({a['input']}, dim={literal(kw['dim'])}{keepdim})"


# The most tensors ``a + b + ...`` (``a * b * ...``) takes and still gives the same bits as
# ``torch.sum(torch.stack(...), dim)`` (``prod``), by dtype: the reduction accumulates fp16 and
# bf16 in float32 and rounds once, so past two inputs it differs from rounding after each
# operation; float32 and float64 agree up to four on CPU (tests/test_emit.py measures these).
# Integer and bool sums promote to int64, so they keep the stack. One difference is accepted:
# ``-0.0 + -0.0`` is -0.0 where the reduction, starting from +0.0, gives +0.0 (equal values:
# torch.equal and every comparison treat them alike).
OPERATOR_LIMITS = {"float32": 4, "float64": 4, "float16": 2, "bfloat16": 2}


# What each helper computes, as torch calls the way the generated code makes them: each takes
# the constructor arguments (defaults filled in by Helper.bind) and returns the forward. The
# symbolic probe runs these.


def _get_fn(key):
    return lambda input: input[key]


def _narrow_fn(dim, start, length):
    import torch

    return lambda x: torch.narrow(x, dim=dim, start=start, length=length)


def _index_select_fn(dim, index):  # as templates/helpers/IndexSelect.py.j2
    import torch

    buffer = torch.tensor(index, dtype=torch.long)
    return lambda x: torch.index_select(x, dim=dim, index=buffer)


def _chunk_fn(chunks, dim):
    import torch

    return lambda x: torch.chunk(x, chunks=chunks, dim=dim)


def _split_fn(split_size_or_sections, dim):
    import torch

    return lambda x: torch.split(x, split_size_or_sections, dim=dim)


def _merge_fn(fn: str, reduce: str | None = None) -> Callable[..., Callable]:
    def build(dim):
        import torch

        merge = getattr(torch, fn)
        if reduce is None:
            return lambda args: merge(args, dim=dim)
        return lambda args: getattr(torch, reduce)(merge(args, dim=dim), dim=dim)

    return build


def _vecdot_fn():
    import torch

    return lambda x, y: torch.linalg.vecdot(x, y)


def _bmm_fn():
    import torch

    return lambda input, mat2: torch.bmm(input, mat2)


def _mul_fn():
    return lambda input, other: input * other


def _add_fn():
    return lambda input, other: input + other


def _index_fn(key):
    items = parse_key(key)
    return lambda input: input[items]


def _einsum_fn(equation):
    import torch

    return lambda args: torch.einsum(equation, args)


def _expand_batch_fn(sizes):
    return lambda input, like: input.expand(like.shape[0], *sizes)


def _expand_batch(kw: Bound, a: dict[str, str]) -> str:
    sizes = "".join(f", {literal(v)}" for v in kw["sizes"])
    return f"{a['input']}.expand({a['like']}.shape[0]{sizes})"


def _stochastic_depth_fn(p, mode):  # as templates/helpers/StochasticDepth.py.j2 in training
    import torch

    def forward(input):
        if p == 0.0:
            return input
        size = [input.shape[0]] + [1] * (input.dim() - 1) if mode == "row" else [1] * input.dim()
        noise = torch.empty(size, dtype=input.dtype, device=input.device).bernoulli_(1.0 - p)
        return input * (noise.div_(1.0 - p) if p < 1.0 else noise)

    return forward


def _film_fn(feature_dim, conditioner_dim):  # as templates/helpers/MergeFiLM.py.j2
    from torch import nn

    linear_gamma = nn.Linear(conditioner_dim, feature_dim)
    linear_beta = nn.Linear(conditioner_dim, feature_dim)

    def forward(feature, conditioner):
        gamma = linear_gamma(conditioner)
        beta = linear_beta(conditioner)
        if gamma.dim() != feature.dim():
            shape = list(gamma.shape) + [1] * (feature.dim() - gamma.dim())
            gamma = gamma.reshape(shape)
            beta = beta.reshape(shape)
        return gamma * feature + beta

    forward.modules = [linear_gamma, linear_beta]  # the probe counts their parameters
    return forward


def _reduce_fn(name, dim, keepdim):
    import torch

    return lambda input: getattr(torch, name)(input, dim=dim, keepdim=keepdim)


# The tensor methods Method calls: those with no torch function of their name (which TorchFn
# calls), a tensor's casts among them, and `where` (`x.where(condition, other)`: torch.where
# takes the condition first, so TorchFn can't say it).
TENSOR_METHODS = frozenset(
    {"expand_as", "repeat", "reshape_as", "view_as", "type_as", "unfold", "sum_to_size"}
    | {"contiguous"}
    | {"float", "double", "half", "bfloat16", "long", "int", "short", "bool", "to", "where"}
)


def _method(kw: dict[str, object], a: dict[str, str]) -> str:
    # `name` was checked by the validator to be one of TENSOR_METHODS.
    args = [f"{k}={v}" for k, v in a.items() if k != "input"]
    args += [f"{k}={_argument(k, v)}" for k, v in kw["kwargs"].items()]
    return f"{a['input']}.{kw['name']}({', '.join(args)})"


def _method_fn(name, kwargs):
    kwargs = _arguments(kwargs)
    return lambda input, **tensors: getattr(input, name)(**tensors, **kwargs)


def _torch_fn_fn(name, kwargs):
    import torch

    fn = functools.reduce(getattr, name.split("."), torch)  # nn.functional.pad: F.pad
    kwargs = _arguments(kwargs)
    return lambda input, **tensors: fn(input, **tensors, **kwargs)


_MERGE_DOC = "Merge a list of tensors with torch.{fn} along `dim`{extra}."
_T = TENSOR
_TL = "list[torch.Tensor]"

# The helpers that are this project's, not TorchArc's: a spec using one is an extension.
EXTENSION_HELPERS = frozenset(
    {"Mul", "Add", "ExpandBatch", "StochasticDepth", "Einsum", "Index", "Method"}
)

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
            returns=None,
            returns_for=lambda kw, input_type: element_type(input_type, kw["key"]),
            torch_fn=_get_fn,
        ),
        Helper(
            "Narrow",
            (_kw("dim", int), _kw("start", int), _kw("length", int)),
            ("x",),
            "Slice a tensor with torch.narrow: `dim` from `start` to `start + length`.",
            expr=_call("narrow", "dim", "start", "length"),
            input_types=(_T,),
            torch_fn=_narrow_fn,
        ),
        Helper(
            "IndexSelect",
            (_kw("dim", int), _kw("index", list[int])),
            ("x",),
            "Select entries along `dim` with torch.index_select; `index` is kept as a buffer.",
            stateful=True,
            input_types=(_T,),
            torch_fn=_index_select_fn,
        ),
        Helper(
            "ForkChunk",
            (_kw("chunks", int, 2), _kw("dim", int, 1)),
            ("x",),
            "Split a tensor into `chunks` pieces along `dim` with torch.chunk (a tuple).",
            expr=_call("chunk", "chunks", "dim"),
            input_types=(_T,),
            returns=_TL,
            torch_fn=_chunk_fn,
        ),
        Helper(
            "ForkSplit",
            (_kw("split_size_or_sections", int | list[int]), _kw("dim", int, 1)),
            ("x",),
            "Split a tensor along `dim` with torch.split (a tuple).",
            expr=lambda kw, a: (
                f"torch.split({a['x']}, {literal(kw['split_size_or_sections'])}"
                + ("" if kw.implied("split", "dim") else f", dim={literal(kw['dim'])}")
                + ")"
            ),
            input_types=(_T,),
            returns=_TL,
            torch_fn=_split_fn,
        ),
        Helper(
            "MergeConcat",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="cat", extra=""),
            expr=_merge_dim("cat"),
            input_types=(_TL,),
            torch_fn=_merge_fn("cat"),
        ),
        Helper(
            "MergeStack",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=" (a new dimension)"),
            expr=_merge_dim("stack"),
            input_types=(_TL,),
            torch_fn=_merge_fn("stack"),
        ),
        Helper(
            "MergeSum",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then sum over it"),
            expr=_merge_dim("stack", "sum"),
            input_types=(_TL,),
            operator="+",
            torch_fn=_merge_fn("stack", "sum"),
        ),
        Helper(
            "MergeProd",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then take the product over it"),
            expr=_merge_dim("stack", "prod"),
            input_types=(_TL,),
            operator="*",
            torch_fn=_merge_fn("stack", "prod"),
        ),
        Helper(
            "MergeMean",
            (_kw("dim", int, 1),),
            ("args",),
            _MERGE_DOC.format(fn="stack", extra=", then average over it"),
            expr=_merge_dim("stack", "mean"),
            input_types=(_TL,),
            torch_fn=_merge_fn("stack", "mean"),
        ),
        Helper(
            "MergeDot",
            (),
            ("x", "y"),
            "Dot product of two tensors over the last dimension (torch.linalg.vecdot).",
            expr=lambda kw, a: f"torch.linalg.vecdot({a['x']}, {a['y']})",
            input_types=(_T, _T),
            torch_fn=_vecdot_fn,
        ),
        Helper(
            "MergeBMM",
            (),
            ("input", "mat2"),
            "Batch matrix-matrix product of two tensors (torch.bmm).",
            expr=lambda kw, a: f"torch.bmm({a['input']}, {a['mat2']})",
            input_types=(_T, _T),
            torch_fn=_bmm_fn,
        ),
        # This project's extension (TorchArc has no broadcasting binary op): squeeze and
        # excitation's `x * scale`, a bias added across a dimension.
        Helper(
            "Mul",
            (),
            ("input", "other"),
            "Elementwise product of two tensors, broadcast (`input * other`): a torcharc-gen"
            " extension.",
            expr=lambda kw, a: f"{a['input']} * {a['other']}",
            input_types=(_T, _T),
            torch_fn=_mul_fn,
        ),
        Helper(
            "Add",
            (),
            ("input", "other"),
            "Elementwise sum of two tensors, broadcast (`input + other`): a torcharc-gen"
            " extension.",
            expr=lambda kw, a: f"{a['input']} + {a['other']}",
            input_types=(_T, _T),
            torch_fn=_add_fn,
        ),
        # This project's extension: a subscript as forward writes it (`x[..., 0::2, 1:]`), its
        # sizes left to the input where the subscript leaves them open.
        Helper(
            "Index",
            (_kw("key", str),),
            ("input",),
            "A tensor subscript of integers, slices, None and `...`: `input[key]` (`key:"
            ' "..., 0::2"` is `input[..., 0::2]`; a torcharc-gen extension).',
            expr=lambda kw, a: f"{a['input']}[{key_text(parse_key(kw['key']))}]",
            input_types=(_T,),
            torch_fn=_index_fn,
        ),
        # This project's extension: a tensor method torch has no function for (`x.float()`,
        # `x.type_as(y)`, `x.repeat(...)`).
        Helper(
            "Method",
            (_kw("name", str), P("kwargs", P.VAR_KEYWORD)),
            ("input",),
            "A tensor method torch has no function of: `input.<name>(**kwargs)`, `name` one of "
            + ", ".join(sorted(TENSOR_METHODS))
            + "; a node may pass it tensors by keyword (`{input: x, other: y}` on `type_as`:"
            " `x.type_as(other=y)`), and `dtype: float64` is `dtype=torch.float64`: a"
            " torcharc-gen extension.",
            expr=_method,
            tensor_keywords=True,
            input_types=(_T,),
            torch_fn=_method_fn,
        ),
        # This project's extension: attention's scores and its relative position bias
        # (MaxViT's `torch.einsum("bhid,bhjd->bhij", q, k)`), which TorchFn's one input can't say.
        Helper(
            "Einsum",
            (_kw("equation", str),),
            ("args",),
            "Einstein summation of a list of tensors: `torch.einsum(equation, args)` (a"
            " torcharc-gen extension).",
            expr=lambda kw, a: f"torch.einsum({literal(kw['equation'])}, {a['args']})",
            input_types=(_TL,),
            torch_fn=_einsum_fn,
        ),
        # This project's extension: a learned tensor of batch 1 (ViT's class token) broadcast to
        # the batch of the tensor it joins, so the batch stays what the input gives.
        Helper(
            "ExpandBatch",
            (_kw("sizes", list[int]),),
            ("input", "like"),
            "`input` broadcast to the batch of `like` (its first dimension) and `sizes` for"
            " the rest, -1 keeping a dimension (`input.expand(like.shape[0], *sizes)`): a"
            " torcharc-gen extension.",
            expr=_expand_batch,
            input_types=(_T, _T),
            torch_fn=_expand_batch_fn,
        ),
        # This project's extension: torchvision.ops.StochasticDepth's drop path (EfficientNet,
        # ConvNeXt), its own code in the generated file, so the file needs torch alone.
        Helper(
            "StochasticDepth",
            (_kw("p", float), _kw("mode", Literal["row", "batch"], "row")),
            ("input",),
            "Stochastic depth: in training, each sample (`mode: row`) or the whole batch"
            " (`batch`) is zeroed with probability `p` and the rest scaled by 1 / (1 - p); the"
            " identity in eval mode. A torcharc-gen extension.",
            stateful=True,
            input_types=(_T,),
            torch_fn=_stochastic_depth_fn,
        ),
        Helper(
            "MergeFiLM",
            (_kw("feature_dim", int), _kw("conditioner_dim", int)),
            ("feature", "conditioner"),
            "Feature-wise linear modulation: `gamma(conditioner) * feature + beta(conditioner)`,"
            " with gamma and beta Linear(conditioner_dim, feature_dim).",
            stateful=True,
            input_types=(_T, _T),
            torch_fn=_film_fn,
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
            returns_for=_reduce_returns,
            torch_fn=_reduce_fn,
        ),
        Helper(
            "TorchFn",
            (_kw("name", str), P("kwargs", P.VAR_KEYWORD)),
            ("input",),
            "Any torch function: `torch.<name>(input, **kwargs)`, `name` a function of torch"
            " (`topk`) or of torch.nn.functional (`nn.functional.pad`: a torcharc-gen"
            " extension); a node may pass it more tensors by keyword (`{input: x, weight: w}`:"
            " a torcharc-gen extension).",
            expr=_torch_fn,
            tensor_keywords=True,
            input_types=(_T,),
            returns=None,
            torch_fn=_torch_fn_fn,
            returns_for=lambda kw, input_type: function_returns(kw["name"]),
        ),
    ]
}
