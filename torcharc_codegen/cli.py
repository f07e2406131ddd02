"""``torcharc-gen``: the command line over the Python API.

Commands: ``generate`` (the default: ``torcharc-gen SPEC -o OUT.py`` is ``torcharc-gen generate
SPEC -o OUT.py``), ``summary``, ``graph`` and ``schema``.

Exit codes: 0 written (or already current); 1 verification failed, ``--check`` found a stale or
missing file, or ``--exit-non-zero-on-write`` and a file was written; 2 invalid spec or usage;
2 also for an output we refuse (not a regular file, the spec itself, not writable); 3 an OSError
while writing (write.py); 130/143 interrupted by SIGINT/SIGTERM
(signals.py). Errors are one line each on stderr, never a traceback, and nothing is written
for a spec with an error.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import budget, signals
from .black_settings import Settings, SettingsError, for_output
from .config import Config, ConfigError, load_config
from .errors import SpecError
from .hints import example_inputs_hint
from .literals import pascal_case
from .names import class_name_problem, module_name_problem
from .params import ParamValueError
from .write import OutputRefused, WriteError, check_output_path

OK, CHECK_FAILED, SPEC_ERROR = 0, 1, 2
CANT_WRITE = 3  # an OSError while writing (disk full, file too large, ...)
COMMANDS = ("generate", "summary", "graph", "schema", "resolve", "space")
_VERBOSITY_FLAGS = ("-q", "--quiet", "-v", "--verbose")
SPEC_SUFFIXES = (".yaml", ".yml")
PICTURE_SUFFIXES = (".svg", ".png", ".dot", ".mmd")

USAGE = """\
torcharc-gen [generate] [SPEC] [-o OUT] [--check] [--class-name NAME] [--no-verify]
                    [--exit-non-zero-on-write] [--import PKG] [-q | -v]
       torcharc-gen summary SPEC [--import PKG]
       torcharc-gen graph SPEC -o FILE [--import PKG]
       torcharc-gen schema [-o FILE] [--import MODULE]
       torcharc-gen resolve SPEC [--param NAME=VALUE ...] [-o FILE]
       torcharc-gen --version | --help"""


class UsageError(Exception):
    def __init__(self, message: str, prog: str | None = None):
        super().__init__(message)
        self.prog = prog  # set for argparse's errors: the line ends "(see PROG --help)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        raise UsageError(message, self.prog)


class _Version(argparse.Action):
    """``--version``: this tool's version and the torch and black it runs with."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the versions and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from .provenance import versions

        print(f"torcharc-gen {versions()}")
        parser.exit()


def _imports_option(p: argparse.ArgumentParser, what: str = "PKG") -> None:
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar=what,
        help="allow specs to name classes from this package (repeatable)",
    )


