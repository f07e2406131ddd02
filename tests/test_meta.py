"""Big models: shapes come from a run on the meta device (no weights), and verification
compares with eager only when the parameters fit the numeric budget; above it the checks run on
meta tensors and say so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from peak_memory import run_measured
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from torcharc_codegen import SpecError, compile_spec, generate
from torcharc_codegen.api import load_model
from torcharc_codegen.check.budget import parse, show_bytes, show_count
from torcharc_codegen.check.runtime import construct, imported, meta_tensors, run_forward
from torcharc_codegen.check.shapes import probe
from torcharc_codegen.check.verify import verify
from torcharc_codegen.cli import main
from torcharc_codegen.cli.config import ConfigError, load_config
from torcharc_codegen.codegen.emit import Header, emit

pytestmark = pytest.mark.slow  # big specs and whole-example sweeps on the meta device

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    spec
    for spec in sorted((ROOT / "generated_examples").rglob("*.yaml"))
    if load_model(spec)[1].examples is not None
]
LLAMA = ROOT / "benchmarks" / "specs" / "big" / "llama_7b.yaml"


def draft(spec):
    _, model = load_model(spec)
    return emit(model, "Model", Header()), model


@pytest.mark.parametrize("spec", EXAMPLES, ids=[f"{s.parent.name}/{s.stem}" for s in EXAMPLES])
def test_meta_shapes_equal_real_shapes(spec):
    code, model = draft(spec)
    meta = probe(code, model, budget=0, on="meta")  # never falls back to real weights
    real = probe(code, model, on="cpu")
    assert (meta.device, real.device) == ("meta", "cpu")
    assert meta.comments == real.comments
    assert meta.concrete == real.concrete
    assert meta.docstring == real.docstring
    assert meta.params == real.params


class LargestRealTensor(TorchDispatchMode):
    """The most bytes any tensor not on the meta device holds, of those torch ops make."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.device.type != "meta":
                self.largest = max(self.largest, t.untyped_storage().nbytes())
        return out


def test_a_7b_spec_is_probed_and_weighed_without_allocating_its_weights():
    code, model = draft(LLAMA)
    with LargestRealTensor() as watch:
        shapes = probe(code, model)
        with imported(code.text) as module:  # what verify builds and runs before its checks
            instance = construct(module, code, model, "meta")
            out = run_forward(module, instance, code, model, meta_tensors(model.examples), "meta")
    assert watch.largest < 2**20, watch.largest  # 27 GB of weights; not even 1 MB is real
    assert shapes.device == "meta"
    assert shapes.docstring[-2] == "Parameters: 6,706,307,072"
    assert shapes.comments["head"] == "(B, 16, 32000)"
    assert tuple(out["__return__"].shape) == (2, 16, 32000)


@pytest.mark.slow
def test_a_7b_spec_generates_with_verification_in_under_2_gb(tmp_path):
    out = tmp_path / "llama.py"
    command = [sys.executable, "-m", "torcharc_codegen", str(LLAMA), "-o", str(out)]
    proc, maxrss = run_measured(command)  # a small parent measures it (tests/peak_memory.py)
    stderr = proc.stderr
    assert proc.returncode == 0, stderr
    assert maxrss * 1024 < 2 * 2**30, maxrss
    note = "meta tensors: 6.7 B parameters (27 GB) is over the 1 GB numeric budget"
    checks = [
        line.strip().rsplit(" [", 1)[0] for line in stderr.splitlines() if line.startswith("  ")
    ]
    assert checks == [
        f"run: ok ({note})",
        f"script: ok ({note})",
        f"trace: ok ({note})",
        f"compile: ok ({note})",
        f"export: ok (dynamic batch size; {note})",
    ]
    assert "Parameters: 6,706,307,072" in out.read_text()


def test_under_the_budget_outputs_are_compared_and_over_it_meta_tensors_are():
    spec = ROOT / "generated_examples" / "basic" / "mlp.yaml"
    real = compile_spec(spec)
    meta = compile_spec(spec, numeric_budget=parse("30KB"))  # 8,906 fp32 parameters: 35.6 KB
    assert meta.source == real.source
    assert [c.line() for c in real.report.checks] == [
        "run: ok (example inputs)",
        "script: ok (same outputs as eager)",
        "trace: ok (same outputs as eager)",
        "compile: ok (same outputs as eager)",
        "export: ok (dynamic batch size, same outputs as eager)",
    ]
    note = "meta tensors: 8,906 parameters (36 KB) is over the 30 KB numeric budget"
    assert [c.line() for c in meta.report.checks] == [
        f"run: ok ({note})",
        f"script: ok ({note})",
        f"trace: ok ({note})",
        f"compile: ok ({note})",
        f"export: ok (dynamic batch size; {note})",
    ]
    assert [c.status for c in compile_spec(spec, numeric_budget=parse("36KB")).report.checks] == [
        "ok"
    ] * 5


TRACED_OTHERWISE = """\
    import torch
    from torch import nn


    class Narrow(nn.Module):
        \"\"\"While traced, a narrower output than eager's.\"\"\"

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, :1] if torch.jit.is_tracing() else x


    class Wrapped(nn.Module):
        \"\"\"While traced, the output in a tuple.\"\"\"

        def forward(self, x: torch.Tensor):
            return (x,) if torch.jit.is_tracing() else x
    """


