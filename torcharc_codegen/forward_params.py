"""What a module's ``forward`` takes, so a node's arguments are checked before anything runs.

A torch.nn class's or a user's class's ``forward`` signature is read with :mod:`inspect`; a
built-in helper's from its entry in :data:`builtins.HELPERS`; a Sequential (or compact) module
takes one input.
"""

from __future__ import annotations

import functools
import inspect

from .builtins import HELPERS
from .classes import ClassRef
from .messages import close_matches, or_words, quote, suggest

P = inspect.Parameter
_SEQUENTIAL = inspect.Signature([P("input", P.POSITIONAL_OR_KEYWORD)])


@functools.cache
def _torch_forward(name: str) -> inspect.Signature | None:
    import torch

    return _without_self(getattr(torch.nn, name, None))


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
    if key in HELPERS:
        params = HELPERS[key].inputs
        sig = inspect.Signature([P(p, P.POSITIONAL_OR_KEYWORD) for p in params])
        return f"{key}({', '.join(params)})", sig
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