def _verbosity_options() -> argparse.ArgumentParser:
    """-q/-v, accepted before and after the command (SUPPRESS: a command's parser doesn't
    reset what the main parser read)."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print errors and warnings only",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="also print black's settings and where they come from, every check of every "
        "file, and why a file is already current",
    )
    return p


def _parser() -> _Parser:
    verbosity = _verbosity_options()
    p = _Parser(
        prog="torcharc-gen",
        usage=USAGE,
        description="Compile TorchArc specs into standalone nn.Module source files. Defaults "
        "come from [tool.torcharc-gen] in pyproject.toml; the code is formatted with the "
        "black settings black would use for the output (its [tool.black], else ruff's "
        "line-length).",
        epilog="`torcharc-gen COMMAND --help` shows a command's options. Exit codes: 0 written "
        "or already current; 1 verification failed, --check found a stale or missing file, or "
        "--exit-non-zero-on-write wrote a file; 2 invalid spec or usage.",
        parents=[verbosity],
    )
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(
        prog="torcharc-gen",
        dest="command",
        title="commands",
        metavar="COMMAND",
        description="generate is the default: `torcharc-gen SPEC -o OUT.py` runs it "
        "(a spec file named like a command: write ./graph).",
    )

    g = sub.add_parser(
        "generate",
        parents=[verbosity],
        help="compile specs into .py files (the default command)",
        description="Compile specs into standalone nn.Module source files; a file is "
        "written only when its content changes.",
    )
    g.add_argument(
        "spec",
        nargs="?",
        metavar="SPEC",
        help="a YAML spec, a directory of them (*.yaml, *.yml), or - for stdin",
    )
    g.add_argument(
        "-o", "--output", metavar="OUT", help="the .py file (or directory) to write; - for stdout"
    )
    g.add_argument(
        "--class-name",
        metavar="NAME",
        help="the model class (default: the output name in PascalCase, my_model.py -> MyModel)",
    )
    g.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when an output is stale or missing",
    )
    g.add_argument(
        "--no-verify", action="store_true", help="skip the script/trace/compile/export checks"
    )
    g.add_argument(
        "--numeric-budget",
        metavar="SIZE",
        help="compare outputs with eager using real weights when the parameters take at most "
        "SIZE (e.g. 4GB; default 1GB, or numeric-budget under [tool.torcharc-gen]); bigger "
        "models are checked on meta tensors: structure, shapes and dtypes",
    )
    g.add_argument(
        "--exit-non-zero-on-write",
        action="store_true",
        help="exit 1 when a file was written (for pre-commit: a new or changed model must be "
        "staged before the commit goes through)",
    )
    _param_option(
        g,
        "a parametrized spec's parameter default in the generated class instead of the spec's "
        "(repeatable; the header's regenerate command keeps it)",
    )
    _imports_option(g)

    s = sub.add_parser(
        "summary",
        parents=[verbosity],
        help="print the layer table from one run of the example inputs",
        description="Print the table of nodes (module, output shape, parameters) from one "
        "run of the spec's example inputs; writes nothing.",
    )
    s.add_argument("spec", metavar="SPEC", help="the spec: a YAML file with example inputs")
    _imports_option(s)

    d = sub.add_parser(
        "graph",
        parents=[verbosity],
        help="draw the spec's graph (.svg, .png, .dot, .mmd)",
        description="Draw the spec's graph: .dot and .mmd (Mermaid) as text, .svg and .png "
        "through Graphviz's dot.",
    )
    d.add_argument("spec", metavar="SPEC", help="the spec: a YAML file")
    d.add_argument("-o", "--output", metavar="FILE", required=True, help="model.svg|.png|.dot|.mmd")
    _imports_option(d)

    c = sub.add_parser(
        "schema",
        parents=[verbosity],
        help="print or write the JSON Schema for specs",
        description="Print (or write) the JSON Schema for specs, generated from the installed "
        "torch.nn.",
    )
    c.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: stdout)")
    _imports_option(c, "MODULE")

    r = sub.add_parser(
        "resolve",
        parents=[verbosity],
        help="print the plain TorchArc spec of a parametrized spec",
        description="Print (or write) the spec with every ${...} replaced by its value (the "
        "params' defaults, or --param values), without params and example inputs: the plain "
        "TorchArc spec that torcharc.build builds.",
    )
    r.add_argument("spec", metavar="SPEC", help="the spec: a YAML file")
    _param_option(r, "a parameter's value instead of its default (repeatable)")
    r.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: stdout)")
    sp = sub.add_parser(
        "space",
        parents=[verbosity],
        help="export a parametrized spec's search space (json, optuna, wandb)",
        description="Print (or write) the search space of the params with a domain; with "
        "budgets, a small finite space keeps only the values some member within them takes.",
    )
    sp.add_argument("spec", metavar="SPEC", help="the spec: a YAML file")
    sp.add_argument("--format", choices=("json", "optuna", "wandb"), default="json")
    sp.add_argument("--max-params", type=int, metavar="N", help="a parameter budget")
    sp.add_argument("--max-flops", type=int, metavar="N", help="a FLOPs budget (see --batch)")
    sp.add_argument("--batch", type=int, default=1, metavar="N", help="rows for --max-flops")
    sp.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: stdout)")
    return p


def _param_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help=help)


def _with_command(argv: list[str]) -> tuple[list[str], int]:
    """argv with ``generate`` inserted when no command is named, and the command's index."""
    i = 0
    while i < len(argv) and argv[i] in _VERBOSITY_FLAGS:
        i += 1
    if i == len(argv) or argv[i] not in (*COMMANDS, "-h", "--help", "--version"):
        argv = [*argv[:i], "generate", *argv[i:]]
    return argv, i


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

    with warnings.catch_warnings(), signals.handled():
        _one_line_warnings()
        return _main(list(sys.argv[1:] if argv is None else argv))


