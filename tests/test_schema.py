"""The published JSON Schema: current with the installed torch, shaped for editors, and what
validation uses."""

from __future__ import annotations

import difflib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import jsonschema
import pytest
import torch
from shared_specs import BLOCKS_SYNTAX

from torcharc_codegen import SpecError
from torcharc_codegen.api import load_model
from torcharc_codegen.grammar.class_schema import init_params
from torcharc_codegen.grammar.docstrings import arg_docs
from torcharc_codegen.grammar.schema import CLASS_TABLE_PATH, CLASS_UNIONS, SCHEMA_PATH
from torcharc_codegen.grammar.schema_gen import (
    build_class_table,
    build_schema,
    render_schema,
    torch_classes,
    with_classes,
)
from torcharc_codegen.grammar.spec_schema import BLOCK_USE_PATTERN, REPEAT_NAME_PATTERN
from torcharc_codegen.resources import SPEC_DIR
from torcharc_codegen.spec.classes import builtin_classes
from torcharc_codegen.spec.helpers import HELPERS
from torcharc_codegen.spec.load import load_text

SCHEMA = json.loads(SCHEMA_PATH.read_text())
CLASSES = SCHEMA["definitions"]["class"]
REGENERATE = "run `python -m torcharc_codegen.views.published_schema`"
PARAM_REF = {"$ref": "#/definitions/paramRef"}


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


