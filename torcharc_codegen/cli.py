"""``torcharc-gen``: the command line over the Python API.

Exit codes: 0 written (or up to date), 1 verification failed (or ``--check`` found a stale
file), 2 invalid spec or usage. Errors are one line each on stderr, never a traceback, and
nothing is written on any error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SpecError
from .literals import is_identifier, pascal_case

USAGE_ERROR, SPEC_ERROR, CHECK_FAILED = 2, 2, 1


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(f"{message} (see {self.prog} --help)")


def _generate_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen",
        description="Compile a TorchArc spec into a standalone nn.Module source file. "
        "Other commands: `torcharc-gen schema`, `torcharc-gen summary SPEC`.",
    )
    p.add_argument("spec", help="the spec: a YAML file")
    p.add_argument("-o", "--output", required=True, help="the .py file to write")
    p.add_argument(
        "--class-name",
        help="the model class (default: the output name in " "PascalCase, my_model.py -> MyModel)",
    )
    p.add_argument(
        "--no-verify", action="store_true", help="skip the script/trace/compile/export checks"
    )
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="PKG",
        help="allow specs to name classes from this package (repeatable)",
    )
    return p


def _schema_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen schema",
        description="Print (or write) the JSON Schema for specs, generated from the "
        "installed torch.nn.",
    )
    p.add_argument("-o", "--output", help="the file to write (default: stdout)")
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="add the nn.Module subclasses defined in this module (repeatable)",
    )
    return p


def _summary_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen summary",
        description="Print the table of nodes (module, output shape, parameters) "
        "from one run of the spec's example inputs; writes nothing.",
    )
    p.add_argument("spec", help="the spec: a YAML file with example inputs")
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="PKG",
        help="allow specs to name classes from this package (repeatable)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "schema":
            return _schema(_schema_parser().parse_args(argv[1:]))
        if argv and argv[0] == "summary":
            return _summary(_summary_parser().parse_args(argv[1:]))
        return _generate(_generate_parser().parse_args(argv))
    except UsageError as e:
        print(f"torcharc-gen: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except SpecError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        return SPEC_ERROR
    except KeyboardInterrupt:
        print("torcharc-gen: interrupted; nothing written", file=sys.stderr)
        return 130


def _generate(args: argparse.Namespace) -> int:
    from .api import compile_file
    from .write import write_atomic

    out = Path(args.output)
    if out.suffix != ".py":
        raise UsageError(f"the output {args.output!r} must be a .py file")
    class_name = args.class_name or pascal_case(out.stem)
    if not is_identifier(class_name):
        raise UsageError(
            f"class name {class_name!r} is not a Python identifier: " "pass --class-name"
        )
    if not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    result = compile_file(
        args.spec, out, args.class_name, imports=args.imports, verify=not args.no_verify
    )
    for w in result.warnings:
        print(f"warning: {w.format(args.spec)}", file=sys.stderr)
    if result.model.examples is None:
        print(
            "note: sizes were not inferred (Lazy modules stay Lazy, no shape comments): "
            "give example inputs as graph.input, e.g. `x: {shape: [4, 128]}`",
            file=sys.stderr,
        )
    if result.report is not None:
        for check in result.report.checks:
            print(f"  {check.line()}", file=sys.stderr)
        if result.report.failed:
            print(f"torcharc-gen: verification failed; {out} not written", file=sys.stderr)
            return CHECK_FAILED
    written = write_atomic(out, result.source)
    print(f"{'wrote' if written else 'unchanged'} {out} ({class_name})", file=sys.stderr)
    return 0


def _summary(args: argparse.Namespace) -> int:
    from .api import compile_spec, load_model
    from .summary import NO_SHAPES, summarize

    if not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    source, model = load_model(args.spec, args.imports, args.spec)
    if model.examples is None:
        names = ", ".join(model.inputs)
        msg = NO_SHAPES.format(names=names, first=model.inputs[0])
        raise SpecError([source.problem(("graph", "input"), msg)], args.spec)
    result = compile_spec(args.spec, "Model", imports=args.imports, verify=False, name=args.spec)
    sys.stdout.write(summarize(result))
    return 0


def _schema(args: argparse.Namespace) -> int:
    import importlib
    import inspect

    import torch

    from .schema_gen import build_schema, render_schema
    from .write import write_atomic

    extra: dict[str, type] = {}
    for name in args.imports:
        try:
            module = importlib.import_module(name)
        except Exception as e:  # noqa: BLE001
            raise UsageError(f"can't import {name!r}: {type(e).__name__}: {e}") from None
        for attr, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, torch.nn.Module)
                and obj.__module__ == module.__name__
                and not attr.startswith("_")
            ):
                extra[f"{module.__name__}.{attr}"] = obj
    text = render_schema(build_schema(extra or None))
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0
