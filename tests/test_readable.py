"""The generated code reads as a person would write it: a tuple read through Get is unpacked,
a Sequential layer carries its output shape where it changes it, a sum of a few tensors of one
shape and float dtype is written `a + b`, and a shape comment never makes black split a
statement that fits on its line."""

from __future__ import annotations

from pathlib import Path

import black
import pytest
import torch

from support import build_generated
from torcharc_codegen.api import compile_spec, load_model
from torcharc_codegen.check.shapes import probe
from torcharc_codegen.codegen.emit import Header, draft, emit, format_big, format_source

ROOT = Path(__file__).resolve().parents[1]


def rnn_spec(rnn: dict, gets: dict, output) -> dict:
    modules = {"rnn": rnn, **{name: {"Get": {"key": key}} for name, (key, _) in gets.items()}}
    nodes = {"rnn": ["seq"], **{name: [source] for name, (_, source) in gets.items()}}
    return {
        "modules": modules,
        "graph": {"input": {"seq": {"shape": [4, 5, 3]}}, "modules": nodes, "output": output},
    }


LSTM = {"LSTM": {"input_size": 3, "hidden_size": 6, "batch_first": True}}


def test_a_tuple_read_only_through_get_is_unpacked_and_scripts_to_the_same_outputs():
    spec = rnn_spec(
        LSTM,
        {"output": (0, "rnn"), "state": (1, "rnn"), "h_n": (0, "state"), "c_n": (1, "state")},
        ["output", "h_n", "c_n"],
    )
    model, text = build_generated(spec)
    assert "        output, (h_n, c_n) = self.rnn(seq)  #" in text
    assert "state" not in text.split("def forward")[1]
    seq = torch.randn(4, 5, 3)
    want_output, (want_h, want_c) = model.rnn(seq)
    for run in (model, torch.jit.script(model)):
        got = run(seq)
        assert all(torch.equal(a, b) for a, b in zip(got, (want_output, want_h, want_c)))


def test_an_unread_item_is_an_underscore():
    spec = rnn_spec(LSTM, {"output": (0, "rnn")}, "output")
    _, text = build_generated(spec)
    assert "        output, _ = self.rnn(seq)  # ((B, 5, 6), ((1, B, 6), (1, B, 6)))" in text


@pytest.mark.parametrize(
    "gets, output, why",
    [
        ({"output": (0, "rnn")}, ["rnn", "output"], "the tuple itself is an output"),
        ({"a": (0, "rnn"), "b": (0, "rnn")}, ["a", "b"], "two nodes read the same item"),
        ({"last": (-1, "rnn")}, "last", None),
    ],
)
def test_a_tuple_is_unpacked_only_when_every_reader_takes_its_own_item(gets, output, why):
    _, text = build_generated(rnn_spec(LSTM, gets, output))
    unpacked = "_, last = self.rnn(seq)" in text or "output, _ = self.rnn(seq)" in text
    if why is None:  # a negative key counts from the end
        assert "        _, last = self.rnn(seq)" in text
    else:
        assert "        rnn = self.rnn(seq)" in text and not unpacked, why


def test_underscore_keeps_one_type_in_forward_so_torchscript_takes_it():
    spec = {
        "modules": {
            "gru": {"GRU": {"input_size": 3, "hidden_size": 3, "batch_first": True}},
            "gru_out": {"Get": {"key": 0}},
            "lstm": LSTM,
            "lstm_out": {"Get": {"key": 0}},
        },
        "graph": {
            "input": {"seq": {"shape": [4, 5, 3]}},
            "modules": {
                "gru": ["seq"],
                "gru_out": ["gru"],
                "lstm": ["gru_out"],
                "lstm_out": ["lstm"],
            },
            "output": "lstm_out",
        },
    }
    model, text = build_generated(spec)
    assert "        gru_out, _ = self.gru(seq)" in text  # `_` is a Tensor here,
    assert "        lstm = self.lstm(gru_out)" in text  # so not a tuple of two here
    seq = torch.randn(4, 5, 3)
    assert torch.equal(torch.jit.script(model)(seq), model(seq))


def test_a_sequential_layer_carries_its_output_shape_where_it_changes_the_shape():
    spec = {
        "modules": {
            "conv": {
                "Sequential": [
                    {"Conv2d": {"in_channels": 3, "out_channels": 32, "kernel_size": 3}},
                    {"ReLU": None},
                    {"Flatten": None},
                ]
            }
        },
        "graph": {
            "input": {"image": {"shape": [4, 3, 32, 32]}},
            "modules": {"conv": ["image"]},
            "output": "conv",
        },
    }
    result = compile_spec(spec, mode=black.Mode(line_length=100))
    conv = "nn.Conv2d(in_channels=3, out_channels=32, kernel_size=3),"
    assert (
        "        self.conv = nn.Sequential(\n"
        f"            {conv}  # -> (B, 32, 30, 30)\n"
        "            nn.ReLU(),\n"
        "            nn.Flatten(),  # -> (B, 28800)\n"
        "        )\n"
    ) in result.source
    lines = result.source.split("\n")
    for i in range(3):  # each layer still has its own line in the map
        first, last = result.code.init_lines[("conv", i)]
        assert (first, last) == (first, first) and ("# ->" in lines[first - 1]) == (i != 1)
    # at black's default 88 columns the first comment would not fit after its layer
    narrow = compile_spec(spec).source
    assert f"            # -> (B, 32, 30, 30)\n            {conv}\n" in narrow


