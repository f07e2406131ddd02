"""``main``: parse, dispatch to the command, and turn every expected failure into its one
line and exit code (report.py); never a traceback for a bad spec or usage."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..codegen.black_settings import SettingsError
from ..errors import SpecError
from ..output import signals
from ..output.write import OutputRefused, WriteError
from . import commands
from .config import ConfigError
from .generate import generate
from .importing import run as import_model
from .parser import COMMANDS, UsageError, parser, with_command
from .report import BAD_INPUT, CANT_WRITE, OK, Report

RUN = {
    "generate": generate,
    "summary": commands.summary,
    "graph": commands.graph,
    "schema": commands.schema,
    "resolve": commands.resolve,
    "space": commands.space,
    "import": import_model,
    "help": commands.show_help,
}


def main(argv: Sequence[str] | None = None, *, last: bool = False) -> int:
    """The command's exit code. ``last``: the process ends after it (the entry point), so
    SIGINT and SIGTERM stay ignored once the outcome is reported."""
    import warnings

    with warnings.catch_warnings(), signals.handled(last=last):
        _one_line_warnings()
        return _main(list(sys.argv[1:] if argv is None else argv))


def _one_line_warnings() -> None:
    """Warnings (mostly torch's, e.g. about a module's arguments) as one line each."""
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()
        sys.stderr.write(f"warning: {category.__name__}: {text[0] if text else ''}\n")

    warnings.showwarning = show


def _main(argv: list[str]) -> int:
    argv, at = with_command(argv)
    report = Report()
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as e:  # --help, --version
            return e.code if isinstance(e.code, int) else OK
        quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
        if quiet and verbose:
            raise UsageError("-q/--quiet and -v/--verbose can't be used together")
        report = Report(-1 if quiet else 1 if verbose else 0)
        code = RUN[args.command](args, report)
        signals.checkpoint()  # one held or lost after the run's last checkpoint
        return code
    except UsageError as e:
        message = str(e)
        name = argv[at] if at < len(argv) else ""
        if e.prog and name in COMMANDS[1:] and Path(name).exists():
            message += f"; to compile the spec file {name!r}, write ./{name}"
        elif e.prog:
            message += (
                f" (see {'torcharc-gen help' if e.prog.endswith(' help') else e.prog + ' --help'})"
            )
        report.error(f"torcharc-gen: error: {message}")
        return BAD_INPUT
    except (ConfigError, SettingsError) as e:
        report.error(f"torcharc-gen: error: {e}")
        return BAD_INPUT
    except SpecError as e:
        report.lines(e.lines())
        return BAD_INPUT
    except WriteError as e:
        report.error(str(e))
        return BAD_INPUT if isinstance(e, OutputRefused) else CANT_WRITE
    except KeyboardInterrupt as e:  # SIGINT or SIGTERM (signals.py)
        report.done()
        report.error(f"torcharc-gen: {signals.message()}")
        return signals.exit_code(e)
    finally:
        report.done()
