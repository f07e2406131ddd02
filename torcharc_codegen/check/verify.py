"""Verify generated source before it is written: import it fresh, build it, run the example
inputs, then check it under torch.jit.script, torch.jit.trace, torch.compile(fullgraph=True)
and torch.export. Each check ends ok, failed (with torch's reason) or skipped (with why).
A model over the numeric budget (budget.py) is checked on the meta device: every check runs,
comparing output structure, shapes and dtypes instead of values."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from ..codegen.code import Code
from ..errors import SpecError
from ..output.signals import checkpoint
from ..spec.model import Model
from . import budget as budgets
from . import concurrent
from .limits import NOT_POSSIBLE, fresh_script_state, torch_limit
from .runtime import (
    ForwardError,
    construct,
    example_tensors,
    imported,
    meta_tensors,
    numpy_known_missing,
    run_forward,
    state_bytes,
)

CHECKS = ("script", "trace", "compile", "export")


@dataclass
class Check:
    name: str
    status: str  # "ok" | "failed" | "skipped" | "not possible" (torch's limit: a warning)
    detail: str = ""
    seconds: float | None = None  # the check's own wall time (None: not timed, e.g. skipped)

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "failed"]

    @property
    def dynamic_batch(self) -> bool:
        """The export check proved the batch size dynamic (shapes may show it as ``B``)."""
        return any(
            c.name == "export" and c.status == "ok" and c.detail.startswith(DYNAMIC_BATCH)
            for c in self.checks
        )

    def refused(self, required: tuple[str, ...] = ()) -> list[Check]:
        """The failed checks, and those torch can't do that a project requires."""
        return [
            c
            for c in self.checks
            if c.status == "failed" or (c.status == NOT_POSSIBLE and c.name in required)
        ]


DYNAMIC_BATCH = "dynamic batch size"
DYNAMIC = f"{DYNAMIC_BATCH}, same outputs as eager"  # the export check's detail
# The hint (hints.example_inputs_hint, with the spec's input names) is printed once by the CLI.
NO_EXAMPLES = "no example inputs"

OnCheck = Callable[[Check], None]  # called in the calling process as each check ends


def _timed(run: Callable[[], Check]) -> Check:
    """``run()``'s check, with its own wall time (a skipped check is not timed)."""
    start = time.perf_counter()
    check = run()
    if check.status != "skipped":
        check.seconds = time.perf_counter() - start
    return check


def verify(
    code: Code, model: Model, budget: int | None = None, on_check: OnCheck | None = None
) -> Report:
    """Check ``code``; a construction or example-input failure raises SpecError.

    A model whose parameters and buffers fit ``budget`` bytes (default budget.DEFAULT) is built
    with real weights and every check compares its outputs with eager's; a bigger one is built
    on the meta device and the checks compare output structure, shapes and dtypes, which the
    check lines say (``meta tensors: ...``). ``on_check`` is called with each check (its final
    status and its ``seconds``) as it ends, in the order of the report.
    """
    budget = budgets.parse(budgets.DEFAULT) if budget is None else budget
    report = Report()

    def done(check: Check) -> None:
        checkpoint()  # a signal whose exception got lost (output/signals.py): here
        report.checks.append(check)
        if on_check is not None:
            on_check(check)

    with imported(code.text) as module, numpy_known_missing():
        instance, meta = _build(module, code, model, budget)
        instance.eval()
        device = "meta" if meta else None
        inputs = expected = None
        if model.examples is not None:
            start = time.perf_counter()
            named = meta_tensors(model.examples) if meta else example_tensors(model.examples)
            inputs = tuple(named.values())
            expected = run_forward(module, instance, code, model, named, device)["__return__"]
            done(Check("run", "ok", meta or "example inputs", time.perf_counter() - start))

        def run_bigger():
            bigger = dict(zip(named, _bigger_batch(inputs), strict=True))
            return run_forward(module, instance, code, model, bigger, device)

        def limited(run: Callable[[], Check]) -> Callable[[], Check]:
            """A failed check that torch can't do for a class the spec builds (whoever
            calls it) becomes "not possible", with that class named: a warning."""

            def check() -> Check:
                result = run()
                if result.status == "failed":
                    why = torch_limit(result.name, instance, model, inputs, expected)
                    if why is not None:
                        result.status, result.detail = NOT_POSSIBLE, why
                return result

            return check

        # torch's own warnings while scripting, tracing, compiling and exporting are about
        # torch internals, not the spec: the check lines say what matters.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fresh_script_state():  # each spec's own TorchScript types (limits.py)
                checks = [
                    functools.partial(_timed, limited(run))
                    for run in _checks(instance, inputs, expected, run_bigger, meta)
                ]
                names = ["script", *CHECKS[1:]]
                # script and trace beside compile and export (which share dynamo's imports)
                groups = [checks[:2], checks[2:]] if inputs is not None else [checks]
                died = lambda i, why: Check(names[i], "failed", why)  # noqa: E731
                # closed here, not by the garbage collector, when a check's line raises
                with contextlib.closing(concurrent.run(groups, died, _warm_dynamo)) as checked:
                    for check in checked:
                        done(check)
        return report


