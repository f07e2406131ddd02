"""helpers.py: each helper's one definition says what it means (its torch code with defaults
filled in), how it is written (inline or a class from its template) and what it returns."""

from __future__ import annotations

import pytest

from torcharc_codegen.helpers import HELPERS
from torcharc_codegen.resources import TEMPLATE_DIR


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

    from torcharc_codegen.literals import argument_literal, float_kind
    from torcharc_codegen.schema import float_arguments

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
