"""The corpus of bad specs in tests/bad_specs/: each file ends with the exact messages
torcharc-gen must print for it (`# expect: ...`), so a reworded message or a lost location is
caught. Every one exits 2, prints no traceback and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).with_name("bad_specs")
SPECS = sorted(CORPUS.glob("*.yaml"))


def expected(spec: Path) -> list[str]:
    prefix = "# expect: "
    return [
        line[len(prefix) :] for line in spec.read_text().splitlines() if line.startswith(prefix)
    ]


def test_corpus_is_there():
    assert len(SPECS) >= 15


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_bad_spec_message(spec, tmp_path):
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
    problems = [
        line
        for line in proc.stderr.splitlines()
        if not line.startswith(("  ", "note:", "warning:"))
    ]
    assert problems == expected(spec)
    assert not out.exists()
