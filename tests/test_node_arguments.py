"""A graph node's keyword arguments beyond TorchArc's: a constant (a bool or a number) where
the module's forward takes one (``attn: {query: x, key: x, value: x, need_weights: false}``),
and more tensors for TorchFn's function (``{input: x, weight: weight, bias: bias}``), which
may be one of torch.nn.functional's (``name: nn.functional.linear``)."""

from __future__ import annotations

import pytest
import torch

from torcharc_codegen import generate
from torcharc_codegen.check.runtime import import_in_memory
from torcharc_codegen.errors import SpecError

ATTENTION = """\
modules:
  attn: {MultiheadAttention: {embed_dim: 8, num_heads: 2, batch_first: true}}
  out: {Get: {key: 0}}
graph:
  input: {x: {shape: [2, 5, 8]}}
  modules:
    attn: {query: x, key: x, value: x, need_weights: false}
    out: [attn]
  output: out
"""


def test_a_constant_keyword_is_passed_to_the_modules_forward():
    source = generate(ATTENTION, "Attention", verify=True)
    assert "self.attn(query=x, key=x, value=x, need_weights=False)" in source
    model = import_in_memory(source).Attention().eval()
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        expected, weights = model.attn(x, x, x, need_weights=False)
        assert weights is None and torch.equal(model(x), expected)


def test_a_constant_to_a_helper_is_refused_where_it_is_written():
    text = """\
modules:
  m: {Mul: }
graph:
  input: {x: {shape: [2, 3]}}
  modules:
    m: {input: x, other: 2.0}
  output: m
"""
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = e.value.lines()
    assert ":6:26:" in line and "`other: 2.0` is a constant, and a helper takes tensors" in line


def test_a_list_is_no_constant_a_node_takes():
    bad = ATTENTION.replace("need_weights: false", "need_weights: [1]")
    with pytest.raises(SpecError) as e:
        generate(bad, "Model")
    assert any(":7:" in line and "need_weights" in line for line in e.value.lines())


def test_resolve_says_a_constant_argument_is_an_extension():
    from torcharc_codegen.api import resolve

    with pytest.raises(SpecError) as e:
        resolve(ATTENTION)
    (line,) = e.value.lines()
    assert ":7:" in line and "a constant keyword argument is this project's extension" in line


LAYER_NORM = """\
modules:
  weight: {Parameter: {shape: [4], fill: 1.0}}
  bias: {Parameter: {shape: [4]}}
  norm: {TorchFn: {name: layer_norm, normalized_shape: [4], eps: 1.0e-06}}
graph:
  input: {x: {shape: [2, 3, 4]}}
  modules:
    weight: []
    bias: []
    norm: {input: x, weight: weight, bias: bias}
  output: norm
"""


def test_torch_fn_takes_more_tensors_by_keyword():
    source = generate(LAYER_NORM, "Norm", verify=True)
    call = "x, weight=weight, bias=bias, normalized_shape=[4], eps=1e-06"
    assert f"torch.layer_norm(\n            {call}\n        )" in source
    model = import_in_memory(source).Norm()
    with torch.no_grad():
        model.weight.uniform_()
        model.bias.uniform_()
        x = torch.randn(5, 3, 4)
        expected = torch.nn.functional.layer_norm(x, [4], model.weight, model.bias, 1e-6)
        assert torch.equal(model(x), expected)


def test_resolve_says_a_tensor_by_keyword_to_torch_fn_is_an_extension():
    from torcharc_codegen.api import resolve

    text = LAYER_NORM.replace("Parameter: {shape: [4], fill: 1.0}", "Identity: ")
    text = text.replace("bias: {Parameter: {shape: [4]}}", "bias: {Identity: }")
    text = text.replace("weight: []", "weight: [x]").replace("bias: []", "bias: [x]")
    with pytest.raises(SpecError) as e:
        resolve(text)
    (line,) = e.value.lines()
    assert ":10:22:" in line and "a tensor passed to TorchFn by the keyword weight" in line


LINEAR = """\
modules:
  weight: {Parameter: {shape: [6, 10]}}
  pad: {TorchFn: {name: nn.functional.pad, pad: [1, 1], value: 0.5}}
  linear: {TorchFn: {name: nn.functional.linear}}
graph:
  input: {x: {shape: [2, 8]}}
  modules:
    weight: []
    pad: [x]
    linear: {input: pad, weight: weight}
  output: linear
"""


