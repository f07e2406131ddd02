"""Writing outputs on hostile filesystems: every place that mustn't be written is refused in
one line with exit 2, every OSError while writing is one line with exit 3; nothing hangs or
reads without end, nothing is lost, nothing is left behind."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from torcharc_codegen import cli
from torcharc_codegen.output.write import WriteError, check_output_path, write_atomic

SPEC = textwrap.dedent("""\
    modules: {lin: {Linear: {in_features: 4, out_features: 2}}}
    graph: {input: x, modules: {lin: [x]}, output: lin}
    """)


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "m.py")
    return d / "m.py"


def _link(target: str):
    def make(d: Path) -> Path:
        (d / "m.py").symlink_to(target)
        return d / "m.py"

    return make


def _socket(d: Path) -> Path:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(d / "m.py"))
    s.close()
    return d / "m.py"


def _loop(d: Path) -> Path:
    (d / "a.py").symlink_to("m.py")
    (d / "m.py").symlink_to("a.py")
    return d / "m.py"


def _directory(d: Path) -> Path:
    (d / "m.py").mkdir()
    return d / "m.py"


def _parent_is_a_file(d: Path) -> Path:
    (d / "sub").write_text("")
    return d / "sub" / "deeper" / "m.py"


def _the_spec(d: Path) -> Path:
    return d / "s.py"


def _link_to_the_spec(d: Path) -> Path:
    (d / "m.py").symlink_to("s.py")
    return d / "m.py"


def _hard_link_to_the_spec(d: Path) -> Path:
    os.link(d / "s.py", d / "m.py")
    return d / "m.py"


def _the_spec_by_another_path(d: Path) -> Path:
    return d / "x" / ".." / "s.py"


# (case, make the output beside the spec s.py (YAML under a .py name, as in the report),
#  the reason expected after "can't write: ")
HOSTILE_OUTPUTS = [
    ("fifo", _fifo, "it is a FIFO (named pipe), not a regular file"),
    ("link to /dev/zero", _link("/dev/zero"), "it is a symlink to /dev/zero, a character "
     "device, not a regular file"),
    ("link to /dev/null", _link("/dev/null"), "it is a symlink to /dev/null, a character "
     "device, not a regular file"),
    ("link to a directory", _link("/"), "it is a symlink to /, a directory, not a regular file"),
    ("dangling link", _link("gone.py"), "it is a symlink to {d}/gone.py, which does not exist"),
    ("link loop", _loop, "it is a symlink that can't be followed: Too many levels of symbolic "
     "links"),
    ("socket", _socket, "it is a socket, not a regular file"),
    ("directory", _directory, "it is a directory, not a regular file"),
    ("parent is a file", _parent_is_a_file, "{d}/sub is a regular file, not a directory"),
    ("the spec", _the_spec, "it is the spec {d}/s.py itself: write to another file"),
    ("link to the spec", _link_to_the_spec, "it is the spec {d}/s.py itself: write to another "
     "file"),
    ("hard link to the spec", _hard_link_to_the_spec, "it is the spec {d}/s.py itself: write "
     "to another file"),
    ("the spec by another path", _the_spec_by_another_path, "it is the spec {d}/s.py itself: "
     "write to another file"),
]  # fmt: skip


def _listing(d: Path) -> dict[str, tuple]:
    out = {}
    for p in sorted(d.rglob("*")):
        st = os.lstat(p)
        content = p.read_bytes() if stat.S_ISREG(st.st_mode) else None
        out[str(p.relative_to(d))] = (stat.S_IFMT(st.st_mode), st.st_mode, content)
    return out


EACH_HOSTILE_OUTPUT = pytest.mark.parametrize(
    "make, reason", [c[1:] for c in HOSTILE_OUTPUTS], ids=[c[0] for c in HOSTILE_OUTPUTS]
)


@EACH_HOSTILE_OUTPUT
def test_a_hostile_output_is_refused_in_one_line_before_generating(
    tmp_path, capsys, monkeypatch, make, reason
):
    (tmp_path / "s.py").write_text(SPEC)
    (tmp_path / "x").mkdir()
    out = make(tmp_path)
    before = _listing(tmp_path)

    import torcharc_codegen.api as api

    def never(*args, **kwargs):
        raise AssertionError("generated although the output can't be written")

    monkeypatch.setattr(api, "compile_file", never)
    code = cli.main([str(tmp_path / "s.py"), "-o", str(out), "--no-verify"])
    err = capsys.readouterr().err
    assert (code, err) == (2, f"{out}: can't write: {reason.format(d=tmp_path)}\n")
    assert _listing(tmp_path) == before, "nothing written, nothing left behind"


@EACH_HOSTILE_OUTPUT
def test_a_hostile_output_is_refused_again_at_write_time(tmp_path, make, reason):
    (tmp_path / "s.py").write_text(SPEC)
    (tmp_path / "x").mkdir()
    out = make(tmp_path)
    before = _listing(tmp_path)
    with pytest.raises(WriteError) as e:
        write_atomic(out, "class Model: ...\n", spec=tmp_path / "s.py")
    assert str(e.value) == f"{out}: can't write: {reason.format(d=tmp_path)}"
    assert _listing(tmp_path) == before


def test_the_command_never_hangs_on_a_fifo_or_reads_dev_zero(tmp_path):
    """The real command, in a process of its own, with a deadline."""
    (tmp_path / "s.yaml").write_text(SPEC)
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    for name in ["fifo.py", "zero.py"]:
        run = subprocess.run(
            [sys.executable, "-m", "torcharc_codegen", "s.yaml", "-o", name, "--no-verify"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith(f"{name}: can't write: it is ") and run.stderr.count("\n") == 1


@pytest.mark.slow
def test_graph_refuses_the_same_places(tmp_path):
    (tmp_path / "s.dot").write_text(SPEC)
    os.mkfifo(tmp_path / "pic.dot")
    for out, reason in [
        ("pic.dot", "it is a FIFO (named pipe), not a regular file"),
        ("s.dot", "it is the spec s.dot itself: write to another file"),
    ]:
        run = subprocess.run(
            [sys.executable, "-m", "torcharc_codegen", "graph", "s.dot", "-o", out],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (run.returncode, run.stderr) == (2, f"{out}: can't write: {reason}\n")
    assert (tmp_path / "s.dot").read_text() == SPEC


@pytest.mark.parametrize("suffix", [".dot", ".mmd", ".svg"])
def test_a_planted_link_at_the_old_temporary_name_is_not_followed(tmp_path, suffix):
    from torcharc_codegen import compile_spec
    from torcharc_codegen.views.picture import render

    if suffix == ".svg":
        import shutil

        if shutil.which("dot") is None:
            pytest.skip("graphviz's dot is not installed")
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    out = tmp_path / f"pic{suffix}"
    (tmp_path / f".pic{suffix}.tmp").symlink_to(victim)
    render(compile_spec(SPEC, verify=False), out)
    assert victim.read_text() == "precious\n"
    assert out.is_file() and not out.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".pic{suffix}.tmp", out.name, "victim"]


def test_temporary_names_are_unpredictable_and_exclusive(tmp_path, monkeypatch):
    """Every write makes a new name next to the target with O_EXCL; none is reused."""
    import tempfile

    names, real = [], tempfile.mkstemp

    def spy(*args, **kwargs):
        fd, name = real(*args, **kwargs)
        names.append(Path(name))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    for i in range(5):
        write_atomic(tmp_path / "m.py", f"v{i}\n")
    assert len(set(names)) == 5
    assert all(n.parent == tmp_path and n.name.startswith(".m.py.") for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_a_link_to_a_regular_file_is_written_through_like_black(tmp_path):
    real = tmp_path / "real" / "model.py"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "m.py"
    link.symlink_to(real)
    assert write_atomic(link, "new\n") is True
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in real.parent.iterdir()) == ["model.py"]
    assert write_atomic(link, "new\n") is False


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o444])
def test_the_mode_of_the_replaced_file_is_kept(tmp_path, mode):
    out = tmp_path / "m.py"
    out.write_text("old\n")
    out.chmod(mode)
    assert write_atomic(out, "new\n") is True
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == mode


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_mode(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "m.py", "new\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.py").stat().st_mode) == mode


def test_an_unchanged_file_is_not_touched(tmp_path):
    out = tmp_path / "m.py"
    out.write_text("same\n")
    os.utime(out, (1_000_000, 1_000_000))
    inode = out.stat().st_ino
    assert write_atomic(out, "same\n") is False
    assert out.stat().st_mtime == 1_000_000 and out.stat().st_ino == inode


def test_missing_directories_are_made_and_bytes_are_written_as_is(tmp_path):
    out = tmp_path / "a" / "b" / "pic.png"
    assert write_atomic(out, b"\x89PNG\x00\xff") is True
    assert out.read_bytes() == b"\x89PNG\x00\xff"


def _as_nobody(action) -> str:
    """Run ``action()`` in a forked child as the nobody user (root passes every permission
    check); the WriteError's message, or "ok"."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgid(65534)
            os.setuid(65534)
            action()
            message = "ok"
        except WriteError as e:
            message = str(e)
        except BaseException as e:  # noqa: BLE001
            message = f"{type(e).__name__}: {e}"
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        message = f.read()
    os.waitpid(pid, 0)
    return message


