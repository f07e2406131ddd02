"""The ``${...}`` language, the ``params:`` mapping, and resolving a spec for given values."""

from __future__ import annotations

import ast

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from shared_specs import MLP

from torcharc_codegen import params as P
from torcharc_codegen.errors import SpecError
from torcharc_codegen.grammar.schema import base_schema
from torcharc_codegen.spec.load import load_text


@pytest.mark.parametrize(
    "text, source",
    [
        ("hidden", "hidden"),
        ("hidden*4", "hidden * 4"),
        ("  (hidden)  ", "hidden"),
        ("(a + b) * c", "(a + b) * c"),
        ("a + b * c", "a + b * c"),
        ("(a * b) + c", "a * b + c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a + (b + c)", "a + (b + c)"),  # kept: the order of float additions is the user's
        ("a // (b * 2)", "a // (b * 2)"),
        ("-(a + b)", "-(a + b)"),
        ("-a * 2", "-a * 2"),
        ("a * -2", "a * -2"),
        ("a / 2.5 % 3", "a / 2.5 % 3"),
        ("1e3 + x", "1000.0 + x"),
    ],
)
def test_expressions_render_with_minimal_parentheses(text, source):
    assert P.parse(text).source() == source


def test_names_are_listed_in_order_of_first_use():
    assert P.parse("b * (a + b) // c").names == ("b", "a", "c")


def test_ints_stay_ints_and_slash_gives_a_float():
    values = {"h": 7}
    assert P.parse("h // 2").evaluate(values) == 3
    assert type(P.parse("h // 2").evaluate(values)) is int
    assert type(P.parse("h % 4 * 2 - 1").evaluate(values)) is int
    assert P.parse("h / 2").evaluate(values) == 3.5
    assert P.parse("h / 7").type({"h": int}) is float
    assert P.parse("h * 2 + 1").type({"h": int}) is int
    assert P.parse("h * 0.5").type({"h": int}) is float


# Random trees over the language: rendering then evaluating as Python gives the same value.
_leaves = st.one_of(
    st.sampled_from(["a", "b", "c"]).map(lambda n: ast.Name(n)),
    st.integers(0, 9).map(ast.Constant),
    st.sampled_from([0.5, 1.25, 3.0]).map(ast.Constant),
)
_ops = st.sampled_from([ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Div, ast.Mod])
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.builds(lambda a, op, b: ast.BinOp(a, op(), b), inner, _ops, inner),
        inner.map(lambda x: ast.UnaryOp(ast.USub(), x)),
    ),
    max_leaves=8,
)


@given(_trees, st.integers(1, 50), st.integers(1, 50), st.integers(1, 50))
def test_rendered_source_means_the_same_as_the_tree(tree, a, b, c):
    values = {"a": a, "b": b, "c": c}
    text = P.render(tree)
    try:
        want = P.Expr(text, tree).evaluate(values)
    except ZeroDivisionError:
        with pytest.raises(ZeroDivisionError):
            eval(text, {}, values)  # noqa: S307 - our own whitelisted expression
        return
    got = eval(text, {}, values)  # noqa: S307
    assert type(got) is type(want)
    assert got == want or (got != got and want != want)  # nan == nan
    assert P.parse(text).source() == text  # rendering is a fixed point


@pytest.mark.parametrize(
    "text, message, offset",
    [
        (
            "hidden ** 2",
            "`**` is not allowed in ${...}: use parameter names, int or float numbers,"
            " + - * // / %, and parentheses",
            0,
        ),
        (
            "max(a, 2)",
            "a function call (`max(a, 2)`) is not allowed in ${...}: use parameter names, int"
            " or float numbers, + - * // / %, and parentheses",
            0,
        ),
        (
            "a + cfg.width",
            "an attribute (`cfg.width`) is not allowed in ${...}: use parameter names, int or"
            " float numbers, + - * // / %, and parentheses",
            4,
        ),
        (
            "a * 'x'",
            "a string is not allowed in ${...}: use parameter names, int or float numbers,"
            " + - * // / %, and parentheses",
            4,
        ),
        (
            " a if b else c",
            "a conditional expression (`a if b else c`) is not allowed in ${...}: use parameter"
            " names, int or float numbers, + - * // / %, and parentheses",
            1,
        ),
        (
            "a << 1",
            "`<<` is not allowed in ${...}: use parameter names, int or float numbers,"
            " + - * // / %, and parentheses",
            0,
        ),
        (
            "a +",
            "invalid expression in ${...}: invalid syntax; use parameter names, int or float"
            " numbers, + - * // / %, and parentheses",
            0,  # where Python's parser puts it
        ),
        ("", "empty ${}: write a parameter name or an expression, e.g. ${hidden}", 0),
        (
            "hiden * 2",
            "unknown parameter `hiden`: did you mean `hidden`? (declared under `params:`:"
            " `hidden`, `depth`)",
            0,
        ),
        (
            "depth + size",
            "unknown parameter `size` (declared under `params:`: `hidden`, `depth`)",
            8,
        ),
    ],
)
def test_expression_errors_say_what_was_found_and_where(text, message, offset):
    with pytest.raises(P.ExprError) as info:
        P.parse(text, {"hidden": 256, "depth": 2})
    assert (info.value.message, info.value.offset) == (message, offset)


