"""generated_examples/blocks/: the committed file of each spec with blocks is torchvision's
model: at the right params it loads the torchvision model's own state_dict with strict=True and
gives its outputs bit for bit in eval mode. (That each file is current is test_examples.py's.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from support import example_class_name, random_statistics, torchvision_models

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = ROOT / "generated_examples" / "blocks"

SLOW = pytest.mark.slow
# (example, torchvision model, the generated class's arguments, marks)
CASES = [
    pytest.param(example, name, params, marks=marks, id=name)
    for example, name, params, marks in [
        ("resnet", "resnet18", {}, ()),
        ("resnet", "resnet34", {"depth1": 3, "depth2": 4, "depth3": 6, "depth4": 3}, ()),
        ("resnet_bottleneck", "resnet50", {}, ()),
        ("resnet_bottleneck", "resnet101", {"depth3": 23}, SLOW),
        ("mobilenet_v2", "mobilenet_v2", {}, ()),
        ("densenet121", "densenet121", {}, SLOW),
    ]
]


def generated_class(example: str) -> type[torch.nn.Module]:
    """The class of generated_examples/blocks/EXAMPLE.py, imported from the committed file."""
    path = BLOCKS / f"{example}.py"
    assert path.is_file(), f"{path} is missing: generate it with torcharc-gen"
    spec = importlib.util.spec_from_file_location(f"blocks_{example}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, example_class_name(BLOCKS / f"{example}.yaml"))


@pytest.mark.parametrize(("example", "name", "params"), CASES)
def test_loads_torchvision_state_dict_and_gives_its_outputs(example, name, params):
    reference = random_statistics(getattr(torchvision_models(), name)()).eval()
    model = generated_class(example)(**params).eval()
    model.load_state_dict(reference.state_dict(), strict=True)
    # the same order too: an optimizer's state_dict, saved beside torchvision's, maps by it
    assert list(model.state_dict()) == list(reference.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))


@pytest.mark.parametrize(("example", "name", "params"), CASES)
def test_parameter_count_formula_is_torchvision_models(example, name, params):
    """count_parameters(**params), plain arithmetic, is the torchvision model's count: a
    search over the depths can price a member before building it."""
    reference = getattr(torchvision_models(), name)()
    count = generated_class(example).count_parameters(**params)
    assert count == sum(p.numel() for p in reference.parameters())


def test_resnet18_at_torchvision_input_size():
    """The example input's 64x64 fixes no size: at 224x224 the outputs are torchvision's too."""
    reference = random_statistics(torchvision_models().resnet18()).eval()
    model = generated_class("resnet")().eval()
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(model(x), reference(x))


@pytest.mark.parametrize("example", ["resnet", "resnet_bottleneck", "mobilenet_v2", "densenet121"])
def test_generated_file_needs_torch_alone(example):
    source = (BLOCKS / f"{example}.py").read_text()
    assert "torchvision" not in source
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from "))
    }
    assert {name for name in imports if name not in sys.stdlib_module_names} == {"torch"}


def test_readme_shows_the_current_resnet_spec_and_its_classes():
    readme = (ROOT / "README.md").read_text()
    spec = (ROOT / "generated_examples" / "blocks" / "resnet.yaml").read_text()
    source = (ROOT / "generated_examples" / "blocks" / "resnet.py").read_text()
    assert spec.rstrip() in readme
    basic = source[source.index("class BasicBlock(") : source.index("class DownBlock(")]
    assert basic.rstrip() in readme
    forward = source[source.rindex("    def forward(") :]
    assert forward.rstrip() in readme