@pytest.mark.slow
def test_ajv_strict_mode_compiles_the_schema_and_validates_every_example(tmp_path):
    ajv = _tool(AJV, "ajv-cli is not installed: run `npm ci` in the repository")
    strict = [ajv, "--spec=draft7", "--strict=true", "-s", str(SCHEMA_PATH)]
    compiled = subprocess.run([strict[0], "compile", *strict[1:]], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert len(EXAMPLE_SPECS) >= 40
    parametrized = tmp_path / "parametrized.yaml"
    parametrized.write_text(PARAMETRIZED)
    blocks = tmp_path / "blocks.yaml"
    blocks.write_text(BLOCKS_SYNTAX)
    data = [arg for spec in [*EXAMPLE_SPECS, parametrized, blocks] for arg in ("-d", str(spec))]
    valid = subprocess.run(
        [strict[0], "validate", *strict[1:], *data], capture_output=True, text=True
    )
    assert valid.returncode == 0, valid.stdout + valid.stderr


@pytest.mark.slow
def test_ajv_strict_mode_compiles_a_schema_with_a_users_classes(tmp_path):
    ajv = _tool(AJV, "ajv-cli is not installed: run `npm ci` in the repository")

    class Pool(torch.nn.Module):
        def __init__(self, size: int | tuple[int, int], scale: float | None = None, **extra):
            super().__init__()

    class Wide(torch.nn.Conv2d):
        pass

    schema = build_schema({"mine.Pool": Pool, "mine.Wide": Wide})
    wide = schema["definitions"]["class"]["mine.Wide"]["properties"]["mine.Wide"]
    assert wide["properties"]["padding"]["anyOf"][0] == {
        "type": "string",
        "enum": ["valid", "same"],
    }
    path = tmp_path / "mine.schema.json"
    path.write_text(render_schema(schema))
    run = subprocess.run(
        [ajv, "compile", "--spec=draft7", "--strict=true", "-s", str(path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.slow
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
    assert set(CLASSES) == (exported - {"Sequential"}) | set(HELPERS) | {"Parameter", "Buffer"}
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
        "anyOf": [{"type": "integer"}, PARAM_REF],
        "description": "size of each input sample",
    }
    assert linear["properties"]["bias"]["default"] is True
    assert "affine linear transformation" in linear["description"]
    assert args("ReLU")["type"] == ["object", "null"], "callable with no arguments"
    conv = args("Conv2d")["properties"]
    assert conv["kernel_size"]["anyOf"] == [
        {"type": "integer"},
        {"type": "array", "items": {"anyOf": [{"type": "integer"}, PARAM_REF]}},
        PARAM_REF,
    ]
    assert conv["padding_mode"]["anyOf"][0]["enum"] == ["zeros", "reflect", "replicate", "circular"]
    assert conv["padding"]["anyOf"][0] == {"type": "string", "enum": ["valid", "same"]}
    assert "null" in args("Embedding")["properties"]["padding_idx"]["anyOf"][0]["type"]
    assert args("LSTM")["required"] == ["input_size", "hidden_size"]
    assert args("TorchFn").get("additionalProperties", True) is True, "TorchFn takes **kwargs"


def _patterned(node: object, path: tuple = ()) -> list[tuple]:
    """Where the schema has patternProperties."""
    if isinstance(node, list):
        return [p for i, n in enumerate(node) for p in _patterned(n, path + (i,))]
    if not isinstance(node, dict):
        return []
    here = [path] if "patternProperties" in node else []
    return here + [p for k, n in node.items() for p in _patterned(n, path + (k,))]


def test_editor_friendly_shape():
    text = SCHEMA_PATH.read_text()
    assert "oneOf" not in text
    defs = SCHEMA["definitions"]
    refs = [{"$ref": f"#/definitions/class/{name}"} for name in CLASSES]
    forms = {
        "module": ["Sequential", "compact", "blockUse"],
        "layer": ["blockUse"],
        "entry": ["Sequential", "blockUse", "repeat"],
        "entryModule": ["Sequential", "blockUse"],
    }
    assert set(forms) == set(CLASS_UNIONS)
    for union, others in forms.items():
        assert "maxProperties" not in defs[union]
        assert defs[union]["anyOf"] == refs + [{"$ref": f"#/definitions/{f}"} for f in others]
    # patternProperties only for names a spec chooses, never for class names: a block use's
    # `.Name` and a named Sequential's entries
    named = ("definitions", "Sequential", "properties", "Sequential", "anyOf", 1)
    assert _patterned(SCHEMA) == [named, ("definitions", "blockUse")]
    assert "propertyNames" not in defs["blockUse"], "an editor would offer a `property` item"
    assert defs["blockUse"]["patternProperties"][BLOCK_USE_PATTERN]["type"] == ["object", "null"]
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
    assert sequential["anyOf"][0]["items"] == {"$ref": "#/definitions/entry"}


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


# A ${...} wherever a parameter may stand (an argument, a list item of one, a
# compact-form value, an example-input shape entry).
PARAMETRIZED = """\
params:
  hidden: 256
  in_dim: 32
  k: 3
  p_drop: 0.1
  bias: true
modules:
  body:
    Sequential:
      - LazyLinear:
          out_features: ${hidden}
      - ReLU:
      - Dropout:
          p: ${p_drop}
      - LazyLinear:
          out_features: ${hidden * 4}
  conv:
    Conv2d: {in_channels: 1, out_channels: "${hidden}", kernel_size: [3, "${k}"], bias: "${bias}"}
  stack:
    compact:
      layer: {type: LazyLinear, keys: [out_features], args: ["${hidden}", ["${hidden // 2}"]]}
graph:
  input:
    x: {shape: [4, "${in_dim}"]}
  modules:
    body: [x]
  output: body
"""


def _deepest(text: str) -> list[list]:
    """Where the schema's errors are, the deepest places of each (inside the module unions)."""
    data = load_text(text, "spec.yaml").data
    out = []
    for error in jsonschema.Draft7Validator(SCHEMA).iter_errors(data):
        leaves = list(error.context or [error])
        while any(e.context for e in leaves):
            leaves = [c for e in leaves for c in (e.context or [e])]
        depth = max(len(e.absolute_path) for e in leaves)
        out += [list(e.absolute_path) for e in leaves if len(e.absolute_path) == depth]
    return [p for i, p in enumerate(out) if p not in out[:i]]


def test_a_parametrized_spec_is_valid():
    data = load_text(PARAMETRIZED, "spec.yaml").data
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(data)) == []


@pytest.mark.parametrize(
    "old, new, path",
    [
        (
            "${hidden}\n",
            '"${hidden"\n',
            ["modules", "body", "Sequential", 0, "LazyLinear", "out_features"],
        ),
        ('"${k}"', '"k}"', ["modules", "conv", "Conv2d", "kernel_size", 1]),
        ('"${in_dim}"', '"$in_dim"', ["graph", "input", "x", "shape", 1]),
        ("  k: 3\n", "  _k: 3\n", ["params"]),
        ("  k: 3\n", "  k: [3, 3]\n", ["params", "k"]),
    ],
)
def test_a_parametrized_spec_with_a_mistake_is_not(old, new, path):
    assert PARAMETRIZED.count(old) == 1
    assert _deepest(PARAMETRIZED.replace(old, new)) == [path]


# --- blocks, repeat entries, nested and named Sequentials ----------------------------------


def test_the_blocks_syntax_is_valid():
    data = load_text(BLOCKS_SYNTAX, "spec.yaml").data
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(data)) == []


# (what, replaced by, where the schema flags it)
BLOCK_MISTAKES = [
    ("bn1: {BatchNorm2d:", "bn1: {BatchNorm2D:", ["blocks", "BasicBlock", "modules", "bn1"]),
    (
        "module: {.BasicBlock: {inplanes: 64, planes: 64}}",
        "module: {Conv2D: {in_channels: 64}}",
        ["modules", "layer1", "Sequential", 1, "module"],
    ),
    ('repeat: "${depth1 - 1}"', "repeat: -1", ["modules", "layer1", "Sequential", 1, "repeat"]),
    (
        "      - repeat: 2\n",
        "      - repeat: 2\n        strat: 0\n",
        ["modules", "layer1", "Sequential", 2],
    ),
    (
        '"denselayer{i}":',
        "denselayer:",
        ["modules", "features", "Sequential", "denseblock1", "Sequential", "denselayer"],
    ),
    ("norm0:", '"norm{i}":', ["modules", "features", "Sequential", "norm{i}"]),
    ("norm0:", '"norm.0":', ["modules", "features", "Sequential"]),
    ("- Sequential: {}", "- Sequential: 3", ["modules", "layer1", "Sequential", 4, "Sequential"]),
    (
        "      - .Activation:\n",
        "      - compact: {layer: {type: ReLU, keys: [], args: []}}\n",
        ["modules", "layer1", "Sequential", 7],
    ),
    (
        "act: {.Activation: null}",
        "act: {.Activation: 3}",
        ["modules", "features", "Sequential", "act", ".Activation"],
    ),
    ("  Activation:\n", "  NaN:\n", ["blocks"]),
    (
        "      input: [x]",
        "      input: {x: {shape: [1]}}",
        ["blocks", "DenseLayer", "graph", "input"],
    ),
    (
        "    graph: {input: x, modules: {act: [x]}",
        "    grpah: {input: x, modules: {act: [x]}",
        ["blocks", "Activation"],
    ),
    ("type: .MLPBlock", "type: MLPBlok", ["modules", "head", "compact", "layer", "type"]),
]


@pytest.mark.parametrize("old, new, path", BLOCK_MISTAKES)
def test_a_mistake_in_the_blocks_syntax_is_flagged_where_it_is(old, new, path):
    assert BLOCKS_SYNTAX.count(old) == 1
    assert _deepest(BLOCKS_SYNTAX.replace(old, new)) == [path]


@pytest.mark.slow
def test_check_jsonschema_and_ajv_take_the_blocks_syntax_and_flag_its_mistakes(tmp_path):
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    checker = _tool(
        Path(found) if found else None, "check-jsonschema is not installed: pip install '.[test]'"
    )
    ajv = _tool(AJV, "ajv-cli is not installed: run `npm ci` in the repository")
    (tmp_path / "valid.yaml").write_text(BLOCKS_SYNTAX)
    for i, (old, new, _) in enumerate(BLOCK_MISTAKES):
        (tmp_path / f"mistake{i}.yaml").write_text(BLOCKS_SYNTAX.replace(old, new))
    files = sorted(str(p) for p in tmp_path.glob("*.yaml"))

    run = subprocess.run(
        [checker, "--schemafile", str(SCHEMA_PATH), *files], capture_output=True, text=True
    )
    flagged = set(re.findall(r"^  (\S+\.yaml)::", run.stdout, re.M))
    assert run.returncode == 1 and flagged == set(files) - {
        str(tmp_path / "valid.yaml")
    }, run.stdout
    sections = dict(
        re.findall(r"^  (\S+\.yaml)::(.*?)(?=^  \S+\.yaml::|\Z)", run.stdout, re.M | re.S)
    )
    # a misspelt class in a block and in a repeat entry, a negative count, an unknown key of a
    # repeat entry: check-jsonschema names the place (its deepest match)
    for i, where in enumerate(
        [
            "$.blocks.BasicBlock.modules.bn1",
            "$.modules.layer1.Sequential[1].module",
            "$.modules.layer1.Sequential[1].repeat",
            "$.modules.layer1.Sequential[2]",
        ]
    ):
        assert where + ":" in sections[str(tmp_path / f"mistake{i}.yaml")], (where, run.stdout)

    strict = ["--spec=draft7", "--strict=true", "--errors=line", "-s", str(SCHEMA_PATH)]
    data = [arg for f in files for arg in ("-d", f)]
    # into files: node cuts what it writes to a pipe at 64 KiB when it exits
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        subprocess.run([ajv, "validate", *strict, *data], stdout=out, stderr=err)
    stdout, stderr = (tmp_path / "out").read_text(), (tmp_path / "err").read_text()
    assert f"{tmp_path / 'valid.yaml'} valid" in stdout, stdout + stderr[:2000]
    lines = stderr.splitlines()
    errors = {
        line.removesuffix(" invalid"): json.loads(lines[k + 1])
        for k, line in enumerate(lines)
        if line.endswith(" invalid")
    }
    assert set(errors) == flagged
    for i, (_, _, path) in enumerate(BLOCK_MISTAKES):
        pointer = "".join(f"/{part}" for part in path)
        places = {e["instancePath"] for e in errors[str(tmp_path / f"mistake{i}.yaml")]}
        assert pointer in places, (path, sorted(places))


def test_a_block_use_takes_any_block_name_and_any_arguments():
    """A static schema can't know a spec's blocks: any `.Name` passes, with any arguments (a
    ${...} too), or none; the CLI checks the name and the arguments against the block."""
    validator = jsonschema.Draft7Validator(
        {"$ref": "#/definitions/entry", "definitions": SCHEMA["definitions"]}
    )
    for use in [
        {".Anything": None},
        {"._private2": {}},
        {".B": {"width": "${w * 2}", "sizes": [1, 2], "deep": {"x": None}}},
    ]:
        assert validator.is_valid(use), use
    for wrong in [{".B": 3}, {".B": [1]}, {".1B": None}, {".B": None, ".C": None}, {"B.": None}]:
        assert not validator.is_valid(wrong), wrong


def test_repeat_entry_names_have_i_once():
    assert re.search(REPEAT_NAME_PATTERN, "denselayer{i}")
    assert re.search(REPEAT_NAME_PATTERN, "block_{i}_a")
    assert re.search(REPEAT_NAME_PATTERN, "block1-{i}")  # torchvision's RegNet: block1-0
    for name in ["denselayer", "a{i}{i}", "a{j}", "a.{i}", "{i} x"]:
        assert not re.search(REPEAT_NAME_PATTERN, name), name


def test_a_users_class_is_a_class_wherever_a_class_goes():
    class Scale(torch.nn.Module):
        def __init__(self, factor: float):
            super().__init__()

    schema = with_classes(SCHEMA, {"mine.Scale": Scale})
    ref = {"$ref": "#/definitions/class/mine.Scale"}
    for union in CLASS_UNIONS:
        branches = schema["definitions"][union]["anyOf"]
        first_form = next(i for i, b in enumerate(branches) if "/class/" not in b["$ref"])
        assert branches[first_form - 1] == ref, union
    scale = {"mine.Scale": {"factor": 2.0}}
    spec = {
        "blocks": {
            "B": {
                "modules": {"s": scale},
                "graph": {"input": "x", "modules": {"s": ["x"]}, "output": "s"},
            }
        },
        "modules": {
            "seq": {
                "Sequential": [scale, {"repeat": 2, "module": scale}, {"Sequential": {"a": scale}}]
            },
            "c": {
                "compact": {
                    "prelayer": [scale],
                    "layer": {"type": "mine.Scale", "keys": ["factor"], "args": [1.0]},
                }
            },
        },
        "graph": {"input": "x", "modules": {"seq": ["x"], "c": ["seq"]}, "output": "c"},
    }
    assert list(jsonschema.Draft7Validator(schema).iter_errors(spec)) == []
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(spec))


