"""README.md is also the package's page on the package index, and its figures name the
repository's own files."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def prose(text: str) -> str:
    """The README without its fenced code blocks."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def test_every_link_and_picture_is_absolute():
    # the package index shows the README without the repository: a relative target breaks there
    targets = re.findall(r"\]\(([^)]*)\)", prose(README))
    targets += re.findall(r"<(?:img|a)\b[^>]*\b(?:src|href)=\"([^\"]*)\"", README)
    assert targets, "the README links to TorchArc's page at least"
    assert [t for t in targets if not t.startswith("https://")] == []


def test_the_count_of_bundled_examples_is_current():
    (count,) = re.findall(r"all (\d+) bundled examples", README)
    assert int(count) == len(list((ROOT / "generated_examples").rglob("*.yaml")))
