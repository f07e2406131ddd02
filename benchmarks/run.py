"""Benchmarks, side by side in one run; writes benchmarks/RESULTS.md.

    python benchmarks/run.py            # about 5 minutes on 2 cores
    python benchmarks/run.py --quick    # about 1 minute: fewer rounds and sizes

Forward latency: the generated module vs an fx GraphModule built the way TorchArc builds it
(fx_reference.py) vs a hand-written module (handwritten.py), all with the same weights,
measured in interleaved rounds (medians), eager, torch.no_grad(), one thread. Then
torch.compile (inductor), generation time per pipeline stage for growing specs, and start-up.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from fx_reference import build_fx  # noqa: E402
from handwritten import MODELS  # noqa: E402

from torcharc_codegen import generate, load_model  # noqa: E402
from torcharc_codegen.check.runtime import example_tensors, import_in_memory  # noqa: E402
from torcharc_codegen.check.shapes import probe  # noqa: E402
from torcharc_codegen.check.verify import verify  # noqa: E402
from torcharc_codegen.codegen.emit import (  # noqa: E402
    BIG_MODEL,
    Header,
    draft,
    format_big,
    format_source,
)
from torcharc_codegen.spec.load import load, no_gc  # noqa: E402
from torcharc_codegen.spec.validate import validate  # noqa: E402


def _spec(name: str) -> dict:
    return yaml.safe_load((HERE / "specs" / f"{name}.yaml").read_text())


def _torcharc_form(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    spec["graph"]["input"] = list(spec["graph"]["input"])
    return spec


def _inputs(spec: dict, batch: int) -> tuple:
    from torcharc_codegen.spec.model import Example

    examples = {
        n: Example(
            shape=(batch, *e["shape"][1:]), dtype=e.get("dtype", "float32"), high=e.get("high")
        )
        for n, e in spec["graph"]["input"].items()
    }
    return tuple(example_tensors(examples).values())


def _variants(name: str) -> dict[str, torch.nn.Module]:
    spec = _spec(name)
    generated = getattr(import_in_memory(generate(spec, "Model")), "Model")()
    fx_model = build_fx(_torcharc_form(spec))
    hand = MODELS[name][0]()
    state = generated.state_dict()
    fx_model.load_state_dict(state, strict=True)
    hand.load_state_dict(state, strict=True)
    models = {"generated": generated, "fx": fx_model, "hand": hand}
    for m in models.values():
        m.eval()
    x = _inputs(spec, 2)
    with torch.no_grad():
        want = models["generated"](*x)
        for label, m in models.items():
            torch.testing.assert_close(m(*x), want, msg=f"{name}: {label} differs")
    return models


def _per_call(model, inputs, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        model(*inputs)
    return (time.perf_counter() - start) / calls


def latency(name: str, batch: int, rounds: int) -> dict[str, float]:
    """Median seconds per forward of each variant, in interleaved rounds."""
    models = _variants(name)
    inputs = _inputs(_spec(name), batch)
    times: dict[str, list[float]] = {k: [] for k in models}
    with torch.no_grad():
        for m in models.values():
            _per_call(m, inputs, 20)
        calls = max(5, int(0.02 / max(_per_call(models["hand"], inputs, 20), 1e-7)))
        order = list(models)
        for r in range(rounds):
            for label in order[r % 3 :] + order[: r % 3]:
                times[label].append(_per_call(models[label], inputs, calls))
    return {k: statistics.median(v) for k, v in times.items()}


def compile_times(name: str, runs: int) -> dict[str, tuple[float, float]]:
    """(seconds to the first compiled result, steady seconds per call), generated vs fx.

    Each measurement runs in a fresh process with an empty inductor cache, alternating the
    variants, so neither profits from the other's compiled kernels or a warm process.
    """
    results: dict[str, list[tuple[float, float]]] = {"generated": [], "fx": []}
    for r in range(runs):
        for label in (["generated", "fx"] if r % 2 == 0 else ["fx", "generated"]):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache}
                proc = subprocess.run(
                    [sys.executable, __file__, "--compile-one", name, label],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
            first, steady = map(float, proc.stdout.split()[-2:])
            results[label].append((first, steady))
    return {
        k: (statistics.median(f for f, _ in v), statistics.median(s for _, s in v))
        for k, v in results.items()
    }


def compile_one(name: str, label: str) -> None:
    torch.set_num_threads(1)
    model = _variants(name)[label]
    inputs = _inputs(_spec(name), 1)
    with torch.no_grad():
        start = time.perf_counter()
        compiled = torch.compile(model)
        compiled(*inputs)
        first = time.perf_counter() - start
        _per_call(compiled, inputs, 50)
        steady = statistics.median(_per_call(compiled, inputs, 200) for _ in range(7))
    print(first, steady)


# --- generation -------------------------------------------------------------------------------


def chain(n: int) -> dict:
    modules = {
        f"l{i}": {"Linear": {"in_features": 8, "out_features": 8}} if i % 2 == 0 else {"ReLU": None}
        for i in range(n)
    }
    nodes = {f"l{i}": [f"l{i - 1}" if i else "x"] for i in range(n)}
    return {
        "modules": modules,
        "graph": {"input": {"x": {"shape": [2, 8]}}, "modules": nodes, "output": f"l{n - 1}"},
    }


def wide(n: int) -> dict:
    """Groups of four Linear branches from the last merge, summed by a MergeSum."""
    modules, nodes, last = {}, {}, "x"
    for i in range(n):
        name = f"m{i}"
        if i % 5 == 4:
            modules[name] = {"MergeSum": None}
            nodes[name] = [[f"m{i - 4}", f"m{i - 3}", f"m{i - 2}", f"m{i - 1}"]]
            last = name
        else:
            modules[name] = {"Linear": {"in_features": 8, "out_features": 8}}
            nodes[name] = [last]
    return {
        "modules": modules,
        "graph": {
            "input": {"x": {"shape": [2, 8]}},
            "modules": nodes,
            "output": f"m{n - 1 - (n % 5)}" if n % 5 else f"m{n - 1}",
        },
    }


def generation(n: int, kind, with_verify: bool) -> dict[str, float]:
    """Seconds per pipeline stage for an n-node spec given as YAML text."""
    text = yaml.safe_dump(kind(n), sort_keys=False)
    t0 = time.perf_counter()
    _, model = load_model(text, name="spec.yaml")
    t1 = time.perf_counter()
    header = Header(spec_name="spec.yaml")
    with no_gc():  # as compile_spec emits
        d = draft(model, "Model", header)
        rendered = d.text
        t2 = time.perf_counter()
        big = len(d.parts["statements"]) >= BIG_MODEL
        formatted = format_big(d.parts) if big else format_source(rendered)
        code = d.code("", formatted)
        t3 = time.perf_counter()
    out = {"load+validate": t1 - t0, "emit": t2 - t1, "format": t3 - t2}
    start = time.perf_counter()
    probe(code, model)
    out["infer shapes"] = time.perf_counter() - start
    if with_verify:
        verify(code, model)
        out["verify"] = time.perf_counter() - t3
    return out


def cli_seconds(spec: dict, runs: int) -> float:
    """The command generating ``spec`` from scratch: each run writes a new file (a current one
    would take the "already current" fast path)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        times = []
        for i in range(runs):
            out = Path(tmp) / f"model_{i}.py"
            cmd = [sys.executable, "-m", "torcharc_codegen", str(path), "-o", str(out)]
            times.append(_wall([*cmd, "--no-verify"], 1))
        return statistics.median(times)


