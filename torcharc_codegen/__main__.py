"""The command's entry point: ``torcharc-gen`` and ``python -m torcharc_codegen``.

A Ctrl-C while the command's modules load is one line and exit 130, like one during the run;
once the run has reported its outcome, a late signal can't turn it into a traceback. The
process then ends without the interpreter's teardown (runtime.fast_exit): every output is
written and every temporary file removed by then.
"""

import sys

try:
    from .check.runtime import fast_exit
    from .cli import main as _cli_main
    from .output.signals import exit_code, ignore, message
except KeyboardInterrupt:
    sys.stderr.write("torcharc-gen: interrupted; nothing written\n")
    raise SystemExit(130) from None


def main() -> int:  # never returns: fast_exit ends the process with the code
    try:
        code = _cli_main()
        ignore()
    except KeyboardInterrupt as e:  # landed outside cli.main's own handling
        ignore()
        print(f"torcharc-gen: {message()}", file=sys.stderr)
        code = exit_code(e)
    except BrokenPipeError:  # stdout's reader left (`| head`): no traceback, none at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    fast_exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