@pytest.mark.parametrize(
    ("cls", "why"),
    [
        ("Narrow", "output 0 is (2, 1) torch.float32, not (2, 4) torch.float32"),
        ("Wrapped", "the structure differs: "),
    ],
)
def test_on_meta_tensors_a_different_shape_or_structure_fails_the_check(user_module, cls, why):
    user_module("meta_layers", TRACED_OTHERWISE)
    spec = {
        "modules": {
            "lin": {"Linear": {"in_features": 4, "out_features": 4}},
            "odd": {f"meta_layers.{cls}": None},
        },
        "graph": {
            "input": {"x": {"shape": [2, 4]}},
            "modules": {"lin": ["x"], "odd": ["lin"]},
            "output": "odd",
        },
    }
    _, model = load_model(spec, imports=["meta_layers"])
    report = verify(emit(model, "Model", Header()), model, budget=0)
    note = "meta tensors: 20 parameters (80 bytes) is over the 0 bytes numeric budget"
    assert report.checks[0].line() == f"run: ok ({note})"
    (trace,) = [c for c in report.checks if c.name == "trace"]
    assert trace.line().startswith(
        f"trace: failed (outputs differ from eager: AssertionError: {why}"
    )
    assert report.checks[-1].line() == f"export: ok (dynamic batch size; {note})"


NONZERO = {
    "modules": {
        "lin": {"Linear": {"in_features": 8, "out_features": 8}},
        "nz": {"TorchFn": {"name": "nonzero"}},
    },
    "graph": {
        "input": {"x": {"shape": [4, 8]}},
        "modules": {"lin": ["x"], "nz": ["lin"]},
        "output": "nz",
    },
}


def test_an_op_without_a_meta_kernel_runs_with_real_weights_within_the_budget():
    code, model = draft(NONZERO)
    shapes = probe(code, model)
    assert shapes.device == "cpu"
    assert shapes.comments["nz"] == "(32, 2) int64"  # every value of the example is nonzero


def test_an_op_without_a_meta_kernel_over_the_budget_says_what_to_do():
    code, model = draft(NONZERO)
    with pytest.raises(SpecError) as err:
        probe(code, model, budget=100)
    (line,) = err.value.lines()
    assert line.startswith(
        "graph.modules.nz: the example inputs fail at node 'nz': NotImplementedError: The"
        " register_meta function for torch.nonzero() raises unimplemented"
    )
    assert line.endswith(
        "(it got lin: (4, 8)) (on the meta device: its 288 bytes of parameters are over the"
        " 100 bytes numeric budget, so it was not run with real weights; a bigger"
        " --numeric-budget runs it for real)"
    )


def test_a_spec_mistake_over_the_budget_is_torchs_meta_message_alone():
    spec = {
        "modules": {"lin": {"Linear": {"in_features": 4, "out_features": 2}}},
        "graph": {"input": {"x": {"shape": [2, 5]}}, "modules": {"lin": ["x"]}, "output": "lin"},
    }
    code, model = draft(spec)
    with pytest.raises(SpecError) as err:
        probe(code, model, budget=0)
    assert err.value.lines() == [
        "graph.modules.lin: the example inputs fail at node 'lin': RuntimeError: a and b must"
        " have same reduction dim, but got [2, 5] X [4, 2]. (it got x: (2, 5)): write"
        " in_features: 5, or use LazyLinear, which infers it"
    ]
    with pytest.raises(SpecError) as err:  # within the budget: the CPU kernel's words
        probe(code, model)
    assert "mat1 and mat2 shapes cannot be multiplied (2x5 and 4x2)" in err.value.lines()[0]


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4 * 10**9), ("1 GB", 10**9), ("2GiB", 2 * 2**30), ("500mb", 5 * 10**8), ("0", 0)],
)
def test_sizes(text, size):
    assert parse(text) == size


def test_a_size_without_a_known_unit_says_what_to_write():
    with pytest.raises(ValueError, match="'4 gigs' is not a size: write a number of bytes with"):
        parse("4 gigs")


def test_shown_figures():
    assert [show_count(6_706_307_072), show_count(939_524_096), show_count(8906)] == [
        "6.7 B",
        "940 M",
        "8,906",
    ]
    assert [show_bytes(26_825_228_288), show_bytes(10**9), show_bytes(1_500_000)] == [
        "27 GB",
        "1 GB",
        "1.5 MB",
    ]


def test_numeric_budget_option_and_setting(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = ROOT / "generated_examples" / "basic" / "mlp.yaml"
    assert main([str(spec), "-o", "m.py", "--numeric-budget", "4 gigs"]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            "--numeric-budget: '4 gigs' is not a size: write a number of bytes with a unit,"
            " e.g. 4GB, 500MB, 2GiB"
        )
    )
    assert main([str(spec), "-o", "m.py", "--numeric-budget", "1KB"]) == 0
    assert "script: ok (meta tensors: 8,906 parameters" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[tool.torcharc-gen]\nnumeric-budget = "1KB"\n')
    assert load_config(tmp_path).numeric_budget == 1000
    (tmp_path / "m.py").unlink()
    assert main([str(spec), "-o", "m.py"]) == 0
    assert "script: ok (meta tensors: 8,906 parameters" in capsys.readouterr().err
    (tmp_path / "m.py").unlink()
    assert main([str(spec), "-o", "m.py", "--numeric-budget", "1GB"]) == 0  # the option wins
    assert "script: ok (same outputs as eager)" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[tool.torcharc-gen]\nnumeric-budget = "lots"\n')
    with pytest.raises(ConfigError, match="numeric-budget: 'lots' is not a size"):
        load_config(tmp_path)


def test_readme_documents_the_budget():
    readme = (ROOT / "README.md").read_text()
    assert "--numeric-budget" in readme
    assert 'numeric-budget = "4GB"' in readme


def test_generate_takes_the_budget_and_gives_the_same_code():
    spec = ROOT / "generated_examples" / "basic" / "mlp_lazy.yaml"
    assert generate(spec, verify=True, numeric_budget=0) == generate(spec, verify=True)
