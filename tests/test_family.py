"""A parametrized spec compiles into one class for the whole family: its params are
keyword-only __init__ arguments, argument values and inferred sizes are expressions in them,
the file is checked at the defaults and at other values, and --param / the API change the
defaults. (Equivalence with TorchArc for random values: test_family_equivalence.py.)"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import torch

from torcharc_codegen.api import build, compile_spec, generate
from torcharc_codegen.check.runtime import import_in_memory
from torcharc_codegen.cli import main
from torcharc_codegen.errors import SpecError
from torcharc_codegen.params import ParamValueError

EXAMPLES = Path(__file__).resolve().parents[1] / "generated_examples" / "params"
MLP = EXAMPLES / "mlp.yaml"


def _class(text: str, name: str = "Model"):
    return getattr(import_in_memory(text), name)


def test_init_takes_the_params_keyword_only_annotated_with_the_spec_defaults():
    cls = _class(generate(MLP))
    params = inspect.signature(cls.__init__).parameters
    assert [(p.name, p.kind, p.annotation, p.default) for p in list(params.values())[1:]] == [
        ("hidden", inspect.Parameter.KEYWORD_ONLY, int, 256),
        ("n_classes", inspect.Parameter.KEYWORD_ONLY, int, 10),
        ("p_drop", inspect.Parameter.KEYWORD_ONLY, float, 0.1),
    ]
    doc = inspect.getdoc(cls)
    assert (
        "Args:\n"
        "    hidden (int, default 256): width of the hidden layers\n"
        "    n_classes (int, default 10): classes the head scores\n"
        "    p_drop (float, default 0.1): dropout probability after the first layer\n"
    ) in doc


def test_inferred_sizes_follow_the_params_for_values_other_than_the_defaults():
    text = generate(MLP)
    assert "nn.Linear(in_features=hidden, out_features=hidden * 4)" in text
    assert "nn.Linear(in_features=hidden * 4, out_features=n_classes)" in text
    model = _class(text)(hidden=7, n_classes=3, p_drop=0.5).eval()
    assert model(torch.randn(5, 32)).shape == (5, 3)
    assert model.body[4].in_features == 28


def test_a_flatten_after_a_parametrized_conv_gives_an_expression():
    text = (EXAMPLES / "conv_classifier.py").read_text()
    assert "nn.Linear(in_features=width * 144, out_features=n_classes)" in text
    cls = _class(text, "ConvClassifier")
    for width in (1, 5, 16):
        model = cls(width=width).eval()
        assert model(torch.randn(2, 3, 26, 26)).shape == (2, 10)


def test_an_example_shape_parameter_sizes_the_first_layer():
    text = (EXAMPLES / "input_width.py").read_text()
    assert "self.up = nn.Linear(in_features=in_dim, out_features=in_dim * expansion)" in text
    model = _class(text, "InputWidth")(in_dim=10, expansion=3).eval()
    assert model(torch.randn(2, 10)).shape == (2, 5)


def test_shape_comments_use_the_parameter_names():
    text = (EXAMPLES / "mlp.py").read_text()
    assert "body = self.body(x)  # (B, n_classes)" in text
    assert "nn.Linear(in_features=hidden, out_features=hidden * 4),  # -> (B, hidden * 4)" in text
    assert "Output: body (B, n_classes)" in text


def test_values_are_written_as_the_spec_writes_them():
    text = (EXAMPLES / "transformer_block.py").read_text()
    assert "dim_feedforward=d_model * 4," in text
    assert "dropout=p_drop," in text


def test_an_int_param_where_torch_wants_a_float_is_converted():
    spec = {
        "params": {"rate": 0},
        "modules": {"drop": {"Dropout": {"p": "${rate}"}}},
        "graph": {"input": {"x": {"shape": [2, 3]}}, "modules": {"drop": ["x"]}, "output": "drop"},
    }
    text = generate(spec, verify=True)
    assert "nn.Dropout(p=float(rate))" in text
    torch.jit.script(_class(text)(rate=1))  # TorchScript types p by its Python type


def test_checks_run_at_the_defaults_and_at_other_values_named_in_the_lines():
    result = compile_spec(MLP)
    lines = [c.line() for c in result.report.checks]
    assert "script: ok (same outputs as eager)" in lines
    assert "script: ok (at hidden=512, n_classes=20, p_drop=0.75; same outputs as eager)" in lines
    assert not result.report.failed


def _hardtanh(lo: float, width: int = 8) -> dict:
    return {
        "params": {"lo": lo, "width": width},
        "modules": {
            "lin": {"LazyLinear": {"out_features": "${width}"}},
            "act": {"Hardtanh": {"min_val": "${lo}", "max_val": 0.5}},
        },
        "graph": {
            "input": {"x": {"shape": [2, 3]}},
            "modules": {"lin": ["x"], "act": ["lin"]},
            "output": "act",
        },
    }


def test_other_values_the_class_cannot_take_are_passed_over():
    # lo=0.75 breaks Hardtanh (max_val > min_val): the next set changes the ints alone
    result = compile_spec(_hardtanh(0.4))
    lines = [c.line() for c in result.report.checks]
    assert "script: ok (at width=16; same outputs as eager)" in lines


def test_no_other_values_says_why():
    spec = _hardtanh(0.4)
    spec["params"].pop("width")
    spec["modules"]["lin"]["LazyLinear"]["out_features"] = 8
    result = compile_spec(spec)
    assert result.report.checks[-1].line() == (
        "other values: skipped (at lo=0.75: torch can't build this module: AssertionError:"
        " max_val (0.5) must be greater than min_val (0.75))"
    )


def test_a_size_expression_right_only_at_the_defaults_fails_the_check(monkeypatch):
    """The second set of values catches a size expression that is right only at the defaults:
    given `hidden + 12` for `hidden * 4` (both 16 at hidden=4), the run at hidden=8 fails."""
    import torcharc_codegen.check.shapes as shapes

    original = shapes._expression

    def wrong(value, source, model, path, arg):
        return original(
            value, "hidden + 12" if source == "hidden * 4" else source, model, path, arg
        )

    monkeypatch.setattr(shapes, "_expression", wrong)
    spec = MLP.read_text().replace("hidden: 256", "hidden: 4").encode()
    result = compile_spec(spec)
    assert "nn.Linear(in_features=hidden + 12, out_features=n_classes)" in result.source
    (failed,) = result.report.failed
    assert failed.name == "run" and failed.detail.startswith("at hidden=8, n_classes=20")


def test_a_size_expression_wrong_at_the_defaults_is_refused(monkeypatch):
    import torcharc_codegen.check.shapes as shapes

    original = shapes._expression
    monkeypatch.setattr(
        shapes, "_expression", lambda v, s, m, p, a: original(v, s.replace("* 4", "* 3"), m, p, a)
    )
    with pytest.raises(
        SpecError, match="its expression `hidden \\* 3` gives 768 .*torcharc-gen bug"
    ):
        compile_spec(MLP, verify=False)


def test_generate_params_change_the_defaults():
    text = generate(MLP, params={"hidden": 16})
    assert "hidden: int = 16" in text
    model = _class(text)()
    assert model.body[0].out_features == 16


def test_build_takes_the_values():
    model = build(MLP, hidden=8, n_classes=2)
    assert model.body[3].out_features == 32 and model.body[4].out_features == 2
    with pytest.raises(ParamValueError, match=r"unknown parameter `hiden`: did you mean `hidden`"):
        build(MLP, hiden=8)
    with pytest.raises(ParamValueError, match=r"parameter `hidden` is an int: got 'x'"):
        build(MLP, hidden="x")


def test_param_on_the_command_line_changes_a_default_and_the_regenerate_command(tmp_path, capsys):
    out = tmp_path / "mlp.py"
    assert main([str(MLP), "-o", str(out), "--param", "hidden=512", "--no-verify"]) == 0
    text = out.read_text()
    assert "hidden: int = 512" in text
    assert re.search(r"^#   torcharc-gen \S+mlp.yaml -o mlp.py --param hidden=512$", text, re.M)
    # the same command: current; another: stale, and --check says why
    assert main([str(MLP), "-o", str(out), "--param", "hidden=512", "--check"]) == 0
    capsys.readouterr()
    assert main([str(MLP), "-o", str(out), "--check"]) == 1
    assert "stale: it was generated with another command" in capsys.readouterr().err


def test_a_changed_default_in_the_spec_makes_the_file_stale(tmp_path, capsys):
    spec = tmp_path / "mlp.yaml"
    spec.write_text(MLP.read_text())
    out = tmp_path / "mlp.py"
    assert main([str(spec), "-o", str(out), "--no-verify"]) == 0
    spec.write_text(MLP.read_text().replace("hidden: 256", "hidden: 128"))
    capsys.readouterr()
    assert main([str(spec), "-o", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "stale: its spec changed since it was generated" in err
    assert "-        hidden (int, default 256): width" in err
    assert "+        hidden (int, default 128): width" in err


@pytest.mark.parametrize(
    ("param", "message"),
    [
        (
            "hiden=3",
            "torcharc-gen: error: --param: unknown parameter `hiden`: did you mean `hidden`? "
            "(declared under `params:`: `hidden`, `n_classes`, `p_drop`)",
        ),
        (
            "hidden=5.5",
            "torcharc-gen: error: --param: parameter `hidden` is an int: can't read '5.5' as one",
        ),
        (
            "hidden",
            "torcharc-gen: error: --param: --param 'hidden': write name=value, e.g. hidden=512",
        ),
    ],
)
def test_a_wrong_param_is_one_line_exit_2_nothing_written(param, message, tmp_path, capsys):
    out = tmp_path / "mlp.py"
    assert main([str(MLP), "-o", str(out), "--param", param]) == 2
    assert capsys.readouterr().err.strip() == message
    assert not out.exists()


def test_param_needs_one_spec(tmp_path, capsys):
    assert main([str(EXAMPLES), "-o", str(tmp_path), "--param", "hidden=3"]) == 2
    assert "--param sets one spec's parameters: use it with one spec" in capsys.readouterr().err


def test_a_spec_without_params_keeps_its_strings_as_data():
    """TorchArc's own specs: a string with ${ in it that is not a whole ${...} is data."""
    spec = {
        "modules": {"f": {"TorchFn": {"name": "div", "rounding_mode": "a${b"}}},
        "graph": {"input": ["x"], "modules": {"f": ["x"]}, "output": "f"},
    }
    assert "rounding_mode='a${b'" in generate(spec).replace('"', "'")


