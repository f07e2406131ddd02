"""Worker run in a subprocess (importing torcharc registers its helpers into torch.nn, which
must not leak into the test process): build each spec with torcharc.build, run it on the
given inputs, save its state_dict and outputs.

usage: python torcharc_reference.py JOBS.pt RESULTS.pt
JOBS.pt: list of (name, spec dict in TorchArc's form, tuple of input tensors)
"""

from __future__ import annotations

import graphlib
import sys

import torch


def in_dependency_order(spec: dict) -> dict:
    """TorchArc needs each node listed after what it uses; our extension doesn't."""
    nodes = spec["graph"]["modules"]

    def uses(args) -> list[str]:
        flat = []
        for a in args.values() if isinstance(args, dict) else args:
            flat += a if isinstance(a, list) else [a]
        return [u for u in flat if u in nodes]

    order = graphlib.TopologicalSorter({n: uses(a) for n, a in nodes.items()}).static_order()
    spec["graph"]["modules"] = {n: nodes[n] for n in order}
    return spec


def main(jobs_path: str, results_path: str) -> None:
    import torcharc

    results = {}
    for name, spec, inputs in torch.load(jobs_path, weights_only=False):
        torch.manual_seed(0)
        model = torcharc.build(in_dependency_order(spec))
        model.eval()
        with torch.no_grad():
            out = model(*inputs)
        results[name] = (model.state_dict(), out)
    torch.save(results, results_path)


if __name__ == "__main__":
    main(*sys.argv[1:])