def _lines(text: str) -> list[str]:
    source = load_text(text, "spec.yaml")
    analysis = P.analyze(source.data, base_schema())
    return [
        p.located(source).format("spec.yaml") + (" (warning)" if p.warning else "")
        for p in analysis.problems
    ]


def test_the_shared_mlp_spec_is_clean():
    source = load_text(MLP, "mlp.yaml")
    analysis, errors, warnings = P.check(source, base_schema())
    assert (errors, warnings) == ([], [])
    assert {n: (p.default, p.type) for n, p in analysis.params.items()} == {
        "hidden": (256, int),
        "n_classes": (10, int),
        "p_drop": (0.1, float),
    }
    assert [(r.path[-2:], r.expr.source()) for r in analysis.refs] == [
        (("LazyLinear", "out_features"), "hidden"),
        (("Dropout", "p"), "p_drop"),
        (("LazyLinear", "out_features"), "hidden * 4"),
        (("LazyLinear", "out_features"), "n_classes"),
    ]


BAD = """\
params:
  hidden: 256
  p_drop: 0.1
  unused: 3
  flag: true
modules:
  body:
    Sequential:
      - Linear:
          in_features: ${p_drop}
          out_features: ${hidden / 2}
      - Linear: {in_features: "${hiden}", out_features: "x${hidden}"}
      - Linear: {in_features: 4, out_features: 4, bias: "${hidden}"}
      - Dropout: {p: "${flag * 2}"}
  stack:
    compact:
      layer:
        type: LazyConv2d
        keys: [out_channels, kernel_size]
        args: [["${hidden}", 3], ["${p_drop}", [3, "${p_drop}"]]]
graph:
  input:
    x: {shape: [4, "${hidden / 4}"]}
  modules:
    body: [x]
    "${hidden}": [x]
  output: body
"""


def test_reference_errors_are_located_at_the_expression():
    assert _lines(BAD) == [
        "spec.yaml:10:26: modules.body.Sequential[0].Linear.in_features: ${p_drop} is a float,"
        " but Linear.in_features takes an int",
        "spec.yaml:11:27: modules.body.Sequential[0].Linear.out_features: ${hidden / 2} is a"
        " float (`/` always gives a float: use `//`), but Linear.out_features takes an int",
        "spec.yaml:12:34: modules.body.Sequential[1].Linear.in_features: unknown parameter"
        " `hiden`: did you mean `hidden`? (declared under `params:`: `hidden`, `p_drop`,"
        " `unused`, `flag`)",
        "spec.yaml:12:59: modules.body.Sequential[1].Linear.out_features: a ${...} must be the"
        " whole value, not part of a string ('x${hidden}'): write the value as one ${...}",
        "spec.yaml:13:60: modules.body.Sequential[2].Linear.bias: ${hidden} is an int, but"
        " Linear.bias takes a bool",
        "spec.yaml:14:25: modules.body.Sequential[3].Dropout.p: `flag` is a bool parameter:"
        " only int and float parameters take part in arithmetic",
        "spec.yaml:20:38: modules.stack.compact.layer.args[1][0]: ${p_drop} is a float, but"
        " LazyConv2d.out_channels takes an int",
        "spec.yaml:20:55: modules.stack.compact.layer.args[1][1][1]: ${p_drop} is a float, but"
        " LazyConv2d.kernel_size takes an int",
        "spec.yaml:23:23: graph.input.x.shape[1]: ${hidden / 4} is a float: a shape entry must"
        " be an int",
        "spec.yaml:26:6: graph.modules.${hidden}: a ${...} can stand only for a module's"
        " argument value, a compact-form value or an example-input shape entry",
        "spec.yaml:4:11: params.unused: parameter `unused` is declared but never used: remove"
        " it or use ${unused} (warning)",
    ]