class _Out:
    """Messages on stderr by verbosity: -1 quiet (errors and warnings), 0, 1 verbose."""

    def __init__(self, verbosity: int):
        self.verbosity = verbosity
        self._settings_shown: set[str] = set()

    def error(self, line: str) -> None:
        print(line, file=sys.stderr)

    def info(self, line: str) -> None:
        if self.verbosity >= 0:
            print(line, file=sys.stderr)

    def detail(self, line: str) -> None:
        if self.verbosity > 0:
            print(line, file=sys.stderr)

    def settings(self, settings: Settings) -> None:
        from .black_settings import describe

        if settings.source not in self._settings_shown:
            self._settings_shown.add(settings.source)
            flags = describe(settings.mode)
            how = f"black {flags}" if flags else "black's defaults"
            self.detail(f"formatting with {how} (from {settings.source})")


def _main(argv: list[str]) -> int:
    argv, at = _with_command(argv)
    try:
        try:
            args = _parser().parse_args(argv)
        except SystemExit as e:  # --help, --version
            return e.code if isinstance(e.code, int) else OK
        quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
        if quiet and verbose:
            raise UsageError("-q/--quiet and -v/--verbose can't be used together")
        out = _Out(-1 if quiet else 1 if verbose else 0)
        run = {
            "generate": _generate,
            "summary": _summary,
            "graph": _graph,
            "schema": _schema,
            "resolve": _resolve,
            "space": _space,
        }
        return run[args.command](args, out)
    except UsageError as e:
        message = str(e)
        name = argv[at] if at < len(argv) else ""
        if e.prog and name in COMMANDS[1:] and Path(name).exists():
            message += f"; to compile the spec file {name!r}, write ./{name}"
        elif e.prog:
            message += f" (see {e.prog} --help)"
        print(f"torcharc-gen: error: {message}", file=sys.stderr)
        return SPEC_ERROR
    except (ConfigError, SettingsError) as e:
        print(f"torcharc-gen: error: {e}", file=sys.stderr)
        return SPEC_ERROR
    except SpecError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        return SPEC_ERROR
    except WriteError as e:
        print(e, file=sys.stderr)
        return SPEC_ERROR if isinstance(e, OutputRefused) else CANT_WRITE
    except KeyboardInterrupt as e:  # SIGINT or SIGTERM (signals.py)
        print(f"torcharc-gen: {signals.message()}", file=sys.stderr)
        return signals.exit_code(e)


# --- names ------------------------------------------------------------------------------------


def _usable_stem(stem: str, config: Config) -> str | None:
    """A file name close to ``stem`` that imports and gives a class name (my-model ->
    my_model, 3d -> model_3d, class -> class_), or None."""
    name = re.sub(r"\W", "_", stem)
    if name[:1].isdigit():
        name = f"model_{name}"
    for candidate in (name, (name.strip("_") + "_model").lstrip("_")):
        derived = config.class_name(candidate)
        if not module_name_problem(candidate) and derived and not class_name_problem(derived):
            return candidate
    return None


def _derived_class_problem(stem: str, config: Config) -> str | None:
    """Why the output name ``stem`` gives no usable class name, or None."""
    name = config.class_name(stem)
    if name and not class_name_problem(name):
        return None
    raw = stem if config.style == "stem" else "".join(w[:1].upper() + w[1:] for w in _words(stem))
    if not raw:
        why = "it has no letters or digits"
    else:
        why = f"{raw!r} {class_name_problem(raw) or 'is not a usable class name'}"
    return f"gives no usable class name ({why})"


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()


# --- generate ---------------------------------------------------------------------------------


@dataclass
class _Job:
    spec: str  # a path, or "-" for stdin
    output: str  # a path, or "-" for stdout
    class_name: str
    problem: str | None = None  # found before any work: the job fails with this line
    text: bytes | None = None  # the spec read from stdin


