"""The corpus of bad specs in tests/bad_specs/: each file ends with the exact messages
torcharc-gen must print for it (`# expect: ...`), so a reworded message or a lost location is
caught. Every one exits 2, prints no traceback and writes nothing: checked in this process
for each spec, and in a fresh process (the installed entry point) for a few of each kind
(those are `slow`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from torcharc_codegen.cli import main

CORPUS = Path(__file__).with_name("bad_specs")
SPECS = sorted(CORPUS.glob("*.yaml"))


def expected(spec: Path) -> list[str]:
    prefix = "# expect: "
    return [
        line[len(prefix) :] for line in spec.read_text().splitlines() if line.startswith(prefix)
    ]


def test_corpus_is_there():
    assert len(SPECS) >= 15


def problems(stderr: str) -> list[str]:
    return [
        line for line in stderr.splitlines() if not line.startswith(("  ", "note:", "warning:"))
    ]


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_bad_spec_message(spec, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(CORPUS)
    out = tmp_path / "model.py"
    assert main([spec.name, "-o", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    assert problems(stderr) == expected(spec)
    assert not out.exists()


# one of each stage that can refuse a spec: YAML, schema, graph rules, torch building, running
FRESH = ["yaml_syntax", "bad_arguments", "cycle", "construct", "sequential_layer"]


@pytest.mark.slow
@pytest.mark.parametrize("name", FRESH)
def test_bad_spec_message_in_a_fresh_process(name, tmp_path):
    spec = CORPUS / f"{name}.yaml"
    out = tmp_path / "model.py"
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", spec.name, "-o", str(out)],
        cwd=CORPUS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert problems(proc.stderr) == expected(spec)
    assert not out.exists()
