"""verify.py on its own: the checks a generated file passes before it is written, each line
ok, failed with torch's reason, skipped or "not possible" (torch's own limit); the Report says
which fail and which a project refuses."""

from __future__ import annotations

import pytest

from torcharc_codegen.api import load_model
from torcharc_codegen.check.limits import NOT_POSSIBLE
from torcharc_codegen.check.verify import CHECKS, Check, Report, verify
from torcharc_codegen.codegen.emit import Header, emit
from torcharc_codegen.errors import SpecError


def checked(modules: dict, input, nodes: dict | None = None, imports=(), **kwargs) -> Report:
    """The Report of verify() on the code emitted for a spec calling each module in turn."""
    names = list(modules)
    nodes = nodes or {n: [prev] for n, prev in zip(names, ["x", *names])}
    spec = {"modules": modules, "graph": {"input": input, "modules": nodes, "output": names[-1]}}
    _, model = load_model(spec, imports)
    return verify(emit(model, "Model", Header()), model, **kwargs)


def lines(report: Report) -> list[str]:
    return [c.line() for c in report.checks]


LINEAR = {"lin": {"Linear": {"in_features": 4, "out_features": 2}}}
EXAMPLE = {"x": {"shape": [3, 4]}}
SAME = "same outputs as eager"


def test_a_report_tells_failed_from_refused_and_a_dynamic_batch():
    report = Report(
        [
            Check("run", "ok", "example inputs"),
            Check("script", NOT_POSSIBLE, "nn.X can't be scripted"),
            Check("trace", "failed", "RuntimeError: boom"),
            Check("compile", "skipped", "no example inputs"),
            Check("export", "ok", "dynamic batch size, same outputs as eager"),
        ]
    )
    assert [c.name for c in report.failed] == ["trace"]
    assert [c.name for c in report.refused()] == ["trace"]
    assert [c.name for c in report.refused(("script", "compile"))] == ["script", "trace"]
    assert report.dynamic_batch
    assert report.checks[2].line() == "trace: failed (RuntimeError: boom)"
    assert Check("script", "ok").line() == "script: ok"
    static = Report([Check("export", "ok", "static: the example batch size is 1")])
    assert not static.dynamic_batch
    assert not Report([Check("export", "failed", "dynamic batch size: ...")]).dynamic_batch


def test_a_model_that_works_passes_every_check_against_eager():
    report = checked(LINEAR, EXAMPLE)
    assert lines(report) == [
        "run: ok (example inputs)",
        f"script: ok ({SAME})",
        f"trace: ok ({SAME})",
        f"compile: ok ({SAME})",
        f"export: ok (dynamic batch size, {SAME})",
    ]
    assert not report.failed and report.dynamic_batch


def test_with_a_batch_of_one_the_export_is_static():
    report = checked(LINEAR, {"x": {"shape": [1, 4]}})
    assert report.checks[-1].line() == "export: ok (static: the example batch size is 1)"
    assert not report.dynamic_batch


def test_without_example_inputs_only_script_runs():
    assert lines(checked(LINEAR, "x")) == [
        "script: ok (compiled; not run: no example inputs)",
        *[f"{name}: skipped (no example inputs)" for name in CHECKS[1:]],
    ]


def test_example_inputs_the_model_cannot_take_are_a_spec_error_at_the_node():
    with pytest.raises(SpecError) as err:
        checked(LINEAR, {"x": {"shape": [3, 5]}})
    (line,) = err.value.lines()
    assert line.startswith("graph.modules.lin: ")
    assert "mat1 and mat2 shapes cannot be multiplied (3x5 and 4x2)" in line


def test_a_failing_check_says_torchs_reason_and_the_others_still_run(user_module):
    user_module(
        "verify_layers",
        """\
        from torch import nn


        class Unscriptable(nn.Module):
            def forward(self, x):
                try:  # TorchScript has no try blocks
                    return x * 2
                except RuntimeError:
                    return x
        """,
    )
    modules = {**LINEAR, "twice": {"verify_layers.Unscriptable": None}}
    report = checked(modules, EXAMPLE, imports=["verify_layers"])
    (script,) = report.failed
    assert script.line().startswith(
        "script: failed (UnsupportedNodeError: try blocks aren't supported"
    )
    assert report.refused() == [script]
    assert lines(report)[2:] == [
        f"trace: ok ({SAME})",
        f"compile: ok ({SAME})",
        f"export: ok (dynamic batch size, {SAME})",
    ]


def test_a_check_whose_outputs_differ_from_eagers_fails(user_module):
    user_module(
        "verify_tracing",
        """\
        import torch
        from torch import nn


        class Halves(nn.Module):
            \"\"\"Half the input, except while traced (a user's mistake verify must catch).\"\"\"

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x if torch.jit.is_tracing() else x / 2
        """,
    )
    modules = {**LINEAR, "halves": {"verify_tracing.Halves": None}}
    report = checked(modules, EXAMPLE, imports=["verify_tracing"])
    (trace,) = report.failed
    assert trace.line().startswith("trace: failed (outputs differ from eager: AssertionError:")
    assert [c.status for c in report.checks] == ["ok", "ok", "failed", "ok", "ok"]


def test_a_check_torch_cannot_do_for_a_class_is_not_possible_unless_required():
    layer = {"TransformerEncoderLayer": {"d_model": 8, "nhead": 2, "bias": False}}
    report = checked({"enc": layer}, {"x": {"shape": [2, 3, 8]}})
    script = report.checks[1]
    assert (script.name, script.status) == ("script", NOT_POSSIBLE)
    assert "TransformerEncoderLayer" in script.detail
    assert not report.failed and not report.refused()
    assert report.refused(("script",)) == [script]
