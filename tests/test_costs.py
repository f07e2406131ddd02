"""The generated count_parameters / count_flops are exact: for members drawn by hypothesis from
every parametrized example, they equal sum(p.numel()) of the member built on the meta device
and what torch.utils.flop_counter.FlopCounterMode counts for its forward on a meta batch."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from torcharc_codegen import params as P
from torcharc_codegen.check import costs as C

EXAMPLES = Path(__file__).parent.parent / "generated_examples" / "params"
SPECS = sorted(p for p in EXAMPLES.glob("*.yaml"))


def _load(spec: Path):
    path = spec.with_suffix(".py")
    module_spec = importlib.util.spec_from_file_location(f"_costs_{spec.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    tree = ast.parse(path.read_text())
    (name,) = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name[0] != "_"]
    return getattr(module, name), yaml.safe_load(spec.read_text())


def _strategy(p: P.Param):
    d = p.domain
    if d is not None and d.choices is not None:
        return st.sampled_from(d.choices)
    if p.type is bool:
        return st.booleans()
    if p.type is float:
        return st.just(p.default)
    if d is not None:
        return st.integers(d.low, d.high).filter(lambda v: v in d)
    return st.integers(2, max(4, 2 * p.default))


def _inputs(data, values: dict, batch: int) -> list[torch.Tensor]:
    out = []
    for ex in data["graph"]["input"].values():
        shape = [
            P.parse(v[2:-1]).evaluate(values) if isinstance(v, str) else v for v in ex["shape"]
        ]
        out.append(
            torch.empty(
                [batch, *shape[1:]], dtype=getattr(torch, ex.get("dtype", "float32")), device="meta"
            )
        )
    return out


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_formulas_are_exact(spec):
    cls, data = _load(spec)
    params, _ = P.collect_params(data)
    members = st.fixed_dictionaries({n: _strategy(p) for n, p in params.items()})

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(values=members, batch=st.integers(2, 9))
    def check(values, batch):
        try:
            with torch.device("meta"):
                model = cls(**values)
        except (AssertionError, ValueError, RuntimeError):
            assume(False)  # not a member: nhead must divide d_model, ...
        assert cls.count_parameters(**values) == sum(p.numel() for p in model.parameters())
        with FlopCounterMode(display=False) as counter:
            model(*_inputs(data, values, batch))
        assert cls.count_flops(batch, **values) == counter.get_total_flops()

    check()


def test_defaults_are_the_docstring_count():
    """At the defaults, count_parameters() is the count the docstring states."""
    for spec in SPECS:
        cls, _ = _load(spec)
        shown = next(ln for ln in cls.__doc__.splitlines() if "Parameters:" in ln)
        assert f"{cls.count_parameters():,}" in shown


def test_plain_bool_is_a_case():
    """A bool param the probe keeps plain gives one formula for each value."""
    data = yaml.safe_load((EXAMPLES / "conv_classifier.yaml").read_text())
    params, _ = P.collect_params(data)
    found = C.costs(data, {n: p.default for n, p in params.items()})
    count = found.functions()["count_parameters"]
    assert count(width=8, use_bias=True) - count(width=8, use_bias=False) == 8  # the conv bias


def test_no_batch_no_flops_formula():
    data = {
        "params": {"h": 8},
        "modules": {"a": {"LazyLinear": {"out_features": "${h}"}}},
        "graph": {
            "input": {"x": {"shape": [3, 5]}, "y": {"shape": [2, 5]}},
            "modules": {"a": ["x"]},
            "output": "a",
        },
    }
    found = C.costs(data, {"h": 8})
    assert found.flops is None and "first dimension" in found.why_no_flops
    assert found.functions()["count_parameters"](h=16) == 5 * 16 + 16
    assert "count_flops" not in found.source()


def test_batch_name_avoids_a_param():
    assert C.batch_name({"batch": 1}) == "batch_size"
    assert C.batch_name({"width": 1}) == "batch"


@pytest.mark.parametrize("spec", [EXAMPLES / "mlp.yaml", EXAMPLES / "conv_classifier.yaml"])
def test_summary_shows_the_formulas_and_they_give_its_total(spec, capsys):
    """mlp has one formula, conv_classifier one case per value of its plain bool."""
    from torcharc_codegen.cli import main

    assert main(["summary", str(spec)]) == 0
    out = capsys.readouterr().out
    total = int(out.split("Total params: ")[1].split("\n")[0].replace(",", ""))
    shown = out.split("Costs (exact formulas in the arguments):\n")[1]
    parameters, flops = shown.split("count_flops(batch)")
    params = P.collect_params(yaml.safe_load(spec.read_text()))[0]
    defaults = {n: p.default for n, p in params.items()}
    if parameters.startswith("count_parameters(), by case:"):  # the method's body
        body = parameters.split("\n", 1)[1]
        source = f"def count_parameters({', '.join(defaults)}):\n{body}"
    else:
        source = "def count_parameters({}):\n    return {}".format(
            ", ".join(defaults), " ".join(parameters.split(" = ", 1)[1].split())
        )
    scope: dict = {}
    exec(source, scope)  # noqa: S102 - the summary's own output
    assert scope["count_parameters"](**defaults) == total
    assert flops.startswith(" = batch * ")
