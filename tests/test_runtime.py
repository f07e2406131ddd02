"""runtime.py: a failure in generated code is traced back to the spec through emit's Code (the
node, module or Sequential layer), never by reading the generated text back."""

from __future__ import annotations

import pytest

from torcharc_codegen import SpecError
from torcharc_codegen.api import load_model
from torcharc_codegen.check.runtime import (
    ForwardError,
    construct,
    example_tensors,
    imported,
    run_forward,
)
from torcharc_codegen.codegen.emit import Header, emit


def compiled(modules: dict, nodes: dict, inputs: dict, output):
    spec = {"modules": modules, "graph": {"input": inputs, "modules": nodes, "output": output}}
    _, model = load_model(spec)
    return emit(model, "Model", Header()), model


def test_a_helper_class_that_cannot_be_built_is_located_at_its_class():
    code, model = compiled(
        {"film": {"MergeFiLM": {"feature_dim": -3, "conditioner_dim": 2}}},
        {"film": ["x", "c"]},
        {"x": {"shape": [2, 3]}, "c": {"shape": [2, 2]}},
        "film",
    )
    with imported(code.text) as module, pytest.raises(SpecError) as err:
        construct(module, code, model)
    assert err.value.lines() == [
        "modules.film.MergeFiLM: torch can't build this module: RuntimeError: Trying to create"
        " tensor with negative dimension -3: [-3, 2]"
    ]


def test_a_failing_node_is_named_with_torchs_reason_and_what_it_got():
    code, model = compiled(
        {"head": {"Linear": {"in_features": 4, "out_features": 2}}, "cat": {"MergeConcat": None}},
        {"cat": [["x", "y"]], "head": ["cat"]},
        {"x": {"shape": [2, 3]}, "y": {"shape": [2, 3]}},
        "head",
    )
    with imported(code.text) as module:
        instance = construct(module, code, model)
        with pytest.raises(ForwardError) as err:
            run_forward(module, instance, code, model, example_tensors(model.examples))
    assert err.value.node == "head"
    assert err.value.reason == (
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x6 and 4x2) (it got cat: (2, 6))"
        ": write in_features: 6, or use LazyLinear, which infers it"
    )


def test_every_node_value_is_read_by_its_variable():
    code, model = compiled(
        {"fork": {"ForkChunk": {"chunks": 2}}, "get": {"Get": {"key": 1}}},
        {"fork": ["x"], "get": ["fork"]},
        {"x": {"shape": [2, 4]}},
        "get",
    )
    with imported(code.text) as module:
        instance = construct(module, code, model)
        scope = run_forward(module, instance, code, model, example_tensors(model.examples))
    assert len(scope[code.variables["fork"]]) == 2
    assert tuple(scope[code.variables["get"]].shape) == (2, 2)
    assert scope["__return__"] is scope[code.variables["get"]]
