"""SIGINT and SIGTERM during a command: clean up, then say exactly what happened.

While :func:`handled` is active, either signal raises :class:`Interrupted` (a
``KeyboardInterrupt``), so every ``with`` and ``finally`` block unwinds: temporary files and
directories are removed on the way out. The first signal is the one that counts: later ones
are ignored, so a second Ctrl-C can't cut the clean-up short. Steps that must happen whole
(creating a temporary file and remembering its name, a rename and recording that it happened)
run under :func:`deferred`, where a signal takes effect only at the end of the step.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM arrived; the process exits with 128 + its number (130, 143)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


_written: list[str] = []


def record_written(path: str) -> None:
    """Note a file written in the run (call it under :func:`deferred`, with the rename)."""
    _written.append(path)


def message() -> str:
    """What the interrupted run did: nothing, or wrote some files (each whole) and stopped."""
    written = _written
    if not written:
        return "interrupted; nothing written"
    if len(written) == 1:
        return f"wrote {written[0]}; interrupted after writing"
    return f"wrote {len(written)} files, the last {written[-1]}; interrupted after writing"


_deferring = False
_pending: int | None = None


def _on_signal(signum: int, frame) -> None:
    global _pending
    for s in SIGNALS:  # the first signal counts; later ones must not cut the clean-up short
        signal.signal(s, signal.SIG_IGN)
    if _deferring:
        _pending = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the block; the previous handlers are
    back afterwards. Only the main thread can handle signals: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _pending
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    _pending = None
    _written.clear()
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s, handler in previous.items():
            if handler is not None:
                signal.signal(s, handler)


def ignore() -> None:
    """The run is over and its outcome reported: a late signal changes nothing now."""
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A signal arriving in the block raises :class:`Interrupted` at its end, so the block
    runs whole (also when it raises: the signal then replaces its exception)."""
    global _deferring, _pending
    outer = _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = outer
        if not outer and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)


@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[str]:
    """A private directory (``tempfile.mkdtemp``), removed with its contents at the end of
    the block, also when a signal ends the run: it is never left behind half-made or
    half-removed."""
    path = None
    try:
        with deferred():
            path = tempfile.mkdtemp(prefix=prefix)
        yield path
    finally:
        with deferred():
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
