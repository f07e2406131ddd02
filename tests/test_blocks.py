"""Blocks (a spec's own parametrized modules), repeat entries, nested and named Sequentials:
what the generated class builds, its checkpoint names, and the located errors."""

from __future__ import annotations

import textwrap

import pytest
import torch

from support import build_generated
from torcharc_codegen import generate
from torcharc_codegen.errors import SpecError
from torcharc_codegen.params.resolution import ParamValueError

RESIDUAL = """\
blocks:
  Residual:
    params:
      width: 8
    modules:
      fc: {Linear: {in_features: "${width}", out_features: "${width}"}}
      act: {ReLU: }
      add: {MergeSum: }
    graph:
      input: x
      modules:
        fc: [x]
        act: [fc]
        add: [[act, x]]
      output: add
"""


def spec(body: str, blocks: str = RESIDUAL) -> str:
    return blocks + textwrap.dedent(body)


STAGE = spec("""\
params:
  depth: 3
modules:
  stem: {Linear: {in_features: 4, out_features: 8}}
  stage:
    Sequential:
      - .Residual: {width: 8}
      - repeat: "${depth - 1}"
        module: {.Residual: {width: 8}}
graph:
  input:
    x: {shape: [2, 4]}
  modules:
    stem: [x]
    stage: [stem]
  output: stage
""")


def test_a_block_is_one_class_and_a_repeat_is_a_loop():
    text = generate(STAGE, "Model")
    assert text.count("class Residual(nn.Module):") == 1
    assert "def __init__(self, *, width: int = 8) -> None:" in text
    assert "*(Residual(width=8) for _ in range(depth - 1))" in text
    assert "add = act + x" in text  # shapes known in the block: the plain operator


def test_checkpoint_names_nest_and_indices_stay_consecutive():
    model, _ = build_generated(STAGE)
    keys = list(model.state_dict())
    assert keys[:2] == ["stem.weight", "stem.bias"]
    assert [k for k in keys if k.startswith("stage.")] == [
        f"stage.{i}.fc.{p}" for i in range(3) for p in ("weight", "bias")
    ]


def test_a_block_computes_what_its_graph_says():
    model, _ = build_generated(STAGE)
    x = torch.randn(2, 4)
    y = model.stem(x)
    for block in model.stage:
        y = torch.relu(block.fc(y)) + y
    assert torch.equal(model(x), y)


def test_a_repeat_count_from_param_and_zero_copies():
    model, _ = build_generated(STAGE, params={"depth": 5})
    assert len(model.stage) == 5
    one, text = build_generated(STAGE, params={"depth": 1})  # depth - 1 == 0: none repeated
    assert len(one.stage) == 1
    assert one(torch.randn(2, 4)).shape == (2, 8)


def test_a_negative_repeat_count_is_located_and_names_the_values():
    with pytest.raises(SpecError) as e:
        generate(STAGE, "Model", params={"depth": 0})
    (line,) = e.value.lines()
    assert ":23:17:" in line and "repeat count ${depth - 1} is -1 with depth=0" in line


def test_the_checks_pass_with_blocks():
    generate(STAGE, "Model", verify=True)  # script, trace, compile, export; raises if not


def test_blocks_inside_blocks_and_reuse_with_tilde():
    text = spec(
        """\
        modules:
          enc: {.Pair: }
        graph:
          input:
            a: {shape: [2, 8]}
            b: {shape: [2, 8]}
          modules:
            enc~a: [a]
            enc~b: [b]
          output: [enc~a, enc~b]
        """,
        RESIDUAL + """\
  Pair:
    modules:
      first: {.Residual: }
      second: {.Residual: {width: 8}}
    graph:
      input: x
      modules:
        first: [x]
        second: [first]
      output: second
""",
    )
    model, source = build_generated(text, verify=True)
    assert (
        source.index("class Residual(") < source.index("class Pair(") < source.index("class Model(")
    )
    assert "enc.first.fc.weight" in model.state_dict()
    a, b = torch.randn(2, 8), torch.randn(2, 8)
    out_a, out_b = model(a, b)
    assert torch.equal(out_a, model.enc(a)) and torch.equal(out_b, model.enc(b))


