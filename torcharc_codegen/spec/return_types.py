"""What torch's functions and classes return, as the type annotations the generated code
writes (``torch.Tensor``, ``tuple[torch.Tensor, torch.Tensor]``, ``list[torch.Tensor]``): read
from torch's TorchScript schemas and annotations, so forward's types follow torch's."""

from __future__ import annotations

import functools
import inspect

TENSOR = "torch.Tensor"


def tensor_tuple(count: int) -> str:
    """``tuple[torch.Tensor, ...]`` of ``count`` tensors, as written in the generated file."""
    return "tuple[" + ", ".join([TENSOR] * count) + "]"


def element_type(container: str | None, key: object) -> str | None:
    """The type of ``container[key]`` for the types this module writes (``list[T]``,
    ``tuple[A, B]``, ``dict[str, T]``); None when unknown."""
    if not container or not container.endswith("]"):
        return None
    head, _, inner = container[:-1].partition("[")
    parts = _split_top(inner)
    if head == "list" and len(parts) == 1 and isinstance(key, int):
        return parts[0]
    if head == "tuple" and isinstance(key, int) and not isinstance(key, bool):
        return parts[key] if -len(parts) <= key < len(parts) else None
    if head == "dict" and len(parts) == 2:
        return parts[1]
    return None


def _split_top(text: str) -> list[str]:
    """``"a, b[c, d]"`` -> ``["a", "b[c, d]"]``: split at commas outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"[": 1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return parts + [text[start:].strip()]


@functools.cache
def tensor_returns(fn: str) -> int:
    """How many tensors ``torch.<fn>(input, dim=..., keepdim=...)`` returns (its
    TorchScript schemas): 2 for ``max``/``min``/``median``/``mode``/``aminmax``/... with a
    dim (values and indices), 1 for ``sum``/``amax``/... ; 0 when torch has no such form."""
    import torch

    fn = fn.rpartition(".")[2]  # nn.functional.<fn>: its ATen operator's
    counts = {
        len(s.returns)
        for s in torch._C._jit_get_schemas_for_operator(f"aten::{fn}")
        if {"dim", "keepdim"} <= {a.name for a in s.arguments}
        and all(str(r.type) == "Tensor" for r in s.returns)
        and not any(a.is_out for a in s.arguments)
    }
    return min(counts, default=0)


@functools.cache
def function_returns(fn: str) -> str | None:
    """The tuple type ``torch.<fn>(input, ...)`` returns when every form of it returns the
    same number of tensors, two or more (``topk``: ``tuple[torch.Tensor, torch.Tensor]``);
    None otherwise (one tensor, or it depends on the arguments)."""
    import torch

    fn = fn.rpartition(".")[2]  # nn.functional.<fn>: its ATen operator's
    counts = {
        len(s.returns)
        for s in torch._C._jit_get_schemas_for_operator(f"aten::{fn}")
        if not any(a.is_out for a in s.arguments)
        and all(str(r.type) == "Tensor" for r in s.returns)
    }
    if len(counts) != 1 or min(counts) < 2:
        return None
    return tensor_tuple(min(counts))


@functools.cache
def class_returns(name: str) -> str | None:
    """The tuple type ``torch.nn.<name>``'s forward returns for a tensor input, written as
    this module writes types (an LSTM: ``tuple[torch.Tensor, tuple[torch.Tensor,
    torch.Tensor]]``, its TorchScript overload for a tensor, not the PackedSequence one); None
    when its annotations don't say a tuple of tensors (and tuples of them)."""
    import torch
    from torch._jit_internal import _get_overloaded_methods

    cls = getattr(torch.nn, name, None)
    if not isinstance(cls, type) or not issubclass(cls, torch.nn.Module):
        return None
    forms = [cls.forward, *(_get_overloaded_methods(cls.forward, cls) or [])]
    for form in forms:
        try:
            written = _written_type(inspect.signature(form).return_annotation)
        except (TypeError, ValueError):
            continue
        if written is not None and written.startswith("tuple["):
            return written
    return None


def _written_type(annotation) -> str | None:
    import typing

    import torch

    if annotation is torch.Tensor:
        return TENSOR
    if typing.get_origin(annotation) is tuple:
        parts = [_written_type(a) for a in typing.get_args(annotation)]
        if parts and Ellipsis not in typing.get_args(annotation) and None not in parts:
            return "tuple[" + ", ".join(parts) + "]"
    return None
