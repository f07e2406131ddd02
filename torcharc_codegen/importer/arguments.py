"""A module's constructor arguments, recovered from the instance: its class's signature, each
argument's value read from the attribute of that name (``bias`` from whether it has one), the
default where there is none, and a small search over the sizes its submodules hold for the
required ones it doesn't keep. Every answer is checked by building the class again from it and
comparing the two modules' structure (each submodule's class and plain attributes, every
parameter and buffer name, shape and dtype); ``repr`` is never read."""

from __future__ import annotations

import inspect
import itertools
import time

_SKIPPED = {"device", "dtype"}
_MAX_BUILDS = 256  # rebuilds tried per module before its arguments count as unknown
# ... and seconds spent on them: a module whose builds are slow (a stage of blocks) is tried
# less, so a model whose fallbacks climb level by level still imports in bounded time
_MAX_SECONDS = 5.0
_DEFAULT = object()


class ArgumentsError(ValueError):
    """The arguments that build a module again can't be found or written as spec literals."""


def is_literal(value: object) -> bool:
    """Whether ``value`` is a spec literal: None, a bool, int, float, str, or a list or tuple
    of them."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(is_literal(v) for v in value)
    return False


def constructor_args(module, where: str) -> dict:
    """The keyword arguments (only those that differ from the defaults, as spec literals) that
    build ``module``'s class into a module of the same structure; ArgumentsError naming
    ``where`` and why when there are none."""
    return recover(module, where)[0]


def recover(module, where: str) -> tuple[dict, dict]:
    """``constructor_args``, and every argument's value (the defaults too)."""
    cls = type(module)
    try:
        signature = _init_signature(cls)
    except (TypeError, ValueError):
        raise ArgumentsError(f"{where}: {cls.__name__}'s constructor has no signature") from None
    choices: dict[str, list] = {}
    defaults: dict[str, object] = {}
    for p in list(signature.parameters.values())[1:]:
        if p.name in _SKIPPED or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        defaults[p.name] = p.default
        choices[p.name] = _candidates(module, p)
    if any(not c for c in choices.values()):
        missing = [n for n, c in choices.items() if not c]
        raise ArgumentsError(
            f"{where}: {cls.__name__} keeps no attribute for its argument(s) {', '.join(missing)}"
        )
    builds, deadline = 0, time.monotonic() + _MAX_SECONDS
    for combination in itertools.product(*choices.values()):
        values = dict(zip(choices, combination, strict=True))
        for short in (True, False):
            args = {
                k: _written(v, short)
                for k, v in values.items()
                if v is not _DEFAULT and not _is_default(v, defaults[k])
            }
            if not all(is_literal(v) for v in args.values()):
                continue
            builds += 1
            rebuilt = _build(cls, args)
            if rebuilt is not None and same_structure(module, rebuilt):
                full = {
                    k: defaults[k] if v is _DEFAULT else v
                    for k, v in values.items()
                    if not (v is _DEFAULT and defaults[k] is inspect.Parameter.empty)
                }
                return args, full
            if builds >= _MAX_BUILDS or time.monotonic() > deadline:
                break
        if builds >= _MAX_BUILDS or time.monotonic() > deadline:
            break
    raise ArgumentsError(
        f"{where}: no arguments read from the instance build {cls.__name__} again with the same"
        f" parameters, buffers and submodules ({builds} tried)"
    )


def _init_signature(cls) -> inspect.Signature:
    """``cls.__init__``'s signature; for torch's recurrent layers, whose own is ``(*args,
    **kwargs)``, nn.RNNBase's after the ``mode`` they fill in (and nn.RNN's ``nonlinearity``)."""
    from torch import nn

    signature = inspect.signature(cls.__init__)
    if cls in (nn.LSTM, nn.GRU, nn.RNN):
        params = list(inspect.signature(nn.RNNBase.__init__).parameters.values())
        params = [p for p in params if p.name != "mode"]
        if cls is nn.RNN:
            kind = inspect.Parameter.KEYWORD_ONLY
            params.append(inspect.Parameter("nonlinearity", kind, default="tanh"))
        signature = inspect.Signature(params)
    return signature


