"""What a module's ``forward`` takes, so a node's arguments are checked before anything runs.

A torch.nn class's ``forward`` is in :data:`TORCH_FORWARD` (data, so validation imports no
torch), a user's class's is read with :mod:`inspect`, a built-in helper's comes from its entry
in :data:`builtins.HELPERS`; a Sequential (or compact) module takes one input.
"""

from __future__ import annotations

import ast
import functools
import inspect

from ..messages import close_matches, or_words, quote, suggest
from .classes import ClassRef
from .helpers import HELPERS

P = inspect.Parameter

# The forward parameters of every torch.nn class whose forward is not `(input)`, kept as data
# so validation needs no torch import; tests/test_validate.py checks it against torch.
TORCH_FORWARD = {
    "AdaptiveLogSoftmaxWithLoss": "(input_, target_)",
    "BCELoss": "(input, target)",
    "BCEWithLogitsLoss": "(input, target)",
    "Bilinear": "(input1, input2)",
    "CTCLoss": "(log_probs, targets, input_lengths, target_lengths)",
    "Container": "(*input)",
    "ConvTranspose1d": "(input, output_size=None)",
    "ConvTranspose2d": "(input, output_size=None)",
    "ConvTranspose3d": "(input, output_size=None)",
    "CosineEmbeddingLoss": "(input1, input2, target)",
    "CosineSimilarity": "(x1, x2)",
    "CrossEntropyLoss": "(input, target)",
    "DataParallel": "(*inputs, **kwargs)",
    "EmbeddingBag": "(input, offsets=None, per_sample_weights=None)",
    "GRU": "(input, hx=None)",
    "GRUCell": "(input, hx=None)",
    "GaussianNLLLoss": "(input, target, var)",
    "HingeEmbeddingLoss": "(input, target)",
    "HuberLoss": "(input, target)",
    "KLDivLoss": "(input, target)",
    "L1Loss": "(input, target)",
    "LSTM": "(input, hx=None)",
    "LSTMCell": "(input, hx=None)",
    "LazyConvTranspose1d": "(input, output_size=None)",
    "LazyConvTranspose2d": "(input, output_size=None)",
    "LazyConvTranspose3d": "(input, output_size=None)",
    "LinearCrossEntropyLoss": "(input, target)",
    "MSELoss": "(input, target)",
    "MarginRankingLoss": "(input1, input2, target)",
    "MaxUnpool1d": "(input, indices, output_size=None)",
    "MaxUnpool2d": "(input, indices, output_size=None)",
    "MaxUnpool3d": "(input, indices, output_size=None)",
    "Module": "(*input)",
    "ModuleDict": "(*input)",
    "ModuleList": "(*input)",
    "MultiLabelMarginLoss": "(input, target)",
    "MultiLabelSoftMarginLoss": "(input, target)",
    "MultiMarginLoss": "(input, target)",
    "MultiheadAttention": (
        "(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None, "
        "average_attn_weights=True, is_causal=False)"
    ),
    "NLLLoss": "(input, target)",
    "NLLLoss2d": "(input, target)",
    "PairwiseDistance": "(x1, x2)",
    "ParameterDict": "(*input)",
    "ParameterList": "(*input)",
    "PoissonNLLLoss": "(log_input, target)",
    "RMSNorm": "(x)",
    "RNN": "(input, hx=None)",
    "RNNBase": "(*input)",
    "RNNCell": "(input, hx=None)",
    "RNNCellBase": "(*input)",
    "SmoothL1Loss": "(input, target)",
    "SoftMarginLoss": "(input, target)",
    "Transformer": (
        "(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None, "
        "tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, "
        "tgt_is_causal=None, memory_is_causal=False)"
    ),
    "TransformerDecoder": (
        "(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, "
        "memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)"
    ),
    "TransformerDecoderLayer": (
        "(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, "
        "memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)"
    ),
    "TransformerEncoder": "(src, mask=None, src_key_padding_mask=None, is_causal=None)",
    "TransformerEncoderLayer": "(src, src_mask=None, src_key_padding_mask=None, is_causal=False)",
    "TripletMarginLoss": "(anchor, positive, negative)",
    "TripletMarginWithDistanceLoss": "(anchor, positive, negative)",
}
_SEQUENTIAL = inspect.Signature([P("input", P.POSITIONAL_OR_KEYWORD)])


