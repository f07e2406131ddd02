"""SIGINT and SIGTERM at any point of a real run: the previous file stays whole or the new one
is complete, no temporary file or module and no process of the run is left behind, no
traceback, and the last line says exactly what happened (the check lines finished before it
are the only others). `python benchmarks/signal_stress.py` sends them at many more points."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real CLI runs with signals at many points

SPEC = textwrap.dedent("""\
    modules:
      lin: {Linear: {in_features: 4, out_features: 8}}
      act: {ReLU: null}
      head: {Linear: {in_features: 8, out_features: 2}}
    graph:
      input: {x: {shape: [3, 4]}}
      modules: {lin: [x], act: [lin], head: [act]}
      output: head
    """)
OLD = "the previous, good file\n"
DELAYS = 6  # per signal, spread over the whole run (the two signals at interleaved points)


def _command(out: Path, spec: Path) -> list[str]:
    return [sys.executable, "-m", "torcharc_codegen", str(spec), "-o", str(out)]


def _setup(d: Path) -> tuple[Path, Path, dict]:
    d.mkdir()
    (d / "tmp").mkdir()
    spec = d / "spec.yaml"
    spec.write_text(SPEC)
    out = d / "out.py"
    out.write_text(OLD)
    return spec, out, {**os.environ, "TMPDIR": str(d / "tmp")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[str, float]:
    """The file an uninterrupted run writes, and how long the run takes."""
    spec, out, env = _setup(tmp_path_factory.mktemp("signals") / "reference")
    start = time.monotonic()
    run = subprocess.run(_command(out, spec), env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return out.read_text(), time.monotonic() - start


def _left_behind(d: Path) -> list[str]:
    """Temporary files beside the output, temporary modules in the private TMPDIR."""
    beside = [p.name for p in d.iterdir() if p.name not in ("spec.yaml", "out.py", "tmp")]
    modules = [p.name for p in (d / "tmp").iterdir() if p.name.startswith("torcharc-gen-")]
    return beside + modules


def _session(sid: int) -> list[int]:
    """The live processes of session ``sid`` (a run started with start_new_session)."""
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # it ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split() if stat else []
        if fields and int(fields[3]) == sid and fields[0] != "Z":  # state ppid pgrp session
            alive.append(int(entry.name))
    return alive


def _still_running(proc) -> list[int]:
    """The run's processes (its checks' children) alive a second after it ended; killed."""
    end = time.monotonic() + 1
    while (alive := _session(proc.pid)) and time.monotonic() < end:
        time.sleep(0.02)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive


def _popen(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


CHECK_LINE = re.compile(r"  (run|script|trace|compile|export|checks): ")


def _check(d: Path, out: Path, new: str, proc, err: str, signum: int) -> str:
    """Assert the guarantees for one interrupted run; what it ended as."""
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert not _left_behind(d)
    if sys.platform == "linux":
        assert not _still_running(proc), "no process of the run outlives it"
    text = out.read_text()
    assert text in (OLD, new), "never a partial file"
    lines = err.splitlines()
    assert all(CHECK_LINE.match(line) for line in lines[:-1]), err  # one line besides them
    last = lines[-1] if lines else ""
    if proc.returncode == -signum:  # before Python ran any of this package: nothing started
        assert text == OLD and not err
        return "killed at start-up"
    if proc.returncode == 0:  # the signal came after the run reported its outcome
        assert text == new and last == f"wrote {out} (Out)"
        return "finished"
    assert proc.returncode == 128 + signum, err
    if text == new:
        assert last == f"torcharc-gen: wrote {out}; interrupted after writing"
        return "interrupted after writing"
    assert last == "torcharc-gen: interrupted; nothing written"
    return "interrupted before writing"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("point", range(DELAYS))
def test_a_signal_anywhere_in_a_run_loses_nothing_and_leaves_nothing(
    tmp_path, reference, signum, point
):
    new, duration = reference
    offset = 0.5 if signum == signal.SIGINT else 0.0  # the two signals at interleaved points
    delay = duration * (point + offset) / DELAYS
    spec, out, env = _setup(tmp_path / "run")
    proc = _popen(_command(out, spec), env)
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=600)
    _check(tmp_path / "run", out, new, proc, err, signum)


# --- a signal at the start of each phase: sent when a function is first called ----------------

# (module, function): the signal goes to the run's process when the function is first called,
# in that process or in a check's forked child (the parent, waiting for it, is signalled)
PHASES = {
    "start-up": ("torcharc_codegen.cli.generate", "<module>"),
    "validation": ("torcharc_codegen.spec.validate", "validate"),
    "emit": ("torcharc_codegen.codegen.emit", "emit"),
    "torch's import": ("torch.functional", "<module>"),
    "numpy's import inside torch's": ("numpy", "<module>"),
    "probe": ("torcharc_codegen.check.shapes", "probe"),
    "probe, in a finalizer": ("torcharc_codegen.check.shapes", "probe"),
    "building the checked model": ("torcharc_codegen.check.verify", "_build"),
    "script": ("torcharc_codegen.check.verify", "_script"),
    "trace": ("torcharc_codegen.check.verify", "_trace"),
    "compile": ("torcharc_codegen.check.verify", "_compile"),
    "export": ("torcharc_codegen.check.verify", "_export"),
    "write": ("torcharc_codegen.output.write", "_replace"),
}

# Sent from a generator's finally run by the garbage collector: the handler's exception is
# "ignored" there by Python, and the run must still end as interrupted, without that message
IN_A_FINALIZER = """\
    def finalized():
        try:
            yield
        finally:
            os.kill(PARENT, SIGNUM)
            for _ in range(1000):  # the handler runs here
                pass
    g = finalized()
    next(g)
    del g
