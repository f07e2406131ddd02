"""verify's progress: each check is handed to ``on_check`` in the calling process as it ends,
with its final status and its own time, in the order of the report."""

from __future__ import annotations

import textwrap

from torcharc_codegen import compile_spec
from torcharc_codegen.check.limits import torch_version
from torcharc_codegen.check.verify import verify, verify_other_values

MLP = {
    "modules": {"fc": {"Linear": {"in_features": 4, "out_features": 2}}, "act": {"ReLU": None}},
    "graph": {"input": {"x": {"shape": [3, 4]}}, "modules": {"fc": ["x"], "act": ["fc"]}},
}
MLP["graph"]["output"] = "act"


def test_each_check_is_handed_over_as_it_ends_with_its_time():
    result = compile_spec(MLP, verify=False)
    seen = []
    report = verify(result.code, result.model, on_check=lambda c: seen.append(c))
    assert seen == report.checks
    assert [c.name for c in seen] == ["run", "script", "trace", "compile", "export"]
    assert all(c.status == "ok" and c.seconds is not None and c.seconds >= 0 for c in seen)


def test_a_skipped_check_is_handed_over_untimed():
    no_examples = {**MLP, "graph": {**MLP["graph"], "input": ["x"]}}
    result = compile_spec(no_examples, verify=False)
    seen = []
    report = verify(result.code, result.model, on_check=seen.append)
    assert seen == report.checks
    assert [(c.name, c.status) for c in seen] == [
        ("script", "ok"),
        ("trace", "skipped"),
        ("compile", "skipped"),
        ("export", "skipped"),
    ]
    assert seen[0].seconds is not None and all(c.seconds is None for c in seen[1:])


def test_other_values_hand_over_the_lines_they_report():
    spec = textwrap.dedent("""\
        params:
          hidden: 8
        modules:
          fc: {Linear: {in_features: 4, out_features: "${hidden}"}}
        graph:
          input: {x: {shape: [3, 4]}}
          modules: {fc: [x]}
          output: fc
        """)
    result = compile_spec(spec.encode(), verify=False)
    seen = []
    checks = verify_other_values(result.code, result.model, on_check=seen.append)
    assert seen == checks
    assert [c.name for c in seen] == ["run", "script", "trace", "compile", "export"]
    assert all(c.detail.startswith("at hidden=") for c in seen)


def test_a_check_torch_cannot_do_is_handed_over_as_not_possible():
    spec = textwrap.dedent("""\
        modules:
          t: {TransformerEncoderLayer: {d_model: 8, nhead: 2, bias: false, batch_first: true}}
        graph:
          input: {x: {shape: [4, 3, 8]}}
          modules: {t: [x]}
          output: t
        """)
    result = compile_spec(spec.encode(), verify=False)
    seen = []
    verify(result.code, result.model, on_check=seen.append)
    assert seen[1].line() == (
        f"script: not possible (torch {torch_version()} cannot script"
        " TransformerEncoderLayer(bias=False))"
    )