@functools.cache
def _torch_forward(name: str) -> inspect.Signature:
    """The signature TORCH_FORWARD writes as text, e.g. ``(input, hx=None)``."""
    args = ast.parse(f"def forward{TORCH_FORWARD.get(name, '(input)')}: pass").body[0].args
    positional = [P(a.arg, P.POSITIONAL_OR_KEYWORD) for a in args.args]
    for i, default in enumerate(args.defaults, len(positional) - len(args.defaults)):
        positional[i] = positional[i].replace(default=ast.literal_eval(default))
    rest = [P(args.vararg.arg, P.VAR_POSITIONAL)] if args.vararg else []
    rest += [P(args.kwarg.arg, P.VAR_KEYWORD)] if args.kwarg else []
    return inspect.Signature(positional + rest)


def _without_self(cls: type | None) -> inspect.Signature | None:
    try:
        sig = inspect.signature(cls.forward)
    except (AttributeError, TypeError, ValueError):
        return None
    return sig.replace(parameters=list(sig.parameters.values())[1:])


def forward_signature(spec: object, ref: ClassRef | None, custom: dict) -> tuple[str, object]:
    """(how to name the call, the forward's signature or None when unknown) for module
    ``spec``; a helper's label is ``Name(params)``, others ``Name.forward(params)``."""
    (key,) = spec
    if key in ("Sequential", "compact"):
        return f"{key}.forward(input)", _SEQUENTIAL
    if ref is not None and ref.kind in ("parameter", "buffer"):
        return f"a {ref.name} (read with no arguments)", inspect.Signature([])
    if key in HELPERS:
        params = [P(p, P.POSITIONAL_OR_KEYWORD) for p in HELPERS[key].inputs]
        if HELPERS[key].tensor_keywords:
            params.append(P("tensors", P.VAR_KEYWORD))
        sig = inspect.Signature(params)
        return f"{key}{_plain(sig)}", sig
    if ref is None:
        return key, None
    sig = _torch_forward(key) if ref.kind == "torch" else _without_self(custom.get(key))
    return f"{key}.forward{_plain(sig)}" if sig else key, sig


def _plain(sig: inspect.Signature) -> str:
    """``(input, hx=None)``: the parameters without annotations."""
    params = [p.replace(annotation=P.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=P.empty))


def call_problem(label: str, sig: inspect.Signature, args: object) -> str | None:
    """Why a node's arguments (a list: positional; a mapping: keywords) don't fit ``sig``."""
    if isinstance(args, list):
        try:
            sig.bind(*args)
        except TypeError:
            return _count_problem(label, sig, args)
    elif isinstance(args, dict):
        try:
            sig.bind(**{k: v for k, v in args.items() if isinstance(k, str)})
        except TypeError:
            return _keyword_problem(label, sig, args)
    return None


def _count_problem(label: str, sig: inspect.Signature, args: list) -> str:
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    least = sum(p.default is P.empty for p in positional)
    if any(p.kind is P.VAR_POSITIONAL for p in params):
        takes = f"at least {least}"
    elif least == len(positional):
        takes = str(least)
    else:
        takes = f"{least} to {len(positional)}"
    hint = ""
    if [p.name for p in params] == ["args"] and len(args) > 1:
        hint = f": pass the tensors as one list, e.g. [{args}]".replace("'", "")
    return f"{label} takes {takes} argument(s), got {len(args)}{hint}"


def _keyword_problem(label: str, sig: inspect.Signature, args: dict) -> str:
    params = sig.parameters
    names = [n for n, p in params.items() if p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
    takes_any = any(p.kind is P.VAR_KEYWORD for p in params.values())
    keywords = [n for n in names if params[n].kind is not P.POSITIONAL_ONLY]
    unknown = [k for k in args if k not in keywords and not takes_any]
    suggested: set[str] = set()
    parts = []
    for key in unknown:
        close = close_matches(key, [n for n in keywords if n not in args])
        suggested |= set(close)
        parts.append(f"unknown {quote(key)}{suggest(close)}")
    required = [n for n in names if params[n].default is P.empty]
    missing = [n for n in required if n not in args and n not in suggested]
    if missing:
        parts.append(f"missing {', '.join(map(repr, missing))}")
    if not parts:  # e.g. a positional-only parameter: say what it takes
        parts.append(f"pass {or_words(names)} as a list of node names")
    if ".forward(" in label:  # the label shows the parameters already
        return f"{label}: " + "; ".join(parts)
    return f"{label} takes {', '.join(names)}; " + "; ".join(parts)
