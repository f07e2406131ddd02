"""`torcharc-gen resolve`: a parametrized spec (`params:` and `${...}`) becomes the plain
TorchArc spec for given values, which TorchArc builds and which compiles to the same model."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch
import yaml
from shared_specs import MLP
from torcharc_equivalence import TorchArc, assert_same_model, require_torcharc

from torcharc_codegen.api import compile_spec
from torcharc_codegen.check.runtime import example_tensors, import_in_memory

pytestmark = pytest.mark.slow  # CLI runs and TorchArc builds


def resolve(tmp_path, *args: str, spec: str = MLP) -> subprocess.CompletedProcess:
    (tmp_path / "mlp.yaml").write_text(spec)
    return subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "resolve", "mlp.yaml", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_resolve_puts_in_the_values_and_drops_params_and_examples(tmp_path):
    proc = resolve(tmp_path, "--param", "hidden=512")
    assert proc.returncode == 0, proc.stderr
    plain = yaml.safe_load(proc.stdout)
    assert "params" not in plain and plain["graph"]["input"] == ["x"]
    layers = plain["modules"]["body"]["Sequential"]
    assert [next(iter(layer.values())) for layer in layers] == [
        {"out_features": 512},
        None,
        {"p": 0.1},
        {"out_features": 2048},
        {"out_features": 10},
    ]


@pytest.mark.parametrize(
    ("args", "spec", "message"),
    [
        (
            ["--param", "hiden=512"],
            MLP,
            "torcharc-gen: error: unknown parameter `hiden`: did you mean `hidden`? (declared "
            "under `params:`: `hidden`, `n_classes`, `p_drop`)",
        ),
        (
            [],
            MLP.replace("${hidden * 4}", "${hidden ** 4}"),
            "mlp.yaml:14:27: modules.body.Sequential[3].LazyLinear.out_features: `**` is not "
            "allowed in ${...}: use parameter names, int or float numbers, + - * // / %, and "
            "parentheses",
        ),
    ],
)
def test_resolve_errors_are_one_located_line(tmp_path, args, spec, message):
    proc = resolve(tmp_path, *args, spec=spec)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [message]
    assert proc.stdout == ""


@pytest.mark.parametrize("hidden", [3, 64])
def test_a_resolved_family_member_is_torcharcs_model(tmp_path, hidden):
    require_torcharc()
    proc = resolve(tmp_path, "--param", f"hidden={hidden}")
    plain = yaml.safe_load(proc.stdout)
    ours = copy.deepcopy(plain)
    ours["graph"]["input"] = {"x": {"shape": [4, 32]}}
    result = compile_spec(ours, "Model", verify=False)
    inputs = tuple(example_tensors(result.model.examples).values())
    torcharc = TorchArc()
    try:
        (reference,) = torcharc.build([("mlp", plain, inputs)]).values()
    finally:
        torcharc.close()
    instance = import_in_memory(result.source).Model()
    assert instance.body[3].in_features == hidden and instance.body[3].out_features == hidden * 4
    assert_same_model(instance, reference, inputs)
    assert isinstance(reference[1], torch.Tensor)
