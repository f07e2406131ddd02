"""Shape inference: with example inputs every Lazy module is written as its concrete class with
the inferred size, every forward line carries its shape, and the module needs no warm-up."""

from __future__ import annotations

import re
import sys
import warnings

import pytest
import torch
from torch import nn

from support import build_generated
from torcharc_codegen import SpecError, compile_spec, generate
from torcharc_codegen.cli import main

# Lazy class -> (its spec arguments, example input shape, the inferred argument)
LAZY = {
    "LazyLinear": ({"out_features": 3}, [2, 5], "in_features"),
    "LazyConv1d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 8], "in_channels"),
    "LazyConv2d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 6, 6], "in_channels"),
    "LazyConv3d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 4, 4, 4], "in_channels"),
    "LazyConvTranspose1d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 8], "in_channels"),
    "LazyConvTranspose2d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 6, 6], "in_channels"),
    "LazyConvTranspose3d": ({"out_channels": 3, "kernel_size": 2}, [2, 4, 4, 4, 4], "in_channels"),
    "LazyBatchNorm1d": ({}, [2, 4, 8], "num_features"),
    "LazyBatchNorm2d": ({}, [2, 4, 6, 6], "num_features"),
    "LazyBatchNorm3d": ({}, [2, 4, 4, 4, 4], "num_features"),
    "LazyInstanceNorm1d": ({"affine": True}, [2, 4, 8], "num_features"),
    "LazyInstanceNorm2d": ({"affine": True}, [2, 4, 6, 6], "num_features"),
    "LazyInstanceNorm3d": ({"affine": True}, [2, 4, 4, 4, 4], "num_features"),
}


def test_every_lazy_class_of_torch_nn_is_covered():
    assert sorted(LAZY) == sorted(n for n in dir(nn) if n.startswith("Lazy"))


def lazy_spec(cls: str, where: str = "plain") -> dict:
    args, shape, _ = LAZY[cls]
    layer = {cls: dict(args) or None}
    if where == "plain":
        module = layer
    elif where == "sequential":
        module = {"Sequential": [{"Identity": None}, layer]}
    else:
        keys = list(args) or ["eps"]
        row = list(args.values()) or [1e-5]
        module = {
            "compact": {
                "layer": {"type": cls, "keys": keys, "args": [row]},
                "postlayer": [{"Identity": None}],
            }
        }
    return {
        "modules": {"m": module},
        "graph": {"input": {"x": {"shape": shape}}, "modules": {"m": ["x"]}, "output": "m"},
    }


@pytest.mark.parametrize("cls", sorted(LAZY))
@pytest.mark.parametrize("where", ["plain", "sequential", "compact"])
def test_lazy_module_becomes_concrete_and_takes_a_lazy_checkpoint(cls, where):
    args, shape, inferred = LAZY[cls]
    model, text = build_generated(lazy_spec(cls, where))
    concrete = cls.removeprefix("Lazy")
    assert "Lazy" not in text
    assert f"nn.{concrete}({inferred}={shape[1]}" in "".join(text.split()), text
    assert not any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters())
    # The same layer built lazily by torch and run once: its checkpoint loads strictly.
    reference = getattr(nn, cls)(**args)
    x = torch.randn(*shape)
    if where == "plain":
        reference(x)
        state = reference.state_dict()
        prefix = "m."
    else:
        reference = (
            nn.Sequential(nn.Identity(), reference)
            if where == "sequential"
            else nn.Sequential(reference, nn.Identity())
        )
        reference(x)
        state = reference.state_dict()
        prefix = "m."
    model.load_state_dict({prefix + k: v for k, v in state.items()}, strict=True)
    model.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = torch.jit.script(model)  # no warm-up forward needed
    torch.testing.assert_close(scripted(x), model(x))


def test_reuse_of_a_lazy_module_is_inferred_once():
    spec = {
        "modules": {"enc": {"LazyLinear": {"out_features": 2}}, "cat": {"MergeConcat": None}},
        "graph": {
            "input": {"a": {"shape": [3, 5]}, "b": {"shape": [3, 5]}},
            "modules": {"enc~a": ["a"], "enc~b": ["b"], "cat": [["enc~a", "enc~b"]]},
            "output": "cat",
        },
    }
    model, text = build_generated(spec)
    assert "self.enc = nn.Linear(in_features=5, out_features=2)" in text
    assert "enc_a = self.enc(a)  # (B, 2)" in text
    assert "cat = torch.cat([enc_a, enc_b], dim=1)  # (B, 4)" in text


