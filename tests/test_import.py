"""torcharc-gen import / from_module: an existing nn.Module as a spec, proven by its round trip
(the spec compiles, the generated class loads the original's state_dict with strict=True and
gives its outputs bit for bit in eval mode). The models are tests/import_targets.py's."""

from __future__ import annotations

import inspect

import pytest
import torch
import yaml

import import_targets
from torcharc_codegen import compile_spec, from_module
from torcharc_codegen.cli import main
from torcharc_codegen.importer.pipeline import ImportRefused
from torcharc_codegen.importer.roundtrip import RoundTripFailed


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


def test_a_broadcasting_multiply_falls_back_to_the_users_class_and_says_where():
    model = import_targets.Gated()
    imported = from_module(model, {"x": torch.randn(2, 3, 16, 16)}, verify=False)
    (fallback,) = imported.report.fallbacks
    assert fallback.path == "scale" and fallback.cls == "import_targets.Scale"
    assert "broadcasting" in fallback.reason and "(2, 8, 1, 1)" in fallback.reason
    lines, first = inspect.getsourcelines(import_targets.Scale.forward)
    mul = first + next(i for i, line in enumerate(lines) if "return x * s" in line)
    assert fallback.line == f"{inspect.getsourcefile(import_targets.Scale)}:{mul}"
    assert yaml.safe_load(imported.spec)["modules"]["scale"] == {
        "import_targets.Scale": {"channels": 8}
    }
    share = sum(p.numel() for p in model.scale.parameters()) / imported.report.parameters
    assert imported.report.fallback_share == pytest.approx(share)
    assert "from import_targets import Scale" in imported.source
    assert "1 fallback (21.7% of parameters)" in imported.report.summary()


def test_a_bare_parameter_and_untraceable_control_flow_fall_back_with_their_reasons():
    imported = from_module(import_targets.Fallbacks(), {"x": torch.randn(2, 8)}, verify=False)
    reasons = {f.path: f.reason for f in imported.report.fallbacks}
    assert set(reasons) == {"offset", "branchy"}
    assert "bare nn.Parameter" in reasons["offset"] and "self.offset" in reasons["offset"]
    assert "torch.fx can't trace" in reasons["branchy"]


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


def test_a_difference_in_the_outputs_names_the_first_module_and_fails(monkeypatch):
    from torcharc_codegen.importer import units

    real = units.constructor_args

    def wrong_slope(module, where):
        args = real(module, where)
        return {"negative_slope": 0.3} if isinstance(module, torch.nn.LeakyReLU) else args

    monkeypatch.setattr(units, "constructor_args", wrong_slope)
    with pytest.raises(RoundTripFailed, match=r"first module whose output differs is body\.0\.act"):
        from_module(import_targets.LeakyStack(), {"x": torch.randn(2, 8)}, verify=False)


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


def test_a_module_forward_never_calls_is_refused_by_name():
    with pytest.raises(ImportRefused, match=r"forward never calls aux \(18 parameters"):
        from_module(import_targets.WithAux(), {"x": torch.randn(2, 8)})


# ------------------------------------------------------------- torchvision, against its code


@pytest.mark.slow
@pytest.mark.parametrize("name", ["densenet121", "shufflenet_v2_x0_5", "mnasnet0_5"])
def test_torchvision_models_round_trip_with_no_fallback(name):
    imported = from_module(import_targets.torchvision_model(name), image(1), verify=False)
    assert imported.report.fallbacks == []
    assert imported.report.round_trip == "strict load, bit-exact"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "size", "reason"),
    [
        # squeeze-excitation's `scale * x` has no helper, and the classes above it take
        # arguments that aren't spec literals (InvertedResidualConfig, nn.Hardsigmoid)
        ("mobilenet_v3_small", 64, r"features\.1: mul of tensors of shapes .* broadcasting"),
        ("efficientnet_b0", 64, r"features\.1\.0: mul of tensors of shapes .* broadcasting"),
        ("googlenet", 64, r"forward never calls aux1, aux2"),
        ("vit_b_16", 224, r"VisionTransformer: it reads its own tensor `self\.class_token`"),
    ],
)
def test_torchvision_models_that_cant_be_written_yet_are_refused_saying_why(name, size, reason):
    with pytest.raises(ImportRefused, match=reason):
        from_module(import_targets.torchvision_model(name), image(1, size), verify=False)
