"""The wheel carries the templates, the schema and the examples; the generated file needs
torch alone."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

ROOT = Path(__file__).resolve().parents[1]

BLOCK = (
    "import sys\n"
    "for name in ('torcharc_codegen', 'torcharc', 'jinja2', 'jsonschema', 'black', 'yaml'):\n"
    "    sys.modules[name] = None  # then importing any of them raises ImportError\n"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv (seeing this interpreter's torch) with the project installed from its wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = (tmp / "dist").glob("*.whl")
    env_dir = tmp / "venv"
    # Not `system_site_packages=True`: inside a venv that means the *base* interpreter's
    # packages, without torch or black. The new venv sees this interpreter's packages
    # instead, through a .pth file (path lines only, so an editable install of the checkout
    # stays out of sight and the wheel is what gets imported).
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    (site_dir,) = (env_dir / "lib").glob("python*/site-packages")
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site_dir / "_outer_environment.pth").write_text("".join(f"{d}\n" for d in ours))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )
    return python


def test_wheel_install_works_from_another_directory(installed, tmp_path):
    where = subprocess.run(
        [str(installed), "-c", "import torcharc_codegen as t; print(t.__file__, t.SPEC_DIR)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "site-packages" in where[0], "imported the checkout, not the wheel"
    spec = Path(where[1]) / "basic" / "mlp.yaml"
    assert spec.is_file(), "the example specs ship in the wheel"
    gen = Path(installed).parent / "torcharc-gen"
    proc = subprocess.run(
        [str(gen), str(spec), "-o", "my_model.py", "--no-verify"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "class MyModel(nn.Module)" in (tmp_path / "my_model.py").read_text()
    schema = subprocess.run([str(gen), "schema"], cwd=tmp_path, capture_output=True, text=True)
    assert schema.returncode == 0 and '"$schema"' in schema.stdout


def test_generated_file_needs_torch_alone(tmp_path):
    from torcharc_codegen import generate

    spec = ROOT / "generated_examples" / "advanced" / "dlrm_sum.yaml"
    (tmp_path / "my_model.py").write_text(generate(spec, "MyModel"))
    code = BLOCK + (
        "import torch\n"
        "import my_model\n"
        "m = my_model.MyModel()\n"
        "ints = torch.randint(0, 1000, (4,))\n"
        "y = m(torch.randn(4, 256), ints, ints, ints)\n"
        "print(tuple(y.shape))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(4, 1)"