def test_forward_lines_carry_shapes_and_docstring_lists_inputs_outputs_params():
    spec = {
        "modules": {
            "proj": {"LazyLinear": {"out_features": 6}},
            "split": {"ForkChunk": {"chunks": 2}},
            "emb": {"Embedding": {"num_embeddings": 10, "embedding_dim": 6}},
        },
        "graph": {
            "input": {
                "x": {"shape": [4, 8]},
                "tokens": {"shape": [4], "dtype": "int64", "high": 10},
            },
            "modules": {"proj": ["x"], "split": ["proj"], "emb": ["tokens"]},
            "output": {"halves": "split", "emb": "emb"},
        },
    }
    _, text = build_generated(spec)
    assert "proj = self.proj(x)  # (B, 6)" in text
    assert "split = torch.chunk(proj, chunks=2, dim=1)  # ((B, 3), (B, 3))" in text
    assert "emb = self.emb(tokens)  # (B, 6)" in text
    assert "x: (B, 8)" in text and "tokens: (B,) int64" in text
    assert "(shapes from the example inputs in the spec; B: the batch size, 4 in them)" in text
    params = 8 * 6 + 6 + 10 * 6
    assert f"Parameters: {params:,}" in text


def test_shapes_show_the_batch_as_b_only_where_it_is_dynamic():
    spec = {
        "modules": {
            "turn": {"TorchFn": {"name": "transpose", "dim0": 0, "dim1": 1}},
            "flat": {"TorchFn": {"name": "reshape", "shape": [-1]}},
        },
        "graph": {
            "input": {"x": {"shape": [4, 8]}},
            "modules": {"turn": ["x"], "flat": ["turn"]},
            "output": "flat",
        },
    }
    result = compile_spec(spec)
    assert result.report.dynamic_batch
    assert "turn = torch.transpose(x, dim0=0, dim1=1)  # (8, B)" in result.source
    assert "flat = torch.reshape(turn, shape=[-1])  # (32,)" in result.source  # not the batch
    assert "x: (B, 8)" in result.source


@pytest.mark.parametrize(
    "spec, line, why",
    [
        (
            {
                "modules": {"flat": {"TorchFn": {"name": "reshape", "shape": [4, 8]}}},
                "graph": {
                    "input": {"x": {"shape": [4, 8]}},
                    "modules": {"flat": ["x"]},
                    "output": "flat",
                },
            },
            "flat = torch.reshape(x, shape=[4, 8])  # (4, 8)",
            "the model pins the batch size: one more row fails at once",
        ),
        (
            {
                "modules": {"flat": {"TorchFn": {"name": "reshape", "shape": [1, 8]}}},
                "graph": {
                    "input": {"x": {"shape": [1, 8]}},
                    "modules": {"flat": ["x"]},
                    "output": "flat",
                },
            },
            "flat = torch.reshape(x, shape=[1, 8])  # (1, 8)",
            "a batch of one is not told apart from a size of one",
        ),
        (
            {
                "modules": {
                    "rnn": {"GRU": {"input_size": 3, "hidden_size": 5}},
                    "out": {"Get": {"key": 0}},
                },
                "graph": {
                    "input": {"seq": {"shape": [7, 4, 3]}},
                    "modules": {"rnn": ["seq"], "out": ["rnn"]},
                    "output": "out",
                },
            },
            "out, _ = self.rnn(seq)  # ((7, 4, 5), (1, 4, 5))",
            "eager takes one more step of the sequence, but export pins its length",
        ),
    ],
)
def test_shapes_show_the_batch_as_a_number_when_export_keeps_it_static(spec, line, why):
    result = compile_spec(spec)
    assert not result.report.dynamic_batch, why
    assert line in result.source
    assert not re.search(r"[(, ]B[,)]", result.source), why


def test_without_examples_generation_works_and_says_sizes_were_not_inferred(tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "modules: {m: {LazyLinear: {out_features: 2}}}\n"
        "graph: {input: x, modules: {m: [x]}, output: m}\n"
    )
    assert main([str(spec), "-o", str(tmp_path / "m.py")]) == 0
    err = capsys.readouterr().err
    assert "sizes were not inferred" in err and "x: {shape: [4, 128]}" in err
    assert "script: skipped (Lazy modules are uninitialized" in err
    assert "trace: skipped (no example inputs" in err
    assert "nn.LazyLinear(out_features=2)" in (tmp_path / "m.py").read_text()


def test_input_the_model_cannot_take_names_the_node_and_shapes():
    spec = {
        "modules": {"conv": {"Conv2d": {"in_channels": 3, "out_channels": 4, "kernel_size": 3}}},
        "graph": {
            "input": {"image": {"shape": [2, 1, 8, 8]}},
            "modules": {"conv": ["image"]},
            "output": "conv",
        },
    }
    with pytest.raises(SpecError) as err:
        generate(spec)
    (line,) = err.value.lines()
    assert line.startswith("graph.modules.conv: the example inputs fail at node 'conv'")
    assert "image: (2, 1, 8, 8)" in line


