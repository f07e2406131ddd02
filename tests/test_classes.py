"""register_nn: a registered class must be importable by the generated file."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from torcharc_codegen import build, generate, register_nn


@pytest.mark.slow
def test_a_class_defined_in_the_running_script_is_refused(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "from torch import nn\n"
        "import torcharc_codegen\n\n\n"
        "class MyLayer(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return x\n\n\n"
        "try:\n"
        "    torcharc_codegen.register_nn(MyLayer)\n"
        "except ValueError as e:\n"
        "    print(e)\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert run.stdout == (
        "MyLayer is defined in the script being run (__main__), which the generated file "
        "can't import (`from __main__ import MyLayer` would find its own script): move "
        "MyLayer into a module of its own (e.g. layers.py), import it from there and "
        "register that\n"
    ), run.stderr


def test_a_class_defined_inside_a_function_is_refused():
    class Local(nn.Module):
        pass

    with pytest.raises(ValueError) as e:
        register_nn(Local)
    assert str(e.value) == (
        "Local is defined inside a function (test_a_class_defined_inside_a_function_is_refused"
        ".<locals>.Local), which the generated file can't import: define it at the top level "
        "of a module"
    )


def test_two_classes_of_one_module_whose_names_share_a_prefix_are_both_imported(
    tmp_path, monkeypatch
):
    pkg = tmp_path / "prefixpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "blocks.py").write_text(
        "import torch\n"
        "from torch import nn\n\n\n"
        "class Res(nn.Module):\n"
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        "        return x + 1\n\n\n"
        "class ResBlock(nn.Module):\n"
        "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
        "        return x * 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = {
        "modules": {
            "block": {"prefixpkg.blocks.ResBlock": None},
            "res": {"prefixpkg.blocks.Res": None},
        },
        "graph": {"input": "x", "modules": {"block": ["x"], "res": ["block"]}, "output": "res"},
    }
    try:
        text = generate(spec, imports=["prefixpkg"])
        model = build(spec, imports=["prefixpkg"])
    finally:
        for name in [m for m in sys.modules if m.startswith("prefixpkg")]:
            del sys.modules[name]
    assert "from prefixpkg.blocks import Res, ResBlock\n" in text
    assert "self.block = ResBlock()" in text and "self.res = Res()" in text
    x = torch.ones(2, 3)
    assert torch.equal(model(x), x * 2 + 1)
