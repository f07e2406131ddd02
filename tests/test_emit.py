"""emit.py on its own (no torch run): the Code it returns maps every node to its variable and
statement line, and every module and Sequential layer to its lines in __init__."""

from __future__ import annotations

import pytest

from torcharc_codegen.api import load_model
from torcharc_codegen.emit import Header, emit
from torcharc_codegen.helpers import HELPERS


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
    assert text(("conv", 3)) == "Get(),"
    assert text(("film", None)) == "self.film = MergeFiLM(feature_dim=8, conditioner_dim=4)"
    assert ("merge", None) not in code.init_lines  # written inline in forward
    assert code.init_target(code.init_lines[("conv", 2)][0]) == ("conv", 2)
    assert code.init_target(code.init_lines[("film", None)][0]) == ("film", None)


def test_a_helper_is_inline_as_a_node_and_a_class_in_a_sequential_or_when_stateful():
    code = code_of(**STEREO)
    assert "class Get(nn.Module)" in code.text  # inside a Sequential
    assert "class MergeFiLM(nn.Module)" in code.text  # stateful
    assert "class MergeConcat" not in code.text  # a node: torch code in forward
    assert [h for h, d in HELPERS.items() if not d.inline] == ["IndexSelect", "MergeFiLM"]


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
    assert "class Get(nn.Module)" in code.text and "class Get_2(nn.Module)" in code.text


def test_an_empty_sequential_is_an_identity():
    code = code_of({"skip": {"Sequential": []}}, {"skip": ["x"]}, "x", "skip")
    assert "self.skip = nn.Sequential()" in code.text
    assert "def forward(self, x: torch.Tensor) -> torch.Tensor:" in code.text
    first, _ = code.init_lines[("skip", None)]
    assert code.text.split("\n")[first - 1].strip() == "self.skip = nn.Sequential()"
