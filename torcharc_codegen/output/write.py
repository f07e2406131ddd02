"""Write an output file, or refuse to in one line: never a hang, a lost file or a traceback.

- The output is a regular file, a new name in a directory that exists (or can be made), or a
  symlink to a regular file, which is written through as black does: the link stays, its
  target gets the new text. A FIFO, a device, a socket, a directory or a dangling link is
  refused before anything is opened, and so is the spec itself (by any path or link).
- The text goes to a new temporary file in the target's directory, created by
  ``tempfile.mkstemp`` (an unpredictable name, ``O_EXCL``: a planted link is never followed),
  flushed to disk, given the mode of the file it replaces (a new file: 0o666 & ~umask) and
  renamed over the target, so an interrupted or failed run leaves the previous file whole.
- Every ``OSError`` becomes a :class:`WriteError`: the path and the reason, one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from . import signals


class WriteError(Exception):
    """Writing failed with an OSError (disk full, file too large, ...); nothing was written
    (the CLI exits 3)."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: can't write: {reason}")


class OutputRefused(WriteError):
    """The output is a place we won't write (not a regular file, the spec itself, a
    directory we may not write in); found before anything is written (the CLI exits 2)."""


def _kind(st: os.stat_result) -> str:
    mode = st.st_mode
    for test, name in [
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]:
        if test(mode):
            return name
    return "an unknown kind of file"


def _reason(e: OSError) -> str:
    return e.strerror or os.strerror(e.errno or 0) or type(e).__name__


def check_output_path(path: str | os.PathLike, spec: str | os.PathLike | None = None) -> Path:
    """The file that writing ``path`` would replace or create (a symlink's target); raises
    WriteError for a place that can't or mustn't be written. Cheap: call it before generating,
    and :func:`write_atomic` calls it again when writing."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        _check_new(path)
        return path
    except OSError as e:
        if e.errno == errno.ENOTDIR:
            _check_new(path)
        raise OutputRefused(path, _reason(e)) from None
    target = path
    if stat.S_ISLNK(st.st_mode):
        target = Path(os.path.realpath(path))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise OutputRefused(
                path, f"it is a symlink to {target}, which does not exist"
            ) from None
        except OSError as e:
            raise OutputRefused(
                path, f"it is a symlink that can't be followed: {_reason(e)}"
            ) from None
        if not stat.S_ISREG(st.st_mode):
            raise OutputRefused(
                path, f"it is a symlink to {target}, {_kind(st)}, not a regular file"
            ) from None
    elif not stat.S_ISREG(st.st_mode):
        raise OutputRefused(path, f"it is {_kind(st)}, not a regular file")
    if spec is not None and str(spec) != "-":
        with contextlib.suppress(OSError):
            spec_st = os.stat(spec)
            if (spec_st.st_dev, spec_st.st_ino) == (st.st_dev, st.st_ino):
                raise OutputRefused(path, f"it is the spec {spec} itself: write to another file")
    directory = target.parent
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputRefused(path, f"no permission to create files in {directory}")
    return target


def _check_new(path: Path) -> None:
    """A new file: its nearest existing ancestor must be a directory we may write in."""
    for ancestor in path.parents:
        try:
            st = os.stat(ancestor)
        except (FileNotFoundError, NotADirectoryError):  # look further up
            continue
        except OSError as e:
            raise OutputRefused(path, f"{ancestor}: {_reason(e)}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputRefused(path, f"{ancestor} is {_kind(st)}, not a directory")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise OutputRefused(path, f"no permission to create files in {ancestor}")
        return


def write_atomic(
    path: str | os.PathLike, content: str | bytes, spec: str | os.PathLike | None = None
) -> bool:
    """Write ``content`` (text is UTF-8) to ``path`` unless it already holds exactly that;
    True if written. ``spec``: the file the content came from, never to be overwritten."""
    target = check_output_path(path, spec)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        same, mode = _existing(path, target, data)
        if same:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, data, mode, str(path))
    except OSError as e:
        raise WriteError(path, _reason(e)) from None
    return True


def _existing(path: str | os.PathLike, target: Path, data: bytes) -> tuple[bool, int]:
    """(does ``target`` hold exactly ``data``, the mode to give the new file). Opens without
    following a link or blocking and reads only a regular file of the right size."""
    flags = os.O_RDONLY
    for name in ("O_CLOEXEC", "O_NOFOLLOW", "O_NONBLOCK"):
        flags |= getattr(os, name, 0)
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        return False, 0o666 & ~_umask()
    except PermissionError:  # a file we may replace but not read: it differs
        st = os.lstat(target)
        if not stat.S_ISREG(st.st_mode):
            raise OutputRefused(path, f"it is {_kind(st)}, not a regular file") from None
        return False, stat.S_IMODE(st.st_mode)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # it changed since check_output_path
            raise OutputRefused(path, f"it is {_kind(st)}, not a regular file")
        same = st.st_size == len(data) and f.read(len(data) + 1) == data
        return same, stat.S_IMODE(st.st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _replace(target: Path, data: bytes, mode: int, label: str) -> None:
    tmp = None
    try:
        with signals.deferred():  # never a temporary file whose name got lost
            signals.checkpoint()  # nor one once the run is interrupted
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            f = os.fdopen(fd, "wb")
        with f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        with signals.deferred():  # the rename and the record of it happen together
            signals.checkpoint()  # never a rename once the run is interrupted
            os.replace(tmp, target)
            tmp = None
            signals.record_written(label)
    finally:
        if tmp is not None:
            with signals.deferred(), contextlib.suppress(OSError):
                os.unlink(tmp)
    with contextlib.suppress(OSError):  # the rename itself, on disk
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def scratch_file(name: str, text: str) -> Iterator[Path]:
    """A file ``name`` holding ``text`` in a new private temporary directory, removed with it
    at the end of the block, also on SIGINT/SIGTERM; an OSError making it is a WriteError."""
    with contextlib.ExitStack() as stack:
        try:
            directory = stack.enter_context(signals.temporary_directory(prefix="torcharc-gen-"))
            path = Path(directory) / name
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            where = tempfile.gettempdir()
            raise WriteError(where, f"the temporary module for checking: {_reason(e)}") from None
        yield path