def test_a_whole_ref_without_params_says_to_declare_it():
    spec = {
        "modules": {"lin": {"LazyLinear": {"out_features": "${hidden}"}}},
        "graph": {"input": ["x"], "modules": {"lin": ["x"]}, "output": "lin"},
    }
    with pytest.raises(SpecError) as info:
        generate(spec)
    assert [p.message for p in info.value.problems] == [
        "unknown parameter `hidden`: declare it under `params:` with its default"
        " (`params: {hidden: ...}`)"
    ]


def test_summary_shows_shapes_in_the_params_and_which_member_it_counts(capsys):
    assert main(["summary", str(MLP)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^body +Sequential\(5\) +\(B, n_classes\) +281,866 ", out, re.M)
    assert re.search(r"^  3 +Linear +\(B, hidden \* 4\) ", out, re.M)
    assert "\nCounts at the defaults: hidden=256, n_classes=10, p_drop=0.1\n" in out


def test_readme_shows_the_current_spec_and_generated_init():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    spec = MLP.read_text()
    assert spec[spec.index("params:") :] in readme
    generated = MLP.with_suffix(".py").read_text()
    init = generated[generated.index("    def __init__") : generated.index("    def init_weights")]
    assert init.rstrip() + "\n```" in readme


def test_a_str_param_and_a_size_that_shrinks_with_a_param():
    spec = {
        "params": {"mode": "reflect", "k": 3},
        "modules": {
            "conv": {
                "LazyConv1d": {
                    "out_channels": 4,
                    "kernel_size": "${k}",
                    "padding": 1,
                    "padding_mode": "${mode}",
                }
            }
        },
        "graph": {
            "input": {"x": {"shape": [2, 3, 16]}},
            "modules": {"conv": ["x"]},
            "output": "conv",
        },
    }
    text = generate(spec)
    assert 'def __init__(self, *, mode: str = "reflect", k: int = 3) -> None:' in text
    assert "padding_mode=mode" in text
    assert "conv = self.conv(x)  # (B, 4, 19 - k)" in text
    model = _class(text)(mode="zeros", k=5)
    assert model(torch.randn(2, 3, 16)).shape == (2, 4, 14)


def test_an_lstm_and_an_embedding_follow_their_params():
    """torch's fused RNN kernels can't run on symbolic sizes: the probe uses the shapes torch
    documents for RNN, LSTM and GRU; the checks at other values confirm them."""
    spec = {
        "params": {"h": 16, "vocab": 100, "d": 8, "s": 2},
        "modules": {
            "emb": {"Embedding": {"num_embeddings": "${vocab}", "embedding_dim": "${d}"}},
            "rnn": {"LSTM": {"input_size": "${d}", "hidden_size": "${h}", "batch_first": True}},
            "get": {"Get": {"key": 0}},
            "conv": {"LazyConv1d": {"out_channels": 3, "kernel_size": 3, "stride": "${s}"}},
        },
        "graph": {
            "input": {"tokens": {"shape": [4, 10], "dtype": "int64", "high": 100}},
            "modules": {"emb": ["tokens"], "rnn": ["emb"], "get": ["rnn"], "conv": ["get"]},
            "output": "conv",
        },
    }
    result = compile_spec(spec)
    assert not result.report.failed
    assert any(c.detail.startswith("at h=32, vocab=200, d=16, s=4") for c in result.report.checks)
    text = result.source
    assert "self.rnn = nn.LSTM(input_size=d, hidden_size=h, batch_first=True)" in text
    assert "get, _ = self.rnn(emb)  # ((B, 10, h), ((1, B, h), (1, B, h)))" in text
    assert "conv = self.conv(get)  # (B, 3, (h - 3) // s + 1)" in text


def _dims(start: object) -> dict:
    return {
        "params": {"d": 1, "w": 8, "start": 1},
        "modules": {
            "lin": {"LazyLinear": {"out_features": "${w}"}},
            "soft": {"Softmax": {"dim": "${d}"}},
            "flat": {"Flatten": {"start_dim": start}},
        },
        "graph": {
            "input": {"x": {"shape": [4, 3, 5]}},
            "modules": {"lin": ["x"], "soft": ["lin"], "flat": ["soft"]},
            "output": "flat",
        },
    }


def test_a_param_torch_needs_as_a_number_is_fine_where_sizes_do_not_follow_it():
    spec = _dims(1)
    spec["params"].pop("start")
    result = compile_spec(spec)
    assert "self.soft = nn.Softmax(dim=d)" in result.source
    assert "flat = self.flat(soft)  # (B, w * 3)" in result.source
    assert not result.report.failed
    model = _class(result.source)(d=2, w=4).eval()
    assert torch.allclose(model.soft(torch.ones(2, 3, 4)).sum(2), torch.ones(2, 3))


def test_a_param_torch_needs_as_a_number_where_sizes_follow_it_is_refused():
    with pytest.raises(SpecError) as info:
        compile_spec(_dims("${start}"), verify=False)
    assert info.value.lines() == [
        "modules.flat.Flatten: node `flat` calling `Flatten` needs a fixed value of parameter"
        " `start`: no size expression in the parameters is right for every value of `start`;"
        " make it a plain number here"
    ]


def test_other_values_keep_the_example_inputs_within_their_budget():
    """Doubling a parameter that sizes an example input must not allocate past the inputs'
    budget (2**28 elements): that set is passed over, and the line says why."""
    n = 2**25 + 8  # 4 * n fits the budget, 4 * 2n doesn't
    spec = {
        "params": {"n": n},
        "modules": {"sum": {"Reduce": {"name": "sum", "dim": 1}}},
        "graph": {
            "input": {"x": {"shape": [4, "${n}"]}},
            "modules": {"sum": ["x"]},
            "output": "sum",
        },
    }
    result = compile_spec(spec)
    assert (
        result.report.checks[-1]
        .line()
        .startswith(
            f"other values: skipped (at n={2 * n}: example input 'x' of shape [4, {2 * n}] has more"
            " than 268,435,456 elements"
        )
    )


def test_a_param_nothing_in_the_class_follows_is_a_warning():
    spec = {
        "params": {"n": 8, "w": 3},
        "modules": {"lin": {"LazyLinear": {"out_features": "${w}"}}},
        "graph": {
            "input": {"x": {"shape": [4, 8, "${n}"]}},
            "modules": {"lin": ["x"]},
            "output": "lin",
        },
    }
    result = compile_spec(spec, verify=False)
    assert "nn.Linear(in_features=n, out_features=w)" in result.source
    spec["modules"]["lin"] = {"Flatten": {"start_dim": 0, "end_dim": 1}}
    result = compile_spec(spec, verify=False)
    assert [w.message for w in result.warnings] == [
        "parameter `w` is declared but never used: remove it or use ${w}",
        "parameter `n` changes nothing the generated class builds (no argument or inferred size"
        " follows it): its __init__ argument would be ignored",
    ]


def test_a_params_comment_is_its_description():
    text = """\
params:
  # width of the hidden
  # layers
  hidden: 8
  rate: 0.5 # a "#" in a comment is text
  label: "a # b"
  flow: {x: 1} # not a parameter's own line: no description for x or flow?
modules:
  lin: {LazyLinear: {out_features: "${hidden}"}}
  drop: {Dropout: {p: "${rate}"}}
graph:
  input: {x: {shape: [2, 3]}}
  modules: {lin: [x], drop: [lin]}
  output: drop
"""
    from torcharc_codegen.params import descriptions
    from torcharc_codegen.spec.load import load

    assert descriptions(load(text.replace("  flow: {x: 1} # not a", "  # not a").encode())) == {
        "hidden": "width of the hidden layers",
        "rate": 'a "#" in a comment is text',
    }
    spec = text.replace(
        "  flow: {x: 1} # not a parameter's own line: no description for x or flow?\n", ""
    )
    spec = spec.replace('  label: "a # b"\n', "")
    doc = inspect.getdoc(_class(generate(spec.encode())))
    assert "    hidden (int, default 8): width of the hidden layers\n" in doc
    assert '    rate (float, default 0.5): a "#" in a comment is text\n' in doc


def test_params_on_one_flow_line_share_no_comment():
    from torcharc_codegen.params import descriptions
    from torcharc_codegen.spec.load import load

    source = load(b"params: {a: 1, b: 2} # sizes\nmodules: {}\ngraph: {}\n")
    assert descriptions(source) == {}
    source = load(b"params: {a: 1} # the size\nmodules: {}\ngraph: {}\n")
    assert descriptions(source) == {"a": "the size"}
