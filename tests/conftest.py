"""Fixtures; hypothesis draws the same examples on every run (CI passes or fails alike each
time; a wider search: `HYPOTHESIS_PROFILE=explore python -m pytest ...` or
benchmarks/differential.py). Shared helpers are in support.py."""

from __future__ import annotations

import os

import pytest
import torch
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