# The CLI's messages for the mistakes above: the schema check runs first, on the plain spec
# (no ${...}: a parametrized spec's are put in before it).
PLAIN_BLOCKS = re.sub(r'"\$\{[^}]*\}"', "8", BLOCKS_SYNTAX)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            "bn1: {BatchNorm2d:",
            "bn1: {BatchNorm2D:",
            "blocks.BasicBlock.modules.bn1.BatchNorm2D: unknown module class 'BatchNorm2D' (did "
            "you mean 'BatchNorm2d'?)",
        ),
        (
            "module: {.BasicBlock: {inplanes: 64, planes: 64}}",
            "module: {Conv2D: {in_channels: 64}}",
            "modules.layer1.Sequential[1].module.Conv2D: unknown module class 'Conv2D' (did you "
            "mean 'Conv2d'?)",
        ),
        (
            "norm0: {BatchNorm2d:",
            "norm0: {BatchNorm2D:",
            "modules.features.Sequential.norm0.BatchNorm2D: unknown module class 'BatchNorm2D' "
            "(did you mean 'BatchNorm2d'?)",
        ),
        (
            "  stem:\n    .BasicBlock:",
            "  stem:\n    BasicBlock:",
            "modules.stem.BasicBlock: unknown module class 'BasicBlock' (a block is used as "
            "'.BasicBlock')",
        ),
        (
            "act: {.Activation: null}",
            "act: {.Activation: 3}",
            "modules.features.Sequential.act..Activation: the arguments of .Activation must be a "
            "mapping of the block's params (or empty), got 3",
        ),
        (
            "repeat: 8",
            "repeat: -1",
            "modules.layer1.Sequential[1].repeat: a repeat count is an int >= 0, got -1",
        ),
        (
            "      - repeat: 2\n",
            "      - repeat: 2\n        strat: 0\n",
            "modules.layer1.Sequential[2].strat: unknown key 'strat' (did you mean 'start'?)",
        ),
        (
            '"denselayer{i}":',
            "denselayer:",
            "modules.features.Sequential.denseblock1.Sequential.denselayer: a repeat entry's name "
            "in a named Sequential has `{i}` in it (`layer{i}`)",
        ),
        (
            "norm0:",
            '"norm{i}":',
            "modules.features.Sequential.norm{i}: an entry whose name has `{i}` is a repeat "
            "entry, `{repeat: N, module: ...}`; or name it without `{i}`",
        ),
        (
            "norm0:",
            '"norm.0":',
            "modules.features.Sequential.norm.0: entry name 'norm.0' is not letters, digits, _"
            " and - (add_module's)",
        ),
        (
            "      - .Activation:\n",
            "      - compact: {layer: {type: ReLU, keys: [], args: []}}\n",
            "modules.layer1.Sequential[7].compact: unknown module class 'compact': compact can't "
            "be nested inside a Sequential",
        ),
        (
            "  Activation:\n",
            "  NaN:\n",
            "blocks.NaN: block name 'NaN' can't be used: YAML reads `.NaN` as a float",
        ),
        (
            "type: .MLPBlock",
            "type: MLPBlock",
            f"modules.head.compact.layer.type: must be one of the {len(CLASSES)} names such as "
            f"{', '.join(map(repr, list(CLASSES)[:3]))}, ..., got 'MLPBlock' (a block is used as "
            "'.MLPBlock')",
        ),
    ],
)
def test_the_schema_checks_message_for_a_mistake_in_the_blocks_syntax(old, new, message):
    from torcharc_codegen.spec.schema_check import schema_problems, validator_for

    assert PLAIN_BLOCKS.count(old) == 1
    assert schema_problems(load_text(PLAIN_BLOCKS, "spec.yaml"), validator_for(())) == []
    text = PLAIN_BLOCKS.replace(old, new)
    problems = schema_problems(load_text(text, "spec.yaml"), validator_for(()))
    assert {p.format(None) for p in problems} == {message}
    matcher = difflib.SequenceMatcher(None, PLAIN_BLOCKS.splitlines(), text.splitlines())
    changed = {
        j + 1 for op, _, _, j1, j2 in matcher.get_opcodes() if op != "equal" for j in range(j1, j2)
    }
    assert {p.line for p in problems} <= changed, "located on the changed line"


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
    assert scale["properties"]["factor"]["anyOf"] == [{"type": "number"}, PARAM_REF]
    assert not [key for key in scale if key.startswith("x-")]


