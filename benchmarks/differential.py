"""The long differential run against TorchArc 2.1.2: N random valid specs (the strategy of
tests/torcharc_specs.py), each compiled with every check and compared with torcharc.build;
prints the cases run and the failures counted by cause, with one example spec per cause.

    python benchmarks/differential.py [-n 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from test_differential import compare_with_torcharc  # noqa: E402
from torcharc_equivalence import TorchArc  # noqa: E402
from torcharc_specs import torcharc_specs  # noqa: E402


def cause(e: BaseException) -> str:
    """The failure's kind, without the numbers and names that vary from spec to spec."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    text = re.sub(r"\b[a-z]+_\d+\b", "NODE", text)
    text = re.sub(r"torcharc_checked_[0-9a-f]+", "MODULE", text)
    text = re.sub(r"\d+", "N", text)
    return f"{type(e).__name__}: {text[:120]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="how many random specs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--extended",
        action="store_true",
        help="also the extended forms (argmax-style Reduce, fork inside a Sequential, empty "
        "Sequential, odd reuse suffixes, tuple-valued outputs, ints where torch says float), "
        "as tests/test_differential.py draws them",
    )
    args = parser.parse_args()
    torcharc = TorchArc()
    failures: collections.Counter = collections.Counter()
    examples: dict[str, dict] = {}
    runs = 0

    @seed(args.seed)
    @settings(
        max_examples=args.n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(specs=torcharc_specs(extended=args.extended))
    def one(specs):
        nonlocal runs
        runs += 1
        try:
            compare_with_torcharc(*specs, torcharc)
        except Exception as e:  # noqa: BLE001 - counted by cause, not raised
            key = cause(e)
            failures[key] += 1
            examples.setdefault(key, specs[1])

    start = time.perf_counter()
    one()
    torcharc.close()
    took = time.perf_counter() - start
    print(f"{runs} random specs in {took:.0f} s: {runs - sum(failures.values())} equal TorchArc")
    for key, count in failures.most_common():
        print(f"{count:5d}  {key}\n       e.g. {examples[key]}")


if __name__ == "__main__":
    main()
