"""The Python API: the pipeline load -> validate -> normalize -> order -> emit -> (probe ->
emit) -> verify, and the TorchArc-style ``build``. The CLI is a thin layer over this."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

from .check.shapes import Probe
from .check.verify import Report
from .codegen.black_settings import for_output
from .codegen.emit import Code, emit
from .codegen.provenance import Header, command_for, sha256, versions
from .errors import Problem, SpecError, VerificationError
from .names import class_name_problem
from .options import Options
from .output.signals import checkpoint
from .params.family import Overrides
from .spec.classes import declared_class
from .spec.literals import pascal_case
from .spec.load import Source, load, no_gc
from .spec.model import Model
from .spec.normalize import normalize
from .spec.validate import validate

Spec = str | bytes | os.PathLike | dict  # bytes: YAML text


@dataclass
class Result:
    source: str  # the generated file's text
    model: Model
    report: Report | None  # None when verification was skipped
    warnings: list[Problem] = field(default_factory=list)
    spec_name: str | None = None
    probe: Probe | None = None  # what the example inputs showed, if the spec has them
    code: Code | None = None  # the source with its map (which line holds which node, ...)


def load_model(
    spec: Spec,
    imports: Iterable[str] = (),
    name: str | None = None,
    params: Overrides = None,
) -> tuple[Source, Model]:
    """Load, validate and normalize ``spec``; raises SpecError. ``params``: new defaults for
    a parametrized spec's parameters, by name (or as the CLI's ``["hidden=512"]``); a
    params.ParamValueError when one names no parameter or doesn't fit its type."""
    with no_gc():  # many small objects, no cycles: the collector only costs time here
        source = load(spec, name=name)
        checked = validate(source, imports=imports, params=params)
        return source, normalize(checked.source, checked)


def compile_spec(
    spec: Spec,
    class_name: str | None = None,
    options: Options | None = None,
    *,
    name: str | None = None,
    header: Header | None = None,
    **changes,
) -> Result:
    """Run the whole pipeline with ``options`` (and ``changes`` to them by keyword:
    ``imports=``, ``verify=``, ``mode=``, ``numeric_budget=``, ``params=``, ``on_check=``;
    see Options). Raises SpecError for an invalid spec (or one whose modules can't be built or
    whose example inputs can't run, at the defaults or at a sampled point of a search
    domain: check/domains.py); never raises for a failed check: the report says which
    failed. ``numeric_budget``: bytes of parameters up to which the model is built with real
    weights (to compare outputs with eager); above it shapes and checks run on the meta device
    (None: budget.DEFAULT). ``on_check`` is called with each check as it ends."""
    options = _options(options, changes)
    mode = options.mode
    if class_name is not None and (problem := class_name_problem(class_name)):
        raise ValueError(f"class name {class_name!r} {problem}: choose another")
    source, model = load_model(spec, options.imports, name, options.params)
    class_name = class_name or declared_class(source.data) or "Model"
    checkpoint()  # a SIGINT or SIGTERM held while torch loaded (output/signals.py): here
    header = header or Header(spec_name=source.name if source.text is not None else None)
    header = Header(header.spec_name, header.command, _spec_sha256(source), versions(mode))
    with no_gc():
        code = emit(model, class_name, header, mode=mode)
    checkpoint()
    shapes = None
    if model.examples is not None:
        from .check.shapes import probe

        shapes = probe(code, model, options.numeric_budget, names=_in_parameters(model))
        checkpoint()
        with no_gc():
            code = emit(model, class_name, header, shapes, mode)
    _check_domains(code, model, options)
    report = None
    if options.verify:
        from .check.verify import verify as run_checks

        checkpoint()
        report = run_checks(code, model, options.numeric_budget, on_check=options.on_check)
        if model.family is not None:
            from .check.verify import verify_other_values

            report.checks += verify_other_values(
                code, model, options.numeric_budget, on_check=options.on_check
            )
        if shapes is not None and shapes.batch_as_b and not report.dynamic_batch:
            # the probe showed the batch as B, the export check found it pinned: numbers
            shapes = shapes.static
            with no_gc():
                code = emit(model, class_name, header, shapes, mode)
    checkpoint()
    warnings = list(model.warnings) + _idle_params(model, shapes)
    return Result(code.text, model, report, warnings, source.name, shapes, code)


def _idle_params(model: Model, shapes) -> list[Problem]:
    """A warning for each parameter that nothing the generated class builds follows."""
    if model.family is None:
        return []
    from .params.family import idle_params

    return [
        model.problem(
            ("params", name),
            f"parameter `{name}` changes nothing the generated class builds (no argument"
            " or inferred size follows it): its __init__ argument would be ignored",
        )
        for name in idle_params(model, shapes)
    ]


def _check_domains(code: Code, model: Model, options: Options) -> None:
    """A parametrized spec's search domains, at sampled points: SpecError where the model
    can't take a value (check/domains.py)."""
    if model.family is not None and any(p.domain is not None for p in model.params.values()):
        from .check.domains import check

        check(code, model, options.numeric_budget)