def _wall(cmd: list[str], runs: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(runs: int) -> dict[str, float]:
    out = {}
    out["check all examples"] = _wall(
        [
            sys.executable,
            "-m",
            "torcharc_codegen",
            "generated_examples",
            "-o",
            "generated_examples",
            "--check",
        ],
        runs,
        ROOT,
    )
    # the pre-commit generate hook over current files: the fast path, no torch import
    out["generate all current examples"] = _wall(
        [sys.executable, "-m", "torcharc_codegen", "--exit-non-zero-on-write"], runs, ROOT
    )
    with tempfile.TemporaryDirectory() as tmp:
        spec = ROOT / "generated_examples" / "basic" / "mlp.yaml"
        (Path(tmp) / "my_model.py").write_text(generate(spec, "MyModel"))
        torch_times, model_times = [], []
        for _ in range(runs):  # interleaved
            torch_times.append(_wall([sys.executable, "-c", "import torch"], 1, Path(tmp)))
            model_times.append(_wall([sys.executable, "-c", "import my_model"], 1, Path(tmp)))
        out["import torch"] = statistics.median(torch_times)
        out["import my_model"] = statistics.median(model_times)
    return out


# --- report -----------------------------------------------------------------------------------


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.1f} µs"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and sizes")
    parser.add_argument("-o", "--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--compile-one", nargs=2, metavar=("MODEL", "VARIANT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.compile_one:
        return compile_one(*args.compile_one)
    torch.set_num_threads(1)
    rounds = 7 if args.quick else 21
    lines = [
        "# Benchmark results",
        "",
        f"`python benchmarks/run.py{' --quick' if args.quick else ''}`; machine: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, torch {torch.__version__}. Medians of interleaved "
        f"rounds ({rounds}) on a shared, noisy machine: compare ratios, not absolute times.",
        "",
        "## Forward latency (eager, no_grad, 1 thread)",
        "",
        "| model | batch | generated | fx (TorchArc-style) | hand-written | gen/hand | gen/fx "
        "| target |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, (_, helpers) in MODELS.items():
        for batch in (1, 64):
            t = latency(name, batch, rounds)
            gh, gf = t["generated"] / t["hand"], t["generated"] / t["fx"]
            fx_target = 0.85 if helpers else 1.0
            ok = gh <= 1.03 and gf <= fx_target
            lines.append(
                f"| {name} | {batch} | {_us(t['generated'])} | {_us(t['fx'])} | "
                f"{_us(t['hand'])} | {gh:.3f} | {gf:.3f} | {_met(ok)} "
                f"(<= 1.03, <= {fx_target}) |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        "Target: generated <= 1.03x hand-written; <= 0.85x fx on models with helper "
        "modules (merge, fork_get, film, attention), <= 1.0x on the rest (stereo).",
        "",
    ]

    lines += [
        "## torch.compile (inductor, batch 1)",
        "",
        "| model | variant | first result | steady latency |",
        "| --- | --- | --- | --- |",
    ]
    for name in ["merge"] if args.quick else ["merge", "fork_get"]:
        for label, (first, steady) in compile_times(name, 1 if args.quick else 2).items():
            lines.append(f"| {name} | {label} | {first:.2f} s | {_us(steady)} |")
            print(lines[-1], flush=True)

    lines += [
        "",
        "## Generation time (in process, without verify unless shown)",
        "",
        "| spec | nodes | load+validate | emit | format | total | infer shapes | verify |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    spec = wide(100)
    spec["graph"]["input"] = "x"
    validate(load(spec))  # warm the validator, as a long-running tool would be
    start = time.perf_counter()
    for _ in range(10):
        validate(load(spec))
    per_run = (time.perf_counter() - start) / 10
    sizes = [10, 100, 1000, 5000]
    totals: dict[tuple, float] = {}
    for kind in (chain, wide):
        for n in sizes:
            t = generation(n, kind, with_verify=n <= (100 if args.quick else 1000))
            total = t["load+validate"] + t["emit"] + t["format"]
            totals[(kind.__name__, n)] = total
            verify_text = f"{t['verify']:.2f} s" if "verify" in t else "-"
            lines.append(
                f"| {kind.__name__} | {n} | {t['load+validate']:.3f} s | "
                f"{t['emit']:.3f} s | {t['format']:.3f} s | {total:.3f} s | "
                f"{t['infer shapes']:.2f} s | {verify_text} |"
            )
            print(lines[-1], flush=True)
    lines += [
        "",
        "Total = load+validate + emit + format: generation without verification. "
        "`infer shapes` is the one run of the example inputs that resolves Lazy sizes and "
        "writes shape comments (only for specs with example inputs; these have them).",
        "",
    ]
    lines.append(
        f"- validating a 100-module spec against the JSON Schema (and the graph "
        f"checks): {per_run * 1000:.1f} ms ({_met(per_run < 0.1)} well under 100 ms)"
    )
    for kind in ("chain", "wide"):
        growth = totals[(kind, 5000)] / totals[(kind, 1000)]
        lines.append(
            f"- {kind}: 1000 -> 5000 nodes grows {growth:.1f}x (linear is 5x); "
            f"1000 nodes {totals[(kind, 1000)]:.2f} s ({_met(totals[(kind, 1000)] < 1)}"
            f" < 1 s), 5000 nodes {totals[(kind, 5000)]:.2f} s "
            f"({_met(totals[(kind, 5000)] < 5)} < 5 s)"
        )
    runs = 3 if args.quick else 5
    for n in (1000, 5000):
        plain = chain(n)
        plain["graph"]["input"] = "x"
        for label, spec in (("TorchArc form", plain), ("with example inputs", chain(n))):
            wall = cli_seconds(spec, runs)
            lines.append(
                f"- the CLI end to end (`torcharc-gen spec.yaml -o model.py --no-verify`, "
                f"Python start-up included), chain of {n}, {label}: {wall:.2f} s"
            )
            print(lines[-1], flush=True)

    s = startup(5 if args.quick else 11)
    ratio = s["import my_model"] / s["import torch"]
    lines += [
        "",
        "## Start-up",
        "",
        f"- `torcharc-gen generated_examples -o generated_examples --check` (all "
        f"{len(list((ROOT / 'generated_examples').rglob('*.yaml')))} examples, one "
        f"process): {s['check all examples']:.2f} s ({_met(s['check all examples'] < 2)}"
        " < 2 s; it imports no torch when every file is current)",
        f"- the pre-commit generate hook (`torcharc-gen --exit-non-zero-on-write`, specs and "
        f"output from [tool.torcharc-gen]) over all current examples: "
        f"{s['generate all current examples']:.2f} s "
        f"({_met(s['generate all current examples'] < 1)} < 1 s)",
        f"- `import my_model` {s['import my_model'] * 1000:.0f} ms vs `import torch` "
        f"{s['import torch'] * 1000:.0f} ms: {ratio:.3f}x ({_met(ratio <= 1.05)} <= 1.05x)",
        "",
    ]
    print("\n".join(lines[-4:]))
    results = Path(args.output)
    kept = ""  # benchmarks/big.py's section, measured separately, stays
    if results.exists() and "\n## Big models" in results.read_text():
        kept = "\n## Big models" + results.read_text().split("\n## Big models", 1)[1]
    results.write_text("\n".join(lines) + kept)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
