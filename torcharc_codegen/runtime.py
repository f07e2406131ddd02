"""Run generated source: import it in a fresh namespace, build the model, feed example inputs.

The text is written to a temporary file and imported from there under a fresh module name
(never through the generator's own modules), so TorchScript can read its source. Failures are
traced back to the spec: the statement of forward (or of __init__) that raised tells which
node (or module) of the spec it came from.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

from .errors import Problem, SpecError
from .model import Example, Model
from .write import scratch_file


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


def construct(module: object, class_name: str, model: Model, source_name: str | None, text: str):
    """An instance of the generated class; a constructor that raises is a spec error at the
    module (or Sequential entry) whose line raised."""
    try:
        return getattr(module, class_name)()
    except Exception as e:  # noqa: BLE001 - torch's own message is what the user needs
        line = _failing_line(e, module)
        where = _init_target(text, line) if line else None
        path = ("modules",)
        if where is not None and where[0] in model.modules:
            mod = model.modules[where[0]]
            path = mod.path
            if where[1] is not None and where[1] < len(mod.layers):
                path = mod.layers[where[1]].path
        msg = f"torch can't build this module: {type(e).__name__}: {_one_line(e)}"
        raise SpecError([_locate(path, msg, model)], source_name) from None


def run_forward(
    module: object,
    instance,
    class_name: str,
    model: Model,
    inputs: dict[str, object],
    source_name: str | None,
) -> dict[str, object]:
    """Run forward one statement at a time; returns the value of every variable.

    Running the emitted statements themselves (rather than a copy of their logic) is what
    lets a failure name its node, and lets shapes.py read every node's result.
    """
    import torch

    text = Path(module.__file__).read_text(encoding="utf-8")
    forward = _method(ast.parse(text), class_name, "forward")
    scope = dict(vars(module))
    scope.update(inputs)
    scope["self"] = instance
    var_to_node = _var_to_node(forward, model)
    with torch.no_grad():
        for stmt in forward.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue
            if isinstance(stmt, ast.Return):
                scope["__return__"] = eval(  # noqa: S307 - our own generated code
                    compile(ast.Expression(stmt.value), module.__file__, "eval"), scope
                )
                break
            try:
                exec(compile(ast.Module([stmt], []), module.__file__, "exec"), scope)  # noqa: S102
            except Exception as e:  # noqa: BLE001
                target = stmt.targets[0].id if isinstance(stmt, ast.Assign) else None
                node = var_to_node.get(target)
                used = [n for n in _names(stmt.value) if n in inputs or n in var_to_node]
                got = ", ".join(f"{n}: {describe(scope.get(n))}" for n in used if n in scope)
                msg = (
                    f"the example inputs fail at node {node!r}: {type(e).__name__}: "
                    f"{_one_line(e)}" + (f" (it got {got})" if got else "")
                )
                path = model.nodes_by_name()[node].path if node else ("graph",)
                raise SpecError([_locate(path, msg, model)], source_name) from None
    return scope


def describe(value: object) -> str:
    """A short, code-safe description of a runtime value: shapes of tensors, by their parts."""
    import torch

    if isinstance(value, torch.Tensor):
        shape = (
            "(" + ", ".join(str(d) for d in value.shape) + ("," if value.dim() == 1 else "") + ")"
        )
        dtype = str(value.dtype).removeprefix("torch.")
        return shape if dtype == "float32" else f"{shape} {dtype}"
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return ", ".join(f"{f}: {describe(v)}" for f, v in zip(value._fields, value))
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "None"
    return type(value).__name__


def _locate(path: tuple, message: str, model: Model) -> Problem:
    if model.source is None:
        return Problem(tuple(path), message)
    return model.source.problem(path, message, at_key=True)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _failing_line(e: BaseException, module: object) -> int | None:
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename == module.__file__:
            line = frame.lineno
    return line


def _method(tree: ast.Module, class_name: str, name: str) -> ast.FunctionDef:
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name)
    return next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _init_target(text: str, line: int) -> tuple[str, int | None] | None:
    """(module name, Sequential index or None) of the __init__ statement covering ``line``."""
    tree = ast.parse(text)
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"):
            for stmt in fn.body:
                if not (isinstance(stmt, ast.Assign) and stmt.lineno <= line <= stmt.end_lineno):
                    continue
                target = stmt.targets[0]
                if not isinstance(target, ast.Attribute):
                    return None
                call = stmt.value
                hits = [
                    i
                    for i, arg in enumerate(getattr(call, "args", []))
                    if arg.lineno <= line <= arg.end_lineno
                ]
                seq = isinstance(call, ast.Call) and ast.unparse(call.func) == "nn.Sequential"
                return target.attr, hits[0] if seq and len(hits) == 1 else None
    return None


def _var_to_node(forward: ast.FunctionDef, model: Model) -> dict[str, str]:
    names = [n.name for n in model.nodes]
    targets = [s.targets[0].id for s in forward.body if isinstance(s, ast.Assign)]
    return dict(zip(targets, names))


def _names(expr: ast.AST) -> list[str]:
    return list(dict.fromkeys(n.id for n in ast.walk(expr) if isinstance(n, ast.Name)))
