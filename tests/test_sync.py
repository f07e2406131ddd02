"""sync.py on its own: whether a committed file is current with its spec, and if not why (its
spec changed, it was edited, another command or generator), from the file's header alone."""

from __future__ import annotations

import re

import pytest

from torcharc_codegen.api import compile_file
from torcharc_codegen.codegen.black_settings import for_output
from torcharc_codegen.codegen.provenance import VERSION_PREFIX, command_for, sha256, versions
from torcharc_codegen.output.sync import compare, current_without_generating, same_but_versions

SPEC = """\
modules:
  lin:
    Linear: {in_features: 4, out_features: 2}
graph:
  input: x
  modules:
    lin: [x]
  output: lin
"""


@pytest.fixture
def committed(tmp_path):
    """(the generated file's text, its spec's sha256, version line, command)."""
    spec, out = tmp_path / "model.yaml", tmp_path / "model.py"
    spec.write_text(SPEC)
    result = compile_file(spec, out, verify=False)
    version = versions(for_output(out).mode)
    return result.source, sha256(spec.read_bytes()), version, command_for(spec, out, "Model")


def edited(text: str) -> str:
    return text.replace("out_features=2", "out_features=3")


def other_versions(text: str, black: str = "") -> str:
    """``text`` as generated with another torch build (and ``black``: other black settings):
    only the version line differs."""
    return "".join(
        (
            re.sub(r"torch [^,]+", "torch 0.0.1", line).replace(")\n", f"{black})\n")
            if line.startswith(VERSION_PREFIX)
            else line
        )
        for line in text.splitlines(keepends=True)
    )


def test_a_fresh_file_is_current_without_generating(committed):
    text, sha, version, command = committed
    assert current_without_generating(text, sha, version, command)


@pytest.mark.parametrize("change", ["edited", "spec", "version", "command"])
def test_any_change_means_generating_again(committed, change):
    text, sha, version, command = committed
    if change == "edited":
        text = edited(text)
    elif change == "spec":
        sha = "0" * 64
    elif change == "version":
        version = "0.0.0 (torch 0.0, black 0.0)"
    else:
        command += " --class-name Net"
    assert not current_without_generating(text, sha, version, command)


def test_compare_says_why_a_file_is_not_current(committed, tmp_path):
    text, *_ = committed
    assert compare(text, text, "model.py") == (True, "", "")
    assert compare(None, text, "model.py") == (False, "missing", "")
    current, why, diff = compare(edited(text), text, "model.py")
    assert (current, why) == (False, "edited by hand since it was generated")
    assert "--- model.py (committed)" in diff and "+++ model.py (generated)" in diff
    assert "-        self.lin = nn.Linear(in_features=4, out_features=3)" in diff
    (tmp_path / "model.yaml").write_text(SPEC.replace("out_features: 2", "out_features: 3"))
    newer = compile_file(tmp_path / "model.yaml", tmp_path / "model.py", verify=False).source
    assert compare(text, newer, "model.py")[:2] == (
        False,
        "stale: its spec changed since it was generated",
    )


def test_only_the_version_line_differing_is_current(committed):
    text, *_ = committed
    assert compare(other_versions(text), text, "model.py")[0]
    assert same_but_versions(other_versions(text), text)
    assert other_versions(text) != text
    # other black settings: the version line changes with them, though the code may not
    assert not same_but_versions(other_versions(text, black=" -l 120"), text)
    assert not same_but_versions(edited(text), text)
    assert not same_but_versions(None, text)
