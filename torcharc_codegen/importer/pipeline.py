"""``from_module``: an nn.Module and example inputs in, a spec out (trace -> units -> blocks
-> write), with its report; and, unless asked not to, the round trip that proves it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .blocks import build
from .rewrite import dense_blocks
from .units import Fallback, Walker
from .write import compress, dump

SCHEMA_URL = "https://torcharc-codegen.github.io/schema/torcharc.schema.json"


class ImportRefused(ValueError):
    """The module can't be imported at all (the reason says why); nothing is written."""


class InputRefused(ImportRefused):
    """The module refuses the example inputs (torch's message)."""


@dataclass
class FallbackReport:
    path: str  # the module kept as a custom module
    cls: str  # its import path
    reason: str
    line: str | None
    parameters: int

    def text(self) -> str:
        at = f" ({self.line})" if self.line else ""
        return f"{self.path}: {self.cls} kept as a custom module: {self.reason}{at}"


@dataclass
class ImportReport:
    nodes: int = 0  # graph nodes, the top level's and the blocks'
    blocks: dict = field(default_factory=dict)  # block name -> instances
    fallbacks: list = field(default_factory=list)
    unused: list = field(default_factory=list)  # modules forward never calls, kept
    parameters: int = 0
    spec_lines: int = 0
    generated_lines: int | None = None
    checks: list = field(default_factory=list)
    round_trip: str = "not run"
    seconds: float = 0.0

    @property
    def fallback_parameters(self) -> int:
        return sum(f.parameters for f in self.fallbacks)

    @property
    def fallback_share(self) -> float:
        return self.fallback_parameters / self.parameters if self.parameters else 0.0

    def summary(self) -> str:
        """The last line: nodes, blocks, fallbacks (their share of parameters), spec lines."""
        share = f" ({self.fallback_share:.1%} of parameters)" if self.fallbacks else ""
        return (
            f"{_count(self.nodes, 'node')}, {_count(len(self.blocks), 'block')}, "
            f"{_count(len(self.fallbacks), 'fallback')}{share}, {self.spec_lines} spec lines"
        )

    def lines(self) -> list[str]:
        out = [f"block {name}: {count} uses" for name, count in self.blocks.items()]
        out += [f"fallback: {f.text()}" for f in self.fallbacks]
        out += [f"kept, though forward never calls it: {u}" for u in self.unused]
        return out


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


@dataclass
class Imported:
    spec: str  # the spec's YAML text
    report: ImportReport
    source: str | None = None  # the generated file, when the round trip ran


def from_module(
    module,
    example_inputs: dict,
    *,
    class_name: str | None = None,
    round_trip: bool = True,
    verify: bool = True,
    schema: str | None = None,
    origin: str | None = None,
) -> Imported:
    """The spec of ``module`` (an nn.Module) from one run on ``example_inputs`` (forward's
    argument name -> tensor), and its report. With ``round_trip`` (the default) the spec is
    compiled (every check with ``verify``), the generated class loads ``module``'s state_dict
    strictly and gives its outputs bit for bit in eval mode, else RoundTripFailed.
    ImportRefused when nothing can be written. ``schema``: the modeline's schema reference
    (default: the published schema's address); ``origin``: what the header says it came from."""
    import time

    import torch

    from .roundtrip import prove
    from .trace import record_calls

    start = time.perf_counter()
    if not isinstance(module, torch.nn.Module):
        raise ImportRefused(f"{type(module).__name__} is not a torch.nn.Module")
    _check_inputs(module, example_inputs)
    name = class_name or type(module).__name__
    was_training = module.training
    module.eval()
    try:
        try:
            calls, _ = record_calls(module, example_inputs)
        except Exception as e:  # noqa: BLE001 - the model's own refusal, as torch words it
            lines = str(e).strip().splitlines()
            raise InputRefused(
                f"the model refuses them: {type(e).__name__}: {lines[0] if lines else ''}"
            ) from None
        calls = _training_calls(module, example_inputs, calls)
        walker = Walker(calls)
        try:
            root = walker.unit("", module)
        except Fallback as e:
            at = f" ({e.line})" if e.line else ""
            where = e.path or type(module).__name__
            raise ImportRefused(f"{where}: {e.reason}{at}") from None
        dense_blocks(root)
        kept = _kept(root, "")
        blocks, body = build(root)
        spec, comments, report = _spec(module, root, blocks, body, example_inputs, walker)
        report.unused = [f"{p} ({n:,} parameters and buffers)" for p, n in kept]
    finally:
        module.train(was_training)
    origin = origin or f"{type(module).__module__}.{type(module).__qualname__}"
    header = [
        f"yaml-language-server: $schema={schema or SCHEMA_URL}",
        f"imported from {origin} by torcharc-gen import: the module's own names, so its",
        "state_dict loads with strict=True",
    ]
    notes = {}
    for f in report.fallbacks:
        at = f" ({f.line.rsplit('/', 1)[-1]})" if f.line else ""
        notes.setdefault(f.cls, f"custom module (a fallback): {f.reason}{at}")
    text = dump(spec, header, comments, notes)
    report.spec_lines = len(text.splitlines())
    imported = Imported(text, report)
    if round_trip:
        imports = sorted({f.cls.split(".")[0] for f in report.fallbacks})
        proof = prove(text, module, example_inputs, name, imports, verify=verify)
        imported.source = proof.source
        report.checks = proof.checks
        report.generated_lines = len(proof.source.splitlines())
        report.round_trip = "strict load, bit-exact"
    report.seconds = time.perf_counter() - start
    return imported