# --- the schema takes exactly the values torch takes ---------------------------------------------

# Values for required arguments, so that each class can be built; by argument name.
REQUIRED = {
    "cutoffs": [2],
    "n_classes": 4,
    "in_features": 4,
    "normalized_shape": 4,
    "mode": "LSTM",
    "d_model": 4,
    "nhead": 2,
    "embed_dim": 4,
    "num_heads": 2,
    "num_groups": 1,
    "num_channels": 2,
    "norm_type": 2.0,
    "threshold": 0.5,
    "value": 0.5,
    "unflattened_size": [2],
    "dim": 1,
    "bias": True,
    "num_chunks": 1,
}
# Classes built from other modules: not constructible from a spec's keyword arguments alone.
NEEDS_SUBMODULES = {
    "Container",
    "DataParallel",
    "Module",
    "ModuleDict",
    "ModuleList",
    "ParameterDict",
    "ParameterList",
    "TransformerDecoder",
    "TransformerEncoder",
}
NOT_PROBED = {"device", "dtype"}
# Classes that need one of two arguments that both default to None.
EITHER = {
    "FractionalMaxPool2d": {"output_ratio": 0.5},
    "FractionalMaxPool3d": {"output_ratio": 0.5},
}


def _documented(cls: type, name: str) -> list:
    """The values torch documents for argument ``name`` of ``cls``, in the constructor of
    ``cls`` or of a torch base class it hands the argument on to: None where the default is
    None or the annotation or the entry says None; the quoted strings of the ``Args`` entry
    where the argument takes strings, and ``name='value'`` in the class docstring; an int
    where the default is a float (or the annotation says float)."""
    out: list = []
    for owner in cls.__mro__:
        if owner is torch.nn.Module or not issubclass(owner, torch.nn.Module):
            continue
        if owner is not cls and "__init__" not in vars(owner):
            continue
        params = init_params(cls) if owner is cls else _init_params_of(owner.__init__)
        q = next((q for q in params if q.name == name), None)
        if q is None:
            continue
        doc, annotation = inspect.getdoc(owner) or "", str(q.annotation)
        entry = arg_docs(doc).get(name, "")
        if (
            q.default is None
            or re.search(r"\bNone\b|Optional", annotation)
            or _SAYS_NONE.search(entry)
        ):
            out.append(None)
        if isinstance(q.default, str) or re.search(r"\bstr\b|Literal", annotation):
            out += re.findall(r"['\"]([A-Za-z_][\w-]*)['\"]", entry)
        out += re.findall(rf"\b{name}\s*=\s*['\"]([\w-]+)['\"]", doc)
        if isinstance(q.default, float) and q.default == q.default and abs(q.default) < 1e9:
            out.append(int(q.default))
        elif q.default is None and "float" in annotation:
            out.append(0)
    return out


