"""Verify generated source before it is written: import it fresh, build it, run the example
inputs, then check it under torch.jit.script, torch.jit.trace, torch.compile(fullgraph=True)
and torch.export. Each check ends ok, failed (with torch's reason) or skipped (with why)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from .model import Model
from .runtime import construct, example_tensors, imported, run_forward

CHECKS = ("script", "trace", "compile", "export")


@dataclass
class Check:
    name: str
    status: str  # "ok" | "failed" | "skipped"
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "failed"]

    def by_name(self) -> dict[str, Check]:
        return {c.name: c for c in self.checks}


NO_EXAMPLES = "no example inputs: give graph.input as a mapping, e.g. `x: {shape: [4, 128]}`"


def verify(text: str, model: Model, class_name: str, source_name: str | None = None) -> Report:
    """Check ``text``; a construction or example-input failure raises SpecError."""
    import torch

    with imported(text) as module:
        instance = construct(module, class_name, model, source_name, text)
        instance.eval()
        report = Report()
        inputs = None
        expected = None
        if model.examples is not None:
            inputs = tuple(example_tensors(model.examples).values())
            scope = run_forward(
                module, instance, class_name, model, dict(zip(model.inputs, inputs)), source_name
            )
            expected = scope["__return__"]
            report.checks.append(Check("run", "ok", "example inputs"))
        lazy = _uninitialized(instance)
        with torch.no_grad():
            report.checks.append(_script(instance, inputs, expected, lazy))
            if inputs is None:
                report.checks += [Check(n, "skipped", NO_EXAMPLES) for n in CHECKS[1:]]
            else:
                report.checks.append(
                    _run_check("trace", lambda: _trace(instance, inputs), expected)
                )
                report.checks.append(_compile(instance, inputs, expected))
        if inputs is not None:
            report.checks.append(_export(instance, inputs, expected))
        return report


def _uninitialized(instance) -> bool:
    import torch

    return any(
        isinstance(p, torch.nn.parameter.UninitializedParameter) for p in instance.parameters()
    )


def _script(instance, inputs, expected, lazy: bool) -> Check:
    import torch

    if lazy:
        return Check(
            "script",
            "skipped",
            "Lazy modules are uninitialized until a first forward;"
            " give example inputs so sizes are inferred",
        )
    if inputs is None:
        try:
            torch.jit.script(instance)
        except Exception as e:  # noqa: BLE001
            return Check("script", "failed", _reason(e))
        return Check("script", "ok", "compiled; not run: no example inputs")
    return _run_check("script", lambda: torch.jit.script(instance)(*inputs), expected)


def _trace(instance, inputs):
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(instance, inputs, strict=False, check_trace=False)
    return traced(*inputs)


def _compile(instance, inputs, expected) -> Check:
    import torch

    torch._dynamo.reset()
    rnn = [type(m).__name__ for m in instance.modules() if isinstance(m, torch.nn.RNNBase)]
    note = ""
    patch = contextlib.nullcontext()
    if rnn:
        patch = torch._dynamo.config.patch(allow_rnn=True)
        note = (
            f"with torch._dynamo.config.allow_rnn=True: dynamo refuses "
            f"{'/'.join(sorted(set(rnn)))} under fullgraph otherwise"
        )
    with patch:
        check = _run_check(
            "compile",
            lambda: torch.compile(instance, backend="eager", fullgraph=True)(*inputs),
            expected,
        )
    torch._dynamo.reset()
    if note and check.status == "ok":
        check.detail = note
    return check


def _export(instance, inputs, expected) -> Check:
    import torch

    try:
        program = torch.export.export(instance, inputs)
        got = program.module()(*inputs)
    except Exception as e:  # noqa: BLE001
        return Check("export", "failed", _reason(e))
    return _compare("export", got, expected)


def _run_check(name: str, run: Callable[[], object], expected) -> Check:
    try:
        got = run()
    except Exception as e:  # noqa: BLE001 - torch's reason is the check's result
        return Check(name, "failed", _reason(e))
    if expected is None:
        return Check(name, "ok")
    return _compare(name, got, expected)


def _compare(name: str, got, expected) -> Check:
    import torch

    try:
        torch.testing.assert_close(_plain(got), _plain(expected), rtol=1e-4, atol=1e-5)
    except Exception as e:  # noqa: BLE001
        return Check(name, "failed", "outputs differ from eager: " + _reason(e))
    return Check(name, "ok", "same outputs as eager")


def _plain(value):
    """Named tuples (torch.return_types) compared as plain tuples."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _reason(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(e).__name__
    return f"{type(e).__name__}: {text}"[:300]
