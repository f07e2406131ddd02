"""Hydra builds a parametrized spec's generated class from a config: its
``instantiate`` reads ``_target_`` and passes the other keys to the typed keyword-only
``__init__``, with a command-line style override applied by OmegaConf."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

pytestmark = pytest.mark.slow  # imports the generated file and a third-party config library

PARAMS = Path(__file__).resolve().parents[1] / "generated_examples" / "params"


@pytest.fixture
def mlp_module(monkeypatch):
    monkeypatch.syspath_prepend(str(PARAMS))
    monkeypatch.delitem(sys.modules, "mlp", raising=False)
    return importlib.import_module("mlp")


def test_instantiate_builds_the_family_member_a_config_names(mlp_module, tmp_path):
    config = tmp_path / "model.yaml"
    config.write_text("_target_: mlp.Mlp\nhidden: 64\nn_classes: 3\n")
    cfg = OmegaConf.merge(OmegaConf.load(config), OmegaConf.from_dotlist(["p_drop=0.3"]))
    model = instantiate(cfg)
    assert isinstance(model, mlp_module.Mlp)
    assert model.body[0].out_features == 64 and model.body[3].out_features == 256
    assert model.body[4].in_features == 256 and model.body[2].p == 0.3
    assert model.eval()(torch.randn(4, 32)).shape == (4, 3)


def test_an_unknown_key_is_refused_by_the_signature(mlp_module):
    with pytest.raises(Exception, match="hiden"):
        instantiate({"_target_": "mlp.Mlp", "hiden": 64})
