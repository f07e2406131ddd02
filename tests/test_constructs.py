"""Each construct of the spec language, compared with torch code written here in the test."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from support import build_generated


def spec_of(modules: dict, nodes: dict, inputs, output) -> dict:
    return {"modules": modules, "graph": {"input": inputs, "modules": nodes, "output": output}}


x4 = torch.randn(4, 6)
y4 = torch.randn(4, 6)

# (name, module spec, node args, inputs given, reference written with torch directly)
HELPER_CASES = [
    ("Get", {"Get": {"key": 1}}, [["x", "y"]], (x4, y4), lambda x, y: y),
    ("Narrow", {"Narrow": {"dim": 1, "start": 2, "length": 3}}, ["x"], (x4,), lambda x: x[:, 2:5]),
    (
        "ForkChunk",
        {"ForkChunk": {"chunks": 3}},
        ["x"],
        (x4,),
        lambda x: (x[:, 0:2], x[:, 2:4], x[:, 4:6]),
    ),
    (
        "ForkSplit",
        {"ForkSplit": {"split_size_or_sections": [1, 5]}},
        ["x"],
        (x4,),
        lambda x: (x[:, :1], x[:, 1:]),
    ),
    (
        "MergeConcat",
        {"MergeConcat": {"dim": 0}},
        [["x", "y"]],
        (x4, y4),
        lambda x, y: torch.cat([x, y], 0),
    ),
    (
        "MergeStack",
        {"MergeStack": None},
        [["x", "y"]],
        (x4, y4),
        lambda x, y: torch.stack([x, y], 1),
    ),
    ("MergeSum", {"MergeSum": None}, [["x", "y"]], (x4, y4), lambda x, y: x + y),
    ("MergeProd", {"MergeProd": None}, [["x", "y"]], (x4, y4), lambda x, y: x * y),
    ("MergeMean", {"MergeMean": None}, [["x", "y"]], (x4, y4), lambda x, y: (x + y) / 2),
    ("MergeDot", {"MergeDot": None}, ["x", "y"], (x4, y4), lambda x, y: (x * y).sum(-1)),
    (
        "MergeBMM",
        {"MergeBMM": None},
        ["x", "y"],
        (x4.reshape(2, 2, 6), y4.reshape(2, 6, 2)),
        lambda x, y: torch.einsum("bij,bjk->bik", x, y),
    ),
    (
        "Reduce",
        {"Reduce": {"name": "amax", "dim": 1, "keepdim": True}},
        ["x"],
        (x4,),
        lambda x: x.max(dim=1, keepdim=True).values,
    ),
    (
        "TorchFn",
        {"TorchFn": {"name": "clamp", "min": -0.5, "max": 0.5}},
        ["x"],
        (x4,),
        lambda x: x.clamp(-0.5, 0.5),
    ),
]


@pytest.mark.parametrize("case", HELPER_CASES, ids=[c[0] for c in HELPER_CASES])
def test_stateless_helper_matches_torch(case):
    name, module_spec, args, inputs, reference = case
    names = ["x", "y"][: len(inputs)]
    model, text = build_generated(spec_of({"h": module_spec}, {"h": args}, names, "h"))
    assert f"class {name}" not in text, "a stateless helper is written inline, not as a class"
    got = model(*inputs)
    want = reference(*inputs)
    if isinstance(want, tuple):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w)
    else:
        torch.testing.assert_close(got, want)
    assert list(model.state_dict()) == []


def test_index_select_keeps_its_index_buffer():
    spec = spec_of(
        {"sel": {"IndexSelect": {"dim": 1, "index": [0, 2, 2]}}}, {"sel": ["x"]}, "x", "sel"
    )
    model, _ = build_generated(spec)
    assert list(model.state_dict()) == ["sel.index"]
    assert model.state_dict()["sel.index"].dtype == torch.long
    torch.testing.assert_close(model(x4), x4[:, [0, 2, 2]])


@pytest.mark.parametrize("feature_shape", [(4, 3), (4, 3, 5, 5)])
def test_film_scales_and_shifts_by_the_conditioner(feature_shape):
    spec = spec_of(
        {"film": {"MergeFiLM": {"feature_dim": 3, "conditioner_dim": 2}}},
        {"film": {"feature": "f", "conditioner": "c"}},
        ["f", "c"],
        "film",
    )
    model, _ = build_generated(spec)
    assert sorted(model.state_dict()) == [
        "film.beta.bias",
        "film.beta.weight",
        "film.gamma.bias",
        "film.gamma.weight",
    ]
    f, c = torch.randn(*feature_shape), torch.randn(4, 2)
    gamma = c @ model.film.gamma.weight.T + model.film.gamma.bias
    beta = c @ model.film.beta.weight.T + model.film.beta.bias
    extra = (1,) * (len(feature_shape) - 2)
    want = gamma.reshape(4, 3, *extra) * f + beta.reshape(4, 3, *extra)
    torch.testing.assert_close(model(f, c), want)


def test_stateless_helper_inside_sequential_keeps_indices():
    spec = spec_of(
        {
            "mlp": {
                "Sequential": [
                    {"Linear": {"in_features": 6, "out_features": 8}},
                    {"TorchFn": {"name": "topk", "k": 3}},
                ]
            }
        },
        {"mlp": ["x"]},
        "x",
        "mlp",
    )
    model, text = build_generated(spec)
    assert "class _TorchFnTopk(nn.Module)" in text
    assert list(model.state_dict()) == ["mlp.0.weight", "mlp.0.bias"]
    got = model(x4)
    want = torch.topk(x4 @ model.mlp[0].weight.T + model.mlp[0].bias, k=3)
    torch.testing.assert_close(got.values, want.values)


def test_plain_sequential_and_null_arguments():
    spec = spec_of(
        {
            "mlp": {
                "Sequential": [{"Linear": {"in_features": 6, "out_features": 3}}, {"ReLU": None}]
            },
            "act": {"Tanh": None},
        },
        {"mlp": ["x"], "act": ["mlp"]},
        "x",
        "act",
    )
    model, text = build_generated(spec)
    assert "nn.Tanh()" in text and "nn.ReLU()" in text
    lin = model.mlp[0]
    torch.testing.assert_close(model(x4), torch.tanh(torch.relu(x4 @ lin.weight.T + lin.bias)))


def test_compact_expands_to_one_flat_sequential():
    spec = spec_of(
        {
            "body": {
                "compact": {
                    "prelayer": [{"BatchNorm1d": {"num_features": 6}}],
                    "layer": {
                        "type": "Linear",
                        "keys": ["in_features", "out_features"],
                        "args": [[6, 6], [6, 6]],
                    },
                    "postlayer": [{"ReLU": None}, {"Dropout": {"p": 0.1}}],
                }
            }
        },
        {"body": ["x"]},
        "x",
        "body",
    )
    model, _ = build_generated(spec)
    kinds = [type(m).__name__ for m in model.body]
    assert kinds == ["BatchNorm1d", "Linear", "ReLU", "Dropout"] * 2
    model.eval()
    ref = x4
    for m in model.body:
        ref = m(ref)
    torch.testing.assert_close(model(x4), ref)


def test_compact_scalar_rows():
    spec = spec_of(
        {
            "mlp": {
                "compact": {
                    "layer": {"type": "LazyLinear", "keys": ["out_features"], "args": [8, 4]}
                }
            }
        },
        {"mlp": ["x"]},
        "x",
        "mlp",
    )
    model, _ = build_generated(spec)
    assert [m.out_features for m in model.mlp] == [8, 4]


def test_reuse_shares_weights_and_names_each_call():
    spec = spec_of(
        {"enc": {"Linear": {"in_features": 6, "out_features": 2}}, "head": {"MergeConcat": None}},
        {"enc~left": ["l"], "enc~right": ["r"], "head": [["enc~left", "enc~right"]]},
        ["l", "r"],
        "head",
    )
    model, text = build_generated(spec)
    assert "enc_left = self.enc(l)" in text and "enc_right = self.enc(r)" in text
    assert list(model.state_dict()) == ["enc.weight", "enc.bias"]
    w, b = model.enc.weight, model.enc.bias
    torch.testing.assert_close(model(x4, y4), torch.cat([x4 @ w.T + b, y4 @ w.T + b], 1))


def test_keyword_arguments_and_dict_output():
    spec = spec_of(
        {
            "attn": {"MultiheadAttention": {"embed_dim": 6, "num_heads": 2, "batch_first": True}},
            "first": {"Get": {"key": 0}},
        },
        {"attn": {"query": "q", "key": "k", "value": "k"}, "first": ["attn"]},
        ["q", "k"],
        {"out": "first", "query": "q"},
    )
    model, _ = build_generated(spec)
    q, k = torch.randn(2, 3, 6), torch.randn(2, 5, 6)
    got = model(q, k)
    assert list(got) == ["out", "query"]
    torch.testing.assert_close(got["out"], model.attn(q, k, k)[0])
    assert got["query"] is q


def test_list_output_is_a_tuple_and_inputs_pass_by_keyword():
    spec = spec_of(
        {"a": {"ReLU": None}, "b": {"Tanh": None}}, {"a": ["x"], "b": ["x"]}, "x", ["a", "b"]
    )
    model, _ = build_generated(spec)
    got = model(x=x4)
    assert isinstance(got, tuple)
    torch.testing.assert_close(got[0], torch.relu(x4))
    torch.testing.assert_close(got[1], torch.tanh(x4))


def test_nodes_in_any_order_run_in_dependency_order():
    spec = spec_of(
        {
            "a": {"Linear": {"in_features": 6, "out_features": 6}},
            "b": {"ReLU": None},
            "c": {"Tanh": None},
        },
        {"c": ["b"], "b": ["a"], "a": ["x"]},
        "x",
        "c",
    )
    model, text = build_generated(spec)
    forward = text[text.index("def forward") :]
    assert (
        forward.index("a = self.a(x)")
        < forward.index("b = self.b(a)")
        < forward.index("c = self.c(b)")
    )
    torch.testing.assert_close(model(x4), torch.tanh(torch.relu(model.a(x4))))


def test_unused_modules_are_left_out():
    spec = spec_of(
        {"a": {"ReLU": None}, "unused": {"Linear": {"in_features": 2, "out_features": 2}}},
        {"a": ["x"]},
        "x",
        "a",
    )
    model, text = build_generated(spec)
    assert "unused" not in text
    assert list(model.state_dict()) == []


def test_lazy_modules_without_examples_stay_lazy():
    spec = spec_of({"a": {"LazyLinear": {"out_features": 3}}}, {"a": ["x"]}, "x", "a")
    model, text = build_generated(spec)
    assert "nn.LazyLinear(out_features=3)" in text
    assert model(x4).shape == (4, 3)


def test_generated_class_is_an_nn_module():
    spec = spec_of({"a": {"ReLU": None}}, {"a": ["x"]}, "x", "a")
    model, _ = build_generated(spec, class_name="Tiny")
    assert isinstance(model, nn.Module) and type(model).__name__ == "Tiny"


def test_empty_output_list_returns_an_empty_tuple():
    spec = spec_of({"a": {"ReLU": None}}, {"a": ["x"]}, "x", [])
    model, _ = build_generated(spec)
    assert model(x4) == ()
