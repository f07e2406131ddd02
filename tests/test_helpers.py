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
