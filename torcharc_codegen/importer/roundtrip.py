"""The proof of an import: the spec compiles with every check, the generated class loads the
original's ``state_dict()`` with ``strict=True``, and in eval mode it gives the original's
outputs on the example inputs bit for bit. On a difference it names the first module (in the
original's order of calls) whose output differs; the checkpoint names are the original's, so
both models have it under the same name."""

from __future__ import annotations

from dataclasses import dataclass


class RoundTripFailed(Exception):
    pass


@dataclass
class RoundTrip:
    source: str  # the generated file
    checks: list[str]  # each check's line
    seconds: float


def prove(text: str, original, inputs: dict, class_name: str, imports, verify=True) -> RoundTrip:
    import time

    import torch

    from ..api import compile_spec
    from ..check.runtime import import_in_memory
    from ..errors import SpecError

    start = time.perf_counter()
    try:
        result = compile_spec(text, class_name, imports=tuple(imports), verify=verify)
    except SpecError as e:  # the spec written is wrong: the importer's mistake, said as such
        raise RoundTripFailed(f"the spec written doesn't compile: {e.lines()[0]}") from None
    lines = [c.line() for c in result.report.checks] if result.report else []
    if result.report is not None and result.report.failed:
        raise RoundTripFailed("; ".join(c.line() for c in result.report.failed))
    generated = getattr(import_in_memory(result.source), class_name)()
    try:
        generated.load_state_dict(original.state_dict(), strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise RoundTripFailed(
            "the generated class doesn't load the original's state_dict strictly: "
            + " ".join(line.strip() for line in first[:3])
        ) from None
    was_training = original.training
    original.eval()
    generated.eval()
    try:
        with torch.no_grad():
            expected = original(**_copy(inputs))
            got = generated(**_copy(inputs))
        if not _same(expected, got):
            raise RoundTripFailed(
                "outputs differ from the original's in eval mode: "
                + _first_difference(original, generated, inputs)
            )
    finally:
        original.train(was_training)
    return RoundTrip(result.source, lines, time.perf_counter() - start)


def _copy(inputs: dict) -> dict:
    return {k: v.clone() for k, v in inputs.items()}


def _same(a, b) -> bool:
    import torch

    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and torch.equal(a, b)
        )
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return False


def _first_difference(original, generated, inputs: dict) -> str:
    """The first module of the original, in call order, whose output the generated model's
    module of the same name doesn't give."""
    import torch

    outputs: dict[str, list] = {"a": [], "b": []}
    handles = []
    for side, model in (("a", original), ("b", generated)):
        for path, sub in model.named_modules():
            if path:

                def hook(module, args, out, path=path, side=side):
                    outputs[side].append((path, _detach(out)))

                handles.append(sub.register_forward_hook(hook))
    try:
        with torch.no_grad():
            original(**_copy(inputs))
            generated(**_copy(inputs))
    finally:
        for h in handles:
            h.remove()
    theirs: dict[str, list] = {}
    for path, out in outputs["b"]:
        theirs.setdefault(path, []).append(out)
    seen: dict[str, int] = {}
    for path, out in outputs["a"]:  # the original's call order
        n = seen[path] = seen.get(path, 0) + 1
        mine = theirs.get(path, [])
        if len(mine) < n:
            return f"module {path} (call {n}) is not called by the generated model"
        if not _same(out, mine[n - 1]):
            return f"the first module whose output differs is {path} (call {n})"
    return "every module gives the same output; the difference is in the top-level graph"


def _detach(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, list | tuple):
        return [_detach(v) for v in value]
    return value
