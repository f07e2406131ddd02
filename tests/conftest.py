"""Shared test helpers: generate a spec and import the result in memory."""

from __future__ import annotations

import copy

import pytest
import torch

from torcharc_codegen import generate
from torcharc_codegen.runtime import import_in_memory


def build_generated(spec: dict | str, class_name: str = "Model", **kwargs):
    """(instance of the generated class, generated source) for ``spec``."""
    text = generate(copy.deepcopy(spec) if isinstance(spec, dict) else spec, class_name, **kwargs)
    module = import_in_memory(text)
    return getattr(module, class_name)(), text


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
