"""``torcharc-gen import TARGET --input NAME=D0,D1,... -o SPEC.yaml``: an existing model as a
spec (importer/). TARGET is ``package.module:callable``, called with the ``--arg`` keyword
arguments; the spec is written only after its round trip (every check, strict load, bit-exact
outputs) passed. A bad target, flag or input is one line, exit 2; a failed round trip exit 1;
nothing is written either way."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..output.write import check_output_path, write_atomic
from ..resources import SCHEMA_PATH
from ..spec.literals import pascal_case
from .imports import importable_here
from .parser import UsageError
from .report import BAD_INPUT, CHECK_FAILED, OK, Report


def parse_inputs(items: list[str]) -> dict[str, tuple[int, ...]]:
    """``["x=1,3,64,64"]`` -> ``{"x": (1, 3, 64, 64)}``; UsageError naming the flag."""
    out: dict[str, tuple[int, ...]] = {}
    for item in items:
        name, sep, dims = item.partition("=")
        name = name.strip()
        try:
            shape = tuple(int(d) for d in dims.split(","))
        except ValueError:
            shape = ()
        if not sep or not name.isidentifier() or not shape or any(d <= 0 for d in shape):
            raise UsageError(
                f"--input {item!r}: write NAME=D0,D1,... with positive sizes, e.g. x=1,3,64,64"
            )
        if name in out:
            raise UsageError(f"--input {item!r}: {name} is given twice")
        out[name] = shape
    if not out:
        raise UsageError("give the example inputs: --input NAME=D0,D1,... (e.g. x=1,3,64,64)")
    return out


def parse_args(items: list[str]) -> dict[str, object]:
    """``["num_classes=10"]`` -> ``{"num_classes": 10}``, each value read as YAML 1.2."""
    import yaml

    from ..spec.yaml12 import Loader12

    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise UsageError(f"--arg {item!r}: write key=value, e.g. num_classes=10")
        try:
            out[name.strip()] = yaml.load(text, Loader=Loader12) if text.strip() else ""
        except yaml.YAMLError:
            raise UsageError(f"--arg {item!r}: {text!r} is not a YAML value") from None
    return out


def load_target(target: str, kwargs: dict):
    """The module ``package.module:callable`` returns when called with ``kwargs``."""
    import importlib

    import torch

    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"target {target!r}: write package.module:callable, e.g. mypkg.models:net")
    if not all(p.isidentifier() for p in [*module_name.split("."), *attr.split(".")]):
        raise UsageError(f"target {target!r}: {module_name}:{attr} is not an import path")
    importable_here([module_name.split(".")[0]])
    try:
        obj = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - whatever the import raises is the user's to see
        raise UsageError(f"target {target!r}: can't import {module_name}: {_one(e)}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"target {target!r}: {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"target {target!r}: {attr} is not callable")
    try:
        model = obj(**kwargs)
    except Exception as e:  # noqa: BLE001
        raise UsageError(f"target {target!r}: calling {attr}() failed: {_one(e)}") from None
    if not isinstance(model, torch.nn.Module):
        raise UsageError(
            f"target {target!r}: {attr}() returned an object of type {type(model).__name__},"
            " not a torch.nn.Module"
        )
    return model


def _one(e: Exception) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0] if lines else ''}"


def schema_reference(output: Path) -> str | None:
    """The bundled schema relative to the spec when both are in one source tree; else None
    (the published address)."""
    root = SCHEMA_PATH.parent.parent
    try:
        output.resolve().relative_to(root)
    except ValueError:
        return None
    return Path(os.path.relpath(SCHEMA_PATH, output.resolve().parent)).as_posix()


def run(args: argparse.Namespace, report: Report) -> int:
    from ..errors import SpecError
    from ..importer.pipeline import ImportRefused, InputRefused, from_module
    from ..importer.roundtrip import RoundTripFailed

    output = Path(args.output)
    if output.suffix not in (".yaml", ".yml"):
        raise UsageError(f"the output {args.output!r} must end in .yaml or .yml")
    check_output_path(output)
    shapes = parse_inputs(args.input)
    kwargs = parse_args(args.arg)
    class_name = args.class_name or pascal_case(output.stem)
    model = load_target(args.target, kwargs)
    import torch

    generator = torch.Generator().manual_seed(0)
    inputs = {name: torch.randn(shape, generator=generator) for name, shape in shapes.items()}
    try:
        imported = from_module(
            model,
            inputs,
            class_name=class_name,
            verify=not args.no_verify,
            schema=schema_reference(output),
            origin=args.target,
        )
    except InputRefused as e:
        raise UsageError(f"--input {' '.join(args.input)}: {e}") from None
    except ImportRefused as e:
        report.error(f"torcharc-gen: error: {args.target}: can't import: {e}")
        return BAD_INPUT
    except RoundTripFailed as e:
        report.error(f"torcharc-gen: error: {args.target}: round trip failed: {e}; nothing written")
        return CHECK_FAILED
    except SpecError as e:
        report.lines(e.lines())
        report.error(f"torcharc-gen: error: {args.target}: the spec written doesn't compile")
        return CHECK_FAILED
    for line in imported.report.lines():
        report.info(f"  {line}")
    for line in imported.report.checks:
        report.detail(f"  {line}")
    written = write_atomic(output, imported.spec)
    report.info(
        f"{'wrote' if written else 'unchanged'} {args.output} ({imported.report.round_trip}): "
        + imported.report.summary()
    )
    return OK