_SAYS_NONE = re.compile(r"\b(?:set to|can be|be|or|if|If)\s+(?:``)?None\b")


def _init_params_of(init) -> list:
    try:
        return list(inspect.signature(init).parameters.values())
    except (TypeError, ValueError):
        return []


PROBED = sorted(set(torch_classes()) - NEEDS_SUBMODULES)


def _candidates(cls: type, arg: dict, name: str) -> list:
    """The values to try for one argument: those torch documents, and the schema's own
    strings and null (so the schema accepts nothing torch refuses)."""
    out = _documented(cls, name)
    for branch in [arg, *arg.get("anyOf", [])]:
        out += branch.get("enum", [])
        if "null" in _types_of(branch):
            out.append(None)
    unique: list = []
    for value in out:
        if not any(value == u and type(value) is type(u) for u in unique):
            unique.append(value)
    return unique


def _types_of(schema: dict) -> list:
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else t


def _torch_takes(cls, kwargs: dict) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cls(**kwargs)
    except Exception:  # noqa: BLE001 - any refusal by the constructor
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("name", PROBED)
def test_schema_takes_exactly_what_the_torch_constructor_takes(name):
    """For every argument, every value torch documents for it (None, the strings, an int for a
    float): the schema accepts it exactly when constructing the module does."""
    cls = torch_classes()[name]
    schema = args(name)
    validator = jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/class/{name}", "definitions": SCHEMA["definitions"]}
    )
    params = [p for p in init_params(cls) if p.name in schema["properties"]]
    base = dict(EITHER.get(name, {}))
    for p in params:
        if p.name in schema.get("required", []):
            base[p.name] = REQUIRED.get(p.name, 2)
    assert _torch_takes(cls, base), f"{name}({base}) can't be built: add to REQUIRED"
    assert validator.is_valid({name: base}), f"the schema refuses {name}({base})"
    wrong = []
    for p in params:
        if p.name in NOT_PROBED or p.name in EITHER.get(name, {}):
            continue
        for value in _candidates(cls, schema["properties"][p.name], p.name):
            kwargs = {**base, p.name: value}
            torch_says, schema_says = _torch_takes(cls, kwargs), validator.is_valid({name: kwargs})
            if torch_says != schema_says:
                wrong.append(f"{p.name}={value!r}: torch {'takes' if torch_says else 'refuses'} it")
    assert not wrong, f"{name}: the schema disagrees with torch on " + "; ".join(wrong)