def test_a_block_as_compacts_layer_type():
    text = spec("""\
        modules:
          body:
            compact:
              layer: {type: .Residual, keys: [width], args: [4, 4]}
              postlayer: [{Dropout: {p: 0.0}}]
        graph:
          input:
            x: {shape: [2, 4]}
          modules:
            body: [x]
          output: body
        """)
    model, source = build_generated(text, verify=True)
    assert "Residual(width=4)" in source
    assert [type(m).__name__ for m in model.body] == ["Residual", "Dropout"] * 2


def test_nested_and_named_sequentials():
    text = spec("""\
        modules:
          features:
            Sequential:
              conv: {Linear: {in_features: 4, out_features: 8}}
              "block{i}": {repeat: 2, start: 1, module: {.Residual: {width: 8}}}
              tail:
                Sequential: [{ReLU: }, {Sequential: {}}]
        graph:
          input:
            x: {shape: [2, 4]}
          modules:
            features: [x]
          output: features
        """)
    model, source = build_generated(text, verify=True)
    assert "OrderedDict" in source and 'f"block{i}"' in source
    names = [k for k in model.state_dict()]
    assert names == [
        "features.conv.weight",
        "features.conv.bias",
        "features.block1.fc.weight",
        "features.block1.fc.bias",
        "features.block2.fc.weight",
        "features.block2.fc.bias",
    ]
    assert (
        isinstance(model.features.tail[1], torch.nn.Sequential) and len(model.features.tail[1]) == 0
    )


def test_the_index_of_a_repeated_copy():
    text = """\
modules:
  body:
    Sequential:
      - repeat: 3
        module: {Linear: {in_features: "${4 + i * 2}", out_features: "${6 + i * 2}"}}
graph:
  input:
    x: {shape: [2, 4]}
  modules:
    body: [x]
  output: body
params: {}
"""
    model, source = build_generated(text, verify=True)
    assert "for i in range(3)" in source
    assert [m.in_features for m in model.body] == [4, 6, 8]


def test_an_empty_sequential_is_accepted():
    text = """\
modules:
  nothing: {Sequential: {}}
  fc: {Linear: {in_features: 4, out_features: 2}}
graph:
  input:
    x: {shape: [2, 4]}
  modules:
    nothing: [x]
    fc: [nothing]
  output: fc
"""
    model, _ = build_generated(text, verify=True)
    assert isinstance(model.nothing, torch.nn.Sequential) and len(model.nothing) == 0


def test_a_block_cycle_is_refused_and_named():
    text = """\
blocks:
  A:
    modules: {b: {.B: }}
    graph: {input: x, modules: {b: [x]}, output: b}
  B:
    modules: {a: {.A: }}
    graph: {input: x, modules: {a: [x]}, output: a}
modules:
  top: {.A: }
graph:
  input:
    x: {shape: [2, 4]}
  modules:
    top: [x]
  output: top
"""
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = [x for x in e.value.lines() if "cycle" in x]
    assert "block cycle:" in line and ("A -> B -> A" in line or "B -> A -> B" in line)


def test_a_use_with_an_unknown_argument_suggests_the_params():
    text = spec("""\
        modules:
          r: {.Residual: {widht: 8}}
        graph:
          input:
            x: {shape: [2, 8]}
          modules:
            r: [x]
          output: r
        """)
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = e.value.lines()
    assert "no param 'widht'" in line and "did you mean" in line and "width" in line
    assert ":17:" in line


def test_an_unknown_block_is_located_with_did_you_mean():
    text = spec("""\
        modules:
          r: {.Residul: }
        graph:
          input:
            x: {shape: [2, 8]}
          modules:
            r: [x]
          output: r
        """)
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    assert any("no block named 'Residul'" in x and "Residual" in x for x in e.value.lines())


# The block Head used twice, on x and on y, both 4 wide.
TWO_HEADS = """\
blocks:
  Head:
    modules: {fc: {LazyLinear: {out_features: 2}}}
    graph: {input: x, modules: {fc: [x]}, output: fc}
modules:
  a: {.Head: }
  b: {.Head: }
graph:
  input:
    x: {shape: [2, 4]}
    y: {shape: [2, 4]}
  modules:
    a: [x]
    b: [y]
  output: [a, b]
"""


def test_lazy_sizes_that_differ_per_use_become_the_blocks_arguments():
    text = TWO_HEADS.replace("y: {shape: [2, 4]}", "y: {shape: [2, 6]}")  # y 6 wide
    model, source = build_generated(text, verify=True)
    assert "def __init__(self, *, fc_in_features: int) -> None:" in source
    assert "nn.Linear(in_features=fc_in_features, out_features=2)" in source
    assert "Head(fc_in_features=4)" in source and "Head(fc_in_features=6)" in source
    assert (model.a.fc.in_features, model.b.fc.in_features) == (4, 6)


