"""The published JSON Schema (schema/torcharc.schema.json) and validators over it."""

from __future__ import annotations

import functools
import json

from .resources import SCHEMA_PATH


@functools.cache
def base_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        return json.load(f)


def arg_schema(schema: dict, name: str) -> dict:
    """The argument schema of class ``name`` (title, properties, required, ...)."""
    return schema["definitions"]["class"][name]["properties"][name]
