"""Worker run in a subprocess (importing torcharc registers its helpers into torch.nn, which
must not leak into the test process): build each spec with torcharc.build, run it on the
given inputs, save its state_dict and outputs.

usage: python torcharc_reference.py JOBS.pt RESULTS.pt
       python torcharc_reference.py --serve   (one "JOBS.pt RESULTS.pt" line per request on
                                              stdin; answers "ok" or "error: ..." per line)
JOBS.pt: list of (name, spec dict in TorchArc's form, tuple of input tensors). A spec TorchArc
refuses gives (None, "ExceptionType: message") as its result.
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


def run(jobs_path: str, results_path: str) -> None:
    import torcharc

    results = {}
    for name, spec, inputs in torch.load(jobs_path, weights_only=False):
        torch.manual_seed(0)
        try:
            model = torcharc.build(in_dependency_order(spec))
            model.eval()
            with torch.no_grad():
                out = model(*inputs)
        except Exception as e:  # noqa: BLE001 - the caller decides what a refusal means
            results[name] = (None, f"{type(e).__name__}: {e}")
            continue
        results[name] = (model.state_dict(), out)
    torch.save(results, results_path)


def serve() -> None:
    for line in sys.stdin:
        try:
            run(*line.split())
        except Exception as e:  # noqa: BLE001
            print(f"error: {type(e).__name__}: {e}".replace("\n", " "), flush=True)
        else:
            print("ok", flush=True)


if __name__ == "__main__":
    serve() if sys.argv[1:] == ["--serve"] else run(*sys.argv[1:])
