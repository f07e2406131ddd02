"""Run groups of checks side by side, each group in a forked child process, and hand their
results back in order as they arrive.

A fork copies the built model, its example inputs and eager's outputs for free, where a spawned
process would import torch again (about 2 s). The child calls ``torch.set_num_threads(1)``
first: a child forked after the parent ran multi-threaded torch ops hangs at its first parallel
op otherwise. It ignores SIGINT and SIGTERM (the parent, which owns every temporary file, is
the one that cleans up and kills the children) and dies with the parent. The parent only
waits while the children run torch's compilers: a signal never lands inside them in the
process that has to clean up.

Where fork isn't safe or available (not Linux, not the main thread) the groups run one after
another in the calling process, with the same results.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator

from ..output import signals

_HEADER = struct.Struct("!I")


def available() -> bool:
    return (
        sys.platform == "linux"
        and hasattr(os, "fork")
        and threading.current_thread() is threading.main_thread()
    )


def run(
    groups: list[list[Callable[[], object]]],
    died: Callable[[int, str], object],
    while_waiting: Callable[[], None] | None = None,
) -> Iterator[object]:
    """Each group's results in order, group after group (``run(groups)`` yields what calling
    every function of every group in order would). ``died(i, why)`` stands for the result of
    function ``i`` (its index over all groups) when its child ended before giving it (a crash
    in torch). ``while_waiting``: called once, in the parent, after the children start."""
    if not available():
        for group in groups:
            for function in group:
                yield function()
        return
    children: list[tuple[int, object]] = []
    try:
        for group in groups:
            with signals.deferred():  # a child is never forked without being recorded
                signals.checkpoint()
                children.append(_start(group))
        if while_waiting is not None:
            while_waiting()
        index = 0
        for (pid, reader), group in zip(children, groups, strict=True):
            got = 0
            for got, result in enumerate(_results(reader), start=1):
                yield result
            why = _ended(pid)
            for lost in range(got, len(group)):
                yield died(index + lost, why)
            index += len(group)
    finally:
        for pid, reader in children:
            _stop(pid)
            reader.close()


def _start(group: list[Callable[[], object]]) -> tuple[int, object]:
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(group, write_end, parent)
    os.close(write_end)
    return pid, os.fdopen(read_end, "rb")


def _child(group: list[Callable[[], object]], fd: int, parent: int) -> None:
    code = 0
    try:
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)
        _die_with_parent()
        if os.getppid() != parent:  # the parent died before the line above
            raise SystemExit(1)
        import torch

        torch.set_num_threads(1)
        with os.fdopen(fd, "wb") as out:
            for function in group:
                data = pickle.dumps(function())
                out.write(_HEADER.pack(len(data)) + data)
                out.flush()
    except BaseException:  # noqa: BLE001 - the parent reports what this child didn't give
        code = 1
    finally:
        os._exit(code)  # never the parent's clean-up (its temporary files) nor its exit


def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the child ends with its checks
        pass


def _results(reader) -> Iterator[object]:
    while True:
        header = reader.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        data = reader.read(size)
        if len(data) < size:
            return
        yield pickle.loads(data)  # noqa: S301 - our own child's


def _ended(pid: int) -> str:
    """How the child ended (it has closed its end of the pipe)."""
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"the check's process died by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"the check's process ended with exit code {os.waitstatus_to_exitcode(status)}"


def _stop(pid: int) -> None:
    """Kill the child if it still runs, and reap it."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # already reaped
        pass
