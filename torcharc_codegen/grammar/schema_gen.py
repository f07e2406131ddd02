"""Generate the published JSON Schema from the installed ``torch.nn``.

Every public ``nn.Module`` subclass that ``torch.nn`` exports, the built-in helpers and any
user classes get a closed argument schema introspected from their constructor: a JSON type
from the annotation or the default, the default, ``required``, and descriptions from the
docstrings. The layout is the one editors handle (measured with yaml-language-server): a
module spec is an ``anyOf`` of ``$ref``'d closed single-key objects; no ``maxProperties``
beside ``properties``, no ``patternProperties`` for class names, no ``oneOf`` in arrays. The
forms beside the classes are branches of the same unions (:data:`.schema.CLASS_UNIONS`): a
block use ``.Name`` is an object whose one key matches a pattern (``patternProperties``, not
``propertyNames`` with ``additionalProperties``: those make the editor offer a bare
``property`` item, and let the block use outscore the classes on a half-typed key, so that no
class completes), a repeat entry a closed object of its own; a named Sequential's entries
are keyed by pattern too (an identifier, or one with ``{i}`` for a repeat entry).
It also compiles under ajv's strict mode (``ajv compile --strict=true``), which SchemaStore
requires: no keywords of our own, no ``type`` list but ``[T, "null"]``, a ``type`` beside
every keyword that applies to one type. What the generator needs beyond argument schemas is in
the class table beside it (:func:`build_class_table`).
"""

from __future__ import annotations

import inspect
import json

from ..spec.classes import (
    BUFFER,
    BUFFER_ARGS,
    BUFFER_DOC,
    PARAMETER,
    PARAMETER_ARGS,
    PARAMETER_DOC,
    forward_returns_tensor,
)
from ..spec.helpers import HELPERS
from .class_schema import class_schema, init_params
from .docstrings import doc_of
from .params_schema import BLOCK_PARAMS, PARAM_REF, params_schema
from .schema import CLASS_UNIONS
from .spec_schema import (
    IDENTIFIER_PATTERN,
    block,
    block_use,
    blocks,
    compact,
    example_input,
    graph,
    keep,
    modules,
    repeat,
    sequential,
)

SCHEMA_ID = "https://torcharc-codegen.github.io/schema/torcharc.schema.json"


def torch_classes() -> dict[str, type]:
    """Public nn.Module subclasses exported by torch.nn (not ones others registered there)."""
    import torch

    out = {}
    for name in sorted(dir(torch.nn)):
        obj = getattr(torch.nn, name)
        if (
            not name.startswith("_")
            and inspect.isclass(obj)
            and issubclass(obj, torch.nn.Module)
            and obj.__module__.startswith("torch.")
            and name != "Sequential"
        ):
            out[name] = obj
    return out


