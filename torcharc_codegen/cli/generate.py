"""``torcharc-gen [generate]``: specs to checked ``.py`` files, and ``--check``, which compares
without writing. Each file is one job (plan.py); a current file is found by its header
without generating (fastpath.py); the rest go through the API with one Options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..check import budget
from ..codegen.black_settings import for_output
from ..codegen.provenance import Header, read
from ..errors import SpecError
from ..names import class_name_problem
from ..options import Options
from ..output import signals
from ..output.write import OutputRefused, WriteError, check_output_path
from ..params.resolution import ParamValueError
from ..spec.hints import example_inputs_hint
from ..spec.literals import pascal_case
from . import plan
from .checks import Checks
from .config import load_config
from .fastpath import FastPath
from .imports import importable_here
from .parser import UsageError
from .report import BAD_INPUT, CANT_WRITE, CHECK_FAILED, OK, Report

SKIPPED = "checks: skipped (--no-verify)"


def generate(args: argparse.Namespace, report: Report) -> int:
    config = load_config(Path.cwd())
    spec = args.spec or (str(config.specs) if config.specs else None)
    output = args.output or (str(config.output) if config.output else None)
    if spec is None:
        raise UsageError("give a spec (or set `specs` under [tool.torcharc-gen])")
    if output is None:
        raise UsageError("the following arguments are required: -o/--output")
    if args.check and output == "-":
        raise UsageError("--check compares with a file: give -o FILE, not -o -")
    _check_class_name(args.class_name)
    options = Options(
        imports=tuple(dict.fromkeys([*config.imports, *args.imports])),
        verify=not args.no_verify and not args.check,
        numeric_budget=_budget(args.numeric_budget, config.numeric_budget),
        params=list(args.param),
        require=config.require,
    )
    importable_here(options.imports)
    many = spec != "-" and Path(spec).is_dir()
    jobs = (
        plan.many(spec, output, args.class_name, config, args.param)
        if many
        else [plan.one(spec, output, args.class_name, config)]
    )
    if not many and jobs[0].problem:
        raise UsageError(jobs[0].problem)
    if many and args.no_verify and not args.check:
        report.info(SKIPPED)
    run = _Run(report, options, many, FastPath())
    for job in jobs:
        code, status = run.job(job, args.check)
        report.outcome(job.spec, status, code)
    if many:
        report.info(report.summary(args.check))
    if args.exit_non_zero_on_write and report.tally["written"]:
        report.code = max(report.code, CHECK_FAILED)
    return report.code


def _check_class_name(name: str | None) -> None:
    if name is not None and (problem := class_name_problem(name)):
        suggestion = pascal_case(name)
        hint = (
            f": choose another, e.g. --class-name {suggestion}"
            if suggestion and not class_name_problem(suggestion)
            else ": choose another name"
        )
        raise UsageError(f"--class-name {name!r} {problem}{hint}")


def _budget(given: str | None, configured: int | None) -> int | None:
    if given is None:
        return configured
    try:
        return budget.parse(given)
    except ValueError as e:
        raise UsageError(f"--numeric-budget: {e}") from None


class _Run:
    """The jobs of one command: each ends in (exit code, status for the tally)."""

    def __init__(self, report: Report, options: Options, many: bool, fast: FastPath):
        self.report, self.options, self.many, self.fast = report, options, many, fast

    def job(self, job: plan.Job, checking: bool) -> tuple[int, str]:
        if job.problem:
            self.report.error(f"{job.spec}: {job.problem}")
            return BAD_INPUT, "failed"
        try:
            return self.check(job) if checking else self.write(job)
        except ParamValueError as e:
            raise UsageError(f"--param: {e}") from None
        except SpecError as e:
            self.report.lines(e.lines())
            return BAD_INPUT, "failed"
        except WriteError as e:
            self.report.error(str(e))
            return (BAD_INPUT if isinstance(e, OutputRefused) else CANT_WRITE), "failed"
        finally:
            self.report.done()

    def _options(self, job: plan.Job) -> Options:
        settings = for_output(job.output if job.output != "-" else Path.cwd() / "model.py")
        self.report.settings(settings)
        return self.options.but(mode=settings.mode)

    def write(self, job: plan.Job) -> tuple[int, str]:
        if job.output != "-":
            check_output_path(job.output, job.spec)  # before reading it, and before the work
        options = self._options(job)
        existing = _read(job.output) if job.output != "-" else None
        if self.fast.current(job, existing, options):
            self.report.info(f"unchanged {job.output} ({job.class_name})")
            self.report.detail(
                f"  {job.output}: current (its header matches the spec, code and versions)"
            )
            return OK, "unchanged"
        checks = Checks(self.report, job.spec, self.many, options.require)
        checks.start()
        result = _compile(job, options.but(on_check=checks.on_check))
        self.report.done()
        for w in result.warnings:
            self.report.error(f"warning: {w.format(job.spec)}")
        if result.model.examples is None and not self.many:
            self.report.info(
                "note: sizes were not inferred (Lazy modules stay Lazy, no shape comments): "
                + example_inputs_hint(result.model.inputs)
            )
        if result.report is None and not self.many:
            self.report.info(f"  {SKIPPED}")
        elif result.report is not None and not checks.judge(result.report, job.output):
            return CHECK_FAILED, "failed"
        if job.output == "-":
            sys.stdout.write(result.source)
            return OK, "printed"
        from ..output.sync import same_but_versions
        from ..output.write import write_atomic

        if same_but_versions(existing, result.source):
            written = False
            self.report.detail(f"  {job.output}: the same code; its version line is left as it is")
        else:
            written = write_atomic(Path(job.output), result.source, job.spec)
        with signals.deferred():  # the outcome's line, then a signal changes nothing
            self.report.info(
                f"{'wrote' if written else 'unchanged'} {job.output} ({job.class_name})"
            )
            if not self.many:
                signals.settle()
        return OK, "written" if written else "unchanged"

    def check(self, job: plan.Job) -> tuple[int, str]:
        """``--check``: compare without writing; the fast path generates nothing at all."""
        from ..codegen.provenance import command_for
        from ..output.sync import compare

        check_output_path(job.output, job.spec)  # a FIFO or a device is never read
        options = self._options(job)
        existing = _read(job.output)
        if self.fast.current(job, existing, options):
            self.report.info(f"unchanged {job.output} ({job.class_name})")
            return OK, "unchanged"
        self.report.status(f"{job.spec}: generating")
        stdin = job.spec == "-"
        result = _compile(job, options, _recorded_header(existing) if stdin else None)
        self.report.done()
        current, why, diff = compare(existing, result.source, job.output)
        if current:
            self.report.info(f"unchanged {job.output} ({job.class_name})")
            return OK, "unchanged"
        if stdin:
            command = f"torcharc-gen - -o {job.output} < SPEC"
        else:
            command = command_for(
                job.spec, job.output, job.class_name, options.imports, options.params, here=True
            )
        self.report.error(f"{job.output}: {why} (regenerate: {command})")
        sys.stderr.write(diff)
        return CHECK_FAILED, "written"


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _recorded_header(existing: str | None) -> Header | None:
    """The header of a file generated from a spec by path, for the same spec read from stdin:
    how the spec reached the tool doesn't make it another model."""
    rec = read(existing) if existing is not None else None
    return Header(rec.spec_name, rec.command) if rec is not None and rec.command else None


def _compile(job: plan.Job, options: Options, header: Header | None = None):
    from ..api import compile_file, compile_spec

    if job.spec == "-":
        if job.text is None:
            job.text = sys.stdin.buffer.read()  # bytes: YAML text, never a path
        return compile_spec(job.text, job.class_name, options, name="<stdin>", header=header)
    output = job.output if job.output != "-" else "model.py"
    return compile_file(job.spec, output, job.class_name, options)
