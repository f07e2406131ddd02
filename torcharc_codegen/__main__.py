"""The command's entry point: ``torcharc-gen`` and ``python -m torcharc_codegen``.

SIGINT and SIGTERM are handled from the first line on (output/signals.py): one while the
command's modules load is one line and exit 130 or 143, like one during the run; once the run
has reported its outcome, a late signal can't turn it into a traceback or another line. The
process then ends without the interpreter's teardown (runtime.fast_exit): every output is
written and every temporary file removed by then.
"""

try:  # the first statement: a signal landing in any import below is handled
    import signal
    import sys

    from .output import signals

    signals.install()
    from .check.runtime import fast_exit
    from .cli import main as _cli_main
except KeyboardInterrupt as e:  # Python's own (SIGINT) before install, or Interrupted
    import signal
    import sys

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    sys.stderr.write("torcharc-gen: interrupted; nothing written\n")
    raise SystemExit(128 + getattr(e, "signum", signal.SIGINT)) from None


def main() -> int:  # never returns: fast_exit ends the process with the code
    try:
        code = _cli_main(last=True)
    except KeyboardInterrupt as e:  # landed outside cli.main's own handling
        signals.ignore()
        print(f"torcharc-gen: {signals.message()}", file=sys.stderr)
        code = signals.exit_code(e)
    except BrokenPipeError:  # stdout's reader left (`| head`): no traceback, none at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    signals.ignore()
    fast_exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
