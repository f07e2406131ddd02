"""generated_examples/: every committed file is what the generator makes of its spec; every
example imports, scripts, traces, compiles with fullgraph and exports; and every example is
TorchArc's model: same state_dict names, same outputs for the same weights."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torcharc_equivalence import TorchArc, assert_same_model, require_torcharc, tuple_of

from support import example_class_name
from torcharc_codegen.api import compile_file, load_model
from torcharc_codegen.check.runtime import example_tensors, import_in_memory
from torcharc_codegen.params import resolve
from torcharc_codegen.spec.blocks import extension_used
from torcharc_codegen.spec.load import load

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "generated_examples").rglob("*.yaml"))
IDS = [str(p.relative_to(ROOT / "generated_examples").with_suffix("")) for p in EXAMPLES]
# The examples TorchArc can build: not those with blocks, repeats or nested Sequentials
# (generated_examples/blocks/ is compared with torchvision: tests/test_blocks_torchvision.py).
TORCHARC_EXAMPLES = [p for p in EXAMPLES if extension_used(load(p).data) is None]
TORCHARC_IDS = [IDS[EXAMPLES.index(p)] for p in TORCHARC_EXAMPLES]
REGENERATE = "run `torcharc-gen` in the repository root to regenerate generated_examples/"


def test_there_are_examples():
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("spec", EXAMPLES, ids=IDS)
def test_committed_file_is_current(spec):
    out = spec.with_suffix(".py")
    assert out.is_file(), f"{out} is missing: {REGENERATE}"
    assert (
        out.read_text() == compile_file(spec, out, verify=False).source
    ), f"{out} is stale: {REGENERATE}"


def test_committed_files_pass_ruff_defaults_and_black():
    files = [str(p.with_suffix(".py")) for p in EXAMPLES]
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", *files],
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    black = subprocess.run(
        [sys.executable, "-m", "black", "--check", "-q", *files],  # this repository's settings
        capture_output=True,
        text=True,
    )
    assert black.returncode == 0, black.stderr


def _example(spec: Path):
    """(generated instance in eval mode, its example inputs as a tuple, the Model)."""
    _, model = load_model(spec)
    module = import_in_memory(spec.with_suffix(".py").read_text())
    instance = getattr(module, example_class_name(spec))()
    instance.eval()
    examples = model.examples or _torcharc_form_inputs(spec)
    inputs = tuple(example_tensors(examples).values())
    return instance, inputs, model


def _torcharc_form_inputs(spec: Path):
    """Inputs for the examples that keep TorchArc's plain `input:` form (no shapes)."""
    from torcharc_codegen.spec.model import Example

    _, model = load_model(spec)
    return {name: Example(shape=(4, 8)) for name in model.inputs}


def _is_rnn(instance) -> bool:
    return any(isinstance(m, torch.nn.RNNBase) for m in instance.modules())


@pytest.mark.parametrize("spec", EXAMPLES, ids=IDS)
def test_example_scripts_traces_compiles_and_exports(spec):
    instance, inputs, _ = _example(spec)
    with torch.no_grad():
        expected = instance(*inputs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scripted = torch.jit.script(instance)
            traced = torch.jit.trace(instance, inputs, strict=False, check_trace=False)
        torch.testing.assert_close(tuple_of(scripted(*inputs)), tuple_of(expected))
        torch.testing.assert_close(tuple_of(traced(*inputs)), tuple_of(expected))
        torch._dynamo.reset()
        if _is_rnn(instance):
            # Torch's own limit: dynamo refuses nn.LSTM/GRU/RNN under fullgraph unless
            # allow_rnn is set; the verification line says so, and so does this test.
            with pytest.raises(Exception, match="(?i)rnn|lstm|gru"):
                torch.compile(instance, backend="eager", fullgraph=True)(*inputs)
            torch._dynamo.reset()
            with torch._dynamo.config.patch(allow_rnn=True):
                compiled = torch.compile(instance, backend="eager", fullgraph=True)(*inputs)
        else:
            compiled = torch.compile(instance, backend="eager", fullgraph=True)(*inputs)
        torch._dynamo.reset()
        torch.testing.assert_close(tuple_of(compiled), tuple_of(expected))
        exported = torch.export.export(instance, inputs).module()(*inputs)
        torch.testing.assert_close(tuple_of(exported), tuple_of(expected))


def _torcharc_spec(spec: Path) -> dict:
    """The spec in TorchArc's own form (`torcharc-gen resolve`): example inputs become the
    plain list of names, a parametrized spec's ${...} its defaults."""
    source, _ = load_model(spec)
    return resolve(source.data)


@pytest.fixture(scope="module")
def torcharc_results():
    require_torcharc()
    torcharc = TorchArc()
    jobs = []
    for spec in TORCHARC_EXAMPLES:
        _, inputs, _ = _example(spec)
        jobs.append((str(spec), _torcharc_spec(spec), inputs))
    yield torcharc.build(jobs)
    torcharc.close()


@pytest.mark.parametrize("spec", TORCHARC_EXAMPLES, ids=TORCHARC_IDS)
def test_same_model_as_torcharc(spec, torcharc_results):
    instance, inputs, _ = _example(spec)
    assert_same_model(instance, torcharc_results[str(spec)], inputs)


def test_readme_shows_a_current_spec_and_its_generated_file():
    readme = (ROOT / "README.md").read_text()
    stereo = ROOT / "generated_examples" / "basic" / "stereo_conv_reuse"
    assert stereo.with_suffix(".yaml").read_text().rstrip() in readme
    assert stereo.with_suffix(".py").read_text().rstrip() in readme


def test_committed_pictures_are_current():
    from torcharc_codegen.api import compile_spec
    from torcharc_codegen.views.picture import to_mermaid

    for picture in (ROOT / "generated_examples").rglob("*.mmd"):
        result = compile_spec(picture.with_suffix(".yaml"), "Model", verify=False)
        assert picture.read_text() == to_mermaid(
            result
        ), f"{picture} is stale: torcharc-gen graph {picture.with_suffix('.yaml')} -o {picture}"
    for picture in (ROOT / "generated_examples").rglob("*.svg"):
        assert picture.read_text().lstrip().startswith("<?xml"), picture
