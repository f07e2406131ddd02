"""Fixtures; hypothesis draws the same examples on every run (CI passes or fails alike each
time; a wider search: `HYPOTHESIS_PROFILE=explore python -m pytest ...` or
benchmarks/differential.py). Shared helpers are in support.py."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest
import torch
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """``write(name, source)``: a module of the user's (classes a spec names by import path),
    importable during the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)
