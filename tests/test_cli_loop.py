"""The edit-compile loop at the command line: check lines as the checks run, a status line on
a terminal only, hints that work from where the user stands, help, stdin, completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_cli import MLP

pytestmark = pytest.mark.slow  # each test runs the real command in a process of its own

SPEC = MLP  # the small spec test_cli.py runs
PARAMS = Path(__file__).resolve().parents[1] / "generated_examples" / "params"
STATUS = "\r\x1b[K"  # how the status line is erased
CONSOLE_SCRIPT = Path(sys.executable).with_name("torcharc-gen")


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def _under_a_terminal(args: list[str], cwd: Path) -> tuple[list[str], bool, str, int]:
    """Run the command with stdout and stderr on a pseudo-terminal: (the lines read until the
    first check line, whether the process was still running when it arrived, all output,
    exit code)."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "torcharc_codegen", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    seen, running_at_first_check, text = b"", None, b""
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            text += chunk
            if running_at_first_check is None and b"script: " in text:
                running_at_first_check = proc.poll() is None
                seen = text
    finally:
        os.close(leader)
        code = proc.wait(timeout=300)
    return seen.decode().splitlines(), bool(running_at_first_check), text.decode(), code


def test_each_check_line_arrives_as_the_check_ends_with_its_time(spec):
    seen, running, text, code = _under_a_terminal([spec.name, "-o", "m.py"], spec.parent)
    assert code == 0, text
    assert running, "the first check's line arrived only when the process ended"
    assert not any("export:" in line for line in seen), "the later checks were still running"
    lines = [line.rpartition(STATUS)[2] for line in text.replace("\r\n", "\n").split("\n")]
    checks = [line for line in lines if line.startswith("  ")]
    assert [line.split(":")[0].strip() for line in checks] == [
        "run",
        "script",
        "trace",
        "compile",
        "export",
    ]
    assert all(line.endswith(" s]") for line in checks), checks
    assert STATUS in text and "spec.yaml: compile" in text, "the status line says what runs"
    assert lines[-2] == "wrote m.py (M)"


def test_no_status_line_off_a_terminal_or_when_quiet(spec):
    proc = run(spec.name, "-o", "m.py", cwd=spec.parent)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr
    assert "  compile: ok (same outputs as eager) [" in proc.stderr
    *_, text, code = _under_a_terminal([spec.name, "-o", "m2.py", "-q"], spec.parent)
    assert code == 0 and text == ""


def test_no_verify_says_the_checks_were_skipped(spec):
    proc = run(spec.name, "-o", "m.py", "--no-verify", cwd=spec.parent)
    assert proc.stderr.splitlines() == ["  checks: skipped (--no-verify)", "wrote m.py (M)"]


def test_the_regenerate_hint_works_from_the_current_directory(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mlp.yaml").write_text(SPEC)
    assert run("specs/mlp.yaml", "-o", "gen/mlp.py", "--no-verify", cwd=tmp_path).returncode == 0
    header = (tmp_path / "gen" / "mlp.py").read_text()
    assert "#   torcharc-gen ../specs/mlp.yaml -o mlp.py\n" in header, "the header's own form"
    (tmp_path / "specs" / "mlp.yaml").write_text(SPEC.replace("out_features: 4", "out_features: 5"))
    proc = run("specs/mlp.yaml", "-o", "gen/mlp.py", "--check", cwd=tmp_path)
    assert proc.returncode == 1
    first = proc.stderr.splitlines()[0]
    hint = "(regenerate: torcharc-gen specs/mlp.yaml -o gen/mlp.py)"
    assert first == f"gen/mlp.py: stale: its spec changed since it was generated {hint}"
    pasted = hint.removeprefix("(regenerate: torcharc-gen ").removesuffix(")").split()
    assert run(*pasted, "--no-verify", cwd=tmp_path).returncode == 0
    assert run("specs/mlp.yaml", "-o", "gen/mlp.py", "--check", cwd=tmp_path).returncode == 0


def test_check_from_stdin_finds_a_file_generated_by_path_current(spec):
    assert run(spec.name, "-o", "m.py", "--no-verify", cwd=spec.parent).returncode == 0
    proc = run("-", "-o", "m.py", "--check", cwd=spec.parent, stdin=SPEC)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "unchanged m.py (M)\n"


LAYER = textwrap.dedent("""\
    from torch import nn


    class Double(nn.Module):
        def forward(self, x):
            return x * 2
    """)


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="needs the installed console script")
def test_import_finds_a_package_in_the_current_directory_that_never_shadows_the_tools(spec):
    here = spec.parent
    (here / "mypkg").mkdir()
    (here / "mypkg" / "__init__.py").write_text(LAYER)
    for shadow in ("yaml.py", "black.py", "jinja2.py"):
        (here / shadow).write_text("raise ImportError('a local module was imported')\n")
    spec.write_text(SPEC.replace("- ReLU:", "- mypkg.Double:"))
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), spec.name, "-o", "m.py", "--import", "mypkg"],
        cwd=here,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "from mypkg import Double" in (here / "m.py").read_text()
    help_text = " ".join(run("generate", "--help", cwd=here.parent).stdout.split())
    assert "then from the current directory" in help_text


