"""A generated module trains under DistributedDataParallel (gloo, 2 CPU processes) and its
replicas stay equal; built on the meta device and sharded with FSDP2 (`fully_shard`), it is
materialized with `to_empty` + `init_weights` and trains as it does in one process."""

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


TRANSFORMER = {
    "modules": {
        "embed": {"Embedding": {"num_embeddings": 50, "embedding_dim": 16}},
        "blocks": {
            "Sequential": [
                {
                    "TransformerEncoderLayer": {
                        "d_model": 16,
                        "nhead": 2,
                        "dim_feedforward": 32,
                        "dropout": 0.0,
                        "batch_first": True,
                        "norm_first": True,
                    }
                }
            ]
            * 2
        },
        "norm": {"LayerNorm": {"normalized_shape": 16}},
        "head": {"Linear": {"in_features": 16, "out_features": 50, "bias": False}},
    },
    "graph": {
        "input": {"tokens": {"shape": [2, 8], "dtype": "int64", "high": 50}},
        "modules": {"embed": ["tokens"], "blocks": ["embed"], "norm": ["blocks"], "head": ["norm"]},
        "output": "head",
    },
}

FSDP_WORKER = textwrap.dedent("""\
    import os, sys
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F

    sys.path.insert(0, os.environ["MODEL_DIR"])
    from model import Model

    def train(model, rank, world):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        data = torch.Generator().manual_seed(100)  # the same global batches everywhere
        losses = []
        for _ in range(4):
            tokens = torch.randint(0, 50, (4, 8), generator=data)
            target = torch.randint(0, 50, (4, 8), generator=data)
            mine = slice(rank * 4 // world, (rank + 1) * 4 // world)  # this rank's rows
            logits = model(tokens[mine])
            loss = F.cross_entropy(logits.reshape(-1, 50), target[mine].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss = loss.detach()
            if world > 1:
                dist.all_reduce(loss)
            losses.append(loss.item() / world)
        return losses

    out = os.environ["MODEL_DIR"]
    if os.environ["RANK"] == "single":  # the reference: one process, the same start
        model = Model()
        model.load_state_dict(torch.load(os.path.join(out, "initial.pt")))
        torch.save(train(model, 0, 1), os.path.join(out, "single.pt"))
        sys.exit(0)

    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
    from torch.distributed.fsdp import fully_shard

    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", rank=rank, world_size=2)
    with torch.device("meta"):
        model = Model()  # no storage allocated
    assert all(p.is_meta for p in model.parameters())
    for child in model.children():
        fully_shard(child)
    fully_shard(model)
    model.to_empty(device="cpu")
    torch.manual_seed(rank)  # on CPU each shard draws its own numbers (DTensor's RNG is GPU-only)
    model.init_weights()
    full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True))
    if rank == 0:
        torch.save({k: v.clone() for k, v in full.items()}, os.path.join(out, "initial.pt"))
    losses = train(model, rank, 2)
    if rank == 0:
        torch.save(losses, os.path.join(out, "fsdp.pt"))
    dist.barrier()
    dist.destroy_process_group()
    os._exit(0)  # gloo's threads can abort the interpreter's own shutdown
    """)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_replicas_stay_equal(tmp_path):
    (tmp_path / "model.py").write_text(generate(SPEC, "Model"))
    (tmp_path / "worker.py").write_text(WORKER)
    _run_ranks(tmp_path, "worker.py", ["0", "1"])
    initial = torch.load(tmp_path / "initial.pt")
    rank0, rank1 = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    assert list(rank0) == ["encoder.0.weight", "encoder.0.bias", "head.weight", "head.bias"]
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), f"{name} differs between replicas"
        assert not torch.equal(rank0[name], initial[name]), f"{name} did not train"


def _run_ranks(tmp_path, worker: str, ranks: list[str]) -> None:
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
            [sys.executable, str(tmp_path / worker)],
            env={**env, "RANK": rank},
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in ranks
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err


def test_fsdp2_from_meta_trains_like_one_process(tmp_path):
    (tmp_path / "model.py").write_text(generate(TRANSFORMER, "Model"))
    (tmp_path / "fsdp_worker.py").write_text(FSDP_WORKER)
    _run_ranks(tmp_path, "fsdp_worker.py", ["0", "1"])
    initial = torch.load(tmp_path / "initial.pt")
    # init_weights gave every parameter real values (to_empty leaves garbage)
    assert all(torch.isfinite(v).all() for v in initial.values())
    assert torch.equal(initial["norm.weight"], torch.ones(16))
    assert initial["head.weight"].std() > 0
    _run_ranks(tmp_path, "fsdp_worker.py", ["single"])
    fsdp, single = torch.load(tmp_path / "fsdp.pt"), torch.load(tmp_path / "single.pt")
    assert len(fsdp) == 4 and fsdp[-1] < fsdp[0], fsdp
    torch.testing.assert_close(fsdp, single, rtol=1e-5, atol=1e-6)
