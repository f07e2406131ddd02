"""The commands besides generate: ``summary``, ``graph``, ``schema``, ``resolve``, ``space``
and ``help``. Each reads its spec through the API (``-`` reads it from stdin) and writes nothing
for a spec with an error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SpecError
from ..options import Options
from ..output.write import check_output_path
from .config import load_config
from .imports import importable_here
from .parser import UsageError
from .report import OK, Report

PICTURE_SUFFIXES = (".svg", ".png", ".dot", ".mmd")


def _spec(spec: str) -> tuple[str | bytes, str]:
    """The spec to hand the API (a path, or the bytes read from stdin) and its name."""
    if spec == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    if not Path(spec).is_file():
        raise UsageError(f"no spec file {spec!r}")
    return spec, spec


def _options(args: argparse.Namespace) -> Options:
    imports = (*load_config(Path.cwd()).imports, *args.imports)
    importable_here(imports)
    return Options(imports=imports, verify=False)


def summary(args: argparse.Namespace, report: Report) -> int:
    from ..api import compile_spec, load_model
    from ..views.summary import NO_SHAPES, summarize

    spec, name = _spec(args.spec)
    options = _options(args)
    source, model = load_model(spec, options.imports, name)
    if model.examples is None:
        msg = NO_SHAPES.format(names=", ".join(model.inputs), first=model.inputs[0])
        raise SpecError([source.problem(("graph", "input"), msg)], name)
    result = compile_spec(spec, "Model", options, name=name)
    sys.stdout.write(summarize(result))
    return OK


def graph(args: argparse.Namespace, report: Report) -> int:
    import shutil

    suffix = Path(args.output).suffix
    if args.spec != "-" and not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    if suffix not in PICTURE_SUFFIXES:
        raise UsageError(f"the output {args.output!r} must end in .svg, .png, .dot or .mmd")
    if suffix in (".svg", ".png") and shutil.which("dot") is None:
        raise UsageError(
            f"drawing {suffix} needs Graphviz's `dot` program: install graphviz "
            "(apt-get install graphviz, brew install graphviz), or write .dot or .mmd"
        )
    from ..api import compile_spec
    from ..views.picture import PictureError, render

    options = _options(args)
    check_output_path(args.output, None if args.spec == "-" else args.spec)
    spec, name = _spec(args.spec)
    result = compile_spec(spec, "Model", options, name=name)
    try:
        render(result, Path(args.output))
    except PictureError as e:
        raise UsageError(str(e)) from None
    report.info(f"wrote {args.output}")
    return OK


def schema(args: argparse.Namespace, report: Report) -> int:
    import importlib
    import inspect

    import torch

    from ..grammar.schema_gen import build_schema, render_schema
    from ..output.write import write_atomic

    importable_here(args.imports)
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
        written = write_atomic(Path(args.output), text)
        report.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK


def resolve(args: argparse.Namespace, report: Report) -> int:
    """``resolve``: the params' values put in; every problem located, nothing written."""
    from ..api import resolve as resolved
    from ..output.write import write_atomic
    from ..params.resolution import ParamValueError

    if args.spec != "-" and not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    if args.output:
        check_output_path(args.output, None if args.spec == "-" else args.spec)
    spec, name = _spec(args.spec)
    try:
        text, warnings = resolved(spec, args.param, name=name)
    except ParamValueError as e:
        raise UsageError(str(e)) from None
    for w in warnings:
        report.error(f"warning: {w.format(name)}")
    if args.output:
        written = write_atomic(Path(args.output), text, None if args.spec == "-" else args.spec)
        report.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK


def space(args: argparse.Namespace, report: Report) -> int:
    """``space``: views.space's export, written like ``resolve``'s output."""
    from ..output.write import write_atomic
    from ..views.space import export, load

    if not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    try:
        text = export(load(args.spec), args.format, args.max_params, args.max_flops, args.batch)
    except ValueError as e:
        raise UsageError(f"{args.spec}: {e}") from None
    if args.output:
        written = write_atomic(Path(args.output), text, args.spec)
        report.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK


def show_help(args: argparse.Namespace, report: Report) -> int:
    """``help [COMMAND]``: the tool's help, or a command's."""
    from .parser import parser

    argv = [args.topic, "--help"] if args.topic else ["--help"]
    try:
        parser().parse_args(argv)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else OK
    return OK
