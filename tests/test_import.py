"""torcharc-gen import / from_module: an existing nn.Module as a spec, proven by its round trip
(the spec compiles, the generated class loads the original's state_dict with strict=True and
gives its outputs bit for bit in eval mode). The models are tests/import_targets.py's."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import torch
import yaml

import import_targets
from torcharc_codegen import compile_spec, from_module
from torcharc_codegen.cli import main
from torcharc_codegen.importer.pipeline import ImportRefused
from torcharc_codegen.importer.roundtrip import RoundTripFailed

EXAMPLES = Path(__file__).resolve().parents[1] / "generated_examples"


def image(batch: int = 2, size: int = 64) -> dict:
    return {"x": torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(0))}


def test_resnet18_round_trips_with_no_fallback_in_under_100_lines():
    imported = from_module(import_targets.resnet18(), image(), verify=False)
    report = imported.report
    assert report.round_trip == "strict load, bit-exact"
    assert report.fallbacks == [] and report.unused == []
    assert report.blocks == {"BasicBlock": 5, "BasicBlockDownsample": 3}
    assert report.spec_lines == len(imported.spec.splitlines()) < 100
    assert imported.spec.startswith("# yaml-language-server: $schema=")
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["layer1"] == {
        "Sequential": [{"repeat": 2, "module": {".BasicBlock": {"inplanes": 64}}}]
    }
    assert spec["graph"]["input"] == {"x": {"shape": [2, 3, 64, 64]}}
    assert report.summary() == "26 nodes, 2 blocks, 0 fallbacks, 84 spec lines"


def test_a_broadcasting_multiply_and_add_are_the_mul_and_add_helpers():
    imported = from_module(import_targets.Excited(), {"x": torch.randn(2, 3, 16, 16)})
    assert imported.report.fallbacks == [] and imported.report.blocks == {"Excite": 1}
    block = yaml.safe_load(imported.spec)["blocks"]["Excite"]
    assert {k: v for k, v in block["modules"].items() if k in ("mul", "add")} == {
        "mul": {"Mul": None},
        "add": {"Add": None},
    }
    assert block["graph"]["modules"]["mul"] == ["x", "sigmoid"]
    assert "mul = x * sigmoid" in imported.source


def test_a_value_of_the_data_falls_back_to_the_users_class_and_says_where():
    model = import_targets.Gated()
    imported = from_module(model, {"x": torch.randn(2, 3, 16, 16)}, verify=False)
    (fallback,) = imported.report.fallbacks
    assert fallback.path == "scale" and fallback.cls == "import_targets.Scale"
    assert fallback.reason == "no TorchArc helper for the tensor method .item()"
    lines, first = inspect.getsourcelines(import_targets.Scale.forward)
    mul = first + next(i for i, line in enumerate(lines) if ".item()" in line)
    assert fallback.line == f"{inspect.getsourcefile(import_targets.Scale)}:{mul}"
    assert yaml.safe_load(imported.spec)["modules"]["scale"] == {
        "import_targets.Scale": {"channels": 8}
    }
    share = sum(p.numel() for p in model.scale.parameters()) / imported.report.parameters
    assert imported.report.fallback_share == pytest.approx(share)
    assert "from import_targets import Scale" in imported.source
    comment = "  scale: # custom module (a fallback): no TorchArc helper for the tensor method"
    assert comment in imported.spec
    assert "1 fallback (21.7% of parameters)" in imported.report.summary()


def test_a_buffer_a_made_tensor_and_untraceable_control_flow_fall_back_with_their_reasons():
    imported = from_module(import_targets.Fallbacks(), {"x": torch.randn(2, 8)}, verify=False)
    reasons = {f.path: f.reason for f in imported.report.fallbacks}
    assert set(reasons) == {"shifted", "branchy", "ramped"}
    assert reasons["ramped"].startswith("it computes a tensor from no input")
    assert reasons["shifted"] == (
        "its buffer `self.shift` holds values computed when it was built (not one number),"
        " which a spec can't hold"
    )
    assert "torch.fx can't trace" in reasons["branchy"]


def test_a_fallback_built_from_no_literals_is_its_parent_and_the_report_says_why():
    imported = from_module(import_targets.Outer(), {"x": torch.randn(2, 8)}, verify=False)
    (fallback,) = imported.report.fallbacks
    assert fallback.path == "holder" and fallback.cls == "import_targets.Holder"
    assert fallback.reason.startswith("holder.inner: no TorchArc helper for the tensor method")
    assert "and as a custom module: holder.inner: no arguments read" in fallback.reason
    assert yaml.safe_load(imported.spec)["modules"]["holder"] == {"import_targets.Holder": None}
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_bare_parameter_is_a_parameter_module_of_its_name():
    model = import_targets.Fallbacks()
    imported = from_module(model, {"x": torch.randn(2, 8)}, verify=False)
    offset = yaml.safe_load(imported.spec)["blocks"]["Offset"]
    assert offset["modules"]["offset"] == {"Parameter": {"shape": [8]}}
    assert offset["graph"]["modules"]["offset"] == []
    assert imported.report.round_trip == "strict load, bit-exact"
    assert "offset.offset" in model.state_dict()


def test_a_class_token_keeps_the_batch_and_a_constant_argument_is_passed():
    from torcharc_codegen.check.runtime import import_in_memory

    model = import_targets.Tokens().eval()
    imported = from_module(model, {"x": torch.randn(2, 3, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["expand"] == {"ExpandBatch": {"sizes": [-1, -1]}}
    assert spec["graph"]["modules"]["attn"] == {
        "query": "cat",
        "key": "cat",
        "value": "cat",
        "need_weights": False,
    }
    assert "self.attn(query=cat, key=cat, value=cat, need_weights=False)" in imported.source
    generated = import_in_memory(imported.source).Tokens()
    generated.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(5, 3, 8)  # another batch than the example's: the batch is not folded
    with torch.no_grad():
        assert torch.equal(generated.eval()(x), model(x))


def test_one_class_used_three_times_is_one_block_whose_param_is_what_differs():
    imported = from_module(import_targets.Tower(), {"x": torch.randn(2, 16)}, verify=False)
    spec = yaml.safe_load(imported.spec)
    assert list(spec["blocks"]) == ["Residual"]
    block = spec["blocks"]["Residual"]
    assert block["params"] == {"hidden": 32}  # the constructor's name for what differs
    assert block["modules"]["fc1"] == {"Linear": {"in_features": 16, "out_features": "${hidden}"}}
    assert spec["modules"]["first"] == {".Residual": {"hidden": 32}}
    assert spec["modules"]["body"] == {
        "Sequential": [{"repeat": 2, "module": {".Residual": {"hidden": 64}}}]
    }
    assert imported.report.blocks == {"Residual": 3}


def test_entries_whose_arguments_step_evenly_are_one_repeat_entry_of_the_index():
    imported = from_module(import_targets.Widening(), {"x": torch.randn(2, 8)}, verify=False)
    assert imported.report.round_trip == "strict load, bit-exact"
    modules = yaml.safe_load(imported.spec)["modules"]
    assert modules["body"] == {
        "Sequential": [{"repeat": 4, "module": {".Residual": {"hidden": "${16 + i * 8}"}}}]
    }
    linear = {"Linear": {"in_features": "${8 + i * 4}", "out_features": "${12 + i * 4}"}}
    assert modules["ladder"] == {"Sequential": [{"repeat": 3, "module": linear}]}


def test_a_dense_block_is_a_named_sequential_of_layers_that_concatenate_their_output():
    imported = from_module(import_targets.DenseNet(), {"x": torch.randn(2, 8)}, verify=False)
    assert imported.report.round_trip == "strict load, bit-exact"
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["block"] == {
        "Sequential": {
            "layer{i}": {
                "repeat": 5,
                "start": 1,
                "module": {".Grow": {"width": "${8 + (i - 1) * 4}"}},
            }
        }
    }
    grow = spec["blocks"]["Grow"]["graph"]
    assert grow["modules"] == {"fc": ["x"], "cat": [["x", "fc"]]} and grow["output"] == "cat"


def test_a_difference_in_the_outputs_names_the_first_module_and_fails(monkeypatch):
    from torcharc_codegen.importer import units

    real = units.constructor_args

    def wrong_slope(module, where):
        args = real(module, where)
        return {"negative_slope": 0.3} if isinstance(module, torch.nn.LeakyReLU) else args

    monkeypatch.setattr(units, "constructor_args", wrong_slope)
    with pytest.raises(RoundTripFailed, match=r"first module whose output differs is body\.0\.act"):
        from_module(import_targets.LeakyStack(), {"x": torch.randn(2, 8)}, verify=False)


def _below_the_header(source: str) -> str:
    lines = source.splitlines()
    return "\n".join(lines[next(i for i, line in enumerate(lines) if not line.startswith("#")) :])


@pytest.mark.parametrize("spec", ["basic/mlp.yaml", "compact/conv_classifier.yaml", "resnet18"])
def test_a_class_generated_from_a_spec_without_params_imports_as_that_code_again(spec):
    from torcharc_codegen.check.runtime import import_in_memory

    if spec == "resnet18":  # blocks, repeat entries: the importer's own output
        text = from_module(import_targets.resnet18(), image(), round_trip=False).spec
    else:
        text = (EXAMPLES / spec).read_text()
    assert "params" not in yaml.safe_load(text)
    source = compile_spec(text, "Model", verify=False).source
    model = import_in_memory(source).Model()
    shapes = yaml.safe_load(text)["graph"]["input"]
    gen = torch.Generator().manual_seed(0)
    inputs = {k: torch.randn(*v["shape"], generator=gen) for k, v in shapes.items()}
    again = from_module(model, inputs, class_name="Model", verify=False)
    assert again.report.fallbacks == []
    assert _below_the_header(again.source) == _below_the_header(source)


def test_the_spec_is_a_spec_the_compiler_takes_as_it_is():
    imported = from_module(import_targets.Tower(), {"x": torch.randn(2, 16)}, round_trip=False)
    result = compile_spec(imported.spec, "Tower", verify=False)
    assert "class Residual(nn.Module):" in result.source


def test_example_inputs_that_name_no_argument_are_refused():
    with pytest.raises(ImportRefused, match=r"forward has no argument 'image'"):
        from_module(import_targets.Tower(), {"image": torch.randn(2, 16)})


# ----------------------------------------------------------------------- the command line


def run(capsys, *argv: str) -> tuple[int, list[str]]:
    code = main(["import", *argv])
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nowhere.models:net", "can't import nowhere.models: ModuleNotFoundError"),
        ("import_targets:nothing", "import_targets has no attribute 'nothing'"),
        ("import_targets:not_a_module", "returned an object of type int, not a torch.nn.Module"),
        ("import_targets", "write package.module:callable"),
    ],
)
def test_a_bad_target_is_one_line_exit_2_nothing_written(capsys, tmp_path, target, message):
    out = tmp_path / "spec.yaml"
    code, lines = run(capsys, target, "--input", "x=2,16", "-o", str(out))
    assert code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not out.exists()


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("x=2,a", "--input 'x=2,a': write NAME=D0,D1,... with positive sizes"),
        ("x=2,0", "with positive sizes"),
        ("x", "write NAME=D0,D1,..."),
        ("x=2,3,4", "--input x=2,3,4: the model refuses them: RuntimeError: mat1 and mat2"),
    ],
)
def test_a_bad_input_is_one_line_exit_2_nothing_written(capsys, tmp_path, flag, message):
    out = tmp_path / "spec.yaml"
    code, lines = run(capsys, "import_targets:Tower", "--input", flag, "-o", str(out))
    assert code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not out.exists()


def test_a_failed_round_trip_exits_1_and_writes_nothing(capsys, tmp_path, monkeypatch):
    from torcharc_codegen.importer import units

    real = units.constructor_args
    monkeypatch.setattr(
        units,
        "constructor_args",
        lambda m, w: {"negative_slope": 0.3} if isinstance(m, torch.nn.LeakyReLU) else real(m, w),
    )
    out = tmp_path / "spec.yaml"
    code, lines = run(
        capsys, "import_targets:LeakyStack", "--input", "x=2,8", "-o", str(out), "--no-verify"
    )
    assert code == 1 and "round trip failed" in lines[-1] and "body.0.act" in lines[-1]
    assert not out.exists()


@pytest.mark.slow
def test_the_command_writes_resnet18_after_every_check(capsys, tmp_path):
    out = tmp_path / "resnet18.yaml"
    code, lines = run(
        capsys,
        "import_targets:resnet18",
        "--input",
        "x=2,3,64,64",
        "-o",
        str(out),
        "--arg",
        "num_classes=10",
        "-v",
    )
    assert code == 0, lines
    assert "  export: ok (dynamic batch size, same outputs as eager)" in lines
    assert lines[-1] == (
        f"wrote {out} (strict load, bit-exact): 26 nodes, 2 blocks, 0 fallbacks, 84 spec lines"
    )
    assert "out_features: 10" in out.read_text()


def test_a_module_forward_never_calls_is_kept_and_listed():
    imported = from_module(import_targets.WithAux(), {"x": torch.randn(2, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["keep"] == ["aux"] and spec["modules"]["aux"] == {
        "Linear": {"in_features": 8, "out_features": 2}
    }
    assert imported.report.unused == ["aux (18 parameters and buffers)"]
    assert "kept, though forward never calls it: aux (18 parameters and buffers)" in (
        imported.report.lines()
    )


# ------------------------------------------------------------- torchvision, against its code


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["densenet121", "shufflenet_v2_x0_5", "mnasnet0_5", "mobilenet_v3_small"]
)
def test_torchvision_models_round_trip_with_no_fallback(name):
    imported = from_module(import_targets.torchvision_model(name), image(1), verify=False)
    assert imported.report.fallbacks == []
    assert imported.report.round_trip == "strict load, bit-exact"


@pytest.mark.slow
def test_densenet121_is_under_100_lines_each_dense_block_one_repeat_entry():
    imported = from_module(import_targets.torchvision_model("densenet121"), image(1), verify=False)
    assert imported.report.spec_lines < 100 and list(imported.report.blocks) == ["DenseLayer"]
    features = yaml.safe_load(imported.spec)["modules"]["features"]["Sequential"]
    (entry,) = features["denseblock3"]["Sequential"].values()
    assert entry["repeat"] == 24 and entry["start"] == 1


@pytest.mark.slow
def test_googlenets_auxiliary_heads_are_blocks_kept_though_forward_never_calls_them():
    imported = from_module(import_targets.torchvision_model("googlenet"), image(1), verify=False)
    report = imported.report
    assert report.fallbacks == [] and report.round_trip == "strict load, bit-exact"
    assert [u.split(" ")[0] for u in report.unused] == ["aux1", "aux2"]
    spec = yaml.safe_load(imported.spec)
    assert spec["keep"] == ["aux1", "aux2"]
    assert spec["modules"]["aux1"] == {".InceptionAux": {"in_channels": 512}}
    assert report.blocks["InceptionAux"] == 2


@pytest.mark.slow
def test_efficientnet_b0_imports_with_no_fallback_its_stochastic_depth_the_helper():
    imported = from_module(
        import_targets.torchvision_model("efficientnet_b0"), image(1), verify=False
    )
    report = imported.report
    assert report.round_trip == "strict load, bit-exact" and report.fallbacks == []
    assert "torchvision" not in imported.source  # the generated file needs torch alone
    blocks = yaml.safe_load(imported.spec)["blocks"]
    depth = [
        b["modules"]["stochastic_depth"]
        for b in blocks.values()
        if "stochastic_depth" in b["modules"]
    ]
    assert {"StochasticDepth": {"p": "${p}"}} in depth


def test_stochastic_depth_in_training_draws_what_torchvisions_draws():
    from torcharc_codegen.check.runtime import import_in_memory

    ops = import_targets.torchvision_models().efficientnet.StochasticDepth
    model = import_targets.Dropping(ops(0.5, "row"))
    imported = from_module(model, {"x": torch.randn(4, 8)}, verify=False)
    assert yaml.safe_load(imported.spec)["modules"]["drop"] == {"StochasticDepth": {"p": 0.5}}
    generated = import_in_memory(imported.source).Dropping()
    generated.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(64, 8)
    torch.manual_seed(3)
    expected = model.train()(x)
    torch.manual_seed(3)
    got = generated.train()(x)
    assert torch.equal(got, expected) and (got == 0).all(dim=1).any()  # some rows dropped


def test_a_functional_layer_norm_of_the_modules_own_weight_is_torch_fn_of_its_parameters():
    model = import_targets.Normed()
    with torch.no_grad():  # a trained weight: not one value, so no fill is written
        model.norm.weight.uniform_()
    imported = from_module(model, {"x": torch.randn(2, 3, 8, 8)}, verify=False)
    assert imported.report.fallbacks == []
    block = yaml.safe_load(imported.spec)["blocks"]["ChannelsLastNorm"]
    assert block["modules"]["weight"] == {"Parameter": {"shape": [8]}}
    assert block["graph"]["modules"]["layer_norm"] == {
        "input": "permute",
        "weight": "weight",
        "bias": "bias",
    }
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_number_a_block_is_given_is_folded_into_it():
    imported = from_module(import_targets.Folding(), {"x": torch.randn(2, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["graph"]["modules"]["fold"] == ["fc"]  # p=4 is the block's own
    fold = spec["blocks"]["Fold"]
    assert fold["graph"]["input"] == "x"
    assert fold["modules"]["reshape"] == {"TorchFn": {"name": "reshape", "shape": [-1, 2, 4]}}
    assert imported.report.round_trip == "strict load, bit-exact"


def test_defaults_left_alone_and_a_split_method_are_written():
    imported = from_module(import_targets.Head(), {"x": torch.randn(2, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["graph"]["input"] == {"x": {"shape": [2, 8]}}  # the defaults are folded
    assert {"ForkSplit": {"split_size_or_sections": [8, 8, 8], "dim": -1}} in (
        spec["modules"].values()
    )
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_module_list_called_entry_by_entry_is_a_sequential_of_its_names():
    model = import_targets.Stack()
    imported = from_module(model, {"x": torch.randn(2, 8)}, verify=False)
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["blocks"] == {
        "Sequential": [
            {"Linear": {"in_features": 8, "out_features": 8}},
            {"ReLU": None},
            {"Linear": {"in_features": 8, "out_features": 4}},
        ]
    }
    assert spec["graph"]["modules"] == {"blocks": ["x"]}
    assert imported.report.round_trip == "strict load, bit-exact"


def test_attention_written_out_is_einsum_and_torch_functions_of_two_tensors():
    imported = from_module(import_targets.Attention(), {"x": torch.randn(2, 5, 8)})
    spec = yaml.safe_load(imported.spec)
    assert imported.report.fallbacks == []
    assert spec["modules"]["einsum"] == {"Einsum": {"equation": "bid,bjd->bij"}}
    assert spec["graph"]["modules"]["einsum"] == [["q", "k"]]
    assert spec["modules"]["matmul"] == {"TorchFn": {"name": "matmul"}}
    assert spec["graph"]["modules"]["matmul"] == {"input": "softmax", "other": "v"}
    assert spec["graph"]["modules"]["sub"] == {"input": "matmul", "other": "x"}
    assert spec["modules"]["gelu"] == {"GELU": {"approximate": "tanh"}}
    assert 'torch.einsum("bid,bjd->bij", [q, k])' in imported.source
    assert "torch.matmul(softmax, other=v)" in imported.source
    assert imported.report.round_trip == "strict load, bit-exact"


def test_functions_only_torch_nn_functional_has_and_subscripts_are_written():
    imported = from_module(import_targets.Functional(), {"x": torch.randn(2, 5, 8)})
    modules = yaml.safe_load(imported.spec)["modules"]
    assert imported.report.fallbacks == []
    assert modules["linear"] == {"TorchFn": {"name": "nn.functional.linear"}}
    assert modules["pad"] == {"TorchFn": {"name": "nn.functional.pad", "pad": [1, 1]}}
    assert "torch.nn.functional.linear(pad, weight=weight)" in imported.source
    attention = "scaled_dot_product_attention(\n            chunk_0, key=chunk_1, value=chunk_2,"
    assert attention in imported.source
    keys = [m["Index"]["key"] for m in modules.values() if "Index" in m]
    assert keys == [":, 1:", "..., 0", ":, 1:", ":, None", ":, :1"]  # as forward writes them
    assert "item = scaled_dot_product_attention[:, 1:]" in imported.source
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_functional_whose_torch_namesake_takes_other_arguments_is_torch_nn_functionals():
    imported = from_module(import_targets.Embedded(), {"x": torch.randint(0, 10, (2, 5))})
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["embedding"] == {"TorchFn": {"name": "nn.functional.embedding"}}
    assert spec["graph"]["modules"]["embedding"] == {"input": "x", "weight": "weight"}
    # the arguments fx passes at their defaults are left out
    assert spec["modules"]["normalize"] == {
        "TorchFn": {"name": "nn.functional.normalize", "dim": -1}
    }
    assert imported.report.round_trip == "strict load, bit-exact"


def test_operators_tensor_methods_and_a_return_types_field_are_written():
    imported = from_module(import_targets.Operators(), {"x": torch.randn(2, 5, 5)})
    assert imported.report.fallbacks == []
    modules = yaml.safe_load(imported.spec)["modules"]
    written = [m for m in modules.values() if set(m) & {"TorchFn", "Method", "Get"}]
    for form in [
        {"TorchFn": {"name": "neg"}},
        {"TorchFn": {"name": "pow", "exponent": 2}},  # (1 - h) ** 2
        {"TorchFn": {"name": "rsub", "other": 1}},  # 1 - h
        {"TorchFn": {"name": "reciprocal"}},  # 1 / (...)
        {"TorchFn": {"name": "gt", "other": 0}},
        {"Method": {"name": "where"}},
        {"Method": {"name": "float"}},
        {"Method": {"name": "type_as"}},
        {"Method": {"name": "repeat", "repeats": [1, 2, 1]}},
        {"Method": {"name": "expand_as"}},
        {"Get": {"key": 0}},  # .values of torch.max's result
    ]:
        assert form in written, form
    assert {"TorchFn": {"name": "mul", "other": 5**-0.5}} in written  # the size folded
    assert ".where(condition=gt, other=mul_1)" in imported.source
    assert imported.report.round_trip == "strict load, bit-exact"


def test_running_statistics_read_with_f_batch_norm_are_buffers_loaded_from_the_checkpoint():
    model = import_targets.BatchNormed().eval()
    with torch.no_grad():  # trained statistics: the checkpoint's values, not one number
        model.bn.running_mean.uniform_()
        model.bn.running_var.uniform_(0.5, 1.5)
    imported = from_module(model, {"x": torch.randn(2, 4)})
    assert (
        imported.report.fallbacks == [] and imported.report.round_trip == "strict load, bit-exact"
    )
    spec = yaml.safe_load(imported.spec)
    block = spec["blocks"]["BatchNormAct"]
    assert block["modules"]["running_var"] == {"Buffer": {"shape": [8]}}
    assert block["modules"]["num_batches_tracked"] == {"Buffer": {"shape": [], "dtype": "int64"}}
    assert block["keep"] == ["num_batches_tracked"]  # unread, but the state_dict holds it
    # one the state_dict doesn't hold: its one value, so a fresh build is the model's
    assert spec["modules"]["mask"] == {
        "Buffer": {"shape": [8], "fill": True, "dtype": "bool", "persistent": False}
    }
    assert 'self.register_buffer("running_mean", torch.full((8,), 0.0, dtype=torch.float32))' in (
        imported.source
    )


def test_sizes_a_block_is_given_as_a_tuple_are_folded_into_it():
    imported = from_module(import_targets.Gridded(), {"x": torch.randn(2, 5, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["graph"]["modules"]["grid"] == ["x"]  # the sizes are the block's own
    assert spec["blocks"]["Grid"]["graph"]["input"] == "x"
    assert imported.report.round_trip == "strict load, bit-exact"


def test_sizes_a_child_returns_are_the_examples_numbers_in_its_caller():
    imported = from_module(import_targets.Patched(), {"x": torch.randn(2, 3, 8, 8)})
    (fallback,) = imported.report.fallbacks
    assert fallback.path == "embed"
    assert (
        fallback.reason
        == "it passes on a size (4 in the example) where a spec's graph passes tensors"
    )
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["reshape"] == {"TorchFn": {"name": "reshape", "shape": [-1, 4, 4, 8]}}
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_unit_whose_children_are_numbered_is_refused_in_one_line():
    with pytest.raises(ImportRefused) as e:
        from_module(import_targets.Along(), {"x": torch.randn(2, 8)}, verify=False)
    assert str(e.value).startswith(
        "blocks: its children are named 0, 1, which a spec's modules can't be"
    )


def test_a_reason_torch_gives_over_many_lines_is_its_first_sentence_in_the_spec_and_report():
    imported = from_module(import_targets.Lister(), {"x": torch.randn(2, 8)}, verify=False)
    (fallback,) = imported.report.fallbacks
    assert fallback.path == "block" and "\n" not in fallback.reason
    assert fallback.reason.startswith("its traced graph doesn't run: TypeError: linear()")
    assert yaml.safe_load(imported.spec)["modules"]["block"] == {"import_targets.Listed": None}
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_spec_written_that_does_not_compile_is_a_failed_round_trip():
    with pytest.raises(RoundTripFailed, match=r"^the spec written doesn't compile: <string>:\d+"):
        from_module(import_targets.Chained(), {"x": torch.randn(2, 8)}, verify=False)


def test_f_batch_norm_of_no_running_statistics_passes_them_as_none():
    imported = from_module(import_targets.StandardizedNet(), {"x": torch.randn(1, 3, 8, 8)})
    block = yaml.safe_load(imported.spec)["blocks"]["Standardized"]
    assert block["modules"]["batch_norm"]["TorchFn"] == {
        "name": "nn.functional.batch_norm",
        "running_mean": None,
        "running_var": None,
        "training": True,
        "eps": 1e-06,
    }
    assert (
        imported.report.fallbacks == [] and imported.report.round_trip == "strict load, bit-exact"
    )


def test_contiguous_is_written_where_it_copies():
    imported = from_module(import_targets.Laid(), {"x": torch.randn(2, 6, 6, 8)})
    modules = yaml.safe_load(imported.spec)["modules"]
    assert [m for m in modules.values() if "Method" in m] == [{"Method": {"name": "contiguous"}}]
    assert "= permute.contiguous()  # (B, 8, 6, 6)" in imported.source
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_sequential_called_entry_by_entry_is_that_sequential_and_an_unread_parameter_kept():
    imported = from_module(import_targets.Iterated(), {"x": torch.randn(2, 8)}, verify=False)
    spec = yaml.safe_load(imported.spec)
    assert spec["graph"]["modules"] == {"layers": ["x"]}
    assert spec["modules"]["scale"] == {"Parameter": {"shape": [8], "fill": 1.0}}
    assert spec["keep"] == ["scale"]
    assert imported.report.unused == ["scale (8 parameters and buffers)"]
    assert imported.report.round_trip == "strict load, bit-exact"


def test_an_lstm_is_built_again_from_its_attributes():
    imported = from_module(import_targets.Recurrent(), {"x": torch.randn(2, 5, 8)}, verify=False)
    assert yaml.safe_load(imported.spec)["modules"]["rnn"] == {
        "LSTM": {"input_size": 8, "hidden_size": 16, "num_layers": 2, "batch_first": True}
    }
    assert imported.report.round_trip == "strict load, bit-exact"


def test_a_module_list_whose_blocks_are_given_sizes_too_is_a_sequential_of_them():
    imported = from_module(import_targets.SizedStack(), {"x": torch.randn(2, 5, 8)})
    spec = yaml.safe_load(imported.spec)
    assert spec["modules"]["blocks"] == {"Sequential": [{".Sized": None}, {".Sized": None}]} or (
        spec["modules"]["blocks"] == {"Sequential": [{"repeat": 2, "module": {".Sized": None}}]}
    )
    assert spec["blocks"]["Sized"]["graph"]["input"] == "x"  # the token count folded in
    assert imported.report.round_trip == "strict load, bit-exact"


def test_torchs_modules_given_more_than_their_input_in_a_module_list_are_refused():
    with pytest.raises(ImportRefused, match=r"it calls `self\.blocks\.0` with more than the"):
        from_module(import_targets.LeafStack(), {"x": torch.randn(2, 8)}, verify=False)


def test_a_module_list_called_otherwise_is_refused_saying_which_entries():
    with pytest.raises(ImportRefused, match=r"Skipping: it calls `self\.blocks\.2` other than"):
        from_module(import_targets.Skipping(), {"x": torch.randn(2, 8)}, verify=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size"), [("vit_b_16", 224), ("maxvit_t", 224)])
def test_transformers_import_their_tokens_attention_and_module_lists(name, size):
    imported = from_module(import_targets.torchvision_model(name), image(1, size), verify=False)
    report = imported.report
    assert report.round_trip == "strict load, bit-exact"
    if name == "vit_b_16":  # class token, position embedding, need_weights=False: all written
        assert report.fallbacks == [] and set(report.blocks) == {"Encoder", "EncoderBlock"}
        spec = yaml.safe_load(imported.spec)
        assert spec["modules"]["class_token"] == {"Parameter": {"shape": [1, 1, 768]}}
    else:  # its window partitions' sizes folded in; its attention reads a buffer: kept
        kept = {f.cls.rsplit(".", 1)[-1] for f in report.fallbacks}
        assert kept == {"RelativePositionalMultiHeadAttention"}
        assert report.fallback_share < 0.3


@pytest.mark.slow
def test_regnet_imports_its_named_entries_with_no_fallback():
    imported = from_module(
        import_targets.torchvision_model("regnet_y_400mf"), image(1), verify=False
    )
    assert imported.report.fallbacks == []
    trunk = yaml.safe_load(imported.spec)["modules"]["trunk_output"]["Sequential"]
    assert list(trunk) == ["block1", "block2", "block3", "block4"]
    assert "block1-0" in trunk["block1"]["Sequential"]