def test_first_layer_of_a_sequential_names_the_input_it_got():
    spec = {
        "modules": {"mlp": {"Sequential": [{"Linear": {"in_features": 3, "out_features": 2}}]}},
        "graph": {"input": {"x": {"shape": [2, 5]}}, "modules": {"mlp": ["x"]}, "output": "mlp"},
    }
    with pytest.raises(SpecError) as err:
        generate(spec)
    assert err.value.lines() == [
        "modules.mlp.Sequential[0].Linear: expects 3 input features, got (2, 5) from x"
    ]


def test_export_line_names_the_node_that_pins_the_batch_size():
    spec = {
        "modules": {"flat": {"TorchFn": {"name": "reshape", "shape": [4, 8]}}},
        "graph": {"input": {"x": {"shape": [4, 8]}}, "modules": {"flat": ["x"]}, "output": "flat"},
    }
    report = compile_spec(spec).report
    assert report.checks[-1].line() == (
        "export: ok (static batch: node 'flat' pins the batch size (RuntimeError: shape '[4, 8]'"
        " is invalid for input of size 40 (it got x: (5, 8))))"
    )


def test_summary_table(tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "modules:\n  enc: {LazyLinear: {out_features: 3}}\n  cat: {MergeConcat: }\n"
        "  head: {Sequential: [{Linear: {in_features: 6, out_features: 2}}, {ReLU: }]}\n"
        "graph:\n  input: {a: {shape: [2, 4]}, b: {shape: [2, 4]}}\n"
        "  modules: {enc~a: [a], enc~b: [b], cat: [[enc~a, enc~b]], head: [cat]}\n"
        "  output: head\n"
    )
    assert main(["summary", str(spec)]) == 0
    out = capsys.readouterr().out.splitlines()
    # the shapes show the batch as B; the FLOPs are counted at the example batch of 2
    assert out[0].split() == [
        *("node", "/", "layer", "module", "output", "shape", "params", "FLOPs", "at", "B=2")
    ]
    # a Linear of 4 -> 3 on 2 rows: 2 * 4 * 3 multiply-adds, 2 FLOPs each
    assert out[2].split() == ["enc~a", "Linear", "(B,", "3)", "15", "48"]
    assert out[3].split() == ["enc~b", "Linear", "(B,", "3)", "(shared", "with", "enc)", "48"]
    assert out[4].split() == ["cat", "MergeConcat", "(inline)", "(B,", "6)", "0", "0"]
    assert out[5].split() == ["head", "Sequential(2)", "(B,", "2)", "14", "48"]
    assert out[6].split() == ["0", "Linear", "(B,", "2)", "14", "48"]
    assert out[7].split() == ["1", "ReLU", "(B,", "2)", "0", "0"]
    assert out[6].startswith("  0 "), "a layer is indented under its node"
    assert out[-6:] == [
        "-" * len(out[1]),
        "Inputs: a (B, 4), b (B, 4)",
        "Total params: 29",
        "Trainable params: 29",
        "Non-trainable params: 0",
        "Total FLOPs at B=2: 144 (torch.utils.flop_counter.FlopCounterMode: a multiply-add"
        " counts 2)",
    ]
    assert not list(tmp_path.glob("*.py")), "summary writes nothing"


def test_summary_splits_trainable_from_frozen_parameters(tmp_path, capsys):
    (tmp_path / "frozen.py").write_text(
        "import torch\n\n\nclass Frozen(torch.nn.Linear):\n"
        "    def __init__(self, in_features, out_features):\n"
        "        super().__init__(in_features, out_features)\n"
        "        self.bias.requires_grad_(False)\n"
    )
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "modules: {f: {frozen.Frozen: {in_features: 4, out_features: 3}}}\n"
        "graph: {input: {x: {shape: [2, 4]}}, modules: {f: [x]}, output: f}\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        assert main(["summary", str(spec), "--import", "frozen"]) == 0
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("frozen", None)
    out = capsys.readouterr().out.splitlines()
    assert out[-4:-1] == ["Total params: 15", "Trainable params: 12", "Non-trainable params: 3"]


def test_summary_without_examples_says_which_inputs_lack_shapes(tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "modules: {m: {ReLU: }}\ngraph: {input: [x, y], modules: {m: [x]}, " "output: m}\n"
    )
    assert main(["summary", str(spec)]) == 2
    assert "no example shapes for input(s) x, y" in capsys.readouterr().err
