"""emit.py on its own (no generated code runs): the Code it returns maps every node to its
variable and statement line, and every module and Sequential layer to its lines in __init__;
what it leaves out (torch's defaults) and writes as operators (exact merges)."""

from __future__ import annotations

import functools

import pytest
import torch

from torcharc_codegen.api import load_model
from torcharc_codegen.codegen.emit import Header, emit
from torcharc_codegen.spec.helpers import HELPERS, OPERATOR_LIMITS


def code_of(modules: dict, nodes: dict, inputs, output, **kwargs):
    spec = {"modules": modules, "graph": {"input": inputs, "modules": nodes, "output": output}}
    _, model = load_model(spec)
    return emit(model, "Model", Header(), **kwargs)


LINEAR = {"Linear": {"in_features": 4, "out_features": 4}}
LONG = {"Linear": {"in_features": 4, "out_features": 4, "bias": False, "device": None}}
STEREO = dict(
    modules={
        "conv": {"Sequential": [LINEAR, {"ReLU": None}, LONG, {"Get": {"key": 0}}]},
        "merge": {"MergeConcat": {"dim": 1}},
        "film": {"MergeFiLM": {"feature_dim": 8, "conditioner_dim": 4}},
    },
    nodes={
        "conv~left": ["left"],
        "conv~right": ["right"],
        "merge": [["conv~left", "conv~right"]],
        "film": ["merge", "left"],
    },
    inputs=["left", "right"],
    output="film",
)


@pytest.mark.parametrize("big", [False, True])
def test_every_node_maps_to_its_variable_and_statement_line(big):
    code = code_of(**STEREO, big=big)
    lines = code.text.split("\n")
    assert code.variables == {
        "left": "left",
        "right": "right",
        "conv~left": "conv_left",
        "conv~right": "conv_right",
        "merge": "merge",
        "film": "film",
    }
    assert [s.node for s in code.statements] == ["conv~left", "conv~right", "merge", "film"]
    for s in code.statements:
        first, last = code.forward_lines[s.node]
        assert lines[first - 1].strip().startswith(f"{s.var} = ")
        assert "".join(lines[first - 1 : last]).replace(" ", "") == s.source.replace(" ", "")
    merge = code.statements[2]
    assert merge.expr == "torch.cat([conv_left, conv_right], dim=1)"
    assert merge.uses == ("conv_left", "conv_right")


@pytest.mark.parametrize("big", [False, True])
def test_every_module_and_layer_maps_to_its_init_lines(big):
    code = code_of(**STEREO, big=big)
    lines = code.text.split("\n")

    def text(key):
        first, last = code.init_lines[key]
        return "\n".join(lines[first - 1 : last]).strip()

    assert text(("conv", None)).startswith("self.conv = nn.Sequential(")
    assert text(("conv", 0)) == "nn.Linear(in_features=4, out_features=4),"
    assert text(("conv", 1)) == "nn.ReLU(),"
    assert text(("conv", 2)).startswith("nn.Linear(") and "bias=False" in text(("conv", 2))
    assert text(("conv", 3)) == "_Get(),"
    assert text(("film", None)) == "self.film = _MergeFiLM(feature_dim=8, conditioner_dim=4)"
    assert ("merge", None) not in code.init_lines  # written inline in forward
    assert code.init_target(code.init_lines[("conv", 2)][0]) == ("conv", 2)
    assert code.init_target(code.init_lines[("film", None)][0]) == ("film", None)


def test_a_helper_is_inline_as_a_node_and_a_class_in_a_sequential_or_when_stateful():
    code = code_of(**STEREO)
    assert "class _Get(nn.Module)" in code.text  # inside a Sequential, named privately:
    assert "class _MergeFiLM(nn.Module)" in code.text  # the model is the one public class
    assert "class MergeConcat" not in code.text  # a node: torch code in forward
    stateful = ["IndexSelect", "StochasticDepth", "MergeFiLM"]
    assert [h for h, d in HELPERS.items() if not d.inline] == stateful


def test_return_annotation_comes_from_the_helpers_definition():
    chunk = code_of({"fork": {"ForkChunk": {"chunks": 2}}}, {"fork": ["x"]}, "x", "fork")
    assert "def forward(self, x: torch.Tensor) -> list[torch.Tensor]:" in chunk.text
    get = code_of({"get": {"Get": {"key": 0}}}, {"get": ["x"]}, "x", "get")
    assert "def forward(self, x: torch.Tensor):" in get.text