def _attempt(call) -> str:
    """The WriteError's message, or "ok"; as the nobody user when root (root passes every
    permission check)."""
    if os.getuid() == 0:
        return _as_nobody(call)
    try:
        call()
    except WriteError as e:
        return str(e)
    return "ok"


def test_a_read_only_directory_is_refused_before_and_at_write_time():
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp())  # /tmp/..., reachable by nobody (pytest's tmp_path isn't)
    ro = base / "ro"
    try:
        base.chmod(0o755)
        ro.mkdir()
        (ro / "m.py").write_text("old\n")
        (ro / "m.py").chmod(0o666)
        ro.chmod(0o555)
        if os.getuid() != 0 and os.access(ro, os.W_OK):
            pytest.skip("this user can write in a read-only directory")
        for target in [ro / "m.py", ro / "new.py", ro / "sub" / "new.py"]:
            expected = f"{target}: can't write: no permission to create files in {ro}"
            assert _attempt(lambda: check_output_path(target)) == expected
            assert _attempt(lambda: write_atomic(target, "x\n")) == expected
        assert (ro / "m.py").read_text() == "old\n"
        assert sorted(p.name for p in ro.iterdir()) == ["m.py"]
    finally:
        ro.chmod(0o755)
        shutil.rmtree(base)


def _limited(limit: int):
    def preexec():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.slow
