"""What the symbolic probe changes in torch while it runs, each because torch would otherwise
turn a symbol into a number for a reason unrelated to sizes:

- ``reset_parameters`` / ``_reset_parameters`` of torch.nn (and custom) classes run with the
  ShapeEnv's guards suppressed: weight initialisation computes floats from sizes
  (``1 / math.sqrt(fan_in)`` in Linear and conv), which would pin the symbol, yet fake
  tensors hold no values to initialise. Only these methods are quiet; a guard in a
  constructor or a forward still counts. (A TorchFunctionMode can skip ``torch.nn.init``
  calls but not the ``math.sqrt`` beside them, and the meta device runs the same
  initialisation.)
- ``UninitializedTensorMixin.materialize`` does nothing: a Lazy module's real uninitialised
  parameter can't take a fake tensor as its data. The probe lets the Lazy module's own
  ``initialize_parameters`` infer its attributes from the fake input (torch's rule, not ours),
  then builds the concrete class (``cls_to_become``) with them.
- ``torch.nn.modules.normalization.numbers``: LayerNorm and RMSNorm test
  ``isinstance(normalized_shape, numbers.Integral)``, which a SymInt isn't; for the same
  reason ``int`` in ``torch.nn.modules.rnn`` (RNN, LSTM and GRU test ``isinstance(size,
  int)``) also takes a SymInt.

The patches are process-wide while a probe runs (generation is single-threaded).
"""

from __future__ import annotations

import contextlib
import inspect
import types


@contextlib.contextmanager
def probe_patches(env, custom: list[type]):
    """The patches above, for the ShapeEnv ``env`` and the spec's ``custom`` classes."""
    from unittest import mock

    import torch
    from torch.nn.modules import normalization, rnn
    from torch.nn.parameter import UninitializedTensorMixin

    def quiet(method):
        def wrapper(self, *args, **kwargs):
            with env.suppress_guards():
                return method(self, *args, **kwargs)

        return wrapper

    with contextlib.ExitStack() as stack:
        for cls in _init_classes(torch, custom):
            for name in ("reset_parameters", "_reset_parameters"):
                if name in vars(cls):
                    stack.enter_context(mock.patch.object(cls, name, quiet(vars(cls)[name])))
        stack.enter_context(
            mock.patch.object(UninitializedTensorMixin, "materialize", lambda *a, **k: None)
        )
        numbers = types.SimpleNamespace(Integral=(int, torch.SymInt))
        stack.enter_context(mock.patch.object(normalization, "numbers", numbers))
        stack.enter_context(mock.patch.object(rnn, "int", _int_or_symint(torch), create=True))
        yield


def _int_or_symint(torch) -> type:
    """``int`` for torch.nn.modules.rnn, whose constructors test ``isinstance(size, int)``:
    a SymInt passes that test too; calling it is ``int``."""

    class IntOrSymInt(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, (int, torch.SymInt))

    class Int(metaclass=IntOrSymInt):
        def __new__(cls, *args):
            return int(*args)

    return Int


def _init_classes(torch, custom: list[type]) -> list[type]:
    """torch.nn's module classes and the custom ones, with their bases (not Module itself:
    nothing to patch there)."""
    seen: dict[type, None] = {}
    candidates = [v for v in vars(torch.nn).values() if inspect.isclass(v)] + list(custom)
    for value in candidates:
        if issubclass(value, torch.nn.Module):
            for cls in value.__mro__:
                if issubclass(cls, torch.nn.Module) and cls is not torch.nn.Module:
                    seen.setdefault(cls)
    return list(seen)
