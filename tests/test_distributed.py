"""A generated module trains under DistributedDataParallel (gloo, 2 CPU processes) and its
replicas stay equal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest
import torch

from torcharc_codegen import generate

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

SPEC = {
    "modules": {
        "encoder": {
            "Sequential": [{"Linear": {"in_features": 6, "out_features": 8}}, {"ReLU": None}]
        },
        "merge": {"MergeConcat": None},
        "head": {"Linear": {"in_features": 16, "out_features": 1}},
    },
    "graph": {
        "input": ["left", "right"],
        "modules": {
            "encoder~left": ["left"],
            "encoder~right": ["right"],
            "merge": [["encoder~left", "encoder~right"]],
            "head": ["merge"],
        },
        "output": "head",
    },
}

WORKER = textwrap.dedent("""\
    import os, sys
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    sys.path.insert(0, os.environ["MODEL_DIR"])
    from model import Model

    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", rank=rank, world_size=2)
    torch.manual_seed(0)  # the same initial weights on both ranks
    model = Model()
    if rank == 0:
        torch.save(model.state_dict(), os.path.join(os.environ["MODEL_DIR"], "initial.pt"))
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    data = torch.Generator().manual_seed(100 + rank)  # different data on each rank
    for _ in range(5):
        left, right = torch.randn(8, 6, generator=data), torch.randn(8, 6, generator=data)
        loss = ddp(left, right).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save(model.state_dict(), os.path.join(os.environ["MODEL_DIR"], f"rank{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()
    # gloo's threads can abort the interpreter's own shutdown ("terminate called without an
    # active exception"); everything is saved, so leave without it.
    os._exit(0)
    """)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_replicas_stay_equal(tmp_path):
    (tmp_path / "model.py").write_text(generate(SPEC, "Model"))
    (tmp_path / "worker.py").write_text(WORKER)
    env = {
        **os.environ,
        "MODEL_DIR": str(tmp_path),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "WORLD_SIZE": "2",
        "OMP_NUM_THREADS": "1",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "worker.py")],
            env={**env, "RANK": str(rank)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    initial = torch.load(tmp_path / "initial.pt")
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert list(rank0) == ["encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"]
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), f"{name} differs between replicas"
        assert not torch.equal(rank0[name], initial[name]), f"{name} did not train"