def test_lazy_sizes_that_differ_between_copies_of_one_entry_are_refused():
    text = """\
blocks:
  Head:
    modules: {fc: {LazyLinear: {out_features: 6}}}
    graph: {input: x, modules: {fc: [x]}, output: fc}
modules:
  body:
    Sequential:
      - repeat: 2
        module: {.Head: }
graph:
  input:
    x: {shape: [2, 4]}
  modules:
    body: [x]
  output: body
"""
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = e.value.lines()
    assert "infers other sizes where this one line builds it more than once" in line
    assert ":9:18:" in line


def test_lazy_sizes_a_blocks_uses_share_are_written():
    model, source = build_generated(TWO_HEADS, verify=True)
    assert "nn.Linear(in_features=4, out_features=2)" in source and "Lazy" not in source


def test_a_param_override_that_is_not_a_block_param():
    with pytest.raises(ParamValueError):
        generate(STAGE, "Model", params={"width": 3})


def test_resolve_says_a_spec_with_blocks_is_an_extension():
    from torcharc_codegen.api import resolve

    with pytest.raises(SpecError) as e:
        resolve(STAGE)
    (line,) = e.value.lines()
    assert line.startswith("<string>:1:1: blocks:") and "extension" in line
    nested = "modules:\n  s:\n    Sequential:\n      - Sequential: [{ReLU: }]\n"
    nested += "graph: {input: x, modules: {s: [x]}, output: s}\n"
    with pytest.raises(SpecError, match="a nested Sequential is this project's extension"):
        resolve(nested)


def test_a_layer_torch_cant_build_inside_a_block_is_located_there():
    text = """\
blocks:
  Bad:
    params: {channels: 4}
    modules:
      conv: {Conv2d: {in_channels: "${channels}", out_channels: 6, kernel_size: 1, groups: 4}}
    graph: {input: x, modules: {conv: [x]}, output: conv}
modules:
  bad: {.Bad: }
graph:
  input:
    x: {shape: [2, 4, 5, 5]}
  modules:
    bad: [x]
  output: bad
"""
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = e.value.lines()
    assert line.startswith("<string>:5:") and "blocks.Bad.modules.conv.Conv2d" in line
    assert "out_channels must be divisible by groups" in line


def test_a_model_of_blocks_builds_on_meta_and_initializes_after_to_empty():
    from torcharc_codegen.check.runtime import import_in_memory

    module = import_in_memory(generate(STAGE, "Model"))
    with torch.device("meta"):
        model = module.Model(depth=4)
    assert all(p.is_meta for p in model.parameters())
    model.to_empty(device="cpu")
    model.init_weights()
    reference = module.Model(depth=4)
    assert [p.shape for p in model.parameters()] == [p.shape for p in reference.parameters()]
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert model(torch.randn(2, 4)).shape == (2, 8)


def test_summary_nests_a_blocks_layers_under_its_use(tmp_path, capsys):
    from torcharc_codegen.cli import main

    path = tmp_path / "stage.yaml"
    path.write_text(STAGE)
    assert main(["summary", str(path)]) == 0
    rows = capsys.readouterr().out.splitlines()
    names = [row.split()[:2] for row in rows if row.strip()]
    assert ["stage", "Sequential(3)"] in names
    at = names.index(["stage", "Sequential(3)"])
    assert names[at + 1 : at + 3] == [["0", "Residual"], ["fc", "Linear"]]
    assert rows[[r.split()[:1] for r in rows].index(["fc"])].startswith("    fc")


def test_a_repeat_count_from_the_command_lines_param(tmp_path):
    from torcharc_codegen.check.runtime import import_in_memory
    from torcharc_codegen.cli import main

    path = tmp_path / "stage.yaml"
    path.write_text(STAGE)
    out = tmp_path / "stage.py"
    assert main([str(path), "-o", str(out), "--no-verify", "--param", "depth=4"]) == 0
    text = out.read_text()
    assert "depth: int = 4" in text and "--param depth=4" in text
    assert len(import_in_memory(text).Stage().stage) == 4
    bad = tmp_path / "bad.py"
    assert main([str(path), "-o", str(bad), "--no-verify", "--param", "depth=0"]) == 2
    assert not bad.exists()


