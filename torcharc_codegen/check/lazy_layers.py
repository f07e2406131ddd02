"""What a built model's Lazy layers inferred from their first input: the module built for an
entry of a spec's module, and the concrete class and sizes of a Lazy one. The shape probe reads
them for the model's own layers (shapes.py) and for each block's (block_shapes.py).
"""

from __future__ import annotations

import inspect


def built(instance, module, index: int):
    """The module built for entry ``index`` of ``module`` (after the copies of the repeated
    entries before it)."""
    sub = getattr(instance, module.name)
    if not module.sequential:
        return sub
    return sub[sum(entry.count() for entry in module.layers[:index])]


def inferred(sub, layer) -> tuple[str, dict] | None:
    """(concrete class name, the sizes it inferred) of a built Lazy layer; None while it
    is uninitialized."""
    import torch

    if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in sub.parameters()):
        return None
    concrete = type(sub)
    lazy_params = inspect.signature(getattr(torch.nn, layer.cls.name)).parameters
    concrete_params = inspect.signature(concrete).parameters
    inferred = {
        p: getattr(sub, p)
        for p in concrete_params
        if p not in lazy_params and isinstance(getattr(sub, p, None), int)
    }
    # Lazy classes may default differently from their concrete class (LazyInstanceNorm
    # tracks running stats, InstanceNorm doesn't): keep the Lazy class's defaults.
    for p, param in lazy_params.items():
        if (
            p in concrete_params
            and p not in layer.kwargs
            and param.default != concrete_params[p].default
            and isinstance(param.default, (bool, int, float, str))
        ):
            inferred[p] = param.default
    return concrete.__name__, inferred
