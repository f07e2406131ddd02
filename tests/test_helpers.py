"""helpers.py: each helper's one definition says what it means (its torch code with defaults
filled in), how it is written (inline or a class from its template) and what it returns."""

from __future__ import annotations

import pytest

from torcharc_codegen.errors import SpecError
from torcharc_codegen.resources import TEMPLATE_DIR
from torcharc_codegen.spec.helpers import EXTENSION_HELPERS, HELPERS


def test_code_fills_in_the_constructor_defaults():
    assert HELPERS["ForkChunk"].code({}, {"x": "h"}) == "torch.chunk(h, chunks=2, dim=1)"
    assert HELPERS["MergeSum"].code({"dim": 0}, {"args": "[a, b]"}) == (
        "torch.sum(torch.stack([a, b], dim=0), dim=0)"
    )
    assert HELPERS["TorchFn"].code({"name": "clamp", "min": 0}, {"input": "x"}) == (
        "torch.clamp(x, min=0)"
    )


def test_unknown_constructor_arguments_are_refused():
    with pytest.raises(TypeError):
        HELPERS["Narrow"].bind({"dim": 1, "start": 0, "length": 2, "stop": 3})


@pytest.mark.parametrize("name", sorted(HELPERS))
def test_every_helper_has_its_class_template_and_annotated_forward(name):
    helper = HELPERS[name]
    assert (TEMPLATE_DIR / helper.template).is_file()
    assert helper.inline == (helper.expr is not None)
    assert len(helper.forward_params()) == len(helper.inputs)


def test_forward_parameters_are_annotated_unless_any_type_goes():
    assert HELPERS["Get"].forward_params() == ["input"]
    assert HELPERS["MergeConcat"].forward_params() == ["args: list[torch.Tensor]"]


def test_get_takes_the_type_it_is_given_and_returns_its_item():
    get = HELPERS["Get"]
    assert get.forward_params("list[torch.Tensor]") == ["input: list[torch.Tensor]"]
    assert get.return_type({"key": 1}, "list[torch.Tensor]") == "torch.Tensor"
    pair = "tuple[torch.Tensor, list[torch.Tensor]]"
    assert get.return_type({"key": 1}, pair) == "list[torch.Tensor]"
    assert get.return_type({"key": 2}, pair) is None
    assert get.return_type({"key": "a"}, "dict[str, torch.Tensor]") == "torch.Tensor"
    assert get.return_type({"key": 0}, None) is None


@pytest.mark.parametrize(
    ("name", "dim", "returns"),
    [
        ("max", 1, "tuple[torch.Tensor, torch.Tensor]"),
        ("median", 0, "tuple[torch.Tensor, torch.Tensor]"),
        ("aminmax", 1, "tuple[torch.Tensor, torch.Tensor]"),
        ("amax", 1, "torch.Tensor"),
        ("sum", [0, 1], "torch.Tensor"),
        ("max", None, "torch.Tensor"),
    ],
)
def test_reduce_returns_what_torch_returns_for_a_dim(name, dim, returns):
    assert HELPERS["Reduce"].return_type({"name": name, "dim": dim}) == returns


def test_an_integer_is_written_as_a_float_where_torch_says_float():
    from typing import Optional

    from torcharc_codegen.grammar.schema import float_arguments
    from torcharc_codegen.spec.literals import argument_literal, float_kind

    assert float_kind(float) == float_kind(float | None) == "float"
    assert float_kind(Optional[tuple[float, float]]) == "items"  # noqa: UP045
    assert float_kind(int | float) is None and float_kind(int) is None
    assert argument_literal(1, "float") == "1.0"
    assert argument_literal([2, 3], "items") == "[2.0, 3.0]"
    assert argument_literal(True, "float") == "True"
    assert argument_literal(2, None) == "2"
    assert argument_literal(2**60, "float") == str(2**60)  # it would change as a float
    # the class table (generated from torch's signatures) says which arguments those are
    assert float_arguments("Dropout") == {"p": "float"}
    assert float_arguments("Linear") == {}


