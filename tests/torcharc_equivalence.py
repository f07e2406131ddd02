"""Comparing a generated module with TorchArc 2.1.2's build of the same spec.

TorchArc runs in a worker subprocess (tests/torcharc_reference.py): importing it registers its
helpers into torch.nn, which must not leak into the test process.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name("torcharc_reference.py")


def require_torcharc() -> None:
    pytest.importorskip("pydantic")
    found = subprocess.run([sys.executable, "-c", "import torcharc"], capture_output=True)
    if found.returncode != 0:
        pytest.skip("torcharc 2.1.2 is not installed (.ci/run installs it)")


class TorchArc:
    """A long-lived TorchArc worker: ``build(jobs)`` -> {name: (state_dict, outputs)}, or
    {name: (None, "why TorchArc refused it")}."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="torcharc-ref-")
        self._proc = subprocess.Popen(
            [sys.executable, str(WORKER), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._calls = 0

    def build(self, jobs: list[tuple[str, dict, tuple]]) -> dict:
        self._calls += 1
        jobs_path = Path(self._tmp.name) / f"jobs{self._calls}.pt"
        results_path = Path(self._tmp.name) / f"results{self._calls}.pt"
        torch.save(jobs, jobs_path)
        self._proc.stdin.write(f"{jobs_path} {results_path}\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().strip()
        assert answer == "ok", f"the TorchArc worker failed: {answer or 'it exited'}"
        return torch.load(results_path, weights_only=False)

    def close(self) -> None:
        self._proc.stdin.close()
        self._proc.wait(timeout=60)
        self._tmp.cleanup()


def tuple_of(value):
    """Named tuples and script's plain tuples compared alike."""
    if isinstance(value, tuple):
        return tuple(tuple_of(v) for v in value)
    if isinstance(value, dict):
        return {k: tuple_of(v) for k, v in value.items()}
    return value


def assert_equal(got, want) -> None:
    """Bit-exact: the same torch ops ran on the same weights and inputs."""
    got, want = tuple_of(got), tuple_of(want)
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_equal(g, w)
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_equal(got[k], want[k])
    else:
        assert torch.equal(got, want), (got - want).abs().max()


def assert_same_model(instance: torch.nn.Module, reference: tuple, inputs: tuple) -> None:
    """Same state_dict names, TorchArc's weights load strictly, bit-exact outputs."""
    state, expected = reference
    assert state is not None, f"TorchArc refused the spec: {expected}"
    assert sorted(instance.state_dict()) == sorted(state), "same parameter and buffer names"
    instance.load_state_dict(state, strict=True)
    instance.eval()
    with torch.no_grad():
        got = instance(*inputs)
    assert_equal(got, expected)
