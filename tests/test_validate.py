"""Validation on its own (no code generated): the tables it keeps as data agree with torch, and
the rules that are easier to state with a dict spec than with a file in tests/bad_specs/."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch
from torch import nn

from torcharc_codegen import SpecError, register_nn
from torcharc_codegen.spec.classes import builtin_classes
from torcharc_codegen.spec.example_rules import ELEMENT_BUDGET, FLOAT_MAX, INTEGER_RANGES
from torcharc_codegen.spec.hints import declare_input_hint, example_inputs_hint
from torcharc_codegen.spec.load import load
from torcharc_codegen.spec.validate import GENERATED_NAMES, Checked, validate

RELU = {
    "modules": {"act": {"ReLU": None}},
    "graph": {"input": {"x": {"shape": [4, 8]}}, "modules": {"act": ["x"]}, "output": "act"},
}


CLASSES = list(builtin_classes())  # as the schema lists them


def problems(spec: dict) -> list[str]:
    with pytest.raises(SpecError) as err:
        validate(load(spec))
    return err.value.lines()


def with_input(**example) -> dict:
    spec = copy.deepcopy(RELU)
    spec["graph"]["input"]["x"] = example
    return spec


# --- tables kept as data, so validation needs no torch import ---------------------------------


def test_dtype_ranges_are_torchs():
    for name, (least, most) in INTEGER_RANGES.items():
        info = torch.iinfo(getattr(torch, name))
        assert least == info.min
        assert most == (info.max if name == "int64" else info.max + 1)  # high is exclusive
    for name, most in FLOAT_MAX.items():
        assert most == torch.finfo(getattr(torch, name)).max


def test_a_valid_spec_gives_what_later_stages_use():
    checked = validate(load(copy.deepcopy(RELU)))
    assert isinstance(checked, Checked)
    assert checked.classes["ReLU"].kind == "torch" and checked.custom == {}
    assert {"self", "torch", "nn"} <= GENERATED_NAMES


# --- example inputs: checked before anything is allocated ---------------------------------------


@pytest.mark.parametrize(
    "shape",
    [[10**12], [2, 10**23], [100000, 100000], [2**28 + 1]],
)
def test_an_example_input_over_the_element_budget_is_refused(shape):
    assert problems(with_input(shape=shape)) == [
        f"graph.input.x.shape: example input 'x' of shape {shape} has more than "
        "268,435,456 elements (2**28, the budget for all example inputs together): "
        "give smaller shapes"
    ]


def test_the_budget_is_for_all_example_inputs_together():
    spec = copy.deepcopy(RELU)
    spec["graph"]["input"] = {
        "x": {"shape": [2**14, 2**13]},
        "y": {"shape": [2**14, 2**13 - 1]},
        "z": {"shape": [2**14]},
    }
    spec["graph"]["output"] = ["act", "y", "z"]
    validate(load(copy.deepcopy(spec)))  # exactly 2**28 elements in all: the budget
    assert ELEMENT_BUDGET == 2**28
    spec["graph"]["input"]["z"]["shape"] = [2**14 + 1]
    assert problems(spec) == [
        "graph.input.z.shape: with example input 'z', the example inputs have more than "
        "268,435,456 elements (2**28, the budget for all example inputs together): "
        "give smaller shapes"
    ]


@pytest.mark.parametrize(
    ("example", "line"),
    [
        (
            {"shape": [2], "high": float("nan"), "low": 0.0},
            "graph.input.x.high: high of example input 'x' must be a finite number "
            "(values are drawn from [low, high)), got nan",
        ),
        (
            {"shape": [2], "dtype": "int64", "high": float("inf")},
            "graph.input.x.high: high of example input 'x' must be a finite number "
            "(values are drawn from [low, high)), got inf",
        ),
        (
            {"shape": [2], "dtype": "int16", "low": -40000, "high": 4},
            "graph.input.x.low: low -40000 of example input 'x' does not fit int16: int16 "
            "integers are drawn from [low, high) with -32768 <= low < high <= 32768",
        ),
        (
            {"shape": [2], "dtype": "int64", "high": 0},
            "graph.input.x.high: example input 'x': low (0) must be less than high (0): "
            "values are drawn from [low, high)",
        ),
        (
            {"shape": [2], "dtype": "float32", "low": 0.0, "high": 1.0e39},
            "graph.input.x.high: high 1e+39 of example input 'x' does not fit float32 (its "
            "largest value is 3.40282e+38): give a smaller bound",
        ),
    ],
)
def test_example_bounds_are_finite_ordered_and_fit_the_dtype(example, line):
    assert problems(with_input(**example)) == [line]


def test_example_bounds_that_fit_pass():
    validate(load(with_input(shape=[2], dtype="uint8", low=0, high=256)))
    validate(load(with_input(shape=[2], dtype="int64", low=-(2**63), high=2**63 - 1)))
    validate(load(with_input(shape=[2], dtype="float16", low=-65504.0, high=65504.0)))


# --- names --------------------------------------------------------------------------------------


def test_names_are_compared_as_python_reads_them():
    spec = copy.deepcopy(RELU)
    spec["graph"]["input"] = ["ｓｅｌｆ"]
    spec["graph"]["modules"] = {"act": ["ｓｅｌｆ"]}
    assert problems(spec) == [
        "graph.input[0]: input name 'ｓｅｌｆ' is reserved in the generated code (forward's"
        " parameter would hide the instance in the generated methods): rename it"
    ]


def test_a_private_name_nn_module_does_not_use_is_a_fine_module_name():
    spec = copy.deepcopy(RELU)
    spec["modules"] = {"_act": {"ReLU": None}}
    spec["graph"]["modules"] = {"_act": ["x"]}
    spec["graph"]["output"] = "_act"
    validate(load(spec))


# --- no message echoes a huge value -----------------------------------------------------------

BIG = "a" * 50_000_000
CUT = "'" + "a" * 37 + "..." + "a" * 38 + "'"  # the value as every message quotes it


def test_a_huge_argument_value_gives_a_short_line():
    spec = copy.deepcopy(RELU)
    spec["modules"]["act"] = {"Linear": {"in_features": BIG, "out_features": 2}}
    assert problems(spec) == [
        "modules.act.Linear.in_features: argument 'in_features' of Linear must be an integer, "
        f"got the string {CUT}"
    ]


def test_a_huge_name_gives_a_short_line():
    spec = copy.deepcopy(RELU)
    spec["graph"]["modules"]["act"] = [BIG]
    (line,) = problems(spec)
    assert line.startswith(f"graph.modules.act[0]: unknown node {CUT}: not declared in ")
    assert len(line) < 400


def test_a_huge_key_gives_a_short_line():
    spec = copy.deepcopy(RELU)
    spec["modules"]["1" + BIG] = {"ReLU": None}
    spec["graph"]["modules"]["1" + BIG] = ["x"]
    lines = problems(spec)
    assert lines and all(len(line) < 400 for line in lines)
    assert lines[0].startswith("modules.'1aaa")


# --- a node's arguments against its module's forward --------------------------------------------


class ValidatePair(nn.Module):
    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        return left + right


def test_a_users_class_forward_is_checked_too():
    register_nn(ValidatePair)
    spec = {
        "modules": {"pair": {"ValidatePair": None}, "seq": {"Sequential": [{"ReLU": None}]}},
        "graph": {
            "input": ["x", "y"],
            "modules": {"pair": {"left": "x", "rigth": "y"}, "seq": ["x", "y"]},
            "output": ["pair", "seq"],
        },
    }
    assert problems(spec) == [
        "graph.modules.pair: ValidatePair.forward(left, right): unknown 'rigth' "
        "(did you mean 'right'?)",
        "graph.modules.seq: Sequential.forward(input) takes 1 argument(s), got 2",
    ]


def test_a_null_output_key_is_refused():
    spec = copy.deepcopy(RELU)
    spec["graph"]["output"] = {None: "act"}
    assert problems(spec) == [
        "graph.output.None: an output key can't be null: write a string, e.g. `out: node`"
    ]


# --- hints use the spec's own input names -------------------------------------------------------


def test_the_example_inputs_hint_names_the_real_inputs():
    assert example_inputs_hint(("image", "meta")) == (
        "give graph.input as a mapping of each input to an example tensor, e.g. "
        "`input: {image: {shape: [4, 128]}, meta: {shape: [4, 128]}}` with the real shapes"
    )


def test_the_declaration_hint_follows_how_the_spec_writes_its_inputs():
    assert declare_input_hint("image", "meta") == "write `input: [image, meta]`"
    assert declare_input_hint(["a", "b", "c", "d"], "e") == "write `input: [a, b, ..., e]`"
    assert declare_input_hint({"image": {"shape": [2, 3]}}, "meta") == (
        "add `meta: {shape: [...]}` to graph.input, with its example shape"
    )


def test_torch_forward_signatures_are_torchs():
    from torcharc_codegen.spec.forward_params import forward_signature

    for name, ref in builtin_classes().items():
        if ref.kind == "torch":
            label, sig = forward_signature({name: None}, ref, {})
            real = inspect.signature(getattr(nn, name).forward)
            params = [p.replace(annotation=p.empty) for p in list(real.parameters.values())[1:]]
            assert (
                label
                == f"{name}.forward{real.replace(parameters=params, return_annotation=real.empty)}"
            )
            assert [(p.name, p.kind, p.default) for p in sig.parameters.values()] == [
                (p.name, p.kind, p.default) for p in params
            ]


def nested(depth: int) -> object:
    value: object = 0
    for _ in range(depth):
        value = [value]
    return value


def test_a_value_too_deep_for_a_python_literal_is_refused():
    spec = copy.deepcopy(RELU)
    spec["modules"]["act"] = {"TorchFn": {"name": "flip", "dims": nested(98)}}
    validate(load(copy.deepcopy(spec)))  # its 0 is 100 levels below the module spec: the most
    spec["modules"]["act"]["TorchFn"]["dims"] = nested(600)
    assert problems(spec) == [
        "modules.act.TorchFn.dims: a value nested more than 100 levels deep: write a flatter value"
    ]


def test_a_name_python_reads_differently_is_an_error_naming_torcharcs_keys():
    spec = copy.deepcopy(RELU)
    spec["modules"] = {"ａｃｔ": {"ReLU": None}}
    spec["graph"]["modules"] = {"ａｃｔ": ["x"]}
    spec["graph"]["output"] = "ａｃｔ"
    with pytest.raises(SpecError) as err:
        validate(load(spec))
    assert err.value.lines() == [
        "modules.ａｃｔ: module name 'ａｃｔ' is read by Python as 'act': its state_dict keys "
        "would start with 'act.', TorchArc's with 'ａｃｔ.'; write 'act'"
    ]


@pytest.mark.parametrize(
    ("where", "value", "lines"),
    [
        (
            ("modules", "act"),
            {"Linear": {True: 4, "out_features": 2}},
            [
                "modules.act.Linear: missing required argument 'in_features' for "
                "Linear(in_features, out_features, bias=True, device=None, dtype=None)",
                "modules.act.Linear[True]: unknown argument True for Linear",
                "modules.act.Linear[True]: argument name True is not a Python identifier",
            ],
        ),
        (
            ("graph", "input", "x"),
            {"shape": [4, 8], "dtype": {"shape": [1]}},
            ["graph.input.x.dtype: must be a string, got a mapping"],
        ),
        (
            ("modules", "act"),
            {"compact": {"layer": {"type": [], "keys": ["in_features"], "args": [4]}}},
            ["modules.act.compact.layer.type: must be a string, got a list"],
        ),
        (
            ("modules", "act"),
            {"compact": {"layer": {"type": "Lineer", "keys": ["in_features"], "args": [4]}}},
            [
                f"modules.act.compact.layer.type: must be one of the {len(CLASSES)} names such "
                f"as {', '.join(map(repr, CLASSES[:3]))}, ..., got 'Lineer' "
                "(did you mean 'Linear' or 'LazyLinear'?)"
            ],
        ),
    ],
)
def test_values_of_the_wrong_kind_anywhere_are_problems_not_crashes(where, value, lines):
    spec = copy.deepcopy(RELU)
    parent = spec
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    assert problems(spec) == lines


def test_a_long_cycle_is_named_in_one_short_line():
    n = 30
    spec = {
        "modules": {f"n{i}": {"ReLU": None} for i in range(n)},
        "graph": {
            "input": "x",
            "modules": {f"n{i}": [f"n{(i + 1) % n}"] for i in range(n)},
            "output": "n0",
        },
    }
    assert problems(spec) == [
        "graph.modules.n0: cycle: n0 -> n29 -> n28 -> n27 -> n26 -> ... (21 more) -> n4 -> n3 "
        "-> n2 -> n1 -> n0: a node can't use its own result"
    ]