_verified = 0


def _warm_dynamo() -> None:
    """From the second verification in a process on (many specs, other values), import
    dynamo in the parent while the children check, so the next children start with it."""
    global _verified
    _verified += 1
    if _verified >= 2 and "torch._dynamo" not in sys.modules:
        import torch._dynamo  # noqa: F401


def verify_other_values(
    code: Code, model: Model, budget: int | None = None, on_check: OnCheck | None = None
) -> list[Check]:
    """A parametrized file's checks at other values than the defaults (Family.other_values:
    the first set the class builds with), each check line saying at which. A forward that
    fails there is a failed check: the sizes written as expressions would be wrong.
    ``on_check``: as for verify."""
    from ..spec.example_rules import example_problems
    from ..spec.graph_rules import read_graph
    from ..spec.normalize import read_inputs

    def done(checks: list[Check]) -> list[Check]:
        for check in checks if on_check is not None else ():
            on_check(check)
        return checks

    tried = []
    for values in model.family.other_values():
        changed = [n for n, v in values.items() if v != model.params[n].default]
        shown = "at " + ", ".join(f"{n}={values[n]!r}" for n in changed)
        checks: list[Check] = []

        def at_values(c: Check, shown=shown, checks=checks) -> None:
            detail = shown + (f"; {c.detail}" if c.detail else "")
            checks.append(Check(c.name, c.status, detail, c.seconds))
            if on_check is not None:
                on_check(checks[-1])

        try:
            plain = model.family.plain(model.source, values)
            # the example inputs' shapes may follow the values: within the inputs' budget
            too_big = example_problems(read_graph(plain).inp, plain)
            if too_big:
                raise SpecError(too_big, plain.name)
            _, examples = read_inputs(plain.data["graph"]["input"])
            other = dataclasses.replace(model, examples=examples, init_args=values, source=plain)
            verify(code, other, budget, at_values)
        except ForwardError as e:
            return done([Check("run", "failed", f"{shown}: {e.reason}")])
        except SpecError as e:  # the class can't be built with these values
            tried.append(f"{shown}: {e.problems[0].message}")
            continue
        return checks
    why = "; ".join(tried) or "no parameter can take another value"
    return done([Check("other values", "skipped", why)])


def _build(module, code: Code, model: Model, budget: int) -> tuple[object, str]:
    """The instance to check, and "" when it has real weights, else the note that says it
    is on the meta device and why. Built on the meta device first (no storage) to weigh it."""
    try:
        instance = construct(module, code, model, "meta")
    except SpecError:
        return construct(module, code, model), ""  # its error, or it builds for real
    size = state_bytes(instance)
    if size <= budget:
        return construct(module, code, model), ""
    count = sum(p.numel() for p in instance.parameters())
    note = (
        f"meta tensors: {budgets.show_count(count)} parameters ({budgets.show_bytes(size)}) "
        f"is over the {budgets.show_bytes(budget)} numeric budget"
    )
    return instance, note


