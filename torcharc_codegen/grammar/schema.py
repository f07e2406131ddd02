"""The published JSON Schema (schema/torcharc.schema.json) and the class table beside it."""

from __future__ import annotations

import functools
import json

from ..resources import SCHEMA_PATH

# What the generator needs about torch.nn classes that is not an argument schema (which
# forwards return a Tensor); kept out of the published schema, whose readers refuse unknown
# keywords. Written with the schema by `python -m torcharc_codegen.views.published_schema`.
CLASS_TABLE_PATH = SCHEMA_PATH.with_name("torcharc.classes.json")
# The unions of the classes (each a closed single-key object) and the other forms, by where
# they stand: a module, a layer of compact's prelayer/postlayer, a Sequential entry, and a
# repeat entry's module (or a named Sequential's entry).
CLASS_UNIONS = ("module", "layer", "entry", "entryModule")


@functools.cache
def base_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


@functools.cache
def class_table() -> dict:
    with open(CLASS_TABLE_PATH, encoding="utf-8") as f:
        return json.load(f)


def float_arguments(cls_name: str) -> dict[str, str]:
    """torch.nn.<cls_name>'s constructor arguments that take a float, not an int ("float", or
    "items" for a list of them), from the class table: no torch import."""
    return _float_table().get(cls_name, {})


@functools.lru_cache(maxsize=1)
def _float_table() -> dict:
    return class_table().get("float_arguments", {})


def arg_schema(schema: dict, name: str) -> dict:
    """The argument schema of class ``name`` (title, properties, required, ...)."""
    return schema["definitions"]["class"][name]["properties"][name]
