"""The command line: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torcharc_codegen.cli import main

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
        (["spec.yaml", "-o", "__.py"], "pass --class-name"),
        (["spec.yaml"], "the following arguments are required: -o/--output"),
    ],
)
def test_usage_errors_exit_2_in_one_line(spec, args, message):
    proc = run(*args, cwd=spec.parent)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


UNSCRIPTABLE = textwrap.dedent("""\
    from torch import nn


    class Unscriptable(nn.Module):
        def forward(self, x):
            try:  # TorchScript has no try blocks
                return x * 2
            except RuntimeError:
                return x
    """)


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
    line = proc.stderr.strip()
    assert line.startswith(f"{spec}:10:5: graph.modules.mlp: the example inputs fail at node 'mlp'")
    assert "x: (2, 7)" in line
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
