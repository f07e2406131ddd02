"""The package's architecture, enforced: the pipeline's layers import only downwards
(import-linter's contracts in pyproject.toml), torch and the other heavy packages load only
inside the functions that need them (ruff's TID253), and the README's package map names every
subpackage with what it owns."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "torcharc_codegen"
LINT_IMPORTS = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def test_the_layers_import_only_downwards():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "torcharc_codegen")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    order = tmp_path / "torcharc_codegen" / "spec" / "order.py"
    order.write_text(order.read_text() + "\n\ndef _late():\n    from ..check import verify\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "torcharc_codegen.spec is not allowed to import torcharc_codegen.check" in (
        result.stdout
    )


def test_heavy_packages_are_imported_inside_functions_only():
    """`import torch` at a module's top would cost every command (and Ctrl-C during start-up)
    its ~2 s; ruff's TID253 lists the packages that load only where they are used."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID253", str(PACKAGE)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    config = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'banned-module-level-imports = \[[^\]]*"torch"', config)


def _map() -> dict[str, str]:
    """The README's package map: `folder/` -> what it owns."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n### Layout") :]
    return dict(re.findall(r"^- `torcharc_codegen/(\w+)/`: (.+)$", section, re.M))


@pytest.mark.parametrize("folder", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_each_subpackage_says_what_it_owns_and_the_readme_maps_it(folder):
    doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
    assert doc and doc.splitlines()[0].endswith(
        "."
    ), f"{folder}/__init__.py: a docstring whose first line says what it owns"
    assert folder in _map(), f"README's Layout section doesn't map {folder}/"


def test_the_readme_maps_no_folder_that_is_gone():
    assert set(_map()) <= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
