"""Real specs that other people wrote for TorchArc (../shared/wild-specs/): each compiles,
passes every check, and is TorchArc's model: same state_dict names, strict load, bit-exact
outputs. Each file's `# wild-inputs:` line gives its input shapes as example inputs."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from torcharc_equivalence import TorchArc, assert_same_model, require_torcharc

from torcharc_codegen.api import compile_spec
from torcharc_codegen.check.runtime import example_tensors, import_in_memory
from torcharc_codegen.spec.load import load

ROOT = Path(__file__).resolve().parents[1]
WILD = Path(os.environ.get("TORCHARC_WILD_SPECS", ROOT.parent / "shared" / "wild-specs"))
SPECS = sorted(WILD.glob("*.yaml"))

pytestmark = [pytest.mark.slow]  # every wild spec verified and built by TorchArc
pytestmark.append(
    pytest.mark.skipif(not SPECS and not os.environ.get("CI"), reason=f"no wild specs at {WILD}")
)


def test_the_wild_specs_are_there():
    assert len(SPECS) >= 20, f"expected the wild specs beside the checkout, at {WILD}"


def _with_example_inputs(path: Path) -> tuple[dict, dict]:
    """(the spec as TorchArc reads it, the same spec with its wild-inputs as example inputs)"""
    line = next(x for x in path.read_text().splitlines() if x.startswith("# wild-inputs:"))
    plain = load(path).data
    ours = copy.deepcopy(plain)
    ours["graph"]["input"] = yaml.safe_load(line.partition(":")[2])
    return plain, ours


@pytest.fixture(scope="module")
def compiled():
    """name -> (Result, inputs) for every wild spec, compiled and verified once."""
    out = {}
    for path in SPECS:
        _, ours = _with_example_inputs(path)
        result = compile_spec(ours, "Model", verify=True, name=path.name)
        out[path.name] = (result, tuple(example_tensors(result.model.examples).values()))
    return out


@pytest.fixture(scope="module")
def torcharc_results(compiled):
    require_torcharc()
    torcharc = TorchArc()
    jobs = [
        (path.name, copy.deepcopy(_with_example_inputs(path)[0]), compiled[path.name][1])
        for path in SPECS
    ]
    yield torcharc.build(jobs)
    torcharc.close()


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_wild_spec_passes_every_check(path, compiled):
    result, _ = compiled[path.name]
    assert not result.report.failed, [c.line() for c in result.report.checks]
    assert [c.name for c in result.report.checks] == ["run", "script", "trace", "compile", "export"]


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_wild_spec_is_torcharcs_model(path, compiled, torcharc_results):
    result, inputs = compiled[path.name]
    instance = import_in_memory(result.source).Model()
    assert_same_model(instance, torcharc_results[path.name], inputs)
