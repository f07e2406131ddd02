"""Sizes inferred by Lazy modules, as expressions in the spec's params.

The expression is the claim; TorchArc's own build of the resolved spec at other parameter
values is the evidence: its weights' shapes and its output's shape must be what the
expressions give for those values.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
import yaml
from shared_specs import MLP
from torcharc_equivalence import TorchArc, require_torcharc

from torcharc_codegen import params as P
from torcharc_codegen.check.symbolic import SymbolicError, probe

pytestmark = pytest.mark.slow  # symbolic probes compared with TorchArc's real builds

# 3x32x32 -> conv 5x5 -> 28x28 -> max pool 2 -> 14x14 -> conv 3x3 -> 12x12: width * 144
CONV = """
params:
  width: 16
  n_classes: 10
modules:
  features:
    Sequential:
      - LazyConv2d: {out_channels: 8, kernel_size: 5}
      - LazyBatchNorm2d:
      - ReLU:
      - MaxPool2d: {kernel_size: 2}
      - LazyConv2d:
          out_channels: ${width}
          kernel_size: 3
      - ReLU:
      - Flatten:
  head:
    LazyLinear:
      out_features: ${n_classes}
graph:
  input:
    image: {shape: [4, 3, 32, 32]}
  modules:
    features: [image]
    head: [features]
  output: head
"""

TRANSFORMER = """
params:
  d_model: 64
  nhead: 4
  p_drop: 0.1
modules:
  block:
    TransformerEncoderLayer:
      d_model: ${d_model}
      nhead: ${nhead}
      dim_feedforward: ${d_model * 4}
      dropout: ${p_drop}
      batch_first: true
  halves:
    ForkChunk: {chunks: 2, dim: 2}
  first:
    Get: {key: 0}
  both:
    MergeConcat: {dim: 2}
  head:
    LazyLinear: {out_features: 3}
graph:
  input:
    tokens: {shape: [2, 7, "${d_model}"]}
  modules:
    block: [tokens]
    halves: [block]
    first: [halves]
    both: [[first, block]]
    head: [both]
  output: head
"""

INPUT_SHAPE = """
params:
  in_dim: 20
  hidden: 32
