"""``torcharc-gen``: the command line over the Python API.

Exit codes: 0 written (or up to date), 1 verification failed (or ``--check`` found a stale or
missing file), 2 invalid spec or usage, 3 the output can't be written there (write.py),
130/143 interrupted by SIGINT/SIGTERM (signals.py). Errors are one line each on stderr, never a
traceback, and nothing is written on any error.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, ConfigError, load_config
from .errors import SpecError
from .literals import is_identifier
from .signals import exit_code, handled, message
from .write import WriteError, check_output_path

OK, CHECK_FAILED, SPEC_ERROR = 0, 1, 2
CANT_WRITE = 3  # a WriteError: the output is not a regular file, the spec, unwritable...


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(f"{message} (see {self.prog} --help)")


def _imports_option(p: argparse.ArgumentParser, what: str = "PKG") -> None:
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar=what,
        help="allow specs to name classes from this package (repeatable)",
    )


def _generate_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen",
        description="Compile TorchArc specs into standalone nn.Module source files. Other "
        "commands: `torcharc-gen summary SPEC`, `torcharc-gen graph SPEC -o FILE`, "
        "`torcharc-gen schema [-o FILE]`. Defaults come from [tool.torcharc-gen] in "
        "pyproject.toml.",
    )
    p.add_argument("spec", nargs="?", help="a YAML spec, a directory of them, or - for stdin")
    p.add_argument("-o", "--output", help="the .py file (or directory) to write; - for stdout")
    p.add_argument(
        "--class-name",
        help="the model class (default: the output name in PascalCase, my_model.py -> MyModel)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when an output is stale or missing",
    )
    p.add_argument(
        "--no-verify", action="store_true", help="skip the script/trace/compile/export checks"
    )
    _imports_option(p)
    return p


def _schema_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen schema",
        description="Print (or write) the JSON Schema for specs, generated from the "
        "installed torch.nn.",
    )
    p.add_argument("-o", "--output", help="the file to write (default: stdout)")
    _imports_option(p, "MODULE")
    return p


def _summary_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen summary",
        description="Print the table of nodes (module, output shape, parameters) "
        "from one run of the spec's example inputs; writes nothing.",
    )
    p.add_argument("spec", help="the spec: a YAML file with example inputs")
    _imports_option(p)
    return p


def _graph_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="torcharc-gen graph",
        description="Draw the spec's graph: .dot and .mmd (Mermaid) as text, .svg and "
        ".png through graphviz.",
    )
    p.add_argument("spec", help="the spec: a YAML file")
    p.add_argument("-o", "--output", required=True, help="model.svg|.png|.dot|.mmd")
    _imports_option(p)
    return p


def _one_line_warnings() -> None:
    """Warnings (mostly torch's, e.g. about a module's arguments) as one line each."""
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

    def show(message, category, filename, lineno, file=None, line=None):
        text = str(message).strip().splitlines()
        print(f"warning: {category.__name__}: {text[0] if text else ''}", file=sys.stderr)

    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    with warnings.catch_warnings(), handled():
        _one_line_warnings()
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    try:
        command = argv[0] if argv else ""
        if command == "schema":
            return _schema(_schema_parser().parse_args(argv[1:]))
        if command == "summary":
            return _summary(_summary_parser().parse_args(argv[1:]))
        if command == "graph":
            return _graph(_graph_parser().parse_args(argv[1:]))
        return _generate(_generate_parser().parse_args(argv))
    except (UsageError, ConfigError) as e:
        print(f"torcharc-gen: error: {e}", file=sys.stderr)
        return SPEC_ERROR
    except SpecError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        return SPEC_ERROR
    except WriteError as e:
        print(e, file=sys.stderr)
        return CANT_WRITE
    except KeyboardInterrupt as e:  # SIGINT or SIGTERM (signals.py)
        print(f"torcharc-gen: {message()}", file=sys.stderr)
        return exit_code(e)


# --- generate ---------------------------------------------------------------------------------


@dataclass
class _Job:
    spec: str  # a path, or "-" for stdin
    output: str  # a path, or "-" for stdout
    class_name: str | None


@dataclass
class _Outcome:
    code: int = OK
    failed: list[str] = field(default_factory=list)


def _generate(args: argparse.Namespace) -> int:
    config = load_config(Path.cwd())
    spec = args.spec or (str(config.specs) if config.specs else None)
    output = args.output or (str(config.output) if config.output else None)
    if spec is None:
        raise UsageError("give a spec (or set `specs` under [tool.torcharc-gen])")
    if output is None:
        raise UsageError("the following arguments are required: -o/--output")
    imports = list(dict.fromkeys([*config.imports, *args.imports]))
    jobs = _jobs(spec, output, args.class_name, config)
    outcome = _Outcome()
    many = len(jobs) > 1 or Path(spec).is_dir()
    for job in jobs:
        try:
            code = _run(job, imports, args, many)
        except SpecError as e:
            for line in e.lines():
                print(line, file=sys.stderr)
            code = SPEC_ERROR
        except WriteError as e:
            print(e, file=sys.stderr)
            code = CANT_WRITE
        if code != OK:
            outcome.failed.append(job.spec)
        outcome.code = max(outcome.code, code)
    if many and outcome.failed:
        print(
            f"torcharc-gen: {len(outcome.failed)} of {len(jobs)} spec(s) failed: "
            + ", ".join(outcome.failed),
            file=sys.stderr,
        )
    return outcome.code


def _jobs(spec: str, output: str, class_name: str | None, config: Config) -> list[_Job]:
    """One job per spec: a file (or stdin) to a file (or stdout), or a directory's ``*.yaml``
    to the mirrored tree under the output directory."""
    if spec != "-" and Path(spec).is_dir():
        if output == "-" or Path(output).suffix == ".py":
            raise UsageError(f"{spec} is a directory: -o must be a directory too")
        if class_name:
            raise UsageError("--class-name names one class: use it with one spec")
        specs = sorted(p for p in Path(spec).rglob("*.yaml") if p.is_file())
        if not specs:
            raise UsageError(f"no *.yaml specs under {spec}")
        return [
            _Job(str(p), str(Path(output) / p.relative_to(spec).with_suffix(".py")), None)
            for p in specs
        ]
    if spec != "-" and not Path(spec).is_file():
        raise UsageError(f"no spec file {spec!r}")
    if output != "-" and Path(output).suffix != ".py":
        raise UsageError(f"the output {output!r} must be a .py file")
    return [_Job(spec, output, class_name)]


def _class_name(job: _Job, config: Config) -> str:
    if job.class_name:
        name = job.class_name
    elif job.output == "-":
        name = "Model"
    else:
        name = config.class_name(Path(job.output).stem)
    if not is_identifier(name):
        raise UsageError(f"class name {name!r} is not a Python identifier: pass --class-name")
    return name


def _run(job: _Job, imports: list[str], args: argparse.Namespace, many: bool) -> int:
    from .api import compile_file, compile_spec

    name = _class_name(job, load_config(Path.cwd()))
    if args.check and job.output != "-" and job.spec != "-":
        return _check(job, name, imports)
    if job.output != "-":
        check_output_path(job.output, job.spec)  # before the expensive part
    if job.spec == "-":
        result = compile_spec(
            sys.stdin.read(), name, imports=imports, verify=not args.no_verify, name="<stdin>"
        )
    else:
        result = compile_file(
            job.spec,
            job.output if job.output != "-" else "model.py",
            name,
            imports=imports,
            verify=not args.no_verify,
        )
    label = job.spec
    for w in result.warnings:
        print(f"warning: {w.format(label)}", file=sys.stderr)
    if result.model.examples is None and not many:
        print(
            "note: sizes were not inferred (Lazy modules stay Lazy, no shape comments): "
            "give example inputs as graph.input, e.g. `x: {shape: [4, 128]}`",
            file=sys.stderr,
        )
    if result.report is not None:
        if not many:
            for check in result.report.checks:
                print(f"  {check.line()}", file=sys.stderr)
        if result.report.failed:
            for check in result.report.failed if many else []:
                print(f"{label}: {check.line()}", file=sys.stderr)
            print(f"torcharc-gen: verification failed; {job.output} not written", file=sys.stderr)
            return CHECK_FAILED
    if job.output == "-":
        sys.stdout.write(result.source)
        return OK
    from .write import write_atomic

    written = write_atomic(Path(job.output), result.source, job.spec)
    print(f"{'wrote' if written else 'unchanged'} {job.output} ({name})", file=sys.stderr)
    return OK


def _check(job: _Job, name: str, imports: list[str]) -> int:
    """``--check``: compare without writing; the fast path generates nothing at all."""
    from .api import command_for, compile_file, versions
    from .sync import compare, current_without_generating

    out = Path(job.output)
    existing = out.read_text(encoding="utf-8") if out.is_file() else None
    spec_text = Path(job.spec).read_text(encoding="utf-8")
    spec_sha = hashlib.sha256(spec_text.encode("utf-8")).hexdigest()
    command = command_for(job.spec, out, name, imports)
    if existing is not None and current_without_generating(existing, spec_sha, versions(), command):
        print(f"up to date {job.output}", file=sys.stderr)
        return OK
    result = compile_file(job.spec, out, name, imports=imports, verify=False)
    current, why, diff = compare(existing, result.source, job.output)
    if current:
        print(f"up to date {job.output}", file=sys.stderr)
        return OK
    print(f"{job.output}: {why} (regenerate: {command})", file=sys.stderr)
    sys.stderr.write(diff)
    return CHECK_FAILED


# --- other commands ---------------------------------------------------------------------------


def _summary(args: argparse.Namespace) -> int:
    from .api import compile_spec, load_model
    from .summary import NO_SHAPES, summarize

    if not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    imports = [*load_config(Path.cwd()).imports, *args.imports]
    source, model = load_model(args.spec, imports, args.spec)
    if model.examples is None:
        msg = NO_SHAPES.format(names=", ".join(model.inputs), first=model.inputs[0])
        raise SpecError([source.problem(("graph", "input"), msg)], args.spec)
    result = compile_spec(args.spec, "Model", imports=imports, verify=False, name=args.spec)
    sys.stdout.write(summarize(result))
    return OK


def _graph(args: argparse.Namespace) -> int:
    from .api import compile_spec
    from .picture import PictureError, render

    if not Path(args.spec).is_file():
        raise UsageError(f"no spec file {args.spec!r}")
    if Path(args.output).suffix not in (".svg", ".png", ".dot", ".mmd"):
        raise UsageError(f"the output {args.output!r} must end in .svg, .png, .dot or .mmd")
    imports = [*load_config(Path.cwd()).imports, *args.imports]
    check_output_path(args.output, args.spec)
    result = compile_spec(args.spec, "Model", imports=imports, verify=False, name=args.spec)
    try:
        render(result, Path(args.output))
    except PictureError as e:
        raise UsageError(str(e)) from None
    print(f"wrote {args.output}", file=sys.stderr)
    return OK


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
    return OK