def test_a_comment_that_would_not_fit_goes_above_and_black_splits_nothing():
    name = "projection_of_the_input"
    spec = {
        "modules": {name: {"Linear": {"in_features": 128, "out_features": 64}}},
        "graph": {
            "input": {"some_input_tensor": {"shape": [4, 128]}},
            "modules": {name: ["some_input_tensor"]},
            "output": name,
        },
    }
    text = compile_spec(spec).source  # black's default line length, 88
    statement = f"        {name} = self.{name}(some_input_tensor)"
    assert len(statement) <= 88 < len(statement + "  # (B, 64)")
    assert f"        # (B, 64)\n{statement}\n" in text


@pytest.mark.parametrize(
    "spec",
    [ROOT / "generated_examples" / p for p in ("get/get.yaml", "transformer/attn.yaml")]
    + [ROOT / "generated_examples" / "basic" / "stereo_conv_reuse.yaml"],
    ids=lambda p: p.stem,
)
def test_big_model_formatting_is_blacks_with_shape_comments(spec):
    _, model = load_model(spec)
    shapes = probe(emit(model, "Model", Header()), model)
    d = draft(model, "Model", Header(), shapes)
    assert format_big(d.parts) == format_source(d.text)
    big = emit(model, "Model", Header(), shapes, big=True)
    small = emit(model, "Model", Header(), shapes, big=False)
    assert big.text == small.text
    assert (big.forward_lines, big.init_lines) == (small.forward_lines, small.init_lines)


def test_no_underscore_target_when_a_node_is_named_underscore():
    spec = rnn_spec(LSTM, {"out": (0, "rnn")}, "out")
    spec["modules"]["_"] = {"ReLU": None}
    spec["graph"]["modules"] = {"_": ["seq"], "rnn": ["_"], "out": ["rnn"]}
    model, text = build_generated(spec)
    assert "        rnn = self.rnn(_)  #" in text and "        out = rnn[0]  #" in text


DTYPES = {None: torch.float32, "float32": torch.float32, "float64": torch.float64}
DTYPES |= {"float16": torch.float16, "bfloat16": torch.bfloat16}


def merge_spec(merge: str, count: int, shapes: list, dtype: str | None) -> dict:
    names = [f"x{i}" for i in range(count)]
    inputs = {n: {"shape": shape, "dtype": dtype} for n, shape in zip(names, shapes, strict=True)}
    if dtype == "int64":
        inputs = {n: {**example, "high": 9} for n, example in inputs.items()}
    if dtype is None:  # no example inputs: no shapes known
        inputs = names
    return {
        "modules": {"merge": {merge: {"dim": 0}}},
        "graph": {"input": inputs, "modules": {"merge": [names]}, "output": "merge"},
    }


@pytest.mark.parametrize(
    "merge, count, shapes, dtype, written",
    [
        ("MergeSum", 2, [[4, 6]] * 2, "float32", "merge = x0 + x1"),
        ("MergeSum", 4, [[4, 6]] * 4, "float32", "merge = x0 + x1 + x2 + x3"),
        ("MergeProd", 3, [[4, 6]] * 3, "float64", "merge = x0 * x1 * x2"),
        ("MergeSum", 2, [[4, 6]] * 2, "bfloat16", "merge = x0 + x1"),
        ("MergeSum", 5, [[4, 6]] * 5, "float32", None),  # too many to give the same bits
        ("MergeSum", 3, [[4, 6]] * 3, "float16", None),
        ("MergeSum", 2, [[4, 6]] * 2, "int64", None),  # an integer sum promotes
        ("MergeSum", 2, [[4, 6]] * 2, None, None),  # shapes unknown
    ],
)
def test_a_merge_is_an_operator_only_where_it_gives_the_stacks_bits(
    merge, count, shapes, dtype, written
):
    spec = merge_spec(merge, count, shapes, dtype)
    model, text = build_generated(spec)
    if written is None:
        assert "torch.stack(" in text
    else:
        assert f"        {written}  #" in text
    inputs = [
        torch.randint(-9, 9, shape) if dtype == "int64" else torch.randn(shape).to(DTYPES[dtype])
        for shape in shapes
    ]
    reduce = torch.sum if merge == "MergeSum" else torch.prod
    want = reduce(torch.stack(inputs, dim=0), dim=0)
    assert torch.equal(model(*inputs), want)