def test_help_is_a_command(tmp_path):
    proc = run("help", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: torcharc-gen [generate]")
    proc = run("help", "summary", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: torcharc-gen summary")


def test_summary_graph_and_resolve_read_a_spec_from_stdin(tmp_path):
    proc = run("summary", "-", cwd=tmp_path, stdin=SPEC)
    assert proc.returncode == 0, proc.stderr
    assert "Linear" in proc.stdout and "FLOPs" in proc.stdout
    proc = run("graph", "-", "-o", "g.mmd", cwd=tmp_path, stdin=SPEC)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "g.mmd").read_text().startswith("flowchart")
    proc = run("resolve", "-", cwd=tmp_path, stdin=SPEC)
    assert proc.returncode == 0, proc.stderr
    assert "in_features: 8" in proc.stdout
    proc = run("summary", "-", cwd=tmp_path, stdin="modules: [\n")
    assert proc.returncode == 2 and proc.stderr.startswith("<stdin>:")


def _help(*args: str, cwd: Path) -> str:
    return " ".join(run(*args, "--help", cwd=cwd).stdout.split())


def test_help_texts(tmp_path):
    usage = run("--help", cwd=tmp_path).stdout.split("\n\n")[0]
    for option in ("--param NAME=VALUE", "--numeric-budget SIZE", "help [COMMAND]"):
        assert option in usage
    for command in ("summary", "graph", "resolve"):
        text = _help(command, cwd=tmp_path)
        assert "black" not in text, command
        assert "- for stdin" in text, command
    assert "FLOPs" in _help("summary", cwd=tmp_path)
    generate = _help("generate", cwd=tmp_path)
    assert "say `unchanged` for a current output" in generate
    assert "true or false" in generate


def test_a_bool_param_names_true_and_false(tmp_path):
    spec = PARAMS / "conv_classifier.yaml"
    proc = run(str(spec), "-o", "m.py", "--param", "use_bias=no", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("can't read 'no' as one: write true or false")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_and_options(tmp_path):
    proc = run("--print-completion", "bash", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    script = tmp_path / "torcharc-gen.bash"
    script.write_text(proc.stdout)
    probe = textwrap.dedent(f"""\
        source {script}
        complete -p torcharc-gen
        COMP_WORDS=(torcharc-gen su); COMP_CWORD=1; COMP_LINE="torcharc-gen su"
        COMP_POINT=${{#COMP_LINE}}
        $(complete -p torcharc-gen | sed -E 's/.*-F ([^ ]+).*/\\1/') torcharc-gen su torcharc-gen
        echo "${{COMPREPLY[@]}}"
        COMP_WORDS=(torcharc-gen generate --nu); COMP_CWORD=2
        COMP_LINE="torcharc-gen generate --nu"; COMP_POINT=${{#COMP_LINE}}
        $(complete -p torcharc-gen | sed -E 's/.*-F ([^ ]+).*/\\1/') torcharc-gen --nu generate
        echo "${{COMPREPLY[@]}}"
        """)
    out = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, timeout=60
    ).stdout.splitlines()
    assert out[0].startswith("complete ") and out[0].endswith(" torcharc-gen")
    assert "summary" in out[1].split()
    assert "--numeric-budget" in out[2].split()


def test_a_reader_that_leaves_early_is_no_traceback(tmp_path):
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte: writing raises BrokenPipeError
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "torcharc_codegen", "--print-completion", "bash"],
            cwd=tmp_path,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == ""
