"""The tensors a module holds itself, as the spec writes them: a Parameter module per
parameter, a Buffer module per buffer where a spec can hold it (else the reason it can't)."""

from __future__ import annotations

from dataclasses import dataclass

from ..grammar.spec_schema import DTYPES
from ..spec.classes import BUFFER, PARAMETER


@dataclass
class Own:
    """A tensor a module holds itself: its module spec (a Parameter or a Buffer), or why none
    says it; ``kept``: the state_dict holds it, so the spec keeps it though forward doesn't
    read it."""

    spec: dict | None
    reason: str | None
    kept: bool


def own_tensors(module) -> dict[str, Own]:
    """``module``'s own parameters and buffers. A parameter, or a float buffer the state_dict
    holds (BatchNorm's running statistics), is a module starting at its one value or 0 (the
    checkpoint's values load into it, as into any weight); any other buffer (an index, a mask,
    one the state_dict lacks) only where every entry holds one value, since a spec can't hold
    values computed when it was built."""
    out = {
        k: Own({PARAMETER: _parameter_args(v)}, None, True)
        for k, v in module._parameters.items()
        if v is not None
    }
    for name, buffer in module._buffers.items():
        if buffer is None:
            continue
        persistent = name not in module._non_persistent_buffers_set
        dtype = str(buffer.dtype).removeprefix("torch.")
        constant = _one_value(buffer)
        if dtype not in DTYPES:
            out[name] = Own(
                None,
                f"its buffer `self.{name}` is of {buffer.dtype}, which a spec doesn't name",
                persistent,
            )
        elif (persistent and buffer.is_floating_point()) or constant is not None:
            args: dict = {"shape": list(buffer.shape)}
            if constant is not None and constant != 0:
                args["fill"] = constant
            if dtype != "float32":
                args["dtype"] = dtype
            if not persistent:
                args["persistent"] = False
            out[name] = Own({BUFFER: args}, None, persistent)
        else:
            held = "" if persistent else ", which the state_dict doesn't hold"
            out[name] = Own(
                None,
                f"its buffer `self.{name}` holds values computed when it was built{held}"
                " (not one number), which a spec can't hold",
                persistent,
            )
    return out


def _one_value(tensor) -> float | int | bool | None:
    """The value every entry of ``tensor`` holds (as the spec writes it), else None."""
    import torch

    flat = tensor.detach().flatten()
    if not flat.numel() or not bool((flat == flat[0]).all()):
        return None
    if tensor.dtype.is_floating_point:
        return _shortest(flat[0])
    return bool(flat[0]) if tensor.dtype == torch.bool else int(flat[0])


def _parameter_args(parameter) -> dict:
    """A Parameter module's arguments: its shape, and the fill and requires_grad it has where
    they aren't the defaults (the fill where every element holds one value, a fresh model's
    ``torch.ones(dim) * 1e-6``)."""
    out: dict = {"shape": list(parameter.shape)}
    flat = parameter.detach().flatten()
    if flat.numel() and bool((flat == flat[0]).all()) and float(flat[0]) != 0.0:
        out["fill"] = _shortest(flat[0])
    if not parameter.requires_grad:
        out["requires_grad"] = False
    return out


def _shortest(value) -> float:
    """The shortest decimal that is ``value`` (a one-element tensor) in its dtype: float32's
    1e-6 is 1e-06, not 9.999999974752427e-07."""
    import torch

    for digits in range(1, 18):
        candidate = float(f"{float(value):.{digits}g}")
        if torch.tensor(candidate, dtype=value.dtype) == value:
            return candidate
    return float(value)
