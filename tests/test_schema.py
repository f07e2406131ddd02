"""The published JSON Schema: current with the installed torch, shaped for editors, and what
validation uses."""

from __future__ import annotations

import json

import jsonschema
import pytest
import torch

from torcharc_codegen.helpers import HELPERS
from torcharc_codegen.resources import SCHEMA_PATH
from torcharc_codegen.schema_gen import build_schema, render_schema, torch_classes

SCHEMA = json.loads(SCHEMA_PATH.read_text())
CLASSES = SCHEMA["definitions"]["class"]


def test_committed_schema_is_current():
    assert SCHEMA_PATH.read_text() == render_schema(build_schema()), (
        "schema/torcharc.schema.json is stale: run `torcharc-gen schema -o "
        "schema/torcharc.schema.json`"
    )


def test_schema_is_draft7_and_records_torch():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SCHEMA["$id"].startswith("https://")
    assert SCHEMA["x-torch-version"] == torch.__version__
    assert torch.__version__ in SCHEMA["description"]


def test_every_torch_nn_module_class_and_helper_is_there():
    exported = {
        n
        for n in dir(torch.nn)
        if not n.startswith("_")
        and isinstance(getattr(torch.nn, n), type)
        and issubclass(getattr(torch.nn, n), torch.nn.Module)
    }
    assert exported - {"Sequential"} == set(torch_classes())
    assert set(CLASSES) == (exported - {"Sequential"}) | set(HELPERS)
    assert any(n.startswith("Lazy") for n in CLASSES)


def args(name: str) -> dict:
    return CLASSES[name]["properties"][name]


def test_class_argument_schemas():
    linear = args("Linear")
    assert (
        linear["title"] == "Linear(in_features, out_features, bias=True, device=None, dtype=None)"
    )
    assert linear["required"] == ["in_features", "out_features"]
    assert linear["additionalProperties"] is False
    assert linear["type"] == "object"
    assert linear["properties"]["in_features"] == {
        "type": "integer",
        "description": "size of each input sample",
    }
    assert linear["properties"]["bias"]["default"] is True
    assert "affine linear transformation" in linear["description"]
    assert args("ReLU")["type"] == ["object", "null"], "callable with no arguments"
    conv = args("Conv2d")["properties"]
    assert conv["kernel_size"]["type"] == ["integer", "array"]
    assert conv["padding_mode"]["enum"] == ["zeros", "reflect", "replicate", "circular"]
    assert "null" in args("Embedding")["properties"]["padding_idx"]["type"]
    assert args("LSTM")["required"] == ["input_size", "hidden_size"]
    assert args("TorchFn").get("additionalProperties", True) is True, "TorchFn takes **kwargs"
    assert args("MergeFiLM")["x-kind"] == "helper" and args("Linear")["x-kind"] == "torch"


def test_editor_friendly_shape():
    text = SCHEMA_PATH.read_text()
    assert "patternProperties" not in text and "oneOf" not in text
    module = SCHEMA["definitions"]["module"]
    assert module["minProperties"] == 1 and "maxProperties" not in module
    assert all(set(b) == {"$ref"} for b in module["anyOf"])
    for name, wrapper in CLASSES.items():
        assert wrapper == {
            "type": "object",
            "additionalProperties": False,
            "required": [name],
            "properties": {name: wrapper["properties"][name]},
        }
        assert "maxProperties" not in wrapper
        assert wrapper["properties"][name]["title"].startswith(f"{name}(")
    sequential = SCHEMA["definitions"]["Sequential"]["properties"]["Sequential"]
    assert sequential["items"] == {"$ref": "#/definitions/layer"}


VALID = [
    {
        "modules": {"a": {"Linear": {"in_features": 2, "out_features": 3}}, "b": {"ReLU": None}},
        "graph": {"input": "x", "modules": {"a": ["x"], "b": ["a"]}, "output": "b"},
    },
    {
        "modules": {
            "s": {"Sequential": [{"LazyLinear": {"out_features": 2}}, {"Dropout": {"p": 1}}]}
        },
        "graph": {"input": ["x", "y"], "modules": {"s": ["x"]}, "output": ["s", "y"]},
    },
    {
        "modules": {
            "c": {
                "compact": {
                    "prelayer": [{"LazyBatchNorm1d": None}],
                    "layer": {"type": "LazyLinear", "keys": ["out_features"], "args": [4, [2]]},
                    "postlayer": None,
                }
            }
        },
        "graph": {
            "input": {"x": {"shape": [2, 3]}, "t": {"shape": [2], "dtype": "int64", "high": 5}},
            "modules": {"c": {"input": "x"}},
            "output": {"out": "c"},
        },
    },
    {
        "modules": {
            "m": {"MergeConcat": None},
            "f": {"TorchFn": {"name": "topk", "k": 2}},
            "g": {"Get": {"key": "values"}},
        },
        "graph": {
            "input": ["x"],
            "modules": {"m": [["x", "x"]], "f": ["m"], "g": ["f"]},
            "output": "g",
        },
    },
]


@pytest.mark.parametrize("spec", VALID)
def test_valid_specs_pass(spec):
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(spec)) == []


@pytest.mark.parametrize(
    "module",
    [
        {"Linear": {"in_feature": 2, "out_features": 3}},
        {"Linear": {"in_features": 2, "out_features": "three"}},
        {"Linaer": {"in_features": 2, "out_features": 3}},
        {"Linear": {"in_features": 2}},
        {"ReLU": None, "Tanh": None},
        {"compact": {"prelayer": []}},
        {"Conv2d": {"in_channels": 1, "out_channels": 1, "kernel_size": 1, "padding_mode": "x"}},
    ],
)
def test_mistakes_are_rejected(module):
    spec = {
        "modules": {"a": module},
        "graph": {"input": "x", "modules": {"a": ["x"]}, "output": "a"},
    }
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(spec))


def test_schema_command_adds_custom_classes(tmp_path, monkeypatch, capsys):
    (tmp_path / "mylayers.py").write_text(
        "from torch import nn\n\n\nclass Scale(nn.Module):\n"
        '    """Multiply by a constant."""\n\n'
        "    def __init__(self, factor: float, bias: bool = False):\n"
        "        super().__init__()\n        self.factor = factor\n\n"
        "    def forward(self, x):\n        return x * self.factor\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from torcharc_codegen.cli import main

    assert main(["schema", "--import", "mylayers"]) == 0
    schema = json.loads(capsys.readouterr().out)
    scale = schema["definitions"]["class"]["mylayers.Scale"]["properties"]["mylayers.Scale"]
    assert scale["title"] == "mylayers.Scale(factor, bias=False)"
    assert scale["properties"]["factor"]["type"] == "number"
    assert scale["x-kind"] == "custom"
