"""check/symbolic.py's probe_model: the symbolic probe over the normalized Model, its layers
as normalize expanded them (compact included), its nodes in order.py's order, its parameters
and their defaults as validation read them (``--param`` overrides included)."""

from __future__ import annotations

import pytest
from shared_specs import MLP

from torcharc_codegen.api import load_model
from torcharc_codegen.check.symbolic import SymbolicError, probe_model

COMPACT = """
params: {width: 6, hidden: 5}
modules:
  stack:
    compact:
      prelayer: [{LazyBatchNorm1d: }]
      layer:
        type: LazyLinear
        keys: [out_features]
        args: ["${width}", "${hidden * 2}"]
      postlayer: [{ReLU: }]
  head: {LazyLinear: {out_features: 3}}
graph:
  input: {x: {shape: [4, 7]}}
  modules:
    head: [stack]
    stack: [x]
  output: head
"""


def test_the_probe_reads_compact_as_normalize_expanded_it():
    _, model = load_model(COMPACT)
    result = probe_model(model)
    sizes = {key: inferred.sizes for key, inferred in result.layers.items()}
    assert sizes == {
        ("stack", 0): {"num_features": "7"},
        ("stack", 1): {"in_features": "7"},
        ("stack", 3): {"num_features": "width"},
        ("stack", 4): {"in_features": "width"},
        ("head", 0): {"in_features": "hidden * 2"},
    }
    assert list(result.shapes) == ["stack", "head"]  # the Model's order, not the spec's
    assert result.output == ("4", "3")


def test_the_hints_are_the_defaults_validation_took():
    _, model = load_model(MLP, params={"hidden": 3})
    result = probe_model(model)
    assert result.layers[("body", 4)].sizes == {"in_features": "hidden * 4"}
    assert result.shapes == {"body": ("4", "n_classes")}


def test_a_model_without_example_inputs_is_refused():
    _, model = load_model(MLP.replace("x: {shape: [4, 32]}", "- x"))
    with pytest.raises(SymbolicError, match="needs example inputs with shapes"):
        probe_model(model)
