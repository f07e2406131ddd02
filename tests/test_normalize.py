"""normalize.py on its own: a validated spec becomes the plain Model the later stages read:
compact expanded to the Sequential TorchArc builds, the input as a list of names (with the
example inputs), every class resolved, every node a call of one module with its args/kwargs."""

from __future__ import annotations

import textwrap

from torcharc_codegen.spec.literals import Expression
from torcharc_codegen.spec.load import load
from torcharc_codegen.spec.model import Example
from torcharc_codegen.spec.normalize import normalize, read_inputs
from torcharc_codegen.spec.validate import validate


def normalized(text: str):
    source = load(textwrap.dedent(text))
    checked = validate(source)
    return normalize(checked.source, checked)


def layers(module) -> list[tuple[str, dict]]:
    return [(layer.cls.name, layer.kwargs) for layer in module.layers]


COMPACT = """\
    modules:
      conv:
        compact:
          prelayer:
            - LazyBatchNorm2d:
          layer:
            type: LazyConv2d
            keys: [out_channels, kernel_size]
            args: [[16, 2], [32, 3]]
          postlayer:
            - ReLU:
            - Dropout:
                p: 0.1
    graph:
      input: image
      modules:
        conv: [image]
      output: conv
    """


def test_compact_is_the_sequential_torcharc_expands_it_to():
    model = normalized(COMPACT)
    conv = model.modules["conv"]
    assert conv.sequential
    assert layers(conv) == [
        ("LazyBatchNorm2d", {}),
        ("LazyConv2d", {"out_channels": 16, "kernel_size": 2}),
        ("ReLU", {}),
        ("Dropout", {"p": 0.1}),
        ("LazyBatchNorm2d", {}),
        ("LazyConv2d", {"out_channels": 32, "kernel_size": 3}),
        ("ReLU", {}),
        ("Dropout", {"p": 0.1}),
    ]


def test_a_compact_row_is_located_at_its_row_in_the_spec():
    conv = normalized(COMPACT).modules["conv"]
    assert conv.layers[1].path == ("modules", "conv", "compact", "layer", "args", 0)
    assert conv.layers[5].path == ("modules", "conv", "compact", "layer", "args", 1)
    assert conv.layers[3].path == ("modules", "conv", "compact", "postlayer", 1, "Dropout")


def test_a_compact_row_of_one_value_is_that_value_for_the_one_key():
    model = normalized("""\
        modules:
          mlp:
            compact:
              layer:
                type: LazyLinear
                keys: [out_features]
                args: [64, 10]
        graph:
          input: x
          modules:
            mlp: [x]
          output: mlp
        """)
    assert layers(model.modules["mlp"]) == [
        ("LazyLinear", {"out_features": 64}),
        ("LazyLinear", {"out_features": 10}),
    ]


def test_every_input_form_is_a_list_of_names():
    assert read_inputs("x") == (("x",), None)
    assert read_inputs(["left", "right"]) == (("left", "right"), None)
    names, examples = read_inputs(
        {"x": {"shape": [4, 8]}, "ids": {"shape": [4], "dtype": "int64", "low": 0, "high": 9}}
    )
    assert names == ("x", "ids")
    assert examples == {
        "x": Example((4, 8), "float32"),
        "ids": Example((4,), "int64", low=0, high=9),
    }


STEREO = """\
    modules:
      conv:
        Linear: {in_features: 4, out_features: 4}
      merge:
        MergeConcat: {dim: 1}
      attn:
        MultiheadAttention: {embed_dim: 8, num_heads: 2, batch_first: true}
      unused:
        ReLU:
    graph:
      input:
        left: {shape: [2, 4]}
        right: {shape: [2, 4]}
      modules:
        merge: [[conv~left, conv~right]]
        conv~left: [left]
        conv~right: [right]
        attn: {query: merge, key: merge, value: merge}
      output: [attn, merge]
    """


def test_a_node_is_one_module_called_with_args_or_kwargs_in_forward_order():
    model = normalized(STEREO)
    calls = [(n.name, n.module, n.args, n.kwargs) for n in model.nodes]
    assert calls == [
        ("conv~left", "conv", ("left",), ()),
        ("conv~right", "conv", ("right",), ()),
        ("merge", "merge", (("conv~left", "conv~right"),), ()),
        ("attn", "attn", (), (("query", "merge"), ("key", "merge"), ("value", "merge"))),
    ]
    assert model.inputs == ("left", "right")
    assert model.outputs() == ("tuple", [(0, "attn"), (1, "merge")])


def test_classes_are_resolved_and_only_called_modules_are_kept():
    model = normalized(STEREO)
    assert list(model.modules) == ["conv", "merge", "attn"]  # `unused`: no node calls it
    (warning,) = model.warnings  # validation's, kept for the CLI to show
    assert warning.message.startswith("module 'unused' is not called by any node")
    conv, merge, attn = (model.modules[n].layers[0].cls for n in ("conv", "merge", "attn"))
    assert (conv.kind, conv.name) == ("torch", "Linear")
    assert (merge.kind, merge.name) == ("helper", "MergeConcat")
    assert model.modules["merge"].inline_helper is not None  # torch code in forward
    assert model.modules["conv"].inline_helper is None
    assert model.modules["attn"].layers[0].kwargs == {
        "embed_dim": 8,
        "num_heads": 2,
        "batch_first": True,
    }


def test_a_parameter_stands_in_the_model_as_an_expression_of_it():
    model = normalized("""\
        params:
          hidden: 16
        modules:
          body:
            Sequential:
              - LazyLinear:
                  out_features: ${hidden * 2}
              - ReLU:
        graph:
          input: x
          modules:
            body: [x]
          output: body
        """)
    (width,) = model.modules["body"].layers[0].kwargs.values()
    assert width == Expression(32, "hidden * 2")
    assert list(model.params) == ["hidden"]
