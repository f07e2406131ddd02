"""Shared test helpers: generate a spec and import the result in memory; hypothesis draws the
same examples on every run (CI passes or fails alike each time; a wider search:
`HYPOTHESIS_PROFILE=explore python -m pytest ...` or benchmarks/differential.py)."""

from __future__ import annotations

import copy
import os

import pytest
import torch
from hypothesis import settings

from torcharc_codegen import generate
from torcharc_codegen.runtime import import_in_memory

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def build_generated(spec: dict | str, class_name: str = "Model", **kwargs):
    """(instance of the generated class, generated source) for ``spec``."""
    text = generate(copy.deepcopy(spec) if isinstance(spec, dict) else spec, class_name, **kwargs)
    module = import_in_memory(text)
    return getattr(module, class_name)(), text


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
