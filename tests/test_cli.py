"""The command line: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torcharc_codegen.cli import main
from torcharc_codegen.version import __version__

pytestmark = pytest.mark.slow  # each test runs the real command in a process of its own

MLP = textwrap.dedent("""\
    modules:
      mlp:
        Sequential:
          - Linear: {in_features: 8, out_features: 4}
          - ReLU:
    graph:
      input:
        x: {shape: [2, 8]}
      modules:
        mlp: [x]
      output: mlp
    """)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(MLP)
    return path


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_writes_a_verified_module_named_after_the_output(spec, tmp_path, capsys):
    out = tmp_path / "my_model.py"
    assert main([str(spec), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    for check in ("script: ok", "trace: ok", "compile: ok", "export: ok"):
        assert check in err
    text = out.read_text()
    assert "class MyModel(nn.Module):" in text
    assert "torcharc-gen spec.yaml -o my_model.py" in text


def test_class_name_option(spec, tmp_path):
    out = tmp_path / "m.py"
    assert main([str(spec), "-o", str(out), "--class-name", "Net", "--no-verify"]) == 0
    assert "class Net(nn.Module):" in out.read_text()


def test_console_script_and_module_entry_point(spec, tmp_path):
    proc = run(str(spec), "-o", str(tmp_path / "m.py"), "--no-verify")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "m.py").exists()


def test_invalid_spec_exits_2_with_located_one_line_errors_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MLP.replace("mlp: [x]", "mlp: [xx]"))
    out = tmp_path / "out.py"
    out.write_text("previous\n")
    proc = run(str(bad), "-o", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"{bad}:10:11: graph.modules.mlp[0]: unknown node 'xx' (did you mean 'x'?): not declared "
        "in graph.input either (to declare it, add `xx: {shape: [...]}` to graph.input, with "
        "its example shape)"
    )
    assert out.read_text() == "previous\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.yaml", "-o", "m.py"], "no spec file 'missing.yaml'"),
        (["spec.yaml", "-o", "m.txt"], "must be a .py file"),
        (["spec.yaml"], "the following arguments are required: -o/--output"),
        (["spec.yaml", "-o", "m.py", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_usage_errors_exit_2_in_one_line(spec, args, message):
    proc = run(*args, cwd=spec.parent)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--class-name", "my model"],
            "--class-name 'my model' is not a Python identifier (letters, digits and _, not "
            "starting with a digit): choose another, e.g. --class-name MyModel",
        ),
        (
            ["--class-name", "nn"],
            "--class-name 'nn' would hide torch.nn, imported as nn by the generated file: "
            "choose another, e.g. --class-name Nn",
        ),
        (
            ["--class-name", "torch"],
            "--class-name 'torch' would hide the torch module the generated file imports: "
            "choose another, e.g. --class-name Torch",
        ),
        (
            ["--class-name", "super"],
            "--class-name 'super' would hide Python's builtin super, which the generated file "
            "may use: choose another, e.g. --class-name Super",
        ),
        (
            ["--class-name", "None"],
            "--class-name 'None' is a Python keyword: choose another name",
        ),
        (
            ["-o", "my-model.py"],
            "the output my-model.py can't be imported ('my-model' is not a Python identifier): "
            "name it my_model.py",
        ),
        (
            ["-o", "3d.py"],
            "the output 3d.py can't be imported ('3d' is not a Python identifier): "
            "name it model_3d.py",
        ),
        (
            ["-o", "class.py"],
            "the output class.py can't be imported ('class' is a Python keyword): "
            "name it class_model.py",
        ),
        (
            ["-o", "torch.py"],
            "the output torch.py can't be imported (a module named torch hides torch itself "
            "from the generated code): name it torch_model.py",
        ),
        (
            ["-o", "__.py"],
            "the output __.py gives no usable class name (it has no letters or digits): name "
            "the output after the model (my_model.py) or pass --class-name NAME",
        ),
        (
            ["-o", "none.py"],
            "the output none.py gives no usable class name ('None' is a Python keyword): name "
            "the output after the model (my_model.py) or pass --class-name NAME",
        ),
    ],
)
def test_names_are_checked_before_any_work_and_nothing_is_written(spec, args, message):
    out = args[1] if args[0] == "-o" else "m.py"
    proc = run("spec.yaml", *(args if args[0] == "-o" else ["-o", "m.py", *args]), cwd=spec.parent)
    assert proc.returncode == 2
    assert proc.stderr == f"torcharc-gen: error: {message}\n"
    assert not (spec.parent / out).exists()


def test_output_that_is_the_spec_itself_is_refused(tmp_path):
    spec = tmp_path / "model.py"
    spec.write_text(MLP)
    proc = run("model.py", "-o", "./model.py", "--no-verify", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"model.py: can't write: it is the spec {spec.name} itself: write to another file\n"
    )
    assert spec.read_text() == MLP


def test_version(spec):
    from torcharc_codegen.api import versions

    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"torcharc-gen {versions()}\n"
    assert proc.stdout.startswith(f"torcharc-gen {__version__} (torch ")


def test_help_lists_every_command_in_its_usage():
    proc = run("--help")
    assert proc.returncode == 0
    usage = proc.stdout.split("\n\n")[0]
    for form in (
        "usage: torcharc-gen [generate] [SPEC] [-o OUT]",
        "torcharc-gen summary SPEC",
        "torcharc-gen graph SPEC -o FILE",
        "torcharc-gen schema [-o FILE]",
        "torcharc-gen --version | --help",
    ):
        assert form in usage, usage
    for command in ("generate", "summary", "graph", "schema"):
        assert f"\n    {command} " in proc.stdout


def test_a_spec_file_named_like_a_command(tmp_path):
    (tmp_path / "graph").write_text(MLP)
    proc = run("./graph", "-o", "m.py", "--no-verify", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "class M(nn.Module):" in (tmp_path / "m.py").read_text()
    proc = run("generate", "graph", "-o", "n.py", "--no-verify", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "n.py").is_file()
    proc = run("graph", "-o", "p.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "torcharc-gen: error: the following arguments are required: SPEC; to compile the spec "
        "file 'graph', write ./graph\n"
    )


def test_quiet_prints_nothing_and_verbose_names_black_settings(spec, tmp_path):
    proc = run("spec.yaml", "-o", "m.py", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == ""
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    proc = run("-v", "spec.yaml", "-o", "m.py", "--no-verify", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        f"formatting with black -l 100 (from {tmp_path / 'pyproject.toml'} [tool.black])",
        "  checks: skipped (--no-verify)",
        "wrote m.py (M)",
    ]
    proc = run("spec.yaml", "-q", "-o", "m.py", "-v", cwd=tmp_path)
    assert proc.returncode == 2
    assert "argument -v/--verbose: not allowed with argument -q/--quiet" in proc.stderr


def test_graph_says_dot_is_missing_before_compiling(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(MLP.replace("mlp: [x]", "mlp: [nope]"))  # compiling would fail
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "graph", str(bad), "-o", "m.svg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path / "nothing-here")},
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "torcharc-gen: error: drawing .svg needs Graphviz's `dot` program: install graphviz "
        "(apt-get install graphviz, brew install graphviz), or write .dot or .mmd\n"
    )


def test_every_write_is_reported_alike(spec, tmp_path):
    proc = run("graph", "spec.yaml", "-o", "m.mmd", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "wrote m.mmd\n")
    proc = run("schema", "-o", "s.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "wrote s.json\n")
    proc = run("schema", "-o", "s.json", cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "unchanged s.json\n")


UNSCRIPTABLE = textwrap.dedent("""\
    from torch import nn


    class Unscriptable(nn.Module):
        def forward(self, x):
            try:  # TorchScript has no try blocks
                return x * 2
            except RuntimeError:
                return x
    """)


@pytest.mark.slow  # end to end: compiles and exports in a fresh process
def test_failed_verification_exits_1_and_writes_nothing(tmp_path):
    (tmp_path / "mylayers.py").write_text(UNSCRIPTABLE)
    spec = tmp_path / "s.yaml"
    spec.write_text(MLP.replace("- ReLU:", "- mylayers.Unscriptable:"))
    out = tmp_path / "m.py"
    out.write_text("previous\n")
    proc = run(str(spec), "-o", str(out), "--import", "mylayers", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "script: failed (UnsupportedNodeError: try blocks aren't supported" in proc.stderr
    assert "trace: ok" in proc.stderr
    assert out.read_text() == "previous\n"


def test_example_inputs_the_model_cannot_take_are_a_spec_error(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(MLP.replace("[2, 8]", "[2, 7]"))
    out = tmp_path / "m.py"
    proc = run(str(spec), "-o", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"{spec}:4:9: modules.mlp.Sequential[0].Linear: expects 8 input features, got (2, 7) from x"
    )
    assert not out.exists()


def test_module_that_cannot_be_built_is_a_spec_error(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(MLP.replace("out_features: 4", "out_features: -4"))
    proc = run(str(spec), "-o", str(tmp_path / "m.py"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"{spec}:4:9: modules.mlp.Sequential[0].Linear: torch can't "
        "build this module: RuntimeError"
    ), proc.stderr


def test_unchanged_output_is_not_rewritten(spec, tmp_path):
    out = tmp_path / "m.py"
    assert main([str(spec), "-o", str(out), "--no-verify"]) == 0
    before = out.stat().st_mtime_ns
    os.utime(out, ns=(before - 10**9, before - 10**9))
    assert main([str(spec), "-o", str(out), "--no-verify"]) == 0
    assert out.stat().st_mtime_ns == before - 10**9


def test_permissions_of_an_existing_output_are_kept(spec, tmp_path):
    out = tmp_path / "m.py"
    out.write_text("old\n")
    out.chmod(0o640)
    assert main([str(spec), "-o", str(out), "--no-verify"]) == 0
    assert (out.stat().st_mode & 0o777) == 0o640