def _checks(
    instance, inputs, expected, run_bigger: Callable[[], object], meta: str
) -> list[Callable[[], Check]]:
    """The checks after ``run``, in the report's order, each to be called for its result."""
    import torch

    def quiet(run: Callable[[], Check]) -> Callable[[], Check]:
        def check() -> Check:
            with torch.no_grad():
                return run()

        return check

    lazy = _uninitialized(instance)
    checks = [quiet(lambda: _script(instance, inputs, expected, lazy, meta))]
    if inputs is None:
        return checks + [lambda n=n: Check(n, "skipped", NO_EXAMPLES) for n in CHECKS[1:]]
    pinned = functools.partial(_pinning_node, run_bigger=run_bigger)
    return checks + [
        quiet(lambda: _run_check("trace", lambda: _trace(instance, inputs), expected, meta)),
        quiet(lambda: _compile(instance, inputs, expected, meta)),
        quiet(lambda: _export(instance, inputs, expected, pinned, meta)),
    ]


def _uninitialized(instance) -> bool:
    import torch

    return any(
        isinstance(p, torch.nn.parameter.UninitializedParameter) for p in instance.parameters()
    )


def _script(instance, inputs, expected, lazy: bool, meta: str) -> Check:
    import torch

    if lazy:
        return Check(
            "script",
            "skipped",
            "Lazy modules are uninitialized until a first forward;"
            " give example inputs so sizes are inferred",
        )
    if inputs is None:
        try:
            torch.jit.script(instance)
        except Exception as e:  # noqa: BLE001
            return Check("script", "failed", _reason(e))
        return Check("script", "ok", "compiled; not run: no example inputs")
    return _run_check("script", lambda: torch.jit.script(instance)(*inputs), expected, meta)


def _trace(instance, inputs):
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(instance, inputs, strict=False, check_trace=False)
    return traced(*inputs)


def _compile(instance, inputs, expected, meta: str) -> Check:
    import torch

    torch._dynamo.reset()
    rnn = [type(m).__name__ for m in instance.modules() if isinstance(m, torch.nn.RNNBase)]
    note = ""
    patch = contextlib.nullcontext()
    if rnn:
        patch = torch._dynamo.config.patch(allow_rnn=True)
        note = (
            f"with torch._dynamo.config.allow_rnn=True: dynamo refuses "
            f"{'/'.join(sorted(set(rnn)))} under fullgraph otherwise"
        )
    with patch:
        check = _run_check(
            "compile",
            lambda: torch.compile(instance, backend="eager", fullgraph=True)(*inputs),
            expected,
            meta,
        )
    torch._dynamo.reset()
    if note and check.status == "ok":
        check.detail = "; ".join(filter(None, [note, meta]))
    return check


def _export(instance, inputs, expected, pinned_by: Callable[[str], str], meta: str) -> Check:
    """Export with the first dimension of every input dynamic (one Dim per distinct size),
    run the program at another batch size; if the model pins the batch, export it static
    and say which node pins it."""
    import torch

    dims: dict[int, object] = {}
    for x in inputs:
        if x.dim() >= 1 and x.shape[0] >= 2:
            dims.setdefault(x.shape[0], torch.export.Dim(f"batch_{len(dims)}"))
    dynamic = tuple(
        {0: dims[x.shape[0]]} if x.dim() >= 1 and x.shape[0] in dims else None for x in inputs
    )
    note = "static: the example batch size is 1"
    if dims:
        try:
            # .module() builds a module from the program each call: once is enough
            program = torch.export.export(instance, inputs, dynamic_shapes=dynamic).module()
            got = program(*inputs)
        except Exception as e:  # noqa: BLE001 - fall back to a static export below
            note = "static batch: " + pinned_by(str(e))
        else:
            check = _compare("export", got, expected, meta)
            if check.status == "ok":
                check = _other_batch(program, instance, inputs, dynamic, meta)
            return check
    try:
        got = torch.export.export(instance, inputs).module()(*inputs)
    except Exception as e:  # noqa: BLE001
        return Check("export", "failed", _reason(e))
    check = _compare("export", got, expected, meta)
    if check.status == "ok":
        check.detail = "; ".join(filter(None, [note, meta]))
    return check


