"""--check, many specs at once, stdin/stdout, and [tool.torcharc-gen] configuration."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torcharc_codegen.cli import main
from torcharc_codegen.version import __version__

pytestmark = pytest.mark.slow  # real command runs over trees of specs

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
    assert err.splitlines()[-1] == "2 written, 0 unchanged, 1 failed: specs/bad.yaml"


def test_directory_mode_prints_one_line_per_file_and_a_summary(tree, capsys):
    assert main(["specs", "-o", "out", "--no-verify"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "checks: skipped (--no-verify)",
        "wrote out/a/two.py (Two)",
        "wrote out/one.py (One)",
        "2 written, 0 unchanged, 0 failed",
    ]
    (tree / "specs" / "one.yaml").write_text(SPEC.replace("out_features: 2", "out_features: 5"))
    assert main(["specs", "-o", "out", "--check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "unchanged out/a/two.py (Two)"
    assert err[1].startswith("out/one.py: stale: its spec changed since it was generated")
    assert err[-1] == "1 would be written, 1 unchanged, 0 failed"
    assert main(["specs", "-o", "out", "--no-verify", "-q"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("output", ["-", "out.py", "notes.txt"])
def test_a_directory_needs_an_output_directory(tree, capsys, output):
    (tree / "notes.txt").write_text("mine\n")
    assert main(["specs", "-o", output]) == 2
    assert capsys.readouterr().err == (
        "torcharc-gen: error: specs is a directory: -o must be a directory too\n"
    )
    assert (tree / "notes.txt").read_text() == "mine\n" and not (tree / "out.py").exists()


def test_yml_specs_are_compiled_and_hidden_folders_skipped(tree, capsys):
    (tree / "specs" / "three.yml").write_text(SPEC)
    (tree / "specs" / ".github").mkdir()
    (tree / "specs" / ".github" / "ci.yml").write_text("on: push\n")
    assert main(["specs", "-o", "out", "--no-verify"]) == 0
    assert "class Three(nn.Module)" in (tree / "out" / "three.py").read_text()
    assert not (tree / "out" / ".github").exists()
    assert capsys.readouterr().err.splitlines()[-1] == "3 written, 0 unchanged, 0 failed"


BAD_NAMES = {
    "my-model.yaml": "the output out/my-model.py can't be imported ('my-model' is not a Python "
    "identifier): rename the spec my_model.yaml",
    "3d.yaml": "the output out/3d.py can't be imported ('3d' is not a Python identifier): "
    "rename the spec model_3d.yaml",
    "class.yaml": "the output out/class.py can't be imported ('class' is a Python keyword): "
    "rename the spec class_model.yaml",
    "none.yaml": "the output none.py gives no usable class name ('None' is a Python keyword): "
    "rename the spec none_model.yaml",
    "true.yaml": "the output true.py gives no usable class name ('True' is a Python keyword): "
    "rename the spec true_model.yaml",
    "_.yaml": "the output _.py gives no usable class name (it has no letters or digits): "
    "rename the spec model.yaml",
}


def test_specs_whose_outputs_cannot_be_imported_fail_alone(tree, capsys):
    for name in BAD_NAMES:
        (tree / "specs" / name).write_text(SPEC)
    (tree / "specs" / "zz_last.yaml").write_text(SPEC)
    assert main(["specs", "-o", "out", "--no-verify"]) == 2
    err = capsys.readouterr().err.splitlines()
    for name, message in BAD_NAMES.items():
        assert f"specs/{name}: {message}" in err
        assert not (tree / "out" / name).with_suffix(".py").exists()
    for good in ("one.py", "a/two.py", "zz_last.py"):
        assert (tree / "out" / good).is_file()
    assert err[-1] == "3 written, 0 unchanged, 6 failed: " + ", ".join(
        f"specs/{n}" for n in sorted(BAD_NAMES)
    )


def test_a_yaml_and_a_yml_spec_with_one_output_both_fail(tree, capsys):
    (tree / "specs" / "one.yml").write_text(SPEC)
    assert main(["specs", "-o", "out", "--no-verify"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "specs/one.yml: specs/one.yaml has the same output out/one.py: rename one of them" in err
    assert "specs/one.yaml: specs/one.yml has the same output out/one.py: rename one" in err
    assert not (tree / "out" / "one.py").exists() and (tree / "out" / "a" / "two.py").is_file()


def test_exit_non_zero_on_write(tree, capsys):
    args = ["specs", "-o", "out", "--no-verify", "--exit-non-zero-on-write"]
    assert main(args) == 1
    assert main(args) == 0
    (tree / "specs" / "a" / "two.yaml").write_text(
        SPEC.replace("out_features: 2", "out_features: 7")
    )
    assert main(args) == 1
    assert capsys.readouterr().err.splitlines()[-1] == "1 written, 1 unchanged, 0 failed"


def test_generating_current_files_imports_no_torch(tree):
    assert main(["specs", "-o", "out", "--no-verify"]) == 0
    code = (
        "import sys\n"
        "from torcharc_codegen.cli import main\n"
        "assert main(['specs', '-o', 'out']) == 0\n"
        "assert 'torch' not in sys.modules, 'the fast path imported torch'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1] == "0 written, 2 unchanged, 0 failed"


def _with_version_line(text: str, line: str) -> str:
    return "".join(
        line + "\n" if old.startswith("# torcharc-gen ") else old
        for old in text.splitlines(keepends=True)
    )


def test_other_torch_or_black_versions_leave_a_current_file_byte_identical(tree, capsys):
    assert main(["specs/one.yaml", "-o", "one.py", "--no-verify"]) == 0
    other = _with_version_line(
        (tree / "one.py").read_text(), f"# torcharc-gen {__version__} (torch 2.4.0, black 24.1.0)"
    )
    (tree / "one.py").write_text(other)
    capsys.readouterr()
    for args in ([], ["--check"]):
        assert main(["specs/one.yaml", "-o", "one.py", "--no-verify", *args]) == 0
    assert (tree / "one.py").read_text() == other
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == ["unchanged one.py (One)", "unchanged one.py (One)"]


def test_check_reads_the_spec_from_stdin_and_never_writes(tree):
    def gen(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "torcharc_codegen", "-", *args],
            input=(tree / "specs" / "one.yaml").read_text(),
            capture_output=True,
            text=True,
            cwd=tree,
            timeout=300,
        )

    proc = gen("-o", "model.py", "--check")
    assert proc.returncode == 1
    assert proc.stderr.startswith("model.py: missing (regenerate: torcharc-gen - -o model.py < ")
    assert not (tree / "model.py").exists()
    assert gen("-o", "model.py", "--no-verify").returncode == 0
    written = (tree / "model.py").read_text()
    assert gen("-o", "model.py", "--check").returncode == 0
    (tree / "specs" / "one.yaml").write_text(SPEC.replace("out_features: 2", "out_features: 5"))
    proc = gen("-o", "model.py", "--check")
    assert proc.returncode == 1
    assert "model.py: stale: its spec changed since it was generated" in proc.stderr
    assert (tree / "model.py").read_text() == written
    proc = gen("-o", "-", "--check")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "torcharc-gen: error: --check compares with a file: give -o FILE, not -o -\n"
    )


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


def test_a_spec_saved_with_crlf_line_ends_takes_the_fast_path(tree):
    crlf = tree / "specs" / "crlf.yaml"
    crlf.write_bytes(SPEC.replace("\n", "\r\n").encode())
    assert main(["specs/crlf.yaml", "-o", "crlf.py", "--no-verify"]) == 0
    code = (
        "import sys\n"
        "from torcharc_codegen.cli import main\n"
        "assert main(['specs/crlf.yaml', '-o', 'crlf.py']) == 0\n"
        "assert 'torch' not in sys.modules, 'the spec was compiled again'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tree, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["unchanged crlf.py (Crlf)"]