# Each case: the modules (all helpers), the nodes in forward order, the output node and the
# inputs' shapes; Merge* and the others with their defaults where none are given.
PAIR = {"x": (2, 6), "y": (2, 6)}
TORCH_FN_CASES = {
    "Get of ForkChunk": (
        {"fork": {"ForkChunk": {"chunks": 3}}, "get": {"Get": {"key": 2}}},
        {"fork": ["x"], "get": ["fork"]},
        {"x": (2, 7)},
    ),
    "Get of ForkSplit": (
        {"split": {"ForkSplit": {"split_size_or_sections": [2, 5]}}, "get": {"Get": {"key": 1}}},
        {"split": ["x"], "get": ["split"]},
        {"x": (2, 7)},
    ),
    "Narrow": ({"n": {"Narrow": {"dim": 1, "start": 1, "length": 3}}}, {"n": ["x"]}, {"x": (2, 7)}),
    "IndexSelect": (
        {"sel": {"IndexSelect": {"dim": 1, "index": [2, 0, 2]}}},
        {"sel": ["x"]},
        {"x": (2, 4)},
    ),
    **{
        merge: ({"m": {merge: {}}}, {"m": [["x", "y"]]}, PAIR)
        for merge in ("MergeConcat", "MergeStack", "MergeSum", "MergeProd", "MergeMean")
    },
    "MergeDot": ({"m": {"MergeDot": None}}, {"m": ["x", "y"]}, PAIR),
    "Mul": ({"m": {"Mul": None}}, {"m": ["x", "y"]}, {"x": (2, 3, 4), "y": (2, 3, 1)}),
    "Add": ({"m": {"Add": None}}, {"m": {"input": "x", "other": "y"}}, {"x": (2, 3), "y": (3,)}),
    "ExpandBatch": (
        {"e": {"ExpandBatch": {"sizes": [-1, 4]}}},
        {"e": ["x", "y"]},
        {"x": (1, 3, 1), "y": (5, 2)},
    ),
    "StochasticDepth": ({"d": {"StochasticDepth": {"p": 0.3}}}, {"d": ["x"]}, {"x": (2, 5)}),
    "Method": ({"m": {"Method": {"name": "type_as"}}}, {"m": {"input": "x", "other": "y"}}, PAIR),
    "Index": ({"i": {"Index": {"key": "..., 0::2, None"}}}, {"i": ["x"]}, {"x": (2, 5, 4)}),
    "Einsum": (
        {"e": {"Einsum": {"equation": "bid,bjd->bij"}}},
        {"e": [["x", "y"]]},
        {"x": (2, 3, 4), "y": (2, 5, 4)},
    ),
    "MergeBMM": ({"m": {"MergeBMM": None}}, {"m": ["x", "y"]}, {"x": (2, 3, 4), "y": (2, 4, 5)}),
    "MergeFiLM": (
        {"film": {"MergeFiLM": {"feature_dim": 4, "conditioner_dim": 3}}},
        {"film": {"feature": "x", "conditioner": "y"}},
        {"x": (2, 4, 5), "y": (2, 3)},  # gamma and beta broadcast over the feature's last dim
    ),
    "Reduce": ({"r": {"Reduce": {"name": "amax", "dim": 1}}}, {"r": ["x"]}, {"x": (2, 5, 3)}),
    "TorchFn": ({"f": {"TorchFn": {"name": "clamp", "min": 0}}}, {"f": ["x"]}, {"x": (2, 5)}),
}


@pytest.mark.parametrize("case", TORCH_FN_CASES)
def test_each_torch_fn_computes_what_the_generated_code_computes(case):
    """The symbolic probe runs the helpers' torch_fn: each gives the generated file's result
    (the stateful ones built from the same seed, so with the same weights)."""
    import torch

    from torcharc_codegen.api import build

    modules, nodes, shapes = TORCH_FN_CASES[case]
    torch.manual_seed(1)
    inputs = {name: torch.randn(shape) for name, shape in shapes.items()}
    spec = {
        "modules": modules,
        "graph": {"input": list(inputs), "modules": nodes, "output": list(nodes)[-1]},
    }
    torch.manual_seed(0)
    generated = build(spec)(**inputs)
    torch.manual_seed(0)
    scope = dict(inputs)
    for name, args in nodes.items():
        ((cls, kwargs),) = modules[name].items()
        helper = HELPERS[cls]
        forward = helper.torch_fn(**helper.bind(kwargs or {}))
        if isinstance(args, dict):
            scope[name] = forward(**{k: scope[v] for k, v in args.items()})
        else:
            scope[name] = forward(
                *[[scope[n] for n in a] if isinstance(a, list) else scope[a] for a in args]
            )
    assert torch.equal(generated, scope[list(nodes)[-1]])


def test_the_torch_fn_cases_cover_every_helper():
    used = {cls for modules, _, _ in TORCH_FN_CASES.values() for m in modules.values() for cls in m}
    assert used == set(HELPERS)


@pytest.mark.parametrize("name", sorted(EXTENSION_HELPERS))
def test_resolve_says_each_of_this_projects_helpers_is_an_extension(name):
    """TorchArc can't build a spec that uses one: resolve (TorchArc's build) says so, located."""
    from torcharc_codegen.api import resolve

    modules, nodes, shapes = next(
        case for case in TORCH_FN_CASES.values() if any(name in m for m in case[0].values())
    )
    spec = {
        "modules": modules,
        "graph": {"input": list(shapes), "modules": nodes, "output": list(nodes)[-1]},
    }
    with pytest.raises(SpecError) as e:
        resolve(spec)
    (line,) = e.value.lines()  # the helper, or (Method's) a tensor it takes by keyword
    assert name in line and "is this project's extension" in line
