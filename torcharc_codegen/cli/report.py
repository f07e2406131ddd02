"""What a run of the command says and how it ends: the exit codes (stated here once; the
``--help`` epilog reads them from here), the messages by verbosity, the tally of files, and
the checks' lines as each check ends.

Messages go to stderr, one line each; the generated code alone goes to stdout (``-o -``).
"""

from __future__ import annotations

import sys
from collections import Counter

TYPE_CHECKING = False  # not typing's: the fast path imports this module
if TYPE_CHECKING:
    from typing import TextIO

    from ..check.verify import Check
    from ..codegen.black_settings import Settings

OK = 0
CHECK_FAILED = 1
BAD_INPUT = 2
CANT_WRITE = 3

EXIT_CODES = (
    (OK, "written or already current"),
    (
        CHECK_FAILED,
        "a check failed, --check found a stale or missing file, or --exit-non-zero-on-write "
        "wrote a file",
    ),
    (
        BAD_INPUT,
        "invalid spec or usage, or an output refused (not a regular file, the spec itself, "
        "not writable)",
    ),
    (CANT_WRITE, "the system failed writing (disk full, file too large, ...)"),
    (130, "interrupted by SIGINT (143: SIGTERM); files are written whole or not at all"),
)

STEPS = ("run", "script", "trace", "compile", "export")  # the checks in the order they run


def exit_codes_text() -> str:
    """The exit codes as one sentence, for ``--help``."""
    return "Exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES) + "."


class Report:
    """One run's messages on stderr by verbosity (-1 quiet: errors and warnings; 0; 1
    verbose), the tally of files (written, unchanged, failed, ...), and the exit code: the
    worst outcome of any file. On a terminal (and not quiet) a status line says what is
    running now; it is erased before every other line."""

    def __init__(self, verbosity: int = 0, stream: TextIO | None = None):
        self.verbosity = verbosity
        self.stream = stream or sys.stderr
        self.tally: Counter[str] = Counter()
        self.failed: list[str] = []
        self.code = OK
        self.live = verbosity >= 0 and _is_terminal(self.stream)
        self._status = ""
        self._settings_shown: set[str] = set()

    # --- messages ---

    def error(self, line: str) -> None:
        self._print(line)

    def info(self, line: str) -> None:
        if self.verbosity >= 0:
            self._print(line)

    def detail(self, line: str) -> None:
        if self.verbosity > 0:
            self._print(line)

    def lines(self, lines) -> None:
        for line in lines:
            self.error(line)

    def settings(self, settings: Settings) -> None:
        from ..codegen.black_settings import describe

        if settings.source not in self._settings_shown:
            self._settings_shown.add(settings.source)
            flags = describe(settings.mode)
            how = f"black {flags}" if flags else "black's defaults"
            self.detail(f"formatting with {how} (from {settings.source})")

    def status(self, text: str) -> None:
        """What is running now, on a terminal only: one line, replaced by the next ("" erases
        it)."""
        if self.live:
            import shutil

            self._clear()
            text = text[: shutil.get_terminal_size().columns - 1]  # one row: \r erases it
            self.stream.write(text)
            self.stream.flush()
            self._status = text

    def _clear(self) -> None:
        if self._status:
            self.stream.write("\r\x1b[K")
            self._status = ""

    def _print(self, line: str) -> None:
        status = self._status
        self._clear()
        # one write with its newline (print writes them apart): a signal between the two
        # would put the interrupted run's line at the end of this one
        self.stream.write(f"{line}\n")
        self.stream.flush()
        if status:
            self.status(status)

    def done(self) -> None:
        """Erase the status line: the run is over."""
        self._clear()
        self.stream.flush()

    # --- outcomes ---

    def outcome(self, spec: str, status: str, code: int = OK) -> None:
        """One file's outcome: its status counts, and the run's code is the worst one."""
        self.tally[status] += 1
        if status == "failed":
            self.failed.append(spec)
        self.code = max(self.code, code)

    def summary(self, checking: bool) -> str:
        """The line after many files: ``2 written, 1 unchanged, 0 failed``."""
        done = "would be written" if checking else "written"
        line = (
            f"{self.tally['written']} {done}, {self.tally['unchanged']} unchanged, "
            f"{len(self.failed)} failed"
        )
        return line + (": " + ", ".join(self.failed) if self.failed else "")


def check_line(check: Check) -> str:
    """A check's line with the time it took: ``script: ok [0.41 s]``."""
    took = f" [{check.seconds:.2f} s]" if check.seconds is not None else ""
    return check.line() + took


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
