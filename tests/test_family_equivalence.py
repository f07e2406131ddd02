"""A parametrized spec's generated class is a family of TorchArc models. For each example in
generated_examples/params/ and 20 parameter sets hypothesis draws (within ranges where the spec
builds), the committed class built with those values is ``torcharc.build(resolve(spec,
values))``: the same state_dict names and shapes, TorchArc's weights load strictly, and the
outputs are bit-exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torcharc_equivalence import TorchArc, assert_same_model, require_torcharc

from torcharc_codegen.check.runtime import example_tensors, import_in_memory
from torcharc_codegen.params import collect_params, resolve, substitute, values_for
from torcharc_codegen.spec.literals import pascal_case
from torcharc_codegen.spec.load import load
from torcharc_codegen.spec.normalize import read_inputs

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

PARAMS = Path(__file__).resolve().parents[1] / "generated_examples" / "params"

probability = st.floats(0.0, 0.9, allow_nan=False)


@st.composite
def _transformer(draw):
    nhead = draw(st.integers(1, 4))
    return {
        "d_model": nhead * draw(st.integers(1, 8)),  # MultiheadAttention: nhead divides it
        "nhead": nhead,
        "p_drop": draw(probability),
        "n_classes": draw(st.integers(1, 16)),
    }


# Per example: the parameter sets to draw (every declared parameter, each within a range where
# the spec builds).
FAMILIES = {
    "mlp": st.fixed_dictionaries(
        {"hidden": st.integers(1, 64), "n_classes": st.integers(1, 16), "p_drop": probability}
    ),
    "conv_classifier": st.fixed_dictionaries(
        {"width": st.integers(1, 16), "n_classes": st.integers(1, 12), "use_bias": st.booleans()}
    ),
    "transformer_block": _transformer(),
    "input_width": st.fixed_dictionaries(
        {"in_dim": st.integers(2, 48), "expansion": st.integers(1, 4)}
    ),
    "crossq_critic": st.fixed_dictionaries(
        {"width": st.integers(2, 64), "in_dim": st.integers(2, 32)}
    ),
}


def test_every_parametrized_example_has_a_family():
    assert sorted(FAMILIES) == sorted(p.stem for p in PARAMS.glob("*.yaml"))


@pytest.fixture(scope="module")
def torcharc():
    require_torcharc()
    worker = TorchArc()
    yield worker
    worker.close()


def _inputs(data: dict, values: dict) -> tuple:
    """The spec's example inputs at ``values`` (a shape entry may be a ${...})."""
    params, _ = collect_params(data)
    graph = substitute(data, params, values_for(params, values))["graph"]
    _, examples = read_inputs(graph["input"])
    return tuple(example_tensors(examples).values())


@pytest.mark.parametrize("name", sorted(FAMILIES))
@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_generated_class_is_torcharc_build_of_resolved_spec(name, data, torcharc):
    values = data.draw(FAMILIES[name], label="values")
    spec = PARAMS / f"{name}.yaml"
    source = load(spec).data
    assert sorted(values) == sorted(collect_params(source)[0]), "every parameter is drawn"
    inputs = _inputs(source, values)
    module = import_in_memory(spec.with_suffix(".py").read_text())  # the committed file
    instance = getattr(module, pascal_case(name))(**values)

    reference = torcharc.build([(name, resolve(source, values), inputs)])[name]

    state, _ = reference
    assert state is not None, f"TorchArc refused the spec at {values}: {reference[1]}"
    shapes = {k: tuple(v.shape) for k, v in instance.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in state.items()}, "same names and shapes"
    assert_same_model(instance, reference, inputs)