def test_torch_fn_calls_a_function_torch_nn_functional_alone_has():
    source = generate(LINEAR, "Linear", verify=True)
    assert "torch.nn.functional.pad(x, pad=[1, 1], value=0.5)" in source
    assert "torch.nn.functional.linear(pad, weight=weight)" in source
    model = import_in_memory(source).Linear()
    x = torch.randn(3, 8)
    expected = torch.nn.functional.linear(
        torch.nn.functional.pad(x, (1, 1), value=0.5), model.weight
    )
    assert torch.equal(model(x), expected)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nn.functional.padd", "torch.nn.functional has no function 'padd' (did you mean 'pad'?)"),
        ("nn.functional.Optional", "torch.nn.functional has no function 'Optional'"),
        ("nn.pad", "torch has no function 'nn.pad'"),
    ],
)
def test_a_function_torch_nn_functional_lacks_is_refused_where_it_is_written(name, message):
    with pytest.raises(SpecError) as e:
        generate(LINEAR.replace("nn.functional.pad", name), "Linear")
    (line,) = e.value.lines()
    assert line.startswith("<string>:3:25: modules.pad.TorchFn.name: ") and message in line


def test_reduce_calls_torch_functions_only():
    text = LINEAR.replace(
        "{TorchFn: {name: nn.functional.pad, pad: [1, 1], value: 0.5}}",
        "{Reduce: {name: nn.functional.softmax, dim: 1}}",
    )
    with pytest.raises(SpecError) as e:
        generate(text, "Linear")
    (line,) = e.value.lines()
    assert (
        line
        == "<string>:3:24: modules.pad.Reduce.name: torch has no function 'nn.functional.softmax'"
    )


def test_resolve_says_torch_fn_of_torch_nn_functional_is_an_extension():
    from torcharc_codegen.api import resolve

    text = LINEAR.replace("  weight: {Parameter: {shape: [6, 10]}}\n", "").replace(
        "    weight: []\n", ""
    )
    text = text.replace("linear: {input: pad, weight: weight}", "linear: [pad]")
    with pytest.raises(SpecError) as e:
        resolve(text)
    (line,) = e.value.lines()
    assert (
        line.startswith("<string>:2:19:")
        and "TorchFn of nn.functional.<fn> is this project's" in line
    )


SUBSCRIPT = """\
modules:
  even: {Index: {key: "..., 0::2, 1:"}}
  last: {Index: {key: ":, -1, None"}}
graph:
  input: {x: {shape: [2, 4, 6, 8]}}
  modules:
    even: [x]
    last: [even]
  output: last
"""


def test_index_is_the_subscript_as_written():
    source = generate(SUBSCRIPT, "Sub", verify=True)
    assert "even = x[..., 0::2, 1:]" in source and "last = even[:, -1, None]" in source
    x = torch.randn(3, 4, 6, 8)
    assert torch.equal(import_in_memory(source).Sub()(x), x[..., 0::2, 1:][:, -1, None])


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("..., 0::2, x.y", "'x.y' in '..., 0::2, x.y': a subscript here holds integers"),
        ("0]; import os; x[0", "is not a subscript (write it as inside x[...])"),
        ("..., 1, ...", "has more than one ..."),
        ("1.5:", "'1.5' in '1.5:': a subscript here holds integers"),
    ],
)
def test_a_key_that_is_no_subscript_of_numbers_is_refused_where_it_is_written(key, message):
    with pytest.raises(SpecError) as e:
        generate(SUBSCRIPT.replace("..., 0::2, 1:", key), "Sub")
    (line,) = e.value.lines()
    assert line.startswith("<string>:2:23: modules.even.Index.key: ") and message in line


METHOD = """\
modules:
  single: {Method: {name: float}}
  like: {Method: {name: type_as}}
  tiled: {Method: {name: repeat, repeats: [1, 2]}}
graph:
  input: {x: {shape: [2, 3], dtype: float64}, y: {shape: [2, 3]}}
  modules:
    single: [x]
    like: {input: single, other: y}
    tiled: [like]
  output: tiled
"""


def test_method_calls_a_tensor_method_torch_has_no_function_of():
    source = generate(METHOD, "Methods", verify=True)
    assert "single = x.float()" in source and "like = single.type_as(other=y)" in source
    assert "tiled = like.repeat(repeats=[1, 2])" in source
    x, y = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3)
    assert torch.equal(import_in_memory(source).Methods()(x, y), x.float().type_as(y).repeat(1, 2))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("flaot", "not 'flaot' (did you mean 'float' or 'bfloat16'?)"),
        ("tolist", "not 'tolist'"),
        ("flatten", "torch.flatten is TorchFn's"),
    ],
)
def test_a_method_that_is_not_a_tensor_computation_torch_lacks_is_refused(name, message):
    with pytest.raises(SpecError) as e:
        generate(METHOD.replace("name: float", f"name: {name}"), "Methods")
    (line,) = e.value.lines()
    assert line.startswith("<string>:2:27: modules.single.Method.name: ") and message in line


