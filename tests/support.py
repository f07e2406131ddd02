"""Shared test helpers (fixtures and hypothesis's profiles are in conftest.py)."""

from __future__ import annotations

import copy

from torcharc_codegen import generate
from torcharc_codegen.check.runtime import import_in_memory


def build_generated(spec: dict | str, class_name: str = "Model", **kwargs):
    """(instance of the generated class, generated source) for ``spec``, imported in memory."""
    text = generate(copy.deepcopy(spec) if isinstance(spec, dict) else spec, class_name, **kwargs)
    module = import_in_memory(text)
    return getattr(module, class_name)(), text
