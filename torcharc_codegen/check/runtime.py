"""Run generated source: import it in a fresh namespace, build the model, feed example inputs.

The text is written to a temporary file and imported from there under a fresh module name
(never through the generator's own modules), so TorchScript can read its source. Failures are
traced back to the spec through emit's Code: the statement of forward (or the lines of
__init__) that raised tells which node (or module, or Sequential layer) it came from.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import traceback
from collections.abc import Iterator
from typing import NoReturn

from ..codegen.code import Code, Statement
from ..errors import Problem, SpecError
from ..output.write import scratch_file
from ..spec.model import Example, Model, Module, shape_text


@contextlib.contextmanager
def imported(text: str) -> Iterator[object]:
    """The generated module, imported from a temporary file, removed afterwards."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"torcharc_checked_{digest}"  # never the name import_in_memory gives it
    with scratch_file(f"{name}.py", text) as path:  # removed also on SIGINT/SIGTERM
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            yield module
        finally:
            sys.modules.pop(name, None)


@contextlib.contextmanager
def numpy_known_missing() -> Iterator[None]:
    """Where numpy isn't installed, mark it missing (None in sys.modules) while torch runs:
    torch's symbolic-shape helpers (sym_max, ...) try ``import numpy`` on every call, and each
    failed import searches sys.path again, which doubled the cost of an op on the meta
    device. Where numpy is installed, or already imported, nothing changes."""
    if "numpy" in sys.modules or importlib.util.find_spec("numpy") is not None:
        yield
        return
    sys.modules["numpy"] = None
    try:
        yield
    finally:
        if "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]


def fast_exit(code: int) -> NoReturn:
    """End the process with ``code`` without the interpreter's teardown, which takes over a
    second once torch is imported (freeing every module's objects). Call it last: when every
    output is written and every temporary file removed. It flushes stdout, stderr and logging,
    then calls ``os._exit``: atexit handlers don't run. Without torch imported it is
    ``sys.exit(code)``."""
    if "torch" not in sys.modules:
        sys.exit(code)
    if "logging" in sys.modules:
        import logging

        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader that went away: nothing to keep
            pass
    os._exit(code)


def import_in_memory(text: str) -> object:
    """Import generated source without a file: registered with linecache so TorchScript and
    inspect can read it, and in sys.modules so its classes pickle."""
    import linecache
    import types

    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    name = f"torcharc_generated_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    filename = f"<torcharc-gen {digest}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    # dont_inherit: this module's `from __future__ import annotations` must not leak into it
    code = compile(text, filename, "exec", dont_inherit=True)
    exec(code, module.__dict__)  # noqa: S102 - our own output
    return module


