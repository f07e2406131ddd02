"""A Get inside a Sequential after a layer that returns a tuple without being a fork (an RNN,
a TorchFn such as topk): its class is annotated with that tuple, so every check passes."""

from __future__ import annotations

import pytest

from torcharc_codegen import compile_spec


def sequential(layers: list, shape: list[int]) -> dict:
    return {
        "modules": {"m": {"Sequential": layers}},
        "graph": {"input": {"x": {"shape": shape}}, "modules": {"m": ["x"]}, "output": "m"},
    }


CASES = {
    "LSTM": (
        sequential(
            [
                {"LSTM": {"input_size": 4, "hidden_size": 3, "batch_first": True}},
                {"Get": {"key": 0}},
            ],
            [2, 5, 4],
        ),
        "input: tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]",
    ),
    "GRU": (
        sequential([{"GRU": {"input_size": 4, "hidden_size": 3}}, {"Get": {"key": 1}}], [5, 4]),
        "input: tuple[torch.Tensor, torch.Tensor]",
    ),
    "topk": (
        sequential([{"TorchFn": {"name": "topk", "k": 2}}, {"Get": {"key": 1}}], [3, 6]),
        "input: tuple[torch.Tensor, torch.Tensor]",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_get_after_a_tuple_in_a_sequential_passes_every_check(case):
    spec, annotation = CASES[case]
    result = compile_spec(spec, verify=True)
    assert annotation in result.source
    assert [c.status for c in result.report.checks] == ["ok"] * 5, [
        c.line() for c in result.report.checks
    ]
