"""Which spec goes to which output, with which class name: one job per spec, planned before
any work so a usage error stops the run and a bad name fails its file alone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import SpecError
from ..names import module_name_problem
from ..spec.classes import declared_class
from ..spec.load import load
from .config import Config
from .naming import derived_class_problem, usable_stem
from .parser import UsageError

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class Job:
    spec: str  # a path, or "-" for stdin
    output: str  # a path, or "-" for stdout
    class_name: str
    problem: str | None = None  # found before any work: the job fails with this line
    text: bytes | None = None  # the spec read from stdin


def one(spec: str, output: str, class_name: str | None, config: Config) -> Job:
    """The one job of a single spec (or stdin) to a file (or stdout); usage errors first."""
    if spec != "-" and not Path(spec).is_file():
        raise UsageError(f"no spec file {spec!r}")
    class_name = class_name or (_declared(spec) if spec != "-" else None)
    if output == "-":
        return Job(spec, output, class_name or "Model")
    out = Path(output)
    if out.suffix != ".py":
        raise UsageError(f"the output {output!r} must be a .py file")
    if why := module_name_problem(out.stem):
        better = usable_stem(out.stem, config)
        fix = f"name it {out.with_name(better + '.py').name}" if better else "rename it"
        return Job(spec, output, "", f"the output {output} can't be imported ({why}): {fix}")
    if class_name:
        return Job(spec, output, class_name)
    if why := derived_class_problem(out.stem, config):
        return Job(
            spec,
            output,
            "",
            f"the output {out.name} {why}: name the output after the model (my_model.py) "
            "or pass --class-name NAME",
        )
    return Job(spec, output, config.class_name(out.stem))


def many(
    spec: str, output: str, class_name: str | None, config: Config, params: list[str]
) -> list[Job]:
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
    jobs: list[Job] = []
    by_output: dict[Path, Job] = {}
    for path in specs:
        target = Path(output) / path.relative_to(root).with_suffix(".py")
        declared = _declared(str(path))
        job = Job(str(path), str(target), declared or config.class_name(target.stem))
        better = usable_stem(target.stem, config)
        rename = f"rename the spec {path.with_stem(better).name}" if better else "rename the spec"
        if why := module_name_problem(target.stem):
            job.problem = f"the output {target} can't be imported ({why}): {rename}"
        elif not declared and (why := derived_class_problem(target.stem, config)):
            job.problem = f"the output {target.name} {why}: {rename}"
        elif (other := by_output.get(target)) is not None:
            job.problem = f"{other.spec} has the same output {target}: rename one of them"
            other.problem = other.problem or f"{job.spec} has the same output {target}: rename one"
        by_output.setdefault(target, job)
        jobs.append(job)
    return jobs


def _declared(spec: str) -> str | None:
    """The class name the spec file declares (``class:``), if it reads and has one; a spec
    that doesn't read is the compile's to report."""
    try:
        return declared_class(load(spec).data)
    except SpecError:
        return None