@pytest.mark.parametrize(
    "params, message",
    [
        ("{nn: 3}", "params.nn: parameter name `nn` is reserved (the generated file uses it):"),
        ("{self: 3}", "params.self: parameter name `self` is reserved"),
        ("{class: 3}", "params.class: parameter name 'class' is not a Python identifier"),
        ("{sizes: [1, 2]}", "params.sizes: parameter `sizes`: the default must be an int,"),
        ("{x: null}", "params.x: parameter `x`: the default must be an int, float, bool or"),
        ("[hidden]", "params: `params` must be a mapping of name -> default"),
    ],
)
def test_bad_params(params, message):
    text = f"params: {params}\nmodules: {{}}\ngraph: {{input: x, modules: {{}}, output: x}}\n"
    (line,) = _lines(text)
    assert message in line


def test_resolve_gives_the_plain_torcharc_spec():
    data = load_text(MLP, "mlp.yaml").data
    assert P.resolve(data, {"hidden": 512, "p_drop": 0.25}) == {
        "modules": {
            "body": {
                "Sequential": [
                    {"LazyLinear": {"out_features": 512}},
                    {"ReLU": None},
                    {"Dropout": {"p": 0.25}},
                    {"LazyLinear": {"out_features": 2048}},
                    {"LazyLinear": {"out_features": 10}},
                ]
            }
        },
        "graph": {"input": ["x"], "modules": {"body": ["x"]}, "output": "body"},
    }
    assert "${hidden}" in str(data)  # the spec itself is untouched


def test_resolve_evaluates_compact_rows_nested_values_and_shapes():
    data = yaml.safe_load("""
params: {w: 8, k: 3}
modules:
  stack:
    compact:
      layer:
        type: LazyConv2d
        keys: [out_channels, kernel_size]
        args: [["${w}", "${k}"], ["${w * 2}", ["${k}", "${k + 2}"]]]
graph:
  input: {x: {shape: [1, 3, "${w * 4}", 32]}}
  modules: {stack: [x]}
  output: stack
""")
    resolved = P.resolve(data, {"k": 5})
    assert resolved["modules"]["stack"]["compact"]["layer"]["args"] == [[8, 5], [16, [5, 7]]]
    assert resolved["graph"]["input"] == ["x"]
    with_shapes = P.substitute(data, P.collect_params(data)[0], {"w": 2, "k": 1})
    assert with_shapes["graph"]["input"]["x"]["shape"] == [1, 3, 8, 32]


def test_resolved_yaml_reads_back_as_the_same_spec():
    resolved = P.resolve(load_text(MLP, "mlp.yaml").data)
    text = P.dump_yaml(resolved)
    assert "${" not in text and "params" not in text
    assert yaml.safe_load(text) == resolved
    assert text.startswith("modules:\n  body:\n    Sequential:\n    - LazyLinear:\n")


def test_param_values_from_the_command_line():
    params, _ = P.collect_params(load_text(MLP, "mlp.yaml").data)
    assert P.parse_assignments(["hidden=512", "p_drop=0.2"], params) == {
        "hidden": 512,
        "p_drop": 0.2,
    }
    with pytest.raises(P.ParamValueError, match=r"^parameter `hidden` is an int: can't read"):
        P.parse_assignments(["hidden=0.5"], params)
    with pytest.raises(P.ParamValueError, match=r"unknown parameter `hiden`: did you mean"):
        P.parse_assignments(["hiden=3"], params)
    with pytest.raises(P.ParamValueError, match=r"write name=value, e.g. hidden=512"):
        P.parse_assignments(["hidden"], params)
    assert P.values_for(params, {"p_drop": 1}) == {"hidden": 256, "n_classes": 10, "p_drop": 1.0}
    with pytest.raises(P.ParamValueError, match=r"^parameter `hidden` is an int: got True$"):
        P.values_for(params, {"hidden": True})


@pytest.mark.parametrize(
    "text, line",
    [
        ("modules:\n  a: {Linear: {in_features: 3, out_features: ${hidden}}}\n", 2),
        ("graph:\n  input:\n    x: {shape: [4, ${in_dim}]}\n", 3),
    ],
)
def test_an_unquoted_reference_in_flow_style_gets_a_hint(text, line):
    with pytest.raises(SpecError) as info:
        load_text(text, "spec.yaml")
    (problem,) = info.value.problems
    assert problem.line == line
    hint = P.flow_style_hint(text, problem.line)
    assert hint is not None and hint.startswith(
        'in YAML flow style ({...} or [...]) a ${...} value must be quoted: write "${'
    )