def _options(options: Options | None, changes: dict, **defaults) -> Options:
    """``options`` (or the defaults) with the keyword arguments given instead; a keyword that
    is no option is a TypeError, as for any function."""
    unknown = sorted(set(changes) - {f.name for f in fields(Options)})
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    return (options or Options(**defaults)).but(**changes)


def _spec_sha256(source: Source) -> str:
    """The spec's sha256 as the header records it: of its bytes (a dict: of its JSON)."""
    if source.text is None:
        import json

        return sha256(json.dumps(source.data, sort_keys=True))
    return sha256(source.text)


def _in_parameters(model: Model):
    """A parametrized spec's sizes and shapes in its parameters (the symbolic probe), or None."""
    if model.family is None:
        return None
    from .check.symbolic import SymbolicError, probe_model

    try:
        result = probe_model(model)
    except SymbolicError as e:
        raise SpecError([e.problem(model.source)], model.source_name) from None
    from .check.costs import search

    model.family = dataclasses.replace(model.family, search=search(model.family, model.custom))
    return result


def compile_file(
    spec: str | os.PathLike,
    output: str | os.PathLike,
    class_name: str | None = None,
    options: Options | None = None,
    **changes,
) -> Result:
    """Compile the spec file for ``output``; the class name defaults to the one the spec
    declares (``class:``), else the output's stem in PascalCase, and the header names the
    spec relative to the output's directory. Formatted with ``options.mode`` or else the
    black settings black itself would use at ``output``."""
    options = _options(options, changes)
    out, spec = Path(output), Path(spec)
    name = class_name or declared_class(load(spec).data) or pascal_case(out.stem)
    rel = Path(os.path.relpath(spec.resolve(), out.resolve().parent)).as_posix()
    command = command_for(spec, out, name, options.imports, options.params)
    header = Header(spec_name=rel, command=command)
    options = options.but(mode=options.mode or for_output(out).mode)
    return compile_spec(spec, name, options, name=str(spec), header=header)


def generate(
    spec: Spec,
    class_name: str | None = None,
    options: Options | None = None,
    **changes,
) -> str:
    """The source of a standalone module for ``spec``. The checks run with ``verify=True``
    (default False here: the command line checks by default), and a failed check raises
    VerificationError. The keywords are Options' (``imports=``, ``numeric_budget=``,
    ``params=``: a parametrized spec's defaults in the generated class, ...)."""
    result = compile_spec(spec, class_name, _options(options, changes, verify=False))
    if result.report is not None and result.report.failed:
        raise VerificationError(result.report)
    return result.source


def build(
    spec: Spec,
    *,
    class_name: str | None = None,
    imports: Iterable[str] = (),
    options: Options | None = None,
    **params,
):
    """A drop-in for ``torcharc.build``: generate the code, import it in memory, and return an
    instance of the generated class; ``params``: a parametrized spec's values (the defaults
    for those not given). ``options``: as for compile_spec (default: no checks)."""
    from .check.runtime import import_in_memory
    from .params.resolution import values_for

    options = options or Options(verify=False)
    if imports:
        options = options.but(imports=(*options.imports, *imports))
    result = compile_spec(spec, class_name, options)
    values_for(result.model.params, params)  # each names a parameter and has its type
    module = import_in_memory(result.source)
    return getattr(module, result.code.class_name)(**params)


def resolve(
    spec: Spec, params: Overrides = None, *, name: str | None = None
) -> tuple[str, list[Problem]]:
    """The plain TorchArc spec of a parametrized ``spec`` as YAML text: every ``${...}``
    replaced by its value (the defaults, or ``params``: by name, or as ``["hidden=512"]``),
    without params and example inputs; and the warnings. A problem in the spec is a located
    SpecError; a ``params`` entry that names no parameter or doesn't fit its type a
    params.ParamValueError."""
    from .grammar.schema import base_schema
    from .params import resolution
    from .params.declarations import check
    from .spec.blocks import extension_used

    source = load(spec, name=name)
    shown = source.name
    if not isinstance(source.data, dict):
        raise SpecError([source.problem((), "a spec must be a mapping")], shown)
    extension = extension_used(source.data)
    if extension is not None:
        path, what = extension
        message = f"{what} (generate its class with torcharc-gen instead)"
        raise SpecError([source.problem(path, message, at_key=True)], shown)
    analysis, errors, warnings = check(source, base_schema())
    if errors:
        raise SpecError(errors, shown)
    try:
        values = (
            resolution.parse_assignments(list(params), analysis.params)
            if isinstance(params, list | tuple)
            else dict(params or {})
        )
        text = resolution.dump_yaml(resolution.resolve(source.data, values))
    except resolution.ParamValueError as e:
        if e.path is not None:
            raise SpecError([source.problem(e.path, str(e))], shown) from None
        raise
    return text, list(warnings)