# String arguments whose values the schema doesn't list (torch documents no closed set).
FREE_STRINGS = {("KLDivLoss", "reduction"), ("RNNBase", "mode"), ("Upsample", "mode")}


def test_string_arguments_list_their_values():
    """The probe above can only try the strings torch documents: an argument taking any
    string would pass it unseen (ConvTranspose2d takes padding='zzz' and fails in forward)."""
    free = set()
    for name in torch_classes():
        for arg, schema in args(name)["properties"].items():
            for branch in schema.get("anyOf", [schema]):
                if "string" in _types_of(branch) and "enum" not in branch:
                    free.add((name, arg))
    assert free == FREE_STRINGS


@pytest.mark.parametrize(
    "module",
    [
        {f"LazyConv{d}d": {"out_channels": 2, "kernel_size": 3, "padding": p}}
        for d in (1, 2, 3)
        for p in ("same", "valid")
    ]
    + [
        {cls: {"momentum": None}}
        for cls in ("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d")
    ]
    + [{"InstanceNorm1d": {"num_features": 3, "momentum": None}}],
)
def test_values_a_base_class_takes_are_valid(module):
    """Torch takes these (the Lazy classes' own annotations don't say so)."""
    spec = {
        "modules": {"m": module},
        "graph": {"input": "x", "modules": {"m": ["x"]}, "output": "m"},
    }
    load_model(spec)
    ((cls, kwargs),) = module.items()
    torch_classes()[cls](**kwargs)