def test_the_cost_formulas_count_every_depth():
    from torcharc_codegen.check.runtime import import_in_memory

    cls = import_in_memory(generate(STAGE, "Model")).Model
    for depth in (1, 2, 5, 9):
        built = sum(p.numel() for p in cls(depth=depth).parameters())
        assert cls.count_parameters(depth=depth) == built


KEEP = """\
modules:
  body: {Linear: {in_features: 4, out_features: 4}}
  aux: {Linear: {in_features: 4, out_features: 2}}
  gate: {Mul: }
keep: [aux]
graph:
  input:
    x: {shape: [2, 4]}
    s: {shape: [2, 1]}
  modules:
    body: [x]
    gate: [body, s]
  output: gate
"""


def test_keep_builds_a_module_no_node_calls_and_mul_broadcasts():
    model, source = build_generated(KEEP, verify=True)
    assert list(model.state_dict()) == ["body.weight", "body.bias", "aux.weight", "aux.bias"]
    assert "gate = body * s" in source
    x, s = torch.randn(2, 4), torch.randn(2, 1)
    assert torch.equal(model(x, s), model.body(x) * s)


def test_keep_names_modules_that_exist_and_no_node_calls():
    with pytest.raises(SpecError) as e:
        generate(KEEP.replace("keep: [aux]", "keep: [aux, body, axu]"), "Model")
    lines = e.value.lines()
    assert any("keep[1]: module 'body' is called by a node" in x for x in lines)
    assert any("keep[2]: `keep` names no module 'axu'" in x and "did you mean" in x for x in lines)


PARAMETER = """\
params: {d: 4}
blocks:
  Scaled:
    params: {dim: 4}
    modules:
      fc: {Linear: {in_features: "${dim}", out_features: "${dim}"}}
      layer_scale: {Parameter: {shape: ["${dim}"], fill: 0.5}}
      mul: {Mul: }
    graph:
      input: x
      modules: {fc: [x], layer_scale: [], mul: [layer_scale, fc]}
      output: mul
modules:
  class_token: {Parameter: {shape: [1, 1, "${d}"]}}
  cat: {MergeConcat: {dim: 1}}
  body: {.Scaled: {dim: "${d}"}}
graph:
  input:
    x: {shape: [1, 3, "${d}"]}
  modules:
    class_token: []
    cat: [[class_token, x]]
    body: [cat]
  output: body
"""


def test_a_bare_parameter_is_the_modules_own_state_and_read_by_a_node():
    from torcharc_codegen.check.runtime import import_in_memory

    module = import_in_memory(generate(PARAMETER, "Model", verify=True))
    model = module.Model(d=6)
    assert list(model.state_dict()) == [  # torch's order: a module's own parameters first
        "class_token",
        "body.layer_scale",
        "body.fc.weight",
        "body.fc.bias",
    ]
    assert model.class_token.shape == (1, 1, 6) and model.class_token.requires_grad
    assert torch.equal(model.body.layer_scale, torch.full((6,), 0.5))
    x = torch.randn(1, 3, 6)
    y = torch.cat([model.class_token, x], dim=1)
    assert torch.equal(model(x), model.body.layer_scale * model.body.fc(y))
    assert module.Model.count_parameters(d=6) == sum(p.numel() for p in model.parameters())
    with torch.device("meta"):
        deferred = module.Model(d=6)
    deferred.to_empty(device="cpu")
    deferred.init_weights()
    assert torch.equal(deferred.class_token, torch.zeros(1, 1, 6))
    assert torch.equal(deferred.body.layer_scale, torch.full((6,), 0.5))


def test_a_parameter_is_not_a_sequential_entry():
    text = """\
modules:
  s:
    Sequential:
      - Parameter: {shape: [2]}
graph: {input: {x: {shape: [2, 2]}}, modules: {s: [x]}, output: s}
"""
    with pytest.raises(SpecError) as e:
        generate(text, "Model")
    (line,) = e.value.lines()
    assert ":4:9:" in line and "a Parameter is a module of its own" in line


def test_summary_shows_a_parameter_module(tmp_path, capsys):
    from torcharc_codegen.cli import main

    path = tmp_path / "p.yaml"
    path.write_text(PARAMETER)
    assert main(["summary", str(path)]) == 0
    rows = [row.split() for row in capsys.readouterr().out.splitlines()]
    assert ["class_token", "Parameter", "(1,", "1,", "d)", "4", "0"] in rows