def _bigger_batch(inputs: tuple, dynamic: tuple | None = None) -> tuple:
    """The inputs with one more row in the first dimension (where it is dynamic)."""
    import torch

    dynamic = dynamic or tuple(x.dim() >= 1 for x in inputs)
    return tuple(torch.cat([x, x[:1]]) if d else x for x, d in zip(inputs, dynamic, strict=True))


def _other_batch(program, instance, inputs, dynamic, meta: str) -> Check:
    """The exported program (as a module) at batch size + 1 gives what eager gives."""

    bigger = _bigger_batch(inputs, dynamic)
    try:
        got = program(*bigger)
    except Exception as e:  # noqa: BLE001
        return Check("export", "failed", "dynamic batch: " + _reason(e))
    check = _compare("export", got, instance(*bigger), meta)
    if check.status == "ok":
        check.detail = f"{DYNAMIC_BATCH}; {meta}" if meta else DYNAMIC
    return check


def _run_check(name: str, run: Callable[[], object], expected, meta: str = "") -> Check:
    try:
        got = run()
    except Exception as e:  # noqa: BLE001 - torch's reason is the check's result
        return Check(name, "failed", _reason(e))
    if expected is None:
        return Check(name, "ok")
    return _compare(name, got, expected, meta)


def _compare(name: str, got, expected, meta: str = "") -> Check:
    """Outputs equal eager's (within float tolerance); on the meta device (``meta``: the
    note that says so) there are no values: the same structure, shapes and dtypes."""
    from .compare import assert_close  # assert_close's verdict, without DTensor

    try:
        if meta:
            _same_structure(_plain(got), _plain(expected))
        else:
            assert_close(_plain(got), _plain(expected))
    except Exception as e:  # noqa: BLE001
        return Check(name, "failed", "outputs differ from eager: " + _reason(e))
    return Check(name, "ok", meta or "same outputs as eager")


def _same_structure(got, expected) -> None:
    """AssertionError unless ``got`` has ``expected``'s structure, shapes and dtypes."""
    import torch
    from torch.utils._pytree import tree_flatten

    got_leaves, got_spec = tree_flatten(got)
    expected_leaves, expected_spec = tree_flatten(expected)
    if got_spec != expected_spec:
        raise AssertionError(f"the structure differs: {got_spec} is not {expected_spec}")
    for i, (a, b) in enumerate(zip(got_leaves, expected_leaves, strict=True)):
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise AssertionError(
                    f"output {i} is {tuple(a.shape)} {a.dtype}, not {tuple(b.shape)} {b.dtype}"
                )
        elif type(a) is not type(b):
            raise AssertionError(f"output {i} is {type(a).__name__}, not {type(b).__name__}")


def _plain(value):
    """Named tuples (torch.return_types) compared as plain tuples."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _pinning_node(error: str, run_bigger: Callable[[], object]) -> str:
    """Which node pins the batch size: the first that fails eagerly at batch size + 1."""
    try:
        run_bigger()
    except ForwardError as e:
        return f"node {e.node!r} pins the batch size ({e.reason[:160]})"
    first = error.strip().splitlines()[0] if error.strip() else "unknown reason"
    return f"the batch size is pinned ({first[:200]})"


def _reason(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(e).__name__
    return f"{type(e).__name__}: {text}"[:300]