def build_schema(extra_classes: dict[str, type] | None = None) -> dict:
    import torch

    classes: dict[str, dict] = {}
    for name, cls in torch_classes().items():
        classes[name] = class_schema(name, init_params(cls), doc_of(cls), cls)
    for name, helper in HELPERS.items():
        classes[name] = class_schema(name, list(helper.params), helper.doc)
    classes[PARAMETER] = class_schema(PARAMETER, list(PARAMETER_ARGS), PARAMETER_DOC)
    classes[BUFFER] = class_schema(BUFFER, list(BUFFER_ARGS), BUFFER_DOC)
    classes.update(custom_class_schemas(extra_classes or {}))
    names = list(classes)
    refs = [{"$ref": f"#/definitions/class/{n}"} for n in names]
    version = torch.__version__
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "TorchArc model spec",
        "description": (
            "A model as data: `modules` (name -> torch.nn module spec) and `graph` (how they "
            "are called), with the model's `params` and the spec's own `blocks`. Compiled to "
            f"PyTorch code by torcharc-gen. Generated from torch {version}."
        ),
        "type": "object",
        "required": ["modules", "graph"],
        "properties": {
            "params": params_schema(),
            "blocks": blocks(),
            "modules": modules(
                "Module name -> module spec: a torch.nn class with its keyword arguments, a "
                "block use `.Name`, a Sequential, or a compact spec."
            ),
            "graph": {"$ref": "#/definitions/graph"},
            "keep": keep(),
            "class": {
                "title": "class",
                "description": "The generated class's name (a torcharc-gen extension), e.g. "
                "`ResNet`; by default the output file's name in PascalCase (`resnet.py`: "
                "`Resnet`), and `--class-name` has the last word.",
                "type": "string",
                "pattern": IDENTIFIER_PATTERN,
            },
        },
        "definitions": {
            "module": {
                "title": "module spec",
                "description": "One class name with its keyword arguments (null for none), a "
                "block use `.Name: {...}`, `Sequential: [...]`, or `compact: {...}`.",
                "anyOf": refs + _refs("Sequential", "compact", "blockUse"),
            },
            "layer": {
                "title": "layer",
                "description": "One class name with its keyword arguments (null for none), or "
                "a block use `.Name: {...}`.",
                "anyOf": refs + _refs("blockUse"),
            },
            "entry": {
                "title": "Sequential entry",
                "description": "One class name with its keyword arguments (null for none), a "
                "block use `.Name: {...}`, a nested `Sequential`, or a repeat entry `{repeat: "
                "N, module: ...}`.",
                "anyOf": refs + _refs("Sequential", "blockUse", "repeat"),
            },
            "entryModule": {
                "title": "entry",
                "description": "One class name with its keyword arguments (null for none), a "
                "block use `.Name: {...}`, or a nested `Sequential`.",
                "anyOf": refs + _refs("Sequential", "blockUse"),
            },
            "class": {
                name: {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [name],
                    "properties": {name: schema},
                }
                for name, schema in classes.items()
            },
            "Sequential": sequential(),
            "repeat": repeat(),
            "blockUse": block_use(),
            "block": block(params_schema(BLOCK_PARAMS)),
            "compact": compact(names),
            "exampleInput": example_input(),
            "graph": graph(),
            "blockGraph": graph(example_inputs=False),
            "paramRef": PARAM_REF,
        },
    }


def _refs(*names: str) -> list[dict]:
    return [{"$ref": f"#/definitions/{name}"} for name in names]


def custom_class_schemas(extra_classes: dict[str, type]) -> dict[str, dict]:
    """Argument schemas of a user's classes, by the name specs use for them."""
    return {
        name: class_schema(name, init_params(cls), doc_of(cls), cls)
        for name, cls in sorted(extra_classes.items())
    }


def with_classes(schema: dict, extra_classes: dict[str, type]) -> dict:
    """``schema`` (the published one) with a user's classes added, without regenerating the
    torch.nn part."""
    import copy

    out = copy.deepcopy(schema)
    defs = out["definitions"]
    for name, args in custom_class_schemas(extra_classes).items():
        defs["class"][name] = {
            "type": "object",
            "additionalProperties": False,
            "required": [name],
            "properties": {name: args},
        }
        ref = {"$ref": f"#/definitions/class/{name}"}
        for union in CLASS_UNIONS:
            branches = defs[union]["anyOf"]
            classes = [b["$ref"].startswith("#/definitions/class/") for b in branches]
            branches.insert(classes.index(False) if False in classes else len(branches), ref)
        layer = defs["compact"]["properties"]["compact"]["properties"]["layer"]
        layer["properties"]["type"]["anyOf"][0]["enum"].append(name)
    return out


def render_schema(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def build_class_table() -> dict:
    """What the generator needs to know about the torch.nn classes besides their arguments,
    kept out of the published schema (strict validators refuse unknown keywords there) and
    read at generation time without importing torch."""
    import torch

    classes = torch_classes()
    returning = [n for n, cls in classes.items() if forward_returns_tensor(cls)]
    floats = {n: args for n, cls in classes.items() if (args := float_arguments(cls))}
    return {
        "torch": torch.__version__,
        "forward_returns_tensor": returning,
        "float_arguments": floats,
    }


def float_arguments(cls: type) -> dict[str, str]:
    """Constructor arguments whose annotation takes a float, not an int: "float", or "items"
    for a list of floats (literals.float_kind)."""
    from ..spec.literals import float_kind

    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}
    out = {}
    for name, param in params.items():
        if param.annotation is inspect.Parameter.empty or isinstance(param.annotation, str):
            continue
        if kind := float_kind(param.annotation):
            out[name] = kind
    return out
