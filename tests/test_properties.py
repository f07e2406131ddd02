"""Property-based tests: random valid graphs compute what a reference evaluation written here
computes; random mutations of valid specs end in a SpecError or in valid code, nothing else
(`--hypothesis-show-statistics` counts the examples each test ran)."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support import build_generated
from torcharc_codegen import SpecError, generate

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

WIDTH = 4
KINDS = ["lin", "reuse", "act", "sum", "mean", "concat_halves"]


@st.composite
def graphs(draw):
    """(spec, plan): a random DAG over input `x`; plan is the node list in dependency order,
    each (name, kind, inputs, module)."""
    n = draw(st.integers(1, 8))
    modules: dict = {}
    nodes: dict = {}
    plan = []
    available = ["x"]
    linears: list[str] = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS if linears else ["lin", "act"]))

        def pick(k: int) -> list[str]:
            return draw(st.lists(st.sampled_from(available), min_size=k, max_size=k))

        if kind == "lin":
            name = f"lin{i}"
            modules[name] = {"Linear": {"in_features": WIDTH, "out_features": WIDTH}}
            (src,) = pick(1)
            nodes[name] = [src]
            linears.append(name)
            plan.append((name, "lin", [src], name))
        elif kind == "reuse":
            module = draw(st.sampled_from(linears))
            name = f"{module}~r{i}"
            (src,) = pick(1)
            nodes[name] = [src]
            plan.append((name, "lin", [src], module))
        elif kind == "act":
            name = f"act{i}"
            modules[name] = {"Tanh": None}
            (src,) = pick(1)
            nodes[name] = {"input": src}
            plan.append((name, "act", [src], name))
        elif kind in ("sum", "mean"):
            name = f"{kind}{i}"
            modules[name] = {"MergeSum" if kind == "sum" else "MergeMean": None}
            srcs = pick(draw(st.integers(1, 3)))
            nodes[name] = [srcs]
            plan.append((name, kind, srcs, name))
        else:  # fork into halves, get both, concatenate them swapped
            (src,) = pick(1)
            fork, a, b, cat = f"fork{i}", f"first{i}", f"second{i}", f"cat{i}"
            modules[fork] = {"ForkChunk": {"chunks": 2, "dim": 1}}
            modules[a] = {"Get": {"key": 0}}
            modules[b] = {"Get": {"key": 1}}
            modules[cat] = {"MergeConcat": {"dim": 1}}
            nodes[fork], nodes[a], nodes[b], nodes[cat] = [src], [fork], [fork], [[b, a]]
            plan.append((cat, "swap", [src], cat))
            name = cat
        available.append(name)
    outputs = draw(st.lists(st.sampled_from(available[1:]), min_size=1, max_size=3, unique=True))
    order = draw(st.permutations(list(nodes)))
    spec = {
        "modules": modules,
        "graph": {
            "input": "x",
            "modules": {k: nodes[k] for k in order},
            "output": outputs if len(outputs) > 1 else outputs[0],
        },
    }
    return spec, plan, outputs


def reference(model, plan, outputs, x):
    values = {"x": x}
    for name, kind, srcs, module in plan:
        ins = [values[s] for s in srcs]
        if kind == "lin":
            lin = getattr(model, module)
            values[name] = ins[0] @ lin.weight.T + lin.bias
        elif kind == "act":
            values[name] = torch.tanh(ins[0])
        elif kind == "sum":
            values[name] = torch.stack(ins, 1).sum(1)
        elif kind == "mean":
            values[name] = torch.stack(ins, 1).mean(1)
        else:
            values[name] = torch.cat([ins[0][:, 2:], ins[0][:, :2]], 1)
    got = [values[o] for o in outputs]
    return tuple(got) if len(got) > 1 else got[0]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_random_graphs_match_a_reference_evaluation(case):
    spec, plan, outputs = case
    model, _ = build_generated(spec)
    x = torch.randn(3, WIDTH)
    with torch.no_grad():
        got, want = model(x), reference(model, plan, outputs, x)
    torch.testing.assert_close(got, want)


def _mutations():
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.text(max_size=6),
        st.just([]),
        st.just({}),
        st.just("x"),
        st.just("lin0"),
    )
    return st.lists(
        st.tuples(st.sampled_from(["set", "delete", "rename"]), st.integers(0, 10_000), leaf),
        min_size=1,
        max_size=3,
    )


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _mutate(spec, ops):
    spec = copy.deepcopy(spec)
    for op, index, leaf in ops:
        paths = [p for p in _paths(spec) if p]
        if not paths:
            break
        path = paths[index % len(paths)]
        parent = spec
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if op == "set":
            parent[last] = leaf
        elif op == "delete":
            del parent[last]
        elif isinstance(parent, dict) and isinstance(leaf, str):
            parent[leaf] = parent.pop(last)
    return spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), _mutations())
def test_mutated_specs_give_a_spec_error_or_valid_code(case, ops):
    spec = _mutate(case[0], ops)
    try:
        text = generate(spec)
    except SpecError as e:
        assert e.lines() and all(line.strip() for line in e.lines())
        return
    compile(text, "generated.py", "exec")
