"""Differential test against TorchArc 2.1.2: random valid specs (tests/torcharc_specs.py)
compile, pass every check, and equal `torcharc.build` of the same spec: the same state_dict
names, a strict load of TorchArc's weights, bit-exact outputs. A longer run with failures
counted by cause: `python benchmarks/differential.py`."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from torcharc_equivalence import TorchArc, assert_same_model, require_torcharc
from torcharc_specs import torcharc_specs

from torcharc_codegen.api import compile_spec
from torcharc_codegen.check.runtime import example_tensors, import_in_memory

pytestmark = pytest.mark.slow  # random specs verified and built by TorchArc


@pytest.fixture(scope="module")
def torcharc():
    require_torcharc()
    worker = TorchArc()
    yield worker
    worker.close()


def compare_with_torcharc(ours: dict, plain: dict, torcharc: TorchArc) -> None:
    result = compile_spec(copy.deepcopy(ours), "Model", verify=True)
    failed = [c.line() for c in result.report.failed]
    assert not failed, failed
    inputs = tuple(example_tensors(result.model.examples).values())
    (reference,) = torcharc.build([("spec", copy.deepcopy(plain), inputs)]).values()
    instance = import_in_memory(result.source).Model()
    assert_same_model(instance, reference, inputs)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(specs=torcharc_specs(extended=True))
def test_random_specs_equal_torcharc(specs, torcharc):
    compare_with_torcharc(*specs, torcharc)
