"""The published JSON Schema: current with the installed torch, shaped for editors, and what
validation uses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import torch

from torcharc_codegen.builtins import HELPERS
from torcharc_codegen.classes import builtin_classes
from torcharc_codegen.resources import SPEC_DIR
from torcharc_codegen.schema import CLASS_TABLE_PATH, SCHEMA_PATH
from torcharc_codegen.schema_gen import (
    build_class_table,
    build_schema,
    render_schema,
    torch_classes,
)

SCHEMA = json.loads(SCHEMA_PATH.read_text())
CLASSES = SCHEMA["definitions"]["class"]
REGENERATE = "run `python -m torcharc_codegen.schema_gen`"


def test_committed_schema_and_class_table_are_current():
    assert SCHEMA_PATH.read_text() == render_schema(
        build_schema()
    ), f"schema/torcharc.schema.json is stale: {REGENERATE}"
    assert CLASS_TABLE_PATH.read_text() == render_schema(
        build_class_table()
    ), f"schema/torcharc.classes.json is stale: {REGENERATE}"


def test_schema_is_draft7_and_records_torch():
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SCHEMA["$id"].startswith("https://")
    assert torch.__version__ in SCHEMA["description"]
    assert json.loads(CLASS_TABLE_PATH.read_text())["torch"] == torch.__version__


def _tool(path: Path | None, install: str) -> str:
    """The tool's path; skips without it, but fails in CI (env CI), which must run it."""
    if path is None or not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{install} (CI must run this test)")
        pytest.skip(install)
    return str(path)


AJV = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "ajv"
EXAMPLE_SPECS = sorted(str(p) for p in SPEC_DIR.rglob("*.yaml"))


def test_ajv_strict_mode_compiles_the_schema_and_validates_every_example():
    ajv = _tool(AJV, "ajv-cli is not installed: run `npm ci` in the repository")
    strict = [ajv, "--spec=draft7", "--strict=true", "-s", str(SCHEMA_PATH)]
    compiled = subprocess.run([strict[0], "compile", *strict[1:]], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert len(EXAMPLE_SPECS) >= 40
    data = [arg for spec in EXAMPLE_SPECS for arg in ("-d", spec)]
    valid = subprocess.run(
        [strict[0], "validate", *strict[1:], *data], capture_output=True, text=True
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr


def test_check_jsonschema_validates_every_example_and_flags_a_misspelt_argument(tmp_path):
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    tool = _tool(
        Path(found) if found else None, "check-jsonschema is not installed: pip install '.[test]'"
    )
    command = [tool, "--schemafile", str(SCHEMA_PATH)]
    run = subprocess.run([*command, *EXAMPLE_SPECS], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    bad = tmp_path / "bad.torcharc.yaml"
    bad.write_text(
        "modules:\n  a:\n    Linear: {in_feature: 2, out_features: 3}\n"
        "graph: {input: x, modules: {a: [x]}, output: a}\n"
    )
    run = subprocess.run([*command, str(bad)], capture_output=True, text=True)
    assert run.returncode == 1 and "$.modules.a" in run.stdout, run.stdout + run.stderr


def test_class_table_says_which_forwards_return_a_tensor():
    classes = builtin_classes()
    assert classes["Linear"].returns_tensor and classes["Linear"].kind == "torch"
    assert not classes["LSTM"].returns_tensor, "LSTM returns (output, (h, c))"
    assert not classes["MaxPool2d"].returns_tensor, "return_indices=True returns a tuple"
    assert classes["MergeFiLM"].kind == "helper"


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
    assert conv["kernel_size"]["anyOf"] == [
        {"type": "integer", "description": "an integer"},
        {"type": "array", "description": "a list", "items": {"type": "integer"}},
    ]
    assert conv["padding_mode"]["enum"] == ["zeros", "reflect", "replicate", "circular"]
    assert conv["padding"]["anyOf"][0] == {
        "type": "string",
        "description": "'valid' or 'same'",
        "enum": ["valid", "same"],
    }
    assert "null" in args("Embedding")["properties"]["padding_idx"]["type"]
    assert args("LSTM")["required"] == ["input_size", "hidden_size"]
    assert args("TorchFn").get("additionalProperties", True) is True, "TorchFn takes **kwargs"


def test_editor_friendly_shape():
    text = SCHEMA_PATH.read_text()
    assert "patternProperties" not in text and "oneOf" not in text
    module = SCHEMA["definitions"]["module"]
    assert "maxProperties" not in module
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
    assert not [key for key in scale if key.startswith("x-")]
