"""What the cost formulas buy a search, measured side by side in one run: for each parametrized
example, evaluating count_parameters + count_flops against building the member on the meta
device and building it for real; then an Optuna TPE study's trials per second when the formula
prunes over-budget members before building and when every member is built (meta) and its
parameters counted.

    python benchmarks/search.py                  # 30 trials per study
    python benchmarks/search.py --trials 100
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import sys
import time
import timeit
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from torcharc_codegen.views import space as S  # noqa: E402

EXAMPLES = sorted((ROOT / "generated_examples" / "params").glob("*.yaml"))
CONV = ROOT / "generated_examples" / "params" / "conv_classifier.yaml"
BUDGET = 150_000


def _class(spec: Path):
    path = spec.with_suffix(".py")
    module_spec = importlib.util.spec_from_file_location(f"_bench_{spec.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    tree = ast.parse(path.read_text())
    (name,) = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name[0] != "_"]
    return getattr(module, name)


def _per_call(fn, seconds: float = 0.3) -> float:
    timer = timeit.Timer(fn)
    n, _ = timer.autorange()
    n = max(1, int(n * seconds / 0.2))
    return min(timer.repeat(3, n)) / n


def _costs_vs_builds() -> None:
    head = ("formulas", "meta build", "real build", "meta/formula")
    print(f"{'example':<20} {head[0]:>10} {head[1]:>11} {head[2]:>11} {head[3]:>13}")
    for spec in EXAMPLES:
        cls = _class(spec)

        def formulas():
            cls.count_parameters()
            cls.count_flops(4)

        def meta():
            with torch.device("meta"):
                cls()

        f, m, r = _per_call(formulas), _per_call(meta), _per_call(cls)
        print(
            f"{spec.stem:<20} {f * 1e6:>8.2f}us {m * 1e3:>9.2f}ms {r * 1e3:>9.2f}ms {m / f:>12.0f}x"
        )


def _study(trials: int, prune: bool) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cls, space = _class(CONV), S.load(CONV)

    def objective(trial):
        values = space.suggest(trial)
        if prune and cls.count_parameters(**values) > BUDGET:
            raise optuna.TrialPruned()
        with torch.device("meta"):
            model = cls(**values)
        if sum(p.numel() for p in model.parameters()) > BUDGET:
            raise optuna.TrialPruned()
        return cls.count_flops(4, **values)

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0), direction="maximize")
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return trials / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    _costs_vs_builds()
    pruned, built = _study(args.trials, True), _study(args.trials, False)
    print(
        f"\nTPE study over conv_classifier, {args.trials} trials, budget {BUDGET:,} parameters:"
        f"\n  formula pruning: {pruned:8.1f} trials/s\n  build every one: {built:8.1f} trials/s"
        f"  ({pruned / built:.2f}x)"
    )


if __name__ == "__main__":
    main()