modules:
  mlp:
    Sequential:
      - LazyLinear:
          out_features: ${hidden}
      - Tanh:
      - LazyLinear:
          out_features: ${hidden // 2 + 1}
graph:
  input:
    x: {shape: [4, "${in_dim}"]}
  modules:
    mlp: [x]
  output: mlp
"""

# A default of 0 or 1 is a symbol like any other (not torch's 0/1 specialisation).
STRIDED = """
params:
  pad: 0
  stride: 1
  width: 4
modules:
  net:
    Sequential:
      - LazyConv1d:
          out_channels: ${width}
          kernel_size: 3
          padding: ${pad}
          stride: ${stride}
      - Flatten:
      - LazyLinear: {out_features: 2}
graph:
  input:
    x: {shape: [2, 3, 17]}
  modules:
    net: [x]
  output: net
"""

# Each case: the spec, the sizes claimed at the defaults, and other parameter values (3+) at
# which TorchArc's real build must agree with the expressions.
CASES = {
    "mlp": (
        MLP,
        {("body", 0): {"in_features": "32"}, ("body", 3): {"in_features": "hidden"}}
        | {("body", 4): {"in_features": "hidden * 4"}},
        [{"hidden": 1}, {"hidden": 7, "n_classes": 3}, {"hidden": 100, "p_drop": 0.5}],
    ),
    "conv": (
        CONV,
        {("features", 0): {"in_channels": "3"}, ("features", 1): {"num_features": "8"}}
        | {("features", 4): {"in_channels": "8"}, ("head", 0): {"in_features": "width * 144"}},
        [{"width": 1}, {"width": 5, "n_classes": 2}, {"width": 33}],
    ),
    "transformer": (
        TRANSFORMER,
        # torch.chunk's first piece is the bigger one: an odd d_model is where a fit to
        # even samples (d_model // 2) would go wrong
        {("head", 0): {"in_features": "d_model + (d_model + 1) // 2"}},
        [{"d_model": 32, "nhead": 2}, {"d_model": 45, "nhead": 5}, {"d_model": 18, "nhead": 9}],
    ),
    "input_shape": (
        INPUT_SHAPE,
        {("mlp", 0): {"in_features": "in_dim"}, ("mlp", 2): {"in_features": "hidden"}},
        [{"in_dim": 1}, {"in_dim": 3, "hidden": 2}, {"in_dim": 100, "hidden": 9}],
    ),
    "strided": (
        STRIDED,
        {("net", 0): {"in_channels": "3"}}
        | {("net", 2): {"in_features": "width * ((pad * 2 + 14) // stride + 1)"}},
        [{"pad": 1, "stride": 2}, {"pad": 2, "stride": 3, "width": 1}, {"stride": 5, "width": 7}],
    ),
}


@pytest.fixture(scope="module")
def probed():
    return {name: probe(yaml.safe_load(text)) for name, (text, _, _) in CASES.items()}


@pytest.mark.parametrize("name", CASES)
def test_the_inferred_sizes_are_expressions_in_the_params(probed, name):
    _, claimed, _ = CASES[name]
    got = {key: inferred.sizes for key, inferred in probed[name].layers.items()}
    assert got == claimed


def test_concrete_classes_and_shapes_use_the_param_names(probed):
    mlp = probed["mlp"]
    assert [mlp.layers[k].cls for k in sorted(mlp.layers)] == ["Linear", "Linear", "Linear"]
    assert mlp.shapes == {"body": ("4", "n_classes")}
    assert probed["conv"].shapes["features"] == ("4", "width * 144")
    assert probed["conv"].layers[("features", 1)].cls == "BatchNorm2d"
    trf = probed["transformer"].shapes
    assert trf["block"] == ("2", "7", "d_model")
    half, rest = ("2", "7", "(d_model + 1) // 2"), ("2", "7", "d_model - (d_model + 1) // 2")
    assert trf["halves"] == (half, rest)
    assert trf["both"] == ("2", "7", "d_model + (d_model + 1) // 2")
    assert probed["input_shape"].output == ("4", "hidden // 2 + 1")


@pytest.fixture(scope="module")
def torcharc_builds():
    """name -> [(values, TorchArc's (state_dict, output), inputs)] at each case's values."""
    require_torcharc()
    worker = TorchArc()
    jobs, index = [], []
    for name, (text, _, others) in CASES.items():
        data = yaml.safe_load(text)
        params, _ = P.collect_params(data)
        for i, overrides in enumerate(others):
            values = P.values_for(params, overrides)
            resolved = P.resolve(data, values)
            shapes = P.substitute(data, params, values)["graph"]["input"]
            inputs = tuple(torch.randn(ex["shape"]) for ex in shapes.values())
            jobs.append((f"{name}-{i}", copy.deepcopy(resolved), inputs))
            index.append((name, values))
    try:
        results = worker.build(jobs)
    finally:
        worker.close()
    out: dict = {}
    for (name, values), (job, _, inputs) in zip(index, jobs, strict=True):
        out.setdefault(name, []).append((values, results[job], inputs))
    return out


def _size_in_state(state: dict, module: str, index: int, sequential: bool, attr: str) -> int:
    prefix = f"{module}.{index}" if sequential else module
    weight = state[f"{prefix}.weight"]
    return weight.shape[0] if attr == "num_features" else weight.shape[1]


@pytest.mark.parametrize("name", CASES)
def test_the_expressions_hold_for_other_values_in_torcharcs_real_build(
    probed, torcharc_builds, name
):
    result = probed[name]
    data = yaml.safe_load(CASES[name][0])
    for values, (state, output), _ in torcharc_builds[name]:
        assert state is not None, f"TorchArc refused {name} at {values}: {output}"
        for (module, index), inferred in result.layers.items():
            sequential = "Sequential" in data["modules"][module]
            for attr, text in inferred.sizes.items():
                want = P.parse(text).evaluate(values)
                got = _size_in_state(state, module, index, sequential, attr)
                assert got == want, f"{name} at {values}: {module}[{index}].{attr}"
        claimed = tuple(P.parse(d).evaluate(values) for d in result.output)
        assert tuple(output.shape) == claimed, f"{name} at {values}"


NO_EXPRESSION = [
    (
        """
params: {n: 2, h: 8}
modules:
  fork: {ForkChunk: {chunks: "${n}", dim: 1}}
  first: {Get: {key: 0}}
  head: {LazyLinear: {out_features: 3}}
graph:
  input: {x: {shape: [4, "${h}"]}}
  modules: {fork: [x], first: [fork], head: [first]}
  output: head
""",
        ("modules", "fork", "ForkChunk"),
        "node `fork` calling `ForkChunk` needs a fixed value of parameter `n` (torch checked"
        " `n == 2`): no size expression in the parameters is right for every value of `n`;"
        " make it a plain number here",
    ),
    (
        """
params: {scale: 2}
modules:
  up: {Upsample: {scale_factor: "${scale}"}}
  flat: {Flatten: }
  head: {LazyLinear: {out_features: 3}}
graph:
  input: {x: {shape: [4, 3, 8, 8]}}
  modules: {up: [x], flat: [up], head: [flat]}
  output: head
""",
        ("modules", "up", "Upsample"),
        "building `Upsample` needs a fixed value of parameter `scale` (torch checked"
        " `scale == 2`): no size expression in the parameters is right for every value of"
        " `scale`; make it a plain number here",
    ),
    (
        """
params: {ratio: 2.0, p: 0.1}
modules:
  net:
    Sequential:
      - Dropout: {p: "${p}"}
      - Upsample: {scale_factor: "${ratio}"}
      - Flatten:
      - LazyLinear: {out_features: 5}
graph:
  input: {x: {shape: [2, 3, 10, 10]}}
  modules: {net: [x]}
  output: net
""",
        ("modules", "net", "Sequential", 1, "Upsample"),
        "the sizes `Upsample` gives depend on float parameter `ratio`: a size must be an int"
        " expression of int parameters; make it a plain number here",
    ),
    (
        """
params: {a: 8, b: 16}
modules:
  total: {MergeSum: {dim: 1}}
graph:
  input: {x: {shape: [4, "${a}"]}, y: {shape: [4, "${b}"]}}
  modules: {total: [[x, y]]}
  output: total
""",
        ("modules", "total", "MergeSum"),
        "node `total` calling `MergeSum` fails on symbolic sizes: RuntimeError: stack expects"
        " each tensor to be equal size, but got torch.Size([4, a]) at entry 0",
    ),
]


@pytest.mark.parametrize("text, path, message", NO_EXPRESSION)
def test_a_size_without_an_expression_stops_with_the_module_and_the_param(text, path, message):
    with pytest.raises(SymbolicError) as info:
        probe(yaml.safe_load(text))
    assert (info.value.path, info.value.message) == (path, message)


def test_the_probe_leaves_torch_as_it_was():
    """The probe-only patches are undone: a real Linear still initialises its weights."""
    probe(yaml.safe_load(MLP))
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 3)
    assert layer.weight.abs().sum() > 0
    assert isinstance(torch.nn.LazyLinear(3).weight, torch.nn.parameter.UninitializedParameter)
    with pytest.raises(TypeError):
        torch.nn.LayerNorm(torch.tensor(3))  # numbers.Integral is torch's own check again


@pytest.mark.parametrize("name, hints", [("mlp", {"hidden": 3}), ("conv", {"width": 1})])
def test_the_expressions_do_not_depend_on_the_hints(probed, name, hints):
    """Each symbol carries its value as a hint; another hint gives the same expressions."""
    again = probe(yaml.safe_load(CASES[name][0]), hints)
    assert again.layers == probed[name].layers
    assert again.shapes == probed[name].shapes


def test_the_covered_range_shows_where_torch_branched_on_a_value():
    spec = yaml.safe_load("""
params: {length: 16}
modules:
  conv: {LazyConv1d: {out_channels: 2, kernel_size: 5}}
graph:
  input: {x: {shape: [1, 3, "${length}"]}}
  modules: {conv: [x]}
  output: conv
""")
    result = probe(spec)
    assert result.output == ("1", "2", "length - 4")
    assert result.ranges == {"length": (5, None)}


class Scale(torch.nn.Module):
    """A user's module, known to the probe through ``classes``."""

    def __init__(self, dim: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(dim))
        self.reset_parameters()

    def reset_parameters(self):  # a float from a size: quiet while probing, like torch's own
        bound = 1 / math.sqrt(self.weight.shape[0])
        torch.nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x):
        return x * self.weight


def test_custom_classes_take_symbolic_arguments():
    spec = yaml.safe_load("""
params: {hidden: 12}
modules:
  body:
    Sequential:
      - LazyLinear: {out_features: "${hidden * 2}"}
      - Scale: {dim: "${hidden * 2}"}
      - LazyLinear: {out_features: 3}
graph:
  input: {x: {shape: [4, 5]}}
  modules: {body: [x]}
  output: body
""")
    with pytest.raises(SymbolicError, match="the symbolic probe doesn't know class `Scale`"):
        probe(spec)
    result = probe(spec, classes={"Scale": Scale})
    assert result.layers[("body", 2)].sizes == {"in_features": "hidden * 2"}