def _candidates(module, p: inspect.Parameter) -> list:
    """The values to try for argument ``p``, the likeliest first."""
    from torch import Tensor, nn

    if p.name == "bias" and "bias" in module._parameters:
        return [module._parameters["bias"] is not None]
    if p.name in vars(module) or hasattr(type(module), p.name) and p.name in dir(module):
        value = getattr(module, p.name, _DEFAULT)
        if value is not _DEFAULT and not isinstance(value, nn.Module | Tensor):
            if is_literal(value) or p.default is p.empty:
                return [value]
    if p.default is not p.empty:
        if isinstance(p.default, bool):
            return [_DEFAULT, not p.default]
        return [_DEFAULT]
    return _sizes(module)


def _sizes(module) -> list[int]:
    """The distinct ints the plain attributes of ``module``'s submodules hold, the most
    frequent first: the candidates for a required size the module doesn't keep."""
    counts: dict[int, int] = {}
    for sub in module.modules():
        for value in _plain_state(sub).values():
            for v in value if isinstance(value, tuple) else (value,):
                if isinstance(v, int) and not isinstance(v, bool):
                    counts[v] = counts.get(v, 0) + 1
    return sorted(counts, key=lambda v: (-counts[v], v))[:12]


def _is_default(value: object, default: object) -> bool:
    if default is inspect.Parameter.empty:
        return False
    if isinstance(value, tuple) and not isinstance(default, tuple):
        return bool(value) and all(_equal(v, default) for v in value)
    return _equal(value, default)


def _equal(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _written(value: object, short: bool) -> object:
    """A tuple as a list; with ``short``, one of all-equal items as the item (``(3, 3)`` ->
    ``3``), the form a person writes where the class makes the tuple itself."""
    if isinstance(value, tuple):
        if short and value and all(_equal(v, value[0]) for v in value):
            return value[0]
        return [_written(v, False) for v in value]
    return value


def build(cls, args: dict):
    """``cls(**args)`` (lists as tuples), on the meta device where it builds there; None when
    it doesn't build."""
    return _build(cls, args)


def _build(cls, args: dict):
    import warnings

    import torch

    def tuples(v):
        return tuple(tuples(x) for x in v) if isinstance(v, list) else v

    kwargs = {k: tuples(v) for k, v in args.items()}
    for device in ("meta", "cpu"):
        try:
            with torch.device(device), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return cls(**kwargs)
        except Exception:  # noqa: BLE001 - a wrong guess: the next one
            continue
    return None


def _plain_state(module) -> dict:
    """A module's public attributes that are neither tensors nor submodules."""
    from torch import Tensor, nn

    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not isinstance(v, Tensor | nn.Module)
    }


def _as_tuples(value):
    """Lists as tuples, all the way down: a spec writes both as a list."""
    if isinstance(value, list | tuple):
        return tuple(_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _as_tuples(v) for k, v in value.items()}
    return value


def _tensors(module) -> dict:
    return {k: (tuple(v.shape), v.dtype) for k, v in module.state_dict(keep_vars=True).items()}


def same_structure(a, b) -> bool:
    """Whether ``a`` and ``b`` have the same classes, plain attributes (a list the same as a
    tuple; those ``b``, the one built again, has: an attribute the model set on a module
    after building it, as torchvision's ``fc.stddev``, is no constructor argument), parameter
    and buffer names, shapes and dtypes, submodule by submodule."""
    subs_a, subs_b = dict(a.named_modules()), dict(b.named_modules())
    if list(subs_a) != list(subs_b) or _tensors(a) != _tensors(b):
        return False
    for name, sub in subs_a.items():
        other = subs_b[name]
        if type(sub) is not type(other):
            return False
        try:
            mine, theirs = _as_tuples(_plain_state(sub)), _as_tuples(_plain_state(other))
            if any(k not in mine or mine[k] != v for k, v in theirs.items()):
                return False
        except Exception:  # noqa: BLE001 - values that can't be compared: not the same
            return False
    return True