@pytest.mark.parametrize("verify", [False, True])
def test_a_file_size_limit_is_one_line_and_exit_3(tmp_path, verify):
    """EFBIG (``ulimit -f``) while writing the output, or verification's temporary module."""
    # without example inputs nothing runs the code: only the output is written
    with_examples = SPEC.replace("input: x", "input: {x: {shape: [2, 4]}}")
    (tmp_path / "s.yaml").write_text(with_examples if verify else SPEC)
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "m.py"
    out.write_text("old\n")
    run = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "s.yaml", "-o", "m.py"]
        + ([] if verify else ["--no-verify"]),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limited(200),
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    where = (
        f"{tmp_path / 'tmp'}: can't write: the temporary module for checking: File too large"
        if verify
        else "m.py: can't write: File too large"
    )
    assert (run.returncode, run.stderr.splitlines()[-1:]) == (3, [where])
    assert "Traceback" not in run.stderr
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "s.yaml", "tmp"]
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith("torcharc-gen-")]


def test_directory_mode_goes_on_after_an_output_it_cant_write(tmp_path, capsys):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "a.yaml").write_text(SPEC)
    (specs / "b.yaml").write_text(SPEC)
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "a.py")
    code = cli.main([str(specs), "-o", str(tmp_path / "out"), "--no-verify"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{tmp_path}/out/a.py: can't write: it is a FIFO (named pipe), not a regular file" in err
    assert (tmp_path / "out" / "b.py").is_file()


def test_a_fifo_swapped_in_after_the_check_is_still_never_opened_for_long(tmp_path, monkeypatch):
    """Between the check and the write the output becomes a FIFO: the write opens it without
    blocking, sees it is no regular file and refuses (no hang, nothing written)."""
    import torcharc_codegen.output.write as w

    out = tmp_path / "m.py"
    monkeypatch.setattr(w, "check_output_path", lambda path, spec=None: Path(path))
    os.mkfifo(out)
    with pytest.raises(WriteError) as e:
        write_atomic(out, "new\n")
    assert str(e.value) == f"{out}: can't write: it is a FIFO (named pipe), not a regular file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_a_file_that_may_be_replaced_but_not_read_is_replaced():
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        d = base / "d"
        d.mkdir()
        (d / "m.py").write_text("old\n")
        (d / "m.py").chmod(0o200)
        if os.getuid() == 0:
            os.chown(d, 65534, 65534)
            os.chown(d / "m.py", 65534, 65534)
        assert _attempt(lambda: write_atomic(d / "m.py", "new\n")) == "ok"
        assert (d / "m.py").read_text() == "new\n"
        assert stat.S_IMODE((d / "m.py").stat().st_mode) == 0o200
    finally:
        shutil.rmtree(base)
