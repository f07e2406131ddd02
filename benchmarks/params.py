"""What a parametrized spec costs, measured side by side in one run: generating it (params,
symbolic sizes, checks at two sets of values) against generating the plain spec of its
defaults, and the generated class's forward against the plain one's (the same code but for
the expressions in __init__, so the ratio should be 1).

    python benchmarks/params.py            # generation with and without the checks
    python benchmarks/params.py --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from torcharc_codegen import params as P  # noqa: E402
from torcharc_codegen.api import compile_spec  # noqa: E402
from torcharc_codegen.check.runtime import example_tensors, import_in_memory  # noqa: E402
from torcharc_codegen.spec.normalize import read_inputs  # noqa: E402

EXAMPLES = sorted((ROOT / "generated_examples" / "params").glob("*.yaml"))


def _plain(data: dict) -> dict:
    """The spec of the defaults, example inputs kept (what a user would have compiled)."""
    params, _ = P.collect_params(data)
    return P.substitute(data, params, P.values_for(params, None))


def _seconds(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _forward_ratio(a: str, b: str, data: dict, calls: int = 200, rounds: int = 7) -> float:
    """Median over alternating rounds of (per-call time of ``a``'s class) / (``b``'s)."""
    models = [getattr(import_in_memory(text), "Model")().eval() for text in (a, b)]
    _, examples = read_inputs(_plain(data)["graph"]["input"])
    inputs = tuple(example_tensors(examples).values())
    ratios = []
    with torch.no_grad():
        for model in models:
            for _ in range(20):
                model(*inputs)
        for _ in range(rounds):
            times = []
            for model in models:
                start = time.perf_counter()
                for _ in range(calls):
                    model(*inputs)
                times.append(time.perf_counter() - start)
            ratios.append(times[0] / times[1])
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}; median of {args.rounds} rounds; one thread\n")
    print(
        "| example | generate, no checks: params / plain | ratio "
        "| generate + checks: params / plain | ratio | forward ratio |"
    )
    print("|---|---|---|---|---|---|")
    for spec in EXAMPLES:
        data = yaml.safe_load(spec.read_text())
        plain = _plain(data)
        row = [spec.stem]
        for verify in (False, True):
            a = _seconds(lambda d=data, v=verify: compile_spec(d, verify=v), args.rounds)
            b = _seconds(lambda d=plain, v=verify: compile_spec(d, verify=v), args.rounds)
            row += [f"{a:.2f} s / {b:.2f} s", f"{a / b:.2f}"]
        texts = [compile_spec(d, verify=False).source for d in (data, plain)]
        row.append(f"{_forward_ratio(*texts, data):.2f}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