def test_generated_variables_and_classes_share_one_naming_scheme():
    code = code_of(
        {
            "conv": LINEAR,
            "conv_left": LINEAR,
            "seq": {"Sequential": [{"Get": {"key": 0}}]},
            "seq2": {"Sequential": [{"Get": {"key": 1}}]},
        },
        {"conv_left": ["x"], "conv~left": ["x"], "seq": ["x"], "seq2": ["x"]},
        "x",
        ["conv~left", "seq", "seq2"],
    )
    assert code.variables["conv~left"] == "conv_left_2"
    assert "class _Get(nn.Module)" in code.text and "class _Get_2(nn.Module)" in code.text


def test_an_empty_sequential_is_an_identity():
    code = code_of({"skip": {"Sequential": []}}, {"skip": ["x"]}, "x", "skip")
    assert "self.skip = nn.Sequential()" in code.text
    assert "def forward(self, x: torch.Tensor) -> torch.Tensor:" in code.text
    first, _ = code.init_lines[("skip", None)]
    assert code.text.split("\n")[first - 1].strip() == "self.skip = nn.Sequential()"


def reduce_code(**kwargs) -> str:
    spec = {"Reduce": {"name": "amax", "dim": 1, **kwargs}}
    return code_of({"pool": spec}, {"pool": ["x"]}, "x", "pool").text


def test_an_argument_the_spec_leaves_out_is_left_out_where_torch_has_the_same_default():
    assert "pool = torch.amax(x, dim=1)\n" in reduce_code()  # Reduce's keepdim=False is amax's
    assert "pool = torch.amax(x, dim=1, keepdim=False)\n" in reduce_code(keepdim=False)
    assert "pool = torch.amax(x, dim=1, keepdim=True)\n" in reduce_code(keepdim=True)


def test_torcharcs_defaults_that_are_not_torchs_are_written():
    merge = code_of({"merge": {"MergeConcat": None}}, {"merge": [["x", "y"]]}, ["x", "y"], "merge")
    assert "merge = torch.cat([x, y], dim=1)" in merge.text  # torch.cat's dim is 0
    chunk = code_of({"fork": {"ForkChunk": None}}, {"fork": ["x"]}, "x", "fork")
    assert "fork = torch.chunk(x, chunks=2, dim=1)" in chunk.text
    split = code_of(
        {"fork": {"ForkSplit": {"split_size_or_sections": 2, "dim": 0}}},
        {"fork": ["x"]},
        "x",
        "fork",
    )
    assert "fork = torch.split(x, 2, dim=0)" in split.text  # written in the spec: kept


def test_a_tuple_output_is_returned_without_parentheses():
    code = code_of({"a": LINEAR, "b": LINEAR}, {"a": ["x"], "b": ["x"]}, "x", ["a", "b"])
    assert code.text.endswith("        return a, b\n") and code.output == "a, b"
    one = code_of({"a": LINEAR}, {"a": ["x"]}, "x", ["a"])
    assert one.text.endswith("        return (a,)\n")


@pytest.mark.parametrize("dtype", sorted(OPERATOR_LIMITS))
@pytest.mark.parametrize("reduce, operator", [("sum", "__add__"), ("prod", "__mul__")])
def test_the_operator_limits_give_the_stacks_bits(dtype, reduce, operator):
    gen = torch.Generator().manual_seed(0)
    for count in range(2, OPERATOR_LIMITS[dtype] + 1):
        for shape in [(4, 6), (3, 17), (2, 3, 5, 7), (8, 1024)]:
            for dim in range(-len(shape) - 1, len(shape) + 1):
                scale = 10.0 ** torch.randint(-3, 4, (count, 1), generator=gen)
                ts = [
                    (torch.randn(shape, generator=gen) * s).to(getattr(torch, dtype)) for s in scale
                ]
                want = getattr(torch, reduce)(torch.stack(ts, dim=dim), dim=dim)
                got = functools.reduce(lambda a, b: getattr(a, operator)(b), ts)
                assert got.dtype == want.dtype and torch.equal(got, want), (count, shape, dim)


def test_past_the_limits_the_operator_differs_and_negative_zero_keeps_its_sign():
    gen = torch.Generator().manual_seed(0)
    for dtype in ("float16", "bfloat16"):
        ts = [torch.randn(1000, generator=gen).to(getattr(torch, dtype)) for _ in range(3)]
        assert not torch.equal(ts[0] + ts[1] + ts[2], torch.sum(torch.stack(ts), dim=0)), dtype
    zero = torch.tensor([-0.0])
    summed = torch.sum(torch.stack([zero, zero]), dim=0)
    assert torch.equal(zero + zero, summed)  # equal values ...
    assert torch.signbit(zero + zero) and not torch.signbit(summed)  # ... of different sign