def _generate(args: argparse.Namespace, out: _Out) -> int:
    config = load_config(Path.cwd())
    spec = args.spec or (str(config.specs) if config.specs else None)
    output = args.output or (str(config.output) if config.output else None)
    if spec is None:
        raise UsageError("give a spec (or set `specs` under [tool.torcharc-gen])")
    if output is None:
        raise UsageError("the following arguments are required: -o/--output")
    if args.check and output == "-":
        raise UsageError("--check compares with a file: give -o FILE, not -o -")
    if args.class_name is not None and (problem := class_name_problem(args.class_name)):
        suggestion = pascal_case(args.class_name)
        hint = (
            f": choose another, e.g. --class-name {suggestion}"
            if suggestion and not class_name_problem(suggestion)
            else ": choose another name"
        )
        raise UsageError(f"--class-name {args.class_name!r} {problem}{hint}")
    imports = list(dict.fromkeys([*config.imports, *args.imports]))
    args.budget = config.numeric_budget
    if args.numeric_budget is not None:
        try:
            args.budget = budget.parse(args.numeric_budget)
        except ValueError as e:
            raise UsageError(f"--numeric-budget: {e}") from None
    many = spec != "-" and Path(spec).is_dir()
    jobs = (
        _jobs(spec, output, args.class_name, config, args.param)
        if many
        else [_job(spec, output, args.class_name, config)]
    )
    if not many and jobs[0].problem:
        raise UsageError(jobs[0].problem)
    tally: Counter[str] = Counter()
    failed: list[str] = []
    code = OK
    for job in jobs:
        if job.problem:
            out.error(f"{job.spec}: {job.problem}")
            job_code, status = SPEC_ERROR, "failed"
        else:
            try:
                if args.check:
                    job_code, status = _check(job, imports, out, args.budget, args.param)
                else:
                    job_code, status = _run(job, imports, args, out, many, config.require)
            except ParamValueError as e:
                raise UsageError(f"--param: {e}") from None
            except SpecError as e:
                for line in e.lines():
                    out.error(line)
                job_code, status = SPEC_ERROR, "failed"
            except WriteError as e:
                out.error(str(e))
                job_code = SPEC_ERROR if isinstance(e, OutputRefused) else CANT_WRITE
                status = "failed"
        tally[status] += 1
        if status == "failed":
            failed.append(job.spec)
        code = max(code, job_code)
    if many:
        done = "would be written" if args.check else "written"
        line = f"{tally['written']} {done}, {tally['unchanged']} unchanged, {len(failed)} failed"
        out.info(line + (": " + ", ".join(failed) if failed else ""))
    if args.exit_non_zero_on_write and tally["written"]:
        code = max(code, CHECK_FAILED)
    return code


def _job(spec: str, output: str, class_name: str | None, config: Config) -> _Job:
    """The one job of a single spec (or stdin) to a file (or stdout); usage errors first."""
    if spec != "-" and not Path(spec).is_file():
        raise UsageError(f"no spec file {spec!r}")
    if output == "-":
        return _Job(spec, output, class_name or "Model")
    out = Path(output)
    if out.suffix != ".py":
        raise UsageError(f"the output {output!r} must be a .py file")
    if why := module_name_problem(out.stem):
        better = _usable_stem(out.stem, config)
        fix = f"name it {out.with_name(better + '.py').name}" if better else "rename it"
        return _Job(spec, output, "", f"the output {output} can't be imported ({why}): {fix}")
    if class_name:
        return _Job(spec, output, class_name)
    if why := _derived_class_problem(out.stem, config):
        return _Job(
            spec,
            output,
            "",
            f"the output {out.name} {why}: name the output after the model (my_model.py) "
            "or pass --class-name NAME",
        )
    return _Job(spec, output, config.class_name(out.stem))


