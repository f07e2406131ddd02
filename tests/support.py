"""Shared test helpers (fixtures and hypothesis's profiles are in conftest.py)."""

from __future__ import annotations

import copy
import sys
import types

from torcharc_codegen import generate
from torcharc_codegen.check.runtime import import_in_memory


def build_generated(spec: dict | str, class_name: str = "Model", **kwargs):
    """(instance of the generated class, generated source) for ``spec``, imported in memory."""
    text = generate(copy.deepcopy(spec) if isinstance(spec, dict) else spec, class_name, **kwargs)
    module = import_in_memory(text)
    return getattr(module, class_name)(), text


def torchvision_models():
    """``torchvision.models``, importable on the CPU torch.

    The registry's torchvision wheel is a CUDA build: its compiled ops (``torchvision._C``)
    don't load on the CPU torch, and ``torchvision._meta_registrations``, which ``import
    torchvision`` runs, fails registering meta kernels for those missing ops. The classifiers'
    model code is pure Python and needs none of them, so an empty module takes that one's place
    in ``sys.modules`` before torchvision is imported (it must come first: once torchvision is
    imported, the replacement is too late)."""
    name = "torchvision._meta_registrations"
    if "torchvision" not in sys.modules:
        sys.modules.setdefault(name, types.ModuleType(name))
    import torchvision.models

    return torchvision.models


def random_statistics(model, seed: int = 0):
    """``model`` with random BatchNorm statistics and affine parameters: at torchvision's
    initialization (mean 0, variance 1, weight 1, bias 0) eval mode's normalization is nearly
    the identity and would hide a BatchNorm loaded into the wrong place."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)
    return model


def example_class_name(spec) -> str:
    """The class a bundled example's file defines: the one its spec declares (``class:``),
    else its file name's in PascalCase."""
    from pathlib import Path

    from torcharc_codegen.spec.classes import declared_class
    from torcharc_codegen.spec.literals import pascal_case
    from torcharc_codegen.spec.load import load

    return declared_class(load(Path(spec)).data) or pascal_case(Path(spec).stem)