def test_a_value_outside_a_union_of_types_says_what_the_argument_takes():
    conv = {"in_channels": 1, "out_channels": 1, "kernel_size": "x", "padding": 1.5}
    spec = {
        "modules": {"c": {"Conv2d": conv}},
        "graph": {"input": "x", "modules": {"c": ["x"]}, "output": "c"},
    }
    with pytest.raises(SpecError) as e:
        load_model(spec)
    assert e.value.lines() == [
        "modules.c.Conv2d.kernel_size: argument 'kernel_size' of Conv2d must be an integer or a "
        "list, got the string 'x'",
        "modules.c.Conv2d.padding: argument 'padding' of Conv2d must be 'valid' or 'same', an "
        "integer or a list, got 1.5",
    ]


def test_a_reference_in_a_spec_without_params_says_to_declare_it():
    """The published schema takes ${...} strings (for parametrized specs); in a spec without
    `params:` each one is an unknown parameter, and the line says how to declare it."""
    layers = [
        {"Linear": {"in_features": "${n}", "out_features": 2}},
        {"LazyConv2d": {"out_channels": 2, "kernel_size": [3, "${k}"]}},
    ]
    spec = {
        "modules": {"s": {"Sequential": layers}},
        "graph": {"input": {"x": {"shape": [2, "${d}"]}}, "modules": {"s": ["x"]}, "output": "s"},
    }
    with pytest.raises(SpecError) as e:
        load_model(spec)
    declare = "declare it under `params:` with its default"
    assert e.value.lines() == [
        f"modules.s.Sequential[0].Linear.in_features: unknown parameter `n`: {declare}"
        " (`params: {n: ...}`)",
        f"modules.s.Sequential[1].LazyConv2d.kernel_size[1]: unknown parameter `k`: {declare}"
        " (`params: {k: ...}`)",
        f"graph.input.x.shape[1]: unknown parameter `d`: {declare} (`params: {{d: ...}}`)",
    ]


def test_a_transposed_convolution_takes_only_zeros_padding(capsys):
    spec = {
        "modules": {
            "m": {
                "ConvTranspose2d": {
                    "in_channels": 1,
                    "out_channels": 1,
                    "kernel_size": 2,
                    "padding_mode": "reflect",
                }
            }
        },
        "graph": {"input": "x", "modules": {"m": ["x"]}, "output": "m"},
    }
    with pytest.raises(SpecError) as e:
        load_model(spec)
    assert "modules.m.ConvTranspose2d.padding_mode: must be one of 'zeros', got 'reflect'" in str(
        e.value
    )
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        torch.nn.ConvTranspose2d(1, 1, 2, padding_mode="reflect")


def test_readme_has_a_schemastore_catalog_entry_for_the_published_schema():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", readme, re.S)
    entries = [json.loads(b) for b in blocks if '"fileMatch"' in b]
    assert len(entries) == 1, "one SchemaStore catalog entry in the README"
    (entry,) = entries
    assert set(entry) == {"name", "description", "fileMatch", "url"}
    assert entry["url"] == SCHEMA["$id"]
    assert "*.torcharc.yaml" in entry["fileMatch"]
