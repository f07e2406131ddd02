"""SIGINT and SIGTERM during a command: clean up, then say exactly what happened.

While :func:`handled` is active, either signal raises :class:`Interrupted` (a
``KeyboardInterrupt``), so every ``with`` and ``finally`` block unwinds: temporary files and
directories are removed on the way out. The first signal is the one that counts: later ones
are ignored, so a second Ctrl-C can't cut the clean-up short. Steps that must happen whole
(creating a temporary file and remembering its name, a rename and recording that it happened)
run under :func:`deferred`, where a signal takes effect only at the end of the step.

Importing torch or numpy is such a step wherever it happens: their start-up runs Python code
from C++, which clears an exception it gets there (torch then treats numpy as missing, which
breaks the checks) or aborts the process (SIGABRT). A signal that arrives while one of their
modules is being imported is held until the next :func:`checkpoint`.

An exception raised by the handler can also get lost: inside a finalizer (a generator closed
by the garbage collector, a ``__del__``), where Python prints "Exception ignored" and goes on.
The signal is remembered, so :func:`checkpoint` raises it again at the next step of the run
(each stage, each check, a temporary file, the rename), and the lost one is never printed.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
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
_pending: int | None = None  # arrived in a deferred step, not raised yet
_received: int | None = None  # the signal of the run, once it arrived
_settled = False  # the run's outcome is reported: a signal changes nothing now
_HELD_WHILE_IMPORTING = ("torch", "numpy")


def _on_signal(signum: int, frame) -> None:
    global _pending, _received
    for s in SIGNALS:  # the first signal counts; later ones must not cut the clean-up short
        signal.signal(s, signal.SIG_IGN)
    if _settled:
        return
    _received = signum
    if _deferring:
        _pending = signum
        return
    if not _importing(frame, _HELD_WHILE_IMPORTING):  # else: the next checkpoint raises it
        raise Interrupted(signum)


def _importing(frame, packages: tuple[str, ...]) -> bool:
    """Whether a module of one of ``packages`` is being imported (its body is on the stack)."""
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            if isinstance(name, str) and name.partition(".")[0] in packages:
                return True
        frame = frame.f_back
    return False


def settle() -> None:
    """The run's outcome is reported (call it under :func:`deferred`, with the line that
    says it): a signal from here on, or one held in that block, is ignored, so the run
    never says more than its outcome."""
    global _settled, _pending
    _settled, _pending = True, None


def checkpoint() -> None:
    """Raise :class:`Interrupted` if a signal arrived in the run: its first exception got
    lost (a finalizer, C code) and the run went on."""
    if _received is not None and not _settled:
        raise Interrupted(_received)


def _unraisable(hook):
    def unraisable(info) -> None:
        if not isinstance(info.exc_value, Interrupted):  # that one: checkpoint raises it again
            hook(info)

    return unraisable


def install() -> None:
    """From now on SIGINT and SIGTERM raise :class:`Interrupted` (the command's entry point,
    before its own imports: a SIGTERM there is one line and exit 143, like one in the run)."""
    if threading.current_thread() is threading.main_thread():
        sys.unraisablehook = _unraisable(sys.unraisablehook)
        for s in SIGNALS:
            signal.signal(s, _on_signal)


@contextlib.contextmanager
def handled(last: bool = False) -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` in the block; the previous handlers are
    back afterwards, or with ``last`` (the process ends after the block) both signals are
    ignored from then on. Only the main thread can handle signals: elsewhere this does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _pending, _received, _settled
    checkpoint()  # one arrived at start-up and got lost
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    hook = sys.unraisablehook
    _pending = None
    _written.clear()
    sys.unraisablehook = _unraisable(hook)
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        if last:
            ignore()
        else:
            for s, handler in previous.items():
                if handler is not None:
                    signal.signal(s, handler)
            sys.unraisablehook = hook
            _pending = _received = None
            _settled = False


def ignore() -> None:
    """The run is over and its outcome reported: a late signal changes nothing now."""
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A signal arriving in the block raises :class:`Interrupted` at its end, so the block
    runs whole (also when it raises: the signal then replaces its exception). Keep such a
    block short: the signal waits for it."""
    global _deferring, _pending
    outer = _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = outer
        if not outer and _pending is not None and not _settled:
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
            checkpoint()  # never a new one once the run is interrupted
            path = tempfile.mkdtemp(prefix=prefix)
        yield path
    finally:
        with deferred():
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
