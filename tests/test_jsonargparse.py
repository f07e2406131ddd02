"""A parametrized spec's generated class is configurable the way LightningCLI, jsonargparse and
Hydra's ``_target_`` configure any class: from its typed keyword-only ``__init__`` signature.
The real jsonargparse builds the committed generated_examples/params/mlp.py from a
YAML config plus a command-line override, shows the parameters in its help, and refuses a value
of the wrong type because it reads the annotation."""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

import jsonargparse  # the test extra installs it: no skip when it's missing
import pytest
import torch

from torcharc_codegen.params import collect_params
from torcharc_codegen.spec.load import load

pytestmark = pytest.mark.slow  # imports the generated file and a third-party CLI library

PARAMS = Path(__file__).resolve().parents[1] / "generated_examples" / "params"


@pytest.fixture
def Mlp(monkeypatch):
    """The committed class, importable as ``mlp.Mlp`` (a config's class_path names it so)."""
    monkeypatch.syspath_prepend(str(PARAMS))
    monkeypatch.delitem(sys.modules, "mlp", raising=False)  # undone: `mlp` leaves sys.modules
    return importlib.import_module("mlp").Mlp


def _parser(**kwargs):
    parser = jsonargparse.ArgumentParser(prog="train", exit_on_error=False, **kwargs)
    parser.add_argument("--config", action=jsonargparse.ActionConfigFile)
    return parser


def _assert_built_with_hidden_64(model, Mlp):
    """hidden=64 from the config, p_drop=0.3 from the command line, n_classes its default."""
    assert type(model) is Mlp
    linears = [m for m in model.body if isinstance(m, torch.nn.Linear)]
    assert model.body[0].out_features == 64
    assert model.body[3].in_features == 64
    assert linears[-1].in_features == 256  # hidden * 4
    assert linears[-1].out_features == 10
    assert model.body[2].p == 0.3
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(4, 32)).shape == (4, 10)


def test_class_arguments_from_a_config_and_the_command_line(Mlp, tmp_path):
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  hidden: 64\n  p_drop: 0.5\n")
    parser = _parser()
    parser.add_class_arguments(Mlp, "model")
    cfg = parser.parse_args(["--config", str(config), "--model.p_drop", "0.3"])
    assert cfg.model == jsonargparse.Namespace(hidden=64, n_classes=10, p_drop=0.3)
    _assert_built_with_hidden_64(parser.instantiate(cfg).model, Mlp)


def test_class_path_and_init_args_config(Mlp, tmp_path):
    """LightningCLI's form (Hydra's ``_target_: mlp.Mlp`` is the same idea): the config names
    the class by import path, any nn.Module fits."""
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  class_path: mlp.Mlp\n  init_args:\n    hidden: 64\n")
    parser = _parser()
    parser.add_argument("--model", type=torch.nn.Module)
    cfg = parser.parse_args(["--config", str(config), "--model.p_drop", "0.3"])
    assert cfg.model.class_path == "mlp.Mlp"
    assert cfg.model.init_args == jsonargparse.Namespace(hidden=64, n_classes=10, p_drop=0.3)
    _assert_built_with_hidden_64(parser.instantiate(cfg).model, Mlp)


def test_help_lists_each_parameter_with_its_description_type_and_default(Mlp):
    parser = _parser()
    parser.add_class_arguments(Mlp, "model")
    text = parser.format_help()
    params, _ = collect_params(load(PARAMS / "mlp.yaml").data)
    assert list(params) == ["hidden", "n_classes", "p_drop"]
    descriptions = {
        "hidden": "width of the hidden layers",
        "n_classes": "classes the head scores",
        "p_drop": "dropout probability after the first layer",
    }  # the comments on their lines in mlp.yaml, through the generated docstring's Args
    for p in params.values():
        words = r"\s+".join(map(re.escape, descriptions[p.name].split()))
        shown = rf"--model\.{p.name} {p.name.upper()}\s+{words}\s+"
        shown += rf"\(type:\s+{p.type.__name__},\s+default:\s+{re.escape(str(p.default))}\)"
        assert re.search(shown, text), (p, text)


@pytest.mark.parametrize("value", ['"abc"', "2.5", "true"])
def test_a_value_of_the_wrong_type_is_refused(Mlp, tmp_path, value):
    config = tmp_path / "train.yaml"
    config.write_text(f"model:\n  hidden: {value}\n")
    parser = _parser()
    parser.add_class_arguments(Mlp, "model")
    refused = r"(?s)model\.hidden.*Expected a <class 'int'>"
    with pytest.raises(argparse.ArgumentError, match=refused):
        parser.parse_args(["--config", str(config)])


def test_help_shows_each_search_domain(monkeypatch):
    """conv_classifier's width is a log range, use_bias a choice, n_classes fixed: the
    generated docstring's Args carry the domains from the spec into --help."""
    monkeypatch.syspath_prepend(str(PARAMS))
    monkeypatch.delitem(sys.modules, "conv_classifier", raising=False)
    ConvClassifier = importlib.import_module("conv_classifier").ConvClassifier
    parser = _parser()
    parser.add_class_arguments(ConvClassifier, "model")
    text = " ".join(parser.format_help().split())
    assert "channels of the convolution (search domain: 4..128, log scale)" in text, text
    assert "whether the convolution adds a bias (search domain: one of True, False)" in text
    assert "classes the head scores (type: int, default: 10)" in text  # fixed: no domain
