"""register_nn: a registered class must be importable by the generated file."""

from __future__ import annotations

import subprocess
import sys

import pytest
from torch import nn

from torcharc_codegen import register_nn


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
