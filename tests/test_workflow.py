"""--check, many specs at once, stdin/stdout, and [tool.torcharc-gen] configuration."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torcharc_codegen.cli import main

SPEC = textwrap.dedent("""\
    modules:
      lin: {Linear: {in_features: 4, out_features: 2}}
    graph:
      input: x
      modules:
        lin: [x]
      output: lin
    """)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch) -> Path:
    """specs/ with two good specs in nested folders."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs" / "a").mkdir(parents=True)
    (tmp_path / "specs" / "one.yaml").write_text(SPEC)
    (tmp_path / "specs" / "a" / "two.yaml").write_text(
        SPEC.replace("out_features: 2", "out_features: 3")
    )
    return tmp_path


def test_check_passes_when_current_and_fails_with_a_diff_when_stale(tree, capsys):
    assert main(["specs/one.yaml", "-o", "one.py", "--no-verify"]) == 0
    assert main(["specs/one.yaml", "-o", "one.py", "--check"]) == 0
    (tree / "specs" / "one.yaml").write_text(SPEC.replace("out_features: 2", "out_features: 5"))
    before = (tree / "one.py").read_text()
    capsys.readouterr()
    assert main(["specs/one.yaml", "-o", "one.py", "--check"]) == 1
    err = capsys.readouterr().err
    assert "one.py: stale: its spec changed since it was generated" in err
    assert "-        self.lin = nn.Linear(in_features=4, out_features=2)" in err
    assert "+        self.lin = nn.Linear(in_features=4, out_features=5)" in err
    assert (tree / "one.py").read_text() == before, "--check writes nothing"


def test_check_names_a_hand_edit_and_a_missing_file(tree, capsys):
    assert main(["specs/one.yaml", "-o", "one.py", "--no-verify"]) == 0
    with open(tree / "one.py", "a") as f:
        f.write("# my tweak\n")
    assert main(["specs/one.yaml", "-o", "one.py", "--check"]) == 1
    assert "edited by hand" in capsys.readouterr().err
    assert main(["specs/one.yaml", "-o", "missing.py", "--check"]) == 1
    assert "missing.py: missing" in capsys.readouterr().err


def test_version_line_does_not_make_a_file_stale(tree):
    assert main(["specs/one.yaml", "-o", "one.py", "--no-verify"]) == 0
    text = (tree / "one.py").read_text()
    old = "\n".join(
        (
            "# torcharc-gen 0.0.1 (torch 2.4.0, black 24.1.0)"
            if line.startswith("# torcharc-gen ")
            else line
        )
        for line in text.split("\n")
    )
    (tree / "one.py").write_text(old)
    assert main(["specs/one.yaml", "-o", "one.py", "--check"]) == 0


def test_a_directory_compiles_to_a_mirrored_tree_and_only_changed_files_are_written(tree, capsys):
    assert main(["specs", "-o", "out", "--no-verify"]) == 0
    assert (tree / "out" / "one.py").is_file() and (tree / "out" / "a" / "two.py").is_file()
    assert "class Two(nn.Module)" in (tree / "out" / "a" / "two.py").read_text()
    capsys.readouterr()
    assert main(["specs", "-o", "out", "--no-verify"]) == 0
    err = capsys.readouterr().err
    assert "unchanged out/one.py" in err and "unchanged out/a/two.py" in err
    assert main(["specs", "-o", "out", "--check"]) == 0


def test_one_bad_spec_does_not_stop_the_others(tree, capsys):
    (tree / "specs" / "bad.yaml").write_text(SPEC.replace("lin: [x]", "lin: [nope]"))
    assert main(["specs", "-o", "out", "--no-verify"]) == 2
    err = capsys.readouterr().err
    assert "specs/bad.yaml:6:11: graph.modules.lin[0]: unknown node 'nope'" in err
    assert (tree / "out" / "one.py").is_file() and (tree / "out" / "a" / "two.py").is_file()
    assert not (tree / "out" / "bad.py").exists()
    assert "1 of 3 spec(s) failed: specs/bad.yaml" in err


def test_stdin_to_stdout(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "-", "-o", "-", "--no-verify"],
        input=SPEC,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "class Model(nn.Module):" in proc.stdout
    compile(proc.stdout, "model.py", "exec")
    assert list(tmp_path.iterdir()) == []


def test_pyproject_configuration(tree, capsys):
    (tree / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.torcharc-gen]
        specs = "specs"
        output = "generated"
        class-name-style = "stem"
        """))
    assert main(["--no-verify"]) == 0
    text = (tree / "generated" / "a" / "two.py").read_text()
    assert "class two(nn.Module)" in text
    assert "torcharc-gen ../../specs/a/two.yaml -o two.py --class-name two" in text
    assert main(["--check"]) == 0
    (tree / "pyproject.toml").write_text("[tool.torcharc-gen]\nspec = 'x'\n")
    capsys.readouterr()
    assert main([]) == 2
    assert "unknown key(s) spec" in capsys.readouterr().err
