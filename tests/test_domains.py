"""Search domains checked at generation time: which points are tried (each domain's corners
and interior points with the others at their defaults, then all-low and all-high), a failure
located at the domain with the failing layer and torch's reason, and a meta-device refusal that
real weights take is no error."""

from __future__ import annotations

import pytest

from torcharc_codegen import compile_spec
from torcharc_codegen.check import domains as D
from torcharc_codegen.errors import SpecError

SPEC = """
params:
  width: {default: 16, low: 4, high: 64, log: true}
  kernel: {default: 3, choices: [1, 3, 5]}
  use_bias: {default: true, choices: [true, false]}
  n_classes: 10
modules:
  conv: {LazyConv1d: {out_channels: "${width}", kernel_size: "${kernel}", bias: "${use_bias}"}}
  flat: {Flatten: }
  head: {LazyLinear: {out_features: "${n_classes}"}}
graph:
  input: {x: {shape: [4, 2, 16]}}
  modules: {conv: [x], flat: [conv], head: [flat]}
  output: head
"""


def test_each_domain_corners_and_interior_then_the_joint_corners(monkeypatch):
    tried = []
    real = D._failure

    def recording(module, code, model, values, budget):
        tried.append(dict(values))
        return real(module, code, model, values, budget)

    monkeypatch.setattr(D, "_failure", recording)
    compile_spec(SPEC, verify=False)
    defaults = {"width": 16, "kernel": 3, "use_bias": True, "n_classes": 10}
    expected = [{**defaults, "width": w} for w in (4, 19, 34, 49, 64)]
    expected += [{**defaults, "kernel": 1}, {**defaults, "kernel": 5}]
    expected += [{**defaults, "use_bias": False}]
    expected += [
        {"width": 4, "kernel": 1, "use_bias": False, "n_classes": 10},
        {"width": 64, "kernel": 5, "use_bias": True, "n_classes": 10},
    ]
    assert tried == expected  # the defaults themselves: the probe ran them already


def test_an_interior_point_the_model_cant_take_is_located_at_the_domain():
    spec = SPEC.replace("choices: [1, 3, 5]}", "low: 1, high: 33, step: 2}")
    with pytest.raises(SpecError) as e:  # kernel 1, 9, 17, 25, 33 over 16 steps: 17 fails
        compile_spec(spec, verify=False)
    (problem,) = e.value.problems
    assert problem.path == ("params", "kernel")
    assert (problem.line, problem.column) == (4, 11)
    assert "parameter `kernel` = 17, a value in its search domain" in problem.message
    assert "graph.modules.conv (line 13): the example inputs fail at node 'conv'" in problem.message
    assert "Kernel size can't be greater than actual input size" in problem.message
    assert "not proved for every value" in problem.message


def test_a_meta_refusal_that_real_weights_take_is_no_error(monkeypatch):
    real = D.run_forward
    devices = []

    def meta_refuses(module, instance, code, model, inputs, device=None):
        devices.append(device)
        if device == "meta":
            from torcharc_codegen.check.runtime import ForwardError

            problem = model.problem(("modules", "conv"), "no meta kernel")
            raise ForwardError(problem, model.source_name, "conv", "no meta kernel")
        return real(module, instance, code, model, inputs, device)

    monkeypatch.setattr(D, "run_forward", meta_refuses)
    compile_spec(SPEC, verify=False)
    assert "meta" in devices and None in devices