DTYPE = """\
modules:
  wide: {Method: {name: to, dtype: float64}}
  total: {TorchFn: {name: sum, dim: -1, dtype: float32}}
graph:
  input: {x: {shape: [2, 3]}}
  modules:
    wide: [x]
    total: [wide]
  output: total
"""


def test_a_dtype_by_name_is_torchs_dtype():
    source = generate(DTYPE, "Sums", verify=True)
    assert "wide = x.to(dtype=torch.float64)" in source
    assert "torch.sum(wide, dim=-1, dtype=torch.float32)" in source
    x = torch.randn(4, 3)
    expected = torch.sum(x.to(torch.float64), dim=-1, dtype=torch.float32)
    assert torch.equal(import_in_memory(source).Sums()(x), expected)


def test_a_dtype_torch_lacks_is_refused_and_resolve_says_a_dtype_by_name_is_an_extension():
    from torcharc_codegen.api import resolve

    with pytest.raises(SpecError) as e:
        generate(DTYPE.replace("dtype: float32", "dtype: float31"), "Sums")
    (line,) = e.value.lines()
    assert line.startswith("<string>:3:48: modules.total.TorchFn.dtype: dtype 'float31' is none")
    assert "(did you mean 'float32'" in line
    with pytest.raises(SpecError) as e:
        resolve(
            DTYPE.replace("  wide: {Method: {name: to, dtype: float64}}\n", "  wide: {ReLU: }\n")
        )
    (line,) = e.value.lines()
    assert line.startswith("<string>:3:") and "a dtype by name is this project's extension" in line


BUFFERS = """\
modules:
  mean: {Buffer: {shape: [4]}}
  var: {Buffer: {shape: [4], fill: 1.0}}
  steps: {Buffer: {shape: [], fill: 0, dtype: int64, persistent: false}}
  norm: {TorchFn: {name: nn.functional.batch_norm}}
graph:
  input: {x: {shape: [2, 4]}}
  modules:
    mean: []
    var: []
    norm: {input: x, running_mean: mean, running_var: var}
  output: norm
keep: [steps]
"""


def test_a_buffer_is_registered_under_its_name_and_loads_from_a_state_dict():
    source = generate(BUFFERS, "Norm", verify=True)
    assert 'self.register_buffer("var", torch.full((4,), 1.0, dtype=torch.float32))' in source
    assert "persistent=False" in source and "self.steps.fill_(0)" in source
    model = import_in_memory(source).Norm()
    assert list(model.state_dict()) == ["mean", "var"] and list(model.parameters()) == []
    stats = {"mean": torch.randn(4), "var": torch.rand(4) + 0.5}
    model.load_state_dict(stats, strict=True)
    x = torch.randn(3, 4)
    assert torch.equal(model(x), torch.nn.functional.batch_norm(x, stats["mean"], stats["var"]))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "fill: 0, dtype: int64",
            "fill: 0.5, dtype: int64",
            "4:37: modules.steps.Buffer.fill: fill 0.5 is no value of int64",
        ),
        ("dtype: int64", "dtype: int65", "4:47: modules.steps.Buffer.dtype: must be one of"),
    ],
)
def test_a_buffer_fill_or_dtype_its_dtype_lacks_is_refused_where_it_is_written(old, new, message):
    with pytest.raises(SpecError) as e:
        generate(BUFFERS.replace(old, new), "Norm")
    assert any(message in line for line in e.value.lines()), e.value.lines()


def test_resolve_says_a_buffer_is_an_extension():
    from torcharc_codegen.api import resolve

    text = BUFFERS.replace(
        "  norm: {TorchFn: {name: nn.functional.batch_norm}}", "  norm: {ReLU: }"
    )
    text = text.replace("{input: x, running_mean: mean, running_var: var}", "[x]")
    text = text.replace("keep: [steps]\n", "")
    with pytest.raises(SpecError) as e:
        resolve(text)
    (line,) = e.value.lines()
    assert line.startswith("<string>:2:") and "a Buffer module is this project's extension" in line
