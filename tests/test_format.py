"""Generated files are black-formatted. Big models skip running black on the whole file
(format_big): its output must be exactly black's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_properties import graphs

from torcharc_codegen.api import load_model
from torcharc_codegen.codegen.emit import Header, draft, emit, format_big, format_source

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "generated_examples").rglob("*.yaml"))


def same_as_black(spec) -> None:
    _, model = load_model(spec)
    d = draft(model, "Model", Header(spec_name="s.yaml"))
    assert format_big(d.parts) == format_source(d.text)
    # and the line map is the same whichever formatter ran
    big = emit(model, "Model", Header(spec_name="s.yaml"), big=True)
    small = emit(model, "Model", Header(spec_name="s.yaml"), big=False)
    assert (big.forward_lines, big.init_lines) == (small.forward_lines, small.init_lines)


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_big_model_formatting_is_blacks_on_the_examples(spec):
    same_as_black(spec)


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_big_model_formatting_is_blacks_on_random_graphs(case):
    same_as_black(case[0])


def test_big_model_formatting_is_blacks_with_long_lines_strings_and_sequentials():
    modules, nodes = {}, {}
    for i in range(60):
        name = f"layer_with_a_rather_long_name_{i}"
        modules[name] = (
            {
                "Sequential": [
                    {"Linear": {"in_features": 8, "out_features": 8}},
                    {"Dropout": {"p": 0.1}},
                ]
            }
            if i % 3
            else {"TorchFn": {"name": "div", "rounding_mode": "floor" if i % 2 else 'it\'s "x"'}}
        )
        previous = f"layer_with_a_rather_long_name_{i - 1}" if i else "x"
        nodes[name] = [previous] if i % 4 else {"input": previous}
    spec = {
        "modules": modules,
        "graph": {
            "input": "x",
            "modules": nodes,
            "output": {f"key {i}": n for i, n in enumerate(list(nodes)[-3:])},
        },
    }
    same_as_black(spec)