def _check_inputs(module, inputs: dict) -> None:
    import inspect

    import torch

    if not isinstance(inputs, dict) or not inputs:
        raise ImportRefused("example inputs: a dict of forward's argument name -> tensor")
    for k, v in inputs.items():
        if not isinstance(v, torch.Tensor):
            raise ImportRefused(f"example input {k!r} is a {type(v).__name__}, not a tensor")
    params = inspect.signature(module.forward).parameters
    unknown = [k for k in inputs if k not in params]
    if unknown and not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        raise ImportRefused(
            f"forward has no argument {', '.join(map(repr, unknown))}: it takes "
            f"({', '.join(params)})"
        )
    missing = [
        k
        for k, p in params.items()
        if p.default is p.empty
        and k not in inputs
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if missing:
        raise ImportRefused(f"forward's argument(s) {', '.join(missing)} have no example input")


def _example(tensor) -> dict:
    import torch

    out: dict = {"shape": list(tensor.shape)}
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype != "float32":
        out["dtype"] = dtype
    if not tensor.is_floating_point() and tensor.dtype != torch.bool:
        out["high"] = int(tensor.max()) + 1 if tensor.numel() else 1
    return out


def _spec(module, root, blocks, body, inputs, walker):
    names = {b.name: b for b in blocks.blocks.values()}
    spec: dict = {}
    comments: dict[str, str] = {}
    if names:
        spec["blocks"] = {}
        for name, block in names.items():
            entry: dict = {}
            if block.params:
                entry["params"] = dict(block.params)
            entry["modules"] = compress(block.body["modules"])
            if "keep" in block.body:
                entry["keep"] = block.body["keep"]
            entry["graph"] = block.body["graph"]
            spec["blocks"][name] = entry
            comments[name] = block.comment
    spec["modules"] = compress(body["modules"])
    if "keep" in body:
        spec["keep"] = body["keep"]
    graph = dict(body["graph"])
    graph["input"] = {k: _example(inputs[k]) for k in root.graph.inputs if k in inputs}
    spec["graph"] = graph
    report = ImportReport()
    report.nodes = len(graph["modules"]) + sum(
        len(b.body["graph"]["modules"]) for b in names.values()
    )
    report.blocks = {name: len(b.members) for name, b in names.items()}
    report.fallbacks = [
        FallbackReport(c.path, c.import_path, c.reason, c.line, c.parameters)
        for c in walker.customs
    ]
    report.parameters = sum(p.numel() for p in module.parameters())
    return spec, comments, report


def _training_calls(module, inputs: dict, calls: dict) -> dict:
    """``calls`` with, for each module forward never calls in eval mode that holds tensors (a
    training-only head), its first call in a run in training mode (on a copy: BatchNorm's
    statistics stay the module's), so it can be traced too."""
    import copy

    from .trace import record_calls
    from .units import holds_tensors

    missing = [p for p, m in module.named_modules() if p not in calls and holds_tensors(m)]
    if not missing:
        return calls
    train_calls: dict = {}
    try:
        record_calls(copy.deepcopy(module).train(), inputs, into=train_calls)
    except Exception:  # noqa: BLE001 - (BatchNorm of one value, ...) the calls made before count
        pass
    return {**train_calls, **calls}


def _kept(unit, path) -> list[tuple[str, int]]:
    """The modules forward never calls that the spec keeps, with how many numbers they hold."""
    from .units import Seq, Unit

    out = []
    for name in unit.kept:
        held = sum(t.numel() for t in unit.module.get_submodule(name).state_dict().values())
        out.append((f"{path}.{name}" if path else name, held))
    for name in unit.graph.unread:
        out.append((f"{path}.{name}" if path else name, getattr(unit.module, name).numel()))

    def walk(entry, where):
        if isinstance(entry, Unit):
            out.extend(_kept(entry, where))
        elif isinstance(entry, Seq):
            for k, e in entry.items:
                walk(e, f"{where}.{k}")

    for name, entry in unit.entries.items():
        walk(entry, f"{path}.{name}" if path else name)
    return out
