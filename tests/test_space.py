"""The exported search space: Optuna distributions that read back, W&B sweep parameters (odd
grids as values), the plain description, budgets, and the `space` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from torcharc_codegen.views import space as S

EXAMPLES = Path(__file__).parent.parent / "generated_examples" / "params"
CROSSQ = EXAMPLES / "crossq_critic.yaml"
SPEC = """
params:
  hidden: {default: 256, low: 64, high: 1024, log: true}
  k: {default: 3, low: 1, high: 7, step: 2}
  p: {default: 0.1, low: 0.0, high: 0.5}
  use_bias: {default: true, choices: [true, false]}
  fixed: 8
modules:
  conv: {LazyConv1d: {out_channels: "${fixed}", kernel_size: "${k}", bias: "${use_bias}"}}
  flat: {Flatten: }
  drop: {Dropout: {p: "${p}"}}
  head: {LazyLinear: {out_features: "${hidden}"}}
graph:
  input: {x: {shape: [4, 2, 16]}}
  modules: {conv: [x], flat: [conv], drop: [flat], head: [drop]}
  output: head
"""


@pytest.fixture(scope="module")
def space():
    return S.load(SPEC)


def test_optuna_distributions_read_back(space):
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
        json_to_distribution,
    )

    exported = json.loads(S.export(space, "optuna"))
    got = {n: json_to_distribution(text) for n, text in exported.items()}
    assert got == {
        "hidden": IntDistribution(64, 1024, log=True),
        "k": IntDistribution(1, 7, step=2),
        "p": FloatDistribution(0.0, 0.5),
        "use_bias": CategoricalDistribution([True, False]),
    }
    assert optuna.distributions.check_distribution_compatibility  # the module is Optuna's


def test_wandb_odd_grid_is_values(space):
    exported = json.loads(S.export(space, "wandb"))
    assert exported["k"] == {"values": [1, 3, 5, 7]}  # q_uniform would round to even numbers
    assert exported["hidden"] == {
        "distribution": "q_log_uniform_values",
        "min": 64,
        "max": 1024,
        "q": 1,
    }
    assert exported["p"] == {"distribution": "uniform", "min": 0.0, "max": 0.5}
    assert exported["use_bias"] == {"values": [True, False]}
    assert S.wandb({"type": "int", "low": 0, "high": 8, "step": 2}) == {
        "distribution": "q_uniform",
        "min": 0,
        "max": 8,
        "q": 2,
    }


def test_json_description(space):
    exported = json.loads(S.export(space, "json", max_params=10**9))
    assert exported["fixed"] == {"fixed": 8}
    # a float range makes the space infinite: the budget is the objective's to check
    assert exported["params"] == space.searched
    assert exported["params"]["k"] == {"type": "int", "default": 3, "low": 1, "high": 7, "step": 2}
    assert "count_parameters" in exported["costs"]
    assert exported["budget"]["max_params"] == 10**9


def test_budget_narrows_a_finite_space():
    crossq = S.load(CROSSQ)
    assert crossq.searched["width"]["choices"] == [256, 512, 1024, 2048]
    fits = crossq.within(max_params=1_500_000)
    assert fits["width"]["choices"] == [256, 512, 1024]
    assert all(crossq.count_parameters(width=w) <= 1_500_000 for w in fits["width"]["choices"])
    assert crossq.count_parameters(width=2048) > 1_500_000
    assert not crossq.fits({"width": 512}, max_flops=crossq.count_flops(8, width=256), batch=8)
    with pytest.raises(ValueError, match="no member"):
        crossq.within(max_params=10)


def test_space_command(tmp_path):
    out = tmp_path / "space.json"
    cmd = [sys.executable, "-m", "torcharc_codegen", "space", str(CROSSQ)]
    run = subprocess.run(
        [*cmd, "--format", "optuna", "--max-params", "1500000", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text()) == json.loads(
        S.export(S.load(CROSSQ), "optuna", max_params=1_500_000)
    )
    bad = subprocess.run([*cmd, "--max-params", "10"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no member of the space fits" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_generated_class_carries_the_space():
    text = (EXAMPLES / "crossq_critic.py").read_text()
    namespace: dict = {}
    exec(compile(text, "crossq_critic.py", "exec"), namespace)  # noqa: S102
    assert namespace["CrossqCritic"].SEARCH_SPACE == S.load(CROSSQ).searched
