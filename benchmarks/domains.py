"""What the search-domain check (check/domains.py) adds to generation, side by side in one run:
for each example of generated_examples/params/ with a search domain, compile_spec without the
checks, with the domain check and with it skipped, in alternating rounds (median), and the
check's own time and points tried.

    python benchmarks/domains.py                 # 7 rounds
    python benchmarks/domains.py --rounds 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from torcharc_codegen import api  # noqa: E402
from torcharc_codegen.check import domains as D  # noqa: E402
from torcharc_codegen.spec.load import load  # noqa: E402

EXAMPLES = sorted((ROOT / "generated_examples" / "params").glob("*.yaml"))


def _has_domain(spec: Path) -> bool:
    params = load(spec).data.get("params") or {}
    return any(isinstance(v, dict) for v in params.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    check, failure = D.check, D._failure
    timings: dict[str, list[float]] = {"check": [], "points": []}

    def timed_check(*a):
        start = time.perf_counter()
        check(*a)
        timings["check"].append(time.perf_counter() - start)

    def counted_failure(*a):
        timings["points"].append(1)
        return failure(*a)

    D._failure = counted_failure
    print("| example | generate without the domain check | with it | ratio | check | points |")
    print("|---|---|---|---|---|---|")
    for spec in filter(_has_domain, EXAMPLES):
        api.compile_spec(spec, verify=False)  # imports and caches warm
        without, with_ = [], []
        timings["check"].clear()
        timings["points"].clear()
        for _ in range(args.rounds):
            for on, into in ((False, without), (True, with_)):
                D.check = timed_check if on else (lambda *a: None)
                start = time.perf_counter()
                api.compile_spec(spec, verify=False)
                into.append(time.perf_counter() - start)
        D.check = check
        a, b = statistics.median(without), statistics.median(with_)
        own = statistics.median(timings["check"])
        points = len(timings["points"]) // args.rounds
        print(
            f"| {spec.stem} | {a * 1000:.0f} ms | {b * 1000:.0f} ms | {b / a:.2f}"
            f" | {own * 1000:.1f} ms | {points} |"
        )


if __name__ == "__main__":
    main()