def _jobs(
    spec: str, output: str, class_name: str | None, config: Config, params: list[str]
) -> list[_Job]:
    """A directory's ``*.yaml`` and ``*.yml`` specs (hidden files and folders left out) to the
    mirrored tree under the output directory; a spec whose output can't be imported or named
    is a job with its problem, so the others still generate."""
    if output == "-" or Path(output).suffix == ".py" or Path(output).is_file():
        raise UsageError(f"{spec} is a directory: -o must be a directory too")
    if class_name:
        raise UsageError("--class-name names one class: use it with one spec")
    if params:
        raise UsageError("--param sets one spec's parameters: use it with one spec")
    root = Path(spec)
    specs = sorted(
        p
        for p in root.rglob("*")
        if p.suffix in SPEC_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not specs:
        raise UsageError(f"no *.yaml or *.yml specs under {spec}")
    jobs: list[_Job] = []
    by_output: dict[Path, _Job] = {}
    for path in specs:
        target = Path(output) / path.relative_to(root).with_suffix(".py")
        job = _Job(str(path), str(target), config.class_name(target.stem))
        better = _usable_stem(target.stem, config)
        rename = f"rename the spec {path.with_stem(better).name}" if better else "rename the spec"
        if why := module_name_problem(target.stem):
            job.problem = f"the output {target} can't be imported ({why}): {rename}"
        elif why := _derived_class_problem(target.stem, config):
            job.problem = f"the output {target.name} {why}: {rename}"
        elif (other := by_output.get(target)) is not None:
            job.problem = f"{other.spec} has the same output {target}: rename one of them"
            other.problem = other.problem or f"{job.spec} has the same output {target}: rename one"
        by_output.setdefault(target, job)
        jobs.append(job)
    return jobs


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _settings(job: _Job, out: _Out) -> Settings:
    settings = for_output(job.output if job.output != "-" else Path.cwd() / "model.py")
    out.settings(settings)
    return settings


def _compile(job: _Job, imports: list[str], verify: bool, mode, numeric_budget=None, params=()):
    from .api import compile_file, compile_spec

    options = {
        "imports": imports,
        "verify": verify,
        "mode": mode,
        "numeric_budget": numeric_budget,
        "params": list(params),
    }
    if job.spec == "-":
        if job.text is None:
            job.text = sys.stdin.buffer.read()  # bytes: YAML text, never a path
        return compile_spec(job.text, job.class_name, name="<stdin>", **options)
    output = job.output if job.output != "-" else "model.py"
    return compile_file(job.spec, output, job.class_name, **options)


def _already_current(
    job: _Job, existing: str | None, imports: list[str], mode, params: list[str]
) -> bool:
    """The fast path: the header shows ``existing`` came from this spec, command, tool
    versions and black settings and was not edited since; nothing is generated (no torch)."""
    if existing is None or job.spec == "-" or job.output == "-":
        return False
    from .provenance import command_for
    from .sync import current_without_generating

    try:
        spec_text = Path(job.spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # the full run says what is wrong
    spec_sha = hashlib.sha256(spec_text.encode("utf-8")).hexdigest()
    command = command_for(job.spec, job.output, job.class_name, imports, params)
    return current_without_generating(existing, spec_sha, _versions(mode), command)


_VERSIONS: dict[str, str] = {}


def _versions(mode) -> str:
    """api.versions once per black settings: reading package metadata takes ~5 ms a time."""
    from .black_settings import describe
    from .provenance import versions

    key = describe(mode)
    if key not in _VERSIONS:
        _VERSIONS[key] = versions(mode)
    return _VERSIONS[key]


def _run(
    job: _Job,
    imports: list[str],
    args: argparse.Namespace,
    out: _Out,
    many: bool,
    require: tuple[str, ...] = (),
) -> tuple[int, str]:
    if job.output != "-":
        check_output_path(job.output, job.spec)  # before reading it, and before the work
    settings = _settings(job, out)
    existing = _read(job.output) if job.output != "-" else None
    if _already_current(job, existing, imports, settings.mode, args.param):
        out.info(f"unchanged {job.output} ({job.class_name})")
        out.detail(f"  {job.output}: current (its header matches the spec, code and versions)")
        return OK, "unchanged"
    result = _compile(job, imports, not args.no_verify, settings.mode, args.budget, args.param)
    label = job.spec
    for w in result.warnings:
        out.error(f"warning: {w.format(label)}")
    if result.model.examples is None and not many:
        out.info(
            "note: sizes were not inferred (Lazy modules stay Lazy, no shape comments): "
            + example_inputs_hint(result.model.inputs)
        )
    if result.report is not None:
        from .limits import NOT_POSSIBLE

        refused = result.report.refused(require)
        for check in result.report.checks:
            if check.status == NOT_POSSIBLE and check not in refused:
                out.error(f"warning: {label}: {check.line()}")  # torch's limit, not the spec's
            elif check.status == NOT_POSSIBLE:
                out.error(f"{label}: {check.line()}: [tool.torcharc-gen] requires {check.name}")
            elif many:
                out.detail(f"  {label}: {check.line()}")
            else:
                out.info(f"  {check.line()}")
        if refused:
            failed = result.report.failed
            for check in failed if many and out.verbosity <= 0 else []:
                out.error(f"{label}: {check.line()}")
            out.error(f"torcharc-gen: verification failed; {job.output} not written")
            return CHECK_FAILED, "failed"
    if job.output == "-":
        sys.stdout.write(result.source)
        return OK, "printed"
    from .sync import same_but_versions
    from .write import write_atomic

    if same_but_versions(existing, result.source):
        written = False
        out.detail(f"  {job.output}: the same code; its version line is left as it is")
    else:
        written = write_atomic(Path(job.output), result.source, job.spec)
    out.info(f"{'wrote' if written else 'unchanged'} {job.output} ({job.class_name})")
    return OK, "written" if written else "unchanged"


def _check(
    job: _Job, imports: list[str], out: _Out, numeric_budget=None, params: list[str] = ()
) -> tuple[int, str]:
    """``--check``: compare without writing; the fast path generates nothing at all."""
    from .sync import compare

    check_output_path(job.output, job.spec)  # a FIFO or a device is never read
    settings = _settings(job, out)
    existing = _read(job.output)
    if _already_current(job, existing, imports, settings.mode, list(params)):
        out.info(f"up to date {job.output}")
        return OK, "unchanged"
    result = _compile(job, imports, False, settings.mode, numeric_budget, params)
    current, why, diff = compare(existing, result.source, job.output)
    if current:
        out.info(f"up to date {job.output}")
        return OK, "unchanged"
    if job.spec == "-":
        command = f"torcharc-gen - -o {job.output} < SPEC"
    else:
        from .provenance import command_for

        command = command_for(job.spec, job.output, job.class_name, imports, list(params))
    out.error(f"{job.output}: {why} (regenerate: {command})")
    sys.stderr.write(diff)
    return CHECK_FAILED, "written"


# --- other commands ---------------------------------------------------------------------------


def _spec_file(spec: str) -> None:
    if not Path(spec).is_file():
        raise UsageError(f"no spec file {spec!r}")


def _summary(args: argparse.Namespace, out: _Out) -> int:
    from .api import compile_spec, load_model
    from .summary import NO_SHAPES, summarize

    _spec_file(args.spec)
    imports = [*load_config(Path.cwd()).imports, *args.imports]
    source, model = load_model(args.spec, imports, args.spec)
    if model.examples is None:
        msg = NO_SHAPES.format(names=", ".join(model.inputs), first=model.inputs[0])
        raise SpecError([source.problem(("graph", "input"), msg)], args.spec)
    result = compile_spec(args.spec, "Model", imports=imports, verify=False, name=args.spec)
    sys.stdout.write(summarize(result))
    return OK


def _graph(args: argparse.Namespace, out: _Out) -> int:
    import shutil

    _spec_file(args.spec)
    suffix = Path(args.output).suffix
    if suffix not in PICTURE_SUFFIXES:
        raise UsageError(f"the output {args.output!r} must end in .svg, .png, .dot or .mmd")
    if suffix in (".svg", ".png") and shutil.which("dot") is None:
        raise UsageError(
            f"drawing {suffix} needs Graphviz's `dot` program: install graphviz "
            "(apt-get install graphviz, brew install graphviz), or write .dot or .mmd"
        )
    from .api import compile_spec
    from .picture import PictureError, render

    imports = [*load_config(Path.cwd()).imports, *args.imports]
    check_output_path(args.output, args.spec)
    result = compile_spec(args.spec, "Model", imports=imports, verify=False, name=args.spec)
    try:
        render(result, Path(args.output))
    except PictureError as e:
        raise UsageError(str(e)) from None
    out.info(f"wrote {args.output}")
    return OK


def _schema(args: argparse.Namespace, out: _Out) -> int:
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
        written = write_atomic(Path(args.output), text)
        out.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK


def _resolve(args: argparse.Namespace, out: _Out) -> int:
    """``resolve``: the params' values put in; every problem located, nothing written."""
    from . import params as P
    from .load import load
    from .schema import base_schema
    from .write import write_atomic

    _spec_file(args.spec)
    if args.output:
        check_output_path(args.output, args.spec)
    source = load(args.spec)
    if not isinstance(source.data, dict):
        raise SpecError([source.problem((), "a spec must be a mapping")], args.spec)
    analysis, errors, warnings = P.check(source, base_schema())
    if errors:
        raise SpecError(errors, args.spec)
    for w in warnings:
        out.error(f"warning: {w.format(args.spec)}")
    try:
        values = P.parse_assignments(args.param, analysis.params)
        text = P.dump_yaml(P.resolve(source.data, values))
    except P.ParamValueError as e:
        if e.path is not None:
            raise SpecError([source.problem(e.path, str(e))], args.spec) from None
        raise UsageError(str(e)) from None
    if args.output:
        written = write_atomic(Path(args.output), text, args.spec)
        out.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK


def _space(args: argparse.Namespace, out: _Out) -> int:
    """``space``: views.space's export, written like ``resolve``'s output."""
    from .views.space import export, load
    from .write import write_atomic

    _spec_file(args.spec)
    try:
        text = export(load(args.spec), args.format, args.max_params, args.max_flops, args.batch)
    except ValueError as e:
        raise UsageError(f"{args.spec}: {e}") from None
    if args.output:
        written = write_atomic(Path(args.output), text, args.spec)
        out.info(f"{'wrote' if written else 'unchanged'} {args.output}")
    else:
        sys.stdout.write(text)
    return OK
