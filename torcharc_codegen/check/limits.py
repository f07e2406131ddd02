"""Tell torch's own limits from ours. When a check fails, each module the spec builds is put
through the same check on its own: if one fails alone (``nn.TransformerEncoderLayer(8, 2,
bias=False)`` can't be scripted, whoever calls it), the check is "not possible" with that
class named, a warning; a failure no torch class causes alone is the generated code's, an
error.

TorchScript also keeps state between runs: a class whose compilation failed stays half-defined
in its type cache, and the next model using the class fails with "Can't redefine method:
forward" instead of its own reason. :func:`fresh_script_state` gives each spec's checks a cache
of their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from ..spec.literals import literal, plain
from ..spec.model import Layer, Model

NOT_POSSIBLE = "not possible"
_VERBS = {"script": "script", "trace": "trace", "compile": "compile", "export": "export"}


@contextlib.contextmanager
def fresh_script_state() -> Iterator[None]:
    """torch.jit.script with a type cache of its own, the process's restored afterwards (the
    cache maps a module's class and attributes to its compiled type; TorchScript has no
    public way to reset it)."""
    import torch.jit._recursive as recursive

    saved = recursive.concrete_type_store
    recursive.concrete_type_store = recursive.ConcreteTypeStore()
    try:
        yield
    finally:
        recursive.concrete_type_store = saved


def torch_version() -> str:
    import torch

    return ".".join(torch.__version__.split("+")[0].split(".")[:2])


def spec_layers(instance, model: Model) -> list[tuple[Layer, object]]:
    """(spec layer, its built module) for every torch.nn class the spec builds (a user's
    class is the user's to fix, so its failure stays an error)."""
    out = []
    for module in model.modules.values():
        built = getattr(instance, module.name, None)
        if built is None:
            continue  # written inline in forward: a helper
        for i, layer in enumerate(module.layers):
            if layer.cls.kind == "torch":
                out.append((layer, built[i] if module.sequential else built))
    return out


def layer_inputs(instance, layers: list[tuple[Layer, object]], inputs: tuple) -> dict[int, tuple]:
    """id(module) -> (args, kwargs) of its first call when ``instance`` runs ``inputs``."""
    import torch

    seen: dict[int, tuple] = {}
    handles = []
    for _, built in layers:

        def record(module, args, kwargs):
            seen.setdefault(id(module), (args, kwargs))

        handles.append(built.register_forward_pre_hook(record, with_kwargs=True))
    try:
        with torch.no_grad():
            instance(*inputs)
    finally:
        for h in handles:
            h.remove()
    return seen


def _attempt(run: Callable[[], object]) -> bool:
    """Whether ``run`` raises."""
    try:
        run()
    except Exception:  # noqa: BLE001 - any failure means the check fails
        return True
    return False


def _check_alone(check: str, module, call: tuple | None) -> bool:
    """Whether ``module`` alone fails ``check`` (called with ``call``: (args, kwargs))."""
    import torch

    if check == "script":
        with fresh_script_state():
            return _attempt(lambda: torch.jit.script(module))
    if call is None:
        return False  # never called with the example inputs: can't tell
    args, kwargs = call
    if check == "trace":
        if kwargs:
            return False
        return _attempt(lambda: torch.jit.trace(module, args, strict=False, check_trace=False))
    if check == "compile":
        torch._dynamo.reset()
        try:
            return _attempt(
                lambda: torch.compile(module, backend="eager", fullgraph=True)(*args, **kwargs)
            )
        finally:
            torch._dynamo.reset()
    if check == "export":
        return _attempt(lambda: torch.export.export(module, args, kwargs))
    return False


def _shown(layer: Layer, kwargs: dict) -> str:
    args = ", ".join(f"{k}={literal(v)}" for k, v in kwargs.items())
    return f"{layer.cls.name}({args})"


def _causes(layer: Layer, module) -> dict:
    """The spec arguments without which the class scripts (those left at their default make
    it work): ``{bias: False}`` for a TransformerEncoderLayer; all of them when none alone
    does, or the class is Lazy (rebuilding it would need its inferred sizes)."""
    import torch

    given = plain(layer.kwargs)
    if layer.cls.lazy:
        return given
    causes = {}
    for key in given:
        rest = {k: v for k, v in given.items() if k != key}
        try:
            other = type(module)(**rest)
        except Exception:  # noqa: BLE001 - a required argument: not the cause alone
            continue
        with fresh_script_state():
            if not _attempt(lambda m=other: torch.jit.script(m)):
                causes[key] = given[key]
    return causes or given


def torch_limit(check: str, instance, model: Model, inputs: tuple | None, expected) -> str | None:
    """Why torch itself can't do ``check`` for this model, when it can't: a class the spec
    builds fails the check alone, or (trace) the output is a dict of values of several types.
    None when the failure is the generated code's."""
    verb = _VERBS.get(check)
    if verb is None:
        return None
    version = torch_version()
    if check == "trace" and isinstance(expected, dict):
        kinds = sorted({type(v).__name__ for v in expected.values()})
        if len(kinds) > 1:
            return (
                f"torch {version} cannot trace a dict output whose values have different "
                f"types ({', '.join(kinds)}): jit.trace gives a dict one value type"
            )
    layers = spec_layers(instance, model)
    calls = (
        layer_inputs(instance, layers, inputs) if inputs is not None and check != "script" else {}
    )
    for layer, module in layers:
        if _check_alone(check, module, calls.get(id(module))):
            kwargs = _causes(layer, module) if check == "script" else plain(layer.kwargs)
            return f"torch {version} cannot {verb} {_shown(layer, kwargs)}"
    return None