def example_tensors(examples: dict[str, Example], seed: int = 0) -> dict[str, object]:
    """Deterministic example inputs: integers uniform in [low, high), floats standard normal
    (or uniform in [low, high) when both are given)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, ex in examples.items():
        dtype = getattr(torch, ex.dtype)
        if ex.dtype == "bool":
            out[name] = torch.randint(0, 2, ex.shape, generator=gen).bool()
        elif not dtype.is_floating_point:
            out[name] = torch.randint(
                int(ex.low or 0), int(ex.high), ex.shape, generator=gen, dtype=dtype
            )
        elif ex.low is not None and ex.high is not None:
            u = torch.rand(ex.shape, generator=gen, dtype=torch.float64)
            out[name] = (ex.low + (ex.high - ex.low) * u).to(dtype)
        else:
            out[name] = torch.randn(ex.shape, generator=gen, dtype=torch.float64).to(dtype)
    return out


def meta_tensors(examples: dict[str, Example]) -> dict[str, object]:
    """The example inputs as meta tensors: their shapes and dtypes, no storage and no values."""
    import torch

    return {
        name: torch.empty(ex.shape, dtype=getattr(torch, ex.dtype), device="meta")
        for name, ex in examples.items()
    }


def on(device: str | None) -> contextlib.AbstractContextManager:
    """Tensors created inside are made on ``device`` (None: torch's default, the CPU)."""
    import torch

    return torch.device(device) if device else contextlib.nullcontext()


def state_bytes(instance) -> int:
    """Bytes of the parameters and buffers (an uninitialized Lazy one counts 0)."""
    from torch.nn.parameter import is_lazy

    tensors = [*instance.parameters(), *instance.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors if not is_lazy(t))


class ForwardError(SpecError):
    """The example inputs fail at a node (``node``, with torch's ``reason``)."""

    def __init__(self, problem: Problem, source_name: str | None, node: str, reason: str):
        super().__init__([problem], source_name)
        self.node = node
        self.reason = reason


def construct(module: object, code: Code, model: Model, device: str | None = None):
    """An instance of the generated class, built on ``device`` (``"meta"``: no storage); a
    constructor that raises is a spec error at the class (or Sequential entry) whose code
    raised."""
    try:
        with on(device):
            return getattr(module, code.class_name)(**model.init_args)
    except Exception as e:  # noqa: BLE001 - torch's own message is what the user needs
        lines = _lines_in(e, module)
        where = next(filter(None, map(code.init_target, lines)), None)
        owner = model
        if where is not None and isinstance(where[1], tuple):  # in a block's class
            owner, where = model.blocks[where[0]], where[1]
        path = ("modules",)
        if where is not None and where[0] in owner.modules:
            mod = owner.modules[where[0]]
            path = mod.path
            if where[1] is not None and where[1] < len(mod.layers):
                path = mod.layers[where[1]].path
            elif not mod.sequential:
                path = mod.layers[0].path
        msg = f"torch can't build this module: {type(e).__name__}: {_one_line(e)}"
        raise SpecError([owner.problem(path, msg)], model.source_name) from None


def run_forward(
    module: object,
    instance,
    code: Code,
    model: Model,
    inputs: dict[str, object],
    device: str | None = None,
) -> dict[str, object]:
    """Run forward one statement at a time; returns the value of every variable, and the
    result under ``"__return__"``.

    Running the emitted statements themselves (rather than a copy of their logic) is what
    lets a failure name its node, and lets shapes.py read every node's result.
    """
    import torch

    scope = dict(vars(module))
    scope.update({code.variables[name]: value for name, value in inputs.items()})
    scope["self"] = instance
    filename = module.__file__
    with torch.no_grad(), on(device):  # tensors that forward makes: beside its inputs
        for stmt in code.statements:
            try:
                exec(compile(stmt.source, filename, "exec"), scope)  # noqa: S102 - our own code
            except Exception as e:  # noqa: BLE001
                raise _node_error(e, stmt, scope, model) from None
        scope["__return__"] = eval(compile(code.output, filename, "eval"), scope)  # noqa: S307
    return scope


def _node_error(e: Exception, stmt: Statement, scope: dict, model: Model) -> ForwardError:
    node = model.nodes_by_name()[stmt.node]
    module = model.modules[node.module]
    plain = [a for a in node.args if not isinstance(a, tuple)] + [v for _, v in node.kwargs]
    if module.sequential and module.layers and len(plain) == len(node.uses()) == 1:
        found = _failing_layer(module, scope["self"], scope[stmt.uses[0]], node.uses()[0])
        if found is not None:
            index, message = found
            problem = model.problem(module.layers[index].path, message)
            return ForwardError(problem, model.source_name, stmt.node, message)
    got = ", ".join(f"{n}: {describe(scope.get(n))}" for n in stmt.uses if n in scope)
    reason = f"{type(e).__name__}: {_one_line(e)}" + (f" (it got {got})" if got else "")
    if not module.sequential and len(plain) == len(node.uses()) == 1:
        built = getattr(scope["self"], module.name, None)
        hint = _size_hint(built, scope.get(stmt.uses[0])) if stmt.uses else None
        reason += f": {hint}" if hint else ""
    message = f"the example inputs fail at node {stmt.node!r}: {reason}"
    return ForwardError(model.problem(node.path, message), model.source_name, stmt.node, reason)


def _failing_layer(module: Module, instance, value: object, source: str) -> tuple[int, str] | None:
    """Run a Sequential's layers one at a time: (index, message) of the first that fails."""
    sequential = getattr(instance, module.name)
    came_from = source
    for index, layer in enumerate(sequential):
        try:
            out = layer(value)
        except Exception as e:  # noqa: BLE001
            got = describe(value)
            mismatch = _size_mismatch(layer, value)
            if mismatch is not None:
                return index, f"{mismatch}, got {got} from {came_from}"
            return index, f"{type(e).__name__}: {_one_line(e)} (it got {got} from {came_from})"
        value, came_from = out, f"Sequential[{index}]"
    return None


def _size_mismatch(layer, value) -> str | None:
    """What a Linear or convolution expected when the input's size is not it."""
    import torch

    if not isinstance(value, torch.Tensor):
        return None
    if isinstance(layer, torch.nn.Linear) and value.dim() >= 1:
        if value.shape[-1] != layer.in_features:
            return f"expects {layer.in_features} input features"
    if isinstance(layer, torch.nn.modules.conv._ConvNd):
        spatial = len(layer.kernel_size)
        channel = value.dim() - spatial - 1
        if channel in (0, 1) and value.shape[channel] != layer.in_channels:
            return f"expects {layer.in_channels} input channels"
    return None


def _size_hint(layer, value) -> str | None:
    """What to write for a Linear or convolution whose input has another size than it
    expects: the size it got, or the Lazy class, which infers it."""
    import torch

    if not isinstance(value, torch.Tensor) or _size_mismatch(layer, value) is None:
        return None
    if isinstance(layer, torch.nn.Linear):
        return f"write in_features: {value.shape[-1]}, or use LazyLinear, which infers it"
    channel = value.dim() - len(layer.kernel_size) - 1
    lazy = "Lazy" + type(layer).__name__
    return f"write in_channels: {value.shape[channel]}, or use {lazy}, which infers it"


def describe(
    value: object, bigger: object = None, batch: int | None = None, names: object = None
) -> str:
    """A short, code-safe description of a runtime value: shapes of tensors, by their parts.
    Given ``bigger``, the same value from a run at batch size ``batch + 1``, a dimension that
    went from ``batch`` to ``batch + 1`` is written ``B``. ``names``: the same value's shapes
    in a parametrized spec's parameters (symbolic.Result), written instead of the numbers."""
    import torch

    def part(whole, i, key=None):
        if isinstance(whole, (tuple, list)) and i < len(whole):
            return whole[i]
        return whole.get(key) if isinstance(whole, dict) else None

    if isinstance(value, torch.Tensor):
        shape: tuple = tuple(value.shape)
        if isinstance(names, tuple) and len(names) == len(shape):
            shape = tuple(int(n) if n.isdigit() else n for n in names)
        if batch is not None and isinstance(bigger, torch.Tensor) and bigger.dim() == len(shape):
            pairs = zip(value.shape, bigger.shape, shape, strict=True)
            shape = tuple("B" if (a, b) == (batch, batch + 1) else s for a, b, s in pairs)
        return shape_text(shape, str(value.dtype).removeprefix("torch."))

    def inner(i, v, key=None):
        return describe(v, part(bigger, i, key), batch, part(names, i, key))

    if isinstance(value, tuple) and hasattr(value, "_fields"):
        fields = enumerate(zip(value._fields, value, strict=True))
        return ", ".join(f"{f}: {inner(i, v)}" for i, (f, v) in fields)
    if isinstance(value, (tuple, list)):
        text = ", ".join(inner(i, v) for i, v in enumerate(value))
        return f"[{text}]" if isinstance(value, list) else f"({text})"
    if isinstance(value, dict):
        items = value.items()
        return "{" + ", ".join(f"{k}: {inner(0, v, k)}" for k, v in items) + "}"
    if value is None:
        return "None"
    return type(value).__name__


def structure(value) -> object:
    """A value's shape as the emitter needs it to unpack a tuple: a tuple of the parts'
    structures, or the type name of anything else."""
    if type(value) is tuple:
        return tuple(structure(v) for v in value)
    return type(value).__name__


def short(text: str, limit: int = 70) -> str:
    """``text`` cut to ``limit`` characters, as a shape comment shows it."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _lines_in(e: BaseException, module: object) -> list[int]:
    """The lines of ``module``'s file the traceback passes through, innermost first (a
    helper class's own __init__ before the model's line that calls it)."""
    frames = traceback.extract_tb(e.__traceback__)
    return [f.lineno for f in reversed(frames) if f.filename == module.__file__ and f.lineno]
