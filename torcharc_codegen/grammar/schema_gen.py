"""Generate the published JSON Schema from the installed ``torch.nn``.

Every public ``nn.Module`` subclass that ``torch.nn`` exports, the built-in helpers and any
user classes get a closed argument schema introspected from their constructor: a JSON type
from the annotation or the default, the default, ``required``, and descriptions from the
docstrings. The layout is the one editors handle (measured with yaml-language-server): a
module spec is an ``anyOf`` of ``$ref``'d closed single-key objects; no ``maxProperties``
beside ``properties``, no ``patternProperties`` for class names, no ``oneOf`` in arrays.
It also compiles under ajv's strict mode (``ajv compile --strict=true``), which SchemaStore
requires: no keywords of our own, no ``type`` list but ``[T, "null"]``, a ``type`` beside
every keyword that applies to one type. What the generator needs beyond argument schemas is in
the class table beside it (:func:`build_class_table`).
"""

from __future__ import annotations

import inspect
import json

from ..spec.classes import forward_returns_tensor
from ..spec.helpers import HELPERS
from .class_schema import class_schema, init_params
from .docstrings import doc_of
from .params_schema import PARAM_REF, params_schema
from .spec_schema import compact, example_input, graph, sequential

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
            f"are called). Compiled to PyTorch code by torcharc-gen. Generated from torch "
            f"{version}."
        ),
        "type": "object",
        "required": ["modules", "graph"],
        "properties": {
            "params": params_schema(),
            "modules": {
                "title": "modules",
                "description": "Module name -> module spec: a torch.nn class with its keyword "
                "arguments, a Sequential, or a compact spec.",
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/module"},
            },
            "graph": {"$ref": "#/definitions/graph"},
        },
        "definitions": {
            "module": {
                "title": "module spec",
                "description": "One class name with its keyword arguments (null for none), "
                "`Sequential: [...]`, or `compact: {...}`.",
                "anyOf": refs
                + [{"$ref": "#/definitions/Sequential"}, {"$ref": "#/definitions/compact"}],
            },
            "layer": {
                "title": "layer",
                "description": "One class name with its keyword arguments (null for none).",
                "anyOf": refs,
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
            "compact": compact(names),
            "exampleInput": example_input(),
            "graph": graph(),
            "paramRef": PARAM_REF,
        },
    }


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
        defs["layer"]["anyOf"].append(ref)
        defs["module"]["anyOf"].insert(len(defs["module"]["anyOf"]) - 2, ref)
        enum = defs["compact"]["properties"]["compact"]["properties"]["layer"]
        enum["properties"]["type"]["enum"].append(name)
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
