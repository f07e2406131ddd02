"""The reference the benchmarks compare with: an ``fx.GraphModule`` built from a spec the way
TorchArc 2.1.2 builds it (a placeholder per input, a ``call_module`` per node, its helper
modules as real submodules). Benchmark-only: the package never builds models this way.
"""

from __future__ import annotations

import torch
from torch import fx, nn


class Get(nn.Module):
    def __init__(self, key=0):
        super().__init__()
        self.key = key

    def forward(self, input):
        return input[self.key]


class ForkChunk(nn.Module):
    def __init__(self, chunks: int = 2, dim: int = 1):
        super().__init__()
        self.chunks, self.dim = chunks, dim

    def forward(self, x):
        return torch.chunk(x, chunks=self.chunks, dim=self.dim)


class _MergeDim(nn.Module):
    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim


class MergeConcat(_MergeDim):
    def forward(self, args):
        return torch.cat(args, dim=self.dim)


class MergeSum(_MergeDim):
    def forward(self, args):
        return torch.sum(torch.stack(args, dim=self.dim), dim=self.dim)


class Reduce(nn.Module):
    def __init__(self, name: str, dim, keepdim: bool = False):
        super().__init__()
        self.fn, self.dim, self.keepdim = getattr(torch, name), dim, keepdim

    def forward(self, input):
        return self.fn(input, dim=self.dim, keepdim=self.keepdim)


class MergeFiLM(nn.Module):
    def __init__(self, feature_dim: int, conditioner_dim: int):
        super().__init__()
        self.gamma = nn.Linear(conditioner_dim, feature_dim)
        self.beta = nn.Linear(conditioner_dim, feature_dim)

    @staticmethod
    def _broadcastable(feature, cond):
        if cond.dim() == feature.dim():
            return cond
        return cond.reshape(cond.shape + (1,) * (feature.dim() - cond.dim()))

    def forward(self, feature, conditioner):
        gamma, beta = self.gamma(conditioner), self.beta(conditioner)
        return self._broadcastable(feature, gamma) * feature + self._broadcastable(feature, beta)


HELPERS = {c.__name__: c for c in (Get, ForkChunk, MergeConcat, MergeSum, Reduce, MergeFiLM)}


def _layer(spec: dict) -> nn.Module:
    ((name, kwargs),) = spec.items()
    cls = HELPERS.get(name) or getattr(nn, name)
    return cls(**(kwargs or {}))


def _module(spec: dict) -> nn.Module:
    if "Sequential" in spec:
        return nn.Sequential(*[_layer(s) for s in spec["Sequential"]])
    return _layer(spec)


def build_fx(spec: dict) -> fx.GraphModule:
    """TorchArc's build: modules by name, then an fx.Graph calling them in spec order."""
    graph_spec = spec["graph"]
    modules = {name: _module(s) for name, s in spec["modules"].items()}
    graph = fx.Graph()
    nodes: dict = {}
    inputs = graph_spec["input"]
    for name in [inputs] if isinstance(inputs, str) else list(inputs):
        nodes[name] = graph.placeholder(name)

    def arg(a):
        return [arg(x) for x in a] if isinstance(a, list) else nodes[a]

    for name, args in graph_spec["modules"].items():
        module = name.split("~")[0]
        if isinstance(args, dict):
            call = graph.call_module(module, kwargs={k: nodes[v] for k, v in args.items()})
        else:
            call = graph.call_module(module, args=tuple(arg(a) for a in args))
        nodes[name] = call
    out = graph_spec["output"]
    if isinstance(out, str):
        graph.output(nodes[out])
    elif isinstance(out, list):
        graph.output(tuple(nodes[o] for o in out))
    else:
        graph.output({k: nodes[v] for k, v in out.items()})
    return fx.GraphModule(modules, graph)
