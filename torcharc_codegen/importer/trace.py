"""Tracing, one module at a time: each module the importer writes out (the root, each instance
of a user's class) is traced with torch.fx with every submodule it calls as a leaf, so its
graph calls its own children by their attribute names; one run of the whole model first records
what each module was called with, and each traced graph then runs on its module's recorded
inputs, every node's value kept (the example's shapes and the sizes ``x.size()`` gives)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field


class TraceFailed(Exception):
    """torch.fx can't trace a module's forward (control flow on a tensor, ...)."""

    def __init__(self, reason: str, line: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class Call:
    """What a module was called with first in the example run (tensors cloned at the call)."""

    args: tuple
    kwargs: dict


@dataclass
class Traced:
    graph: object  # torch.fx.Graph, every submodule call a call_module node
    values: dict = field(default_factory=dict)  # fx node name -> its value on the example
    concrete: dict = field(default_factory=dict)  # forward args left at their defaults


def _clone(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, list | tuple):
        return type(value)(_clone(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone(v) for k, v in value.items()}
    return value


def record_calls(root, inputs: dict) -> tuple[dict[str, Call], object]:
    """Run ``root`` once on ``inputs`` (eval mode, no grad) and return, for each module path
    (``""`` the root) that was called, its first call, and the output."""
    import torch

    calls: dict[str, Call] = {}
    handles = []
    for path, sub in root.named_modules(remove_duplicate=False):

        def hook(module, args, kwargs, path=path):
            calls.setdefault(path, Call(_clone(args), _clone(kwargs)))

        handles.append(sub.register_forward_pre_hook(hook, with_kwargs=True))
    try:
        with torch.no_grad():
            output = root(**inputs)
    finally:
        for h in handles:
            h.remove()
    return calls, output


def _tracer():
    import torch.fx

    class ChildrenAsLeaves(torch.fx.Tracer):
        """Every submodule call is a leaf: the graph is this module's own forward."""

        def __init__(self):
            super().__init__()
            self.record_stack_traces = True

        def is_leaf_module(self, m, module_qualified_name: str) -> bool:
            return True

    return ChildrenAsLeaves()


def trace(module, call: Call) -> Traced:
    """``module``'s forward as an fx graph (its children as leaves), run on ``call`` with every
    node's value recorded; TraceFailed with torch's reason when fx can't trace it."""
    import torch
    import torch.fx

    signature = inspect.signature(module.forward)
    try:
        bound = signature.bind(*call.args, **call.kwargs)
    except TypeError as e:
        raise TraceFailed(f"forward's recorded call doesn't bind: {e}") from None
    concrete = {
        name: p.default
        for name, p in signature.parameters.items()
        if name not in bound.arguments and p.default is not p.empty
    }
    tracer = _tracer()
    try:
        graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as e:  # noqa: BLE001 - fx's refusal, whatever its type, is the reason
        raise TraceFailed(_reason(e), _user_line(e)) from None
    gm = torch.fx.GraphModule(tracer.root, graph)
    values: dict = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            result = super().run_node(n)
            values[n.name] = _clone(result)
            return result

    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    args = [bound.arguments[n.target] for n in placeholders if n.target in bound.arguments]
    try:
        with torch.no_grad():
            Recorder(gm).run(*args)
    except Exception as e:  # noqa: BLE001
        raise TraceFailed(f"its traced graph doesn't run: {type(e).__name__}: {e}") from None
    return Traced(graph, values, concrete)


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return f"torch.fx can't trace its forward: {type(e).__name__}: {text[0] if text else ''}"


def _user_line(e: Exception) -> str | None:
    """The innermost frame of the traceback outside torch: the user's line fx stopped at."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    for frame in reversed(frames):
        if "/torch/" not in frame.filename.replace("\\", "/"):
            return f"{frame.filename}:{frame.lineno}"
    return None


def node_line(node) -> str | None:
    """The source line (``file:line``) a traced node came from, from fx's stack trace."""
    trace_text = node.meta.get("stack_trace") or ""
    lines = [
        line.strip()
        for line in trace_text.splitlines()
        if line.strip().startswith("File") and "/torch/" not in line.replace("\\", "/")
    ]
    if not lines:
        return None
    last = lines[-1]  # File "path", line N, in forward: the innermost outside torch
    try:
        path = last.split('"')[1]
        number = last.split("line ")[1].split(",")[0]
    except IndexError:
        return None
    return f"{path}:{number}"