"""


def _signalled_at(tmp_path: Path, module: str, function: str, signum: int, finalizer: bool):
    spec, out, env = _setup(tmp_path / "run")
    reached = tmp_path / "reached"
    send = IN_A_FINALIZER if finalizer else "os.kill(PARENT, SIGNUM)\n"
    code = (
        textwrap.dedent(f"""\
        import os, sys
        PARENT, SIGNUM = os.getpid(), {int(signum)}
        def at_call(frame, event, arg):
            if (event, frame.f_code.co_name) == ("call", {function!r}) and (
                frame.f_globals.get("__name__") == {module!r}
            ):
                sys.setprofile(None)
                open({str(reached)!r}, "w").close()
        """)
        + textwrap.indent(textwrap.dedent(send), " " * 8)
        + textwrap.dedent(f"""\
        sys.setprofile(at_call)
        sys.argv = ["torcharc-gen", {str(spec)!r}, "-o", {str(out)!r}]
        from torcharc_codegen.__main__ import main
        raise SystemExit(main())
        """)
    )
    proc = _popen([sys.executable, "-c", code], env)
    _, err = proc.communicate(timeout=300)
    assert reached.exists(), f"the run reached {module}.{function}: {err}"
    return tmp_path / "run", out, proc, err


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_sigterm_at_the_start_of_each_phase_ends_the_run_cleanly(tmp_path, reference, phase):
    """Every phase of a run with every check, the checks' children included: exit 143, one
    line, nothing written or left behind. Inside torch's or numpy's import the signal waits
    for it (their C++ code swallows or aborts on an exception from Python)."""
    if "numpy" in phase:
        pytest.importorskip("numpy")
    module, function = PHASES[phase]
    d, out, proc, err = _signalled_at(
        tmp_path, module, function, signal.SIGTERM, "finalizer" in phase
    )
    assert _check(d, out, reference[0], proc, err, signal.SIGTERM) == "interrupted before writing"


# --- signals at chosen points: stalled there by a patch, then signalled ---------------------


def _stalled_run(tmp_path: Path, patch: str, signum: int, verify: bool = False):
    """Run the command in a child whose ``patch`` code stalls at one point (it creates the
    file ``ready`` there); send ``signum`` then."""
    spec, out, env = _setup(tmp_path / "run")
    ready = tmp_path / "ready"
    argv = ["torcharc-gen", str(spec), "-o", str(out)] + ([] if verify else ["--no-verify"])
    code = (
        textwrap.dedent(f"""\
        import os, sys, time
        from pathlib import Path
        READY = Path({str(ready)!r})
        def stall(until=lambda: False):
            READY.touch()
            end = time.monotonic() + 60
            while time.monotonic() < end and not until():
                time.sleep(0.01)
        """)
        + textwrap.dedent(patch)
        + textwrap.dedent(f"""\
        sys.argv = {argv!r}
        from torcharc_codegen.__main__ import main
        raise SystemExit(main())
        """)
    )
    proc = _popen([sys.executable, "-c", code], env)
    deadline = time.monotonic() + 300
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ready.exists(), "the run reached the point"
    ready.unlink()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=300)
    return tmp_path / "run", out, proc, err


@pytest.fixture(scope="module")
def unverified(tmp_path_factory) -> str:
    spec, out, env = _setup(tmp_path_factory.mktemp("signals") / "unverified")
    run = subprocess.run(
        _command(out, spec) + ["--no-verify"], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    return out.read_text()


STALLS = {
    # writing the temporary file, before the rename
    "writing the temporary file": (
        """\
        import torcharc_codegen.output.write as w
        real_fsync = w.os.fsync
        def fsync(fd):
            stall()
            real_fsync(fd)
        w.os.fsync = fsync
        """,
        "interrupted before writing",
    ),
    # between the rename and recording it: the signal waits for the record
    "just after the rename": (
        """\
        import torcharc_codegen.output.signals as s
        real_record = s.record_written
        def record(path):
            stall(until=lambda: s._pending is not None)  # the signal arrived, held back
            real_record(path)
        s.record_written = record
        """,
        "interrupted after writing",
    ),
    # written, not yet reported
    "after the write, before the report": (
        """\
        import torcharc_codegen.output.write as w
        real_write = w.write_atomic
        def write_atomic(*args, **kwargs):
            written = real_write(*args, **kwargs)
            stall()
            return written
        w.write_atomic = write_atomic
        """,
        "interrupted after writing",
    ),
    # printing the outcome's line: the run has said how it ended, and says nothing more
    "printing the outcome": (
        """\
        import torcharc_codegen.cli.report as r
        import torcharc_codegen.output.signals as s
        real_info = r.Report.info
        def info(self, line):
            if line.startswith("wrote "):
                stall(until=lambda: s._pending is not None)  # arrived, held back
            real_info(self, line)
        r.Report.info = info
        """,
        "finished",
    ),
}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("where", list(STALLS))
def test_a_signal_at_the_write_says_exactly_what_happened(tmp_path, unverified, signum, where):
    patch, expected = STALLS[where]
    d, out, proc, err = _stalled_run(tmp_path, patch, signum)
    assert _check(d, out, unverified, proc, err, signum) == expected


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_during_verification_removes_its_temporary_module(tmp_path, reference, signum):
    patch = """\
        import contextlib, traceback
        import torcharc_codegen.check.runtime as r
        real_scratch = r.scratch_file
        @contextlib.contextmanager
        def scratch_file(name, text):
            with real_scratch(name, text) as path:
                if "verify" in [frame.name for frame in traceback.extract_stack()]:
                    stall()
                yield path
        r.scratch_file = scratch_file
        """
    d, out, proc, err = _stalled_run(tmp_path, patch, signum, verify=True)
    assert _check(d, out, reference[0], proc, err, signum) == "interrupted before writing"


def test_ctrl_c_during_start_up_is_one_line(tmp_path, reference):
    """SIGINT in the first 0.1 s (loading the package, torch, parsing the spec): one line, exit
    130. Before Python runs any of this package (its own start-up, site's .pth files) Python
    itself reports a Ctrl-C: such a traceback names none of this package's files."""
    outcomes = []
    # On a loaded machine Python's own start-up can outlast 0.1 s: later signals then, until
    # one lands in this package's start-up
    delays = [0.01 * i for i in range(11)] + [0.15, 0.25, 0.4, 0.6, 1.0, 1.5]
    for i, delay in enumerate(delays):
        if i >= 11 and outcomes:
            break
        spec, out, env = _setup(tmp_path / f"run{i}")
        proc = subprocess.Popen(_command(out, spec), env=env, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)
        assert out.read_text() == OLD and not _left_behind(tmp_path / f"run{i}")
        if "Traceback" in err:  # Python's own start-up (exit 1 if in site), not this package
            assert "torcharc_codegen" not in err and proc.returncode in (1, 130, -2), err
        elif err:
            # One line; the exit is 130, or (seen 1 run in 5 on a loaded machine, cause not
            # found) death by SIGINT itself: both say "interrupted" to a shell ($? is 130).
            assert err == "torcharc-gen: interrupted; nothing written\n"
            assert proc.returncode in (130, -signal.SIGINT)
            outcomes.append(i)
        else:  # before Python's own handler: the signal's default action
            assert proc.returncode == -signal.SIGINT
    assert outcomes, "some signals landed in this package's start-up"