def test_no_hint_for_a_quoted_or_block_style_reference():
    assert P.flow_style_hint('a: {x: "${h}", y: [}\n', 1) is None
    assert P.flow_style_hint("a:\n  x: ${h}\n  y: [\n", 2) is None


def test_resolved_yaml_writes_aliased_modules_out_in_full():
    data = load_text(
        "params: {h: 4}\nmodules:\n  a: &m {LazyLinear: {out_features: '${h}'}}\n  b: *m\n"
        "graph: {input: [x], modules: {a: [x], b: [a]}, output: b}\n",
        "spec.yaml",
    ).data
    text = P.dump_yaml(P.resolve(data))
    assert "&" not in text and "*" not in text
    assert yaml.safe_load(text)["modules"]["b"] == {"LazyLinear": {"out_features": 4}}


def test_a_division_by_zero_names_the_values():
    data = yaml.safe_load(
        "params: {h: 4, d: 2}\nmodules: {a: {LazyLinear: {out_features: '${h // d}'}}}\n"
        "graph: {input: [x], modules: {a: [x]}, output: a}\n"
    )
    with pytest.raises(P.ParamValueError) as info:
        P.resolve(data, {"d": 0})
    assert str(info.value) == "${h // d} divides by zero for h=4, d=0"
    assert info.value.path == ("modules", "a", "LazyLinear", "out_features")


STR_IN_INT_SLOTS = """\
params:
  name: "x"
modules:
  lin:
    Linear:
      in_features: ${name}
      out_features: 2
  conv:
    LazyConv2d: {out_channels: 2, kernel_size: [3, "${name}"]}
graph:
  input: x
  modules: {lin: [x], conv: [x]}
  output: lin
"""


def test_a_str_param_in_an_int_slot_is_a_clash_though_every_argument_takes_a_reference():
    """The published schema's arguments (and their list items) all take a ${...} string, its
    paramRef branch: that branch says nothing of the value, a str param is still no int."""
    ref = {"$ref": "#/definitions/paramRef"}
    linear = base_schema()["definitions"]["class"]["Linear"]["properties"]["Linear"]
    assert ref in linear["properties"]["in_features"]["anyOf"]
    conv = base_schema()["definitions"]["class"]["LazyConv2d"]["properties"]["LazyConv2d"]
    (array,) = [b for b in conv["properties"]["kernel_size"]["anyOf"] if b.get("type") == "array"]
    assert ref in array["items"]["anyOf"]
    assert _lines(STR_IN_INT_SLOTS) == [
        "spec.yaml:6:22: modules.lin.Linear.in_features: ${name} is a str, but"
        " Linear.in_features takes an int",
        "spec.yaml:9:55: modules.conv.LazyConv2d.kernel_size[1]: ${name} is a str, but"
        " LazyConv2d.kernel_size takes an int",
    ]


# --- search domains ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"default": 3, "low": 1, "high": 8, "step": 2}, "doesn't divide the range"),
        ({"default": 2, "low": 1, "high": 7, "step": 2}, "not on the grid"),
        ({"default": 8, "low": 0, "high": 64, "log": True}, "needs `low` > 0"),
        ({"default": 9, "low": 1, "high": 65, "log": True, "step": 2}, "no `step` other than 1"),
        ({"default": 99, "low": 1, "high": 64}, "not within"),
        ({"default": 64, "choices": [32, 128]}, "not one of the choices"),
        ({"default": True, "low": 0, "high": 1}, "ranges over `choices`"),
        ({"default": 8, "low": 1, "hihg": 64}, "did you mean `high`"),
        ({"low": 1, "high": 64}, "needs its `default`"),
    ],
)
def test_domain_errors(raw, message):
    _, problems = P.collect_params({"params": {"w": raw}})
    assert len(problems) == 1 and message in problems[0].message
    assert problems[0].path[:2] == ("params", "w")


def test_domains():
    params, problems = P.collect_params(
        {
            "params": {
                "hidden": {"default": 256, "low": 64, "high": 1024, "log": True},
                "k": {"default": 3, "low": 1, "high": 7, "step": 2},
                "p": {"default": 0.1, "low": 0.0, "high": 0.5},
                "flag": {"default": True, "choices": [True, False]},
                "fixed": 7,
            }
        }
    )
    assert not problems
    assert params["hidden"].default == 256 and params["hidden"].domain.log
    assert 5 in params["k"].domain and 4 not in params["k"].domain
    assert params["k"].domain.points() == [1, 3, 5, 7]
    assert params["fixed"].domain is None and params["fixed"].type is int
    assert P.describe(params["k"].domain) == "1..7, step 2"
