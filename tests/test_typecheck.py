"""Generated files pass the linters and type checkers a team runs, with their default settings:
`ruff check --select E,F,W,I,UP` at 88 columns, mypy and pyright. Each example is generated
into a folder with no configuration, so black's defaults apply, as in a project without any."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torcharc_codegen.api import compile_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "generated_examples").rglob("*.yaml"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    for spec in EXAMPLES:
        # beside its spec, as in a project: the header names the spec by a short path
        here = out / spec.parent.name / spec.name
        here.parent.mkdir(exist_ok=True)
        shutil.copy(spec, here)
        py = here.with_suffix(".py")
        py.write_text(compile_file(here, py, verify=False).source)
    return out


def _tool(name: str) -> str | None:
    local = ROOT / "node_modules" / ".bin" / name
    return str(local) if local.exists() else shutil.which(name)


def test_ruff_at_88_columns(generated):
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,I,UP", "."],
        cwd=generated,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy(generated):
    pytest.importorskip("mypy")
    proc = subprocess.run(  # package bases: basic/mlp.py and compact/mlp.py are two modules
        [sys.executable, "-m", "mypy", "--explicit-package-bases", "--no-incremental", "."],
        cwd=generated,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pyright(generated):
    pyright = _tool("pyright")
    if pyright is None:
        if os.environ.get("CI"):
            pytest.fail("pyright is not installed: run `npm ci` (CI must run this test)")
        pytest.skip("pyright is not installed: run `npm ci` in the repository")
    proc = subprocess.run(
        [pyright, "--pythonpath", sys.executable, "."],
        cwd=generated,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
