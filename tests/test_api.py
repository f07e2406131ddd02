"""The Python API: generate, build (TorchArc's drop-in), register_nn, custom classes, SPEC_DIR."""

from __future__ import annotations

import sys
import textwrap

import pytest
import torch
from torch import nn

import torcharc_codegen
from torcharc_codegen import SpecError, build, generate, register_nn

MLP = {
    "modules": {
        "mlp": {"Sequential": [{"Linear": {"in_features": 4, "out_features": 3}}, {"ReLU": None}]}
    },
    "graph": {"input": "x", "modules": {"mlp": ["x"]}, "output": "mlp"},
}


def test_build_is_a_drop_in_for_torcharc_build():
    model = build(MLP)
    assert isinstance(model, nn.Module)
    assert list(model.state_dict()) == ["mlp.0.weight", "mlp.0.bias"]
    x = torch.randn(2, 4)
    assert model(x).shape == (2, 3)
    assert torch.jit.script(model)(x).shape == (2, 3), "the in-memory source scripts"


def test_build_accepts_a_path_and_yaml_text(tmp_path):
    import yaml

    text = yaml.safe_dump(MLP)
    (tmp_path / "mlp.yaml").write_text(text)
    assert isinstance(build(tmp_path / "mlp.yaml"), nn.Module)
    assert isinstance(build(str(tmp_path / "mlp.yaml")), nn.Module)
    assert isinstance(build(text), nn.Module)


def test_spec_dir_holds_the_examples():
    assert (torcharc_codegen.SPEC_DIR / "basic" / "mlp.yaml").is_file()
    assert isinstance(build(torcharc_codegen.SPEC_DIR / "basic" / "mlp.yaml"), nn.Module)


def test_generate_names_the_class():
    text = generate(MLP, class_name="Net")
    assert "class Net(nn.Module):" in text


def test_errors_are_spec_errors_with_key_paths_for_dicts():
    bad = {**MLP, "graph": {**MLP["graph"], "output": "mpl"}}
    with pytest.raises(SpecError) as err:
        generate(bad)
    assert err.value.lines() == ["graph.output: unknown node 'mpl' (did you mean 'mlp'?)"]


@pytest.fixture
def mypkg(tmp_path, monkeypatch):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(textwrap.dedent("""\
        import torch
        from torch import nn


        class Residual(nn.Module):
            \"\"\"x + linear(x).\"\"\"

            def __init__(self, features: int, scale: float = 1.0):
                super().__init__()
                self.linear = nn.Linear(features, features)
                self.scale = scale

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x + self.scale * self.linear(x)
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "mypkg"
    for name in [m for m in sys.modules if m.startswith("mypkg")]:
        del sys.modules[name]


def residual_spec(name: str, **args) -> dict:
    return {
        "modules": {"res": {name: {"features": 4, **args}}},
        "graph": {"input": "x", "modules": {"res": ["x"]}, "output": "res"},
    }


def test_custom_class_by_import_path_needs_permission(mypkg):
    spec = residual_spec("mypkg.layers.Residual")
    with pytest.raises(SpecError) as err:
        generate(spec)
    assert "pass --import mypkg" in err.value.lines()[0]
    assert "mypkg.layers" not in sys.modules, "nothing is imported"
    text = generate(spec, imports=["mypkg"])
    assert "from mypkg.layers import Residual" in text
    assert "self.res = Residual(features=4)" in text
    assert "class Residual" not in text, "imported, never copied"
    model = build(spec, imports=["mypkg"])
    assert list(model.state_dict()) == ["res.linear.weight", "res.linear.bias"]
    x = torch.randn(2, 4)
    lin = model.res.linear
    torch.testing.assert_close(model(x), x + x @ lin.weight.T + lin.bias)


def test_custom_class_arguments_are_checked_against_its_signature(mypkg):
    with pytest.raises(SpecError) as err:
        generate(residual_spec("mypkg.layers.Residual", scal=2.0), imports=["mypkg"])
    assert err.value.lines() == [
        "modules.res.mypkg.layers.Residual.scal: unknown argument 'scal' for "
        "mypkg.layers.Residual (did you mean 'scale'?)"
    ]


def test_import_path_must_be_a_module_class(mypkg):
    with pytest.raises(SpecError) as err:
        generate(residual_spec("mypkg.layers.torch"), imports=["mypkg"])
    assert "is not a torch.nn.Module subclass" in err.value.lines()[0]


def test_register_nn_by_bare_name_and_torcharcs_conflict_rule(mypkg):
    from mypkg.layers import Residual

    register_nn(Residual)
    text = generate(residual_spec("Residual"))
    assert "from mypkg.layers import Residual" in text
    with pytest.raises(ValueError, match="already exists in torch.nn"):
        register_nn(type("Linear", (nn.Module,), {}))
    with pytest.raises(TypeError):
        register_nn(int)
