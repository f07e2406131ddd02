"""Specs TorchArc 2.1.2 builds in forms that are easy to get wrong (an int where torch says
float, a fork inside a Sequential, ...): each generates, equals TorchArc bit-exact with a strict
state_dict load, and passes every check torch allows; where torch itself can't do a check, the
check says so as a warning and the file is still written."""

from __future__ import annotations

import copy
import textwrap

import pytest
from test_differential import compare_with_torcharc
from torcharc_equivalence import TorchArc, require_torcharc

from torcharc_codegen.api import compile_spec
from torcharc_codegen.check import verify as verify_module
from torcharc_codegen.cli import main
from torcharc_codegen.errors import SpecError


def spec(modules: dict, nodes: dict, output, shape=(4, 6)) -> dict:
    return {
        "modules": modules,
        "graph": {"input": {"x": {"shape": list(shape)}}, "modules": nodes, "output": output},
    }


def plain(ours: dict) -> dict:
    """The same spec as TorchArc reads it (input names, no example inputs)."""
    out = copy.deepcopy(ours)
    out["graph"]["input"] = list(ours["graph"]["input"])
    return out


FORK_GET = [{"ForkChunk": {"chunks": 2, "dim": 1}}, {"Get": {"key": 1}}]
TEL = {"d_model": 8, "nhead": 2, "bias": False, "batch_first": True}

# name -> (spec, a line the generated code holds, the checks torch can't do)
REPRODUCERS = {
    "int where torch says float": (
        spec(
            {
                "d": {"Dropout": {"p": 1}},
                "pd": {"PairwiseDistance": {"p": 3}},
                "pad": {"ConstantPad1d": {"padding": 1, "value": -1}},
            },
            {"d": ["x"], "pd": ["x", "d"], "pad": ["x"]},
            ["pd", "pad"],
        ),
        "self.pad = nn.ConstantPad1d(padding=1, value=-1.0)",
        {},
    ),
    "fork then Get in one Sequential": (
        spec({"s": {"Sequential": FORK_GET}}, {"s": ["x"]}, "s"),
        "def forward(self, input: list[torch.Tensor]) -> torch.Tensor:",
        {},
    ),
    "Reduce max with a dim as an output": (
        spec(
            {
                "r": {"Reduce": {"name": "max", "dim": 1, "keepdim": True}},
                "s": {"Sequential": [{"Reduce": {"name": "median", "dim": 1}}, {"Get": {}}]},
            },
            {"r": ["x"], "s": ["x"]},
            ["r", "s"],
        ),
        ") -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:",
        {},
    ),
    "dict output holding a fork's tuple": (
        spec(
            {"f": {"ForkChunk": {}}, "lin": {"Linear": {"in_features": 6, "out_features": 2}}},
            {"f": ["x"], "lin": ["x"]},
            {"main": "lin", "parts": "f"},
        ),
        ") -> dict[str, torch.Tensor | list[torch.Tensor]]:",
        {
            "trace": "torch 2.13 cannot trace a dict output whose values have different types "
            "(Tensor, tuple): jit.trace gives a dict one value type"
        },
    ),
    "modules named like the names the generated file reads": (
        spec(
            {
                "torch": {"Linear": {"in_features": 6, "out_features": 6}},
                "nn": {"Tanh": None},
                "self": {"Linear": {"in_features": 6, "out_features": 6}},
            },
            # TorchArc's fx graph can't use a node named `self` in another node: it is last
            {"torch": ["x"], "nn": ["torch"], "torch~again": ["nn"], "self": ["torch~again"]},
            "self",
        ),
        "torch_2 = self.torch(x)  # (B, 6)",
        {},
    ),
    "names TorchArc accepts": (
        spec(
            {
                "x": {"Tanh": None},
                "__": {"Linear": {"in_features": 6, "out_features": 6}},
                "emb": {"Linear": {"in_features": 6, "out_features": 6}},
            },
            {
                "x~a": ["x"],
                "__": ["x~a"],
                "emb~A-b": ["__"],
                "emb~ü": ["emb~A-b"],
                "emb~a.b": ["emb~ü"],
            },
            "emb~a.b",
        ),
        "emb_A_b = self.emb(__)  # (B, 6)",
        {},
    ),
    "TransformerEncoderLayer without bias": (
        spec({"t": {"TransformerEncoderLayer": TEL}}, {"t": ["x"]}, "t", (4, 3, 8)),
        "self.t = nn.TransformerEncoderLayer(",
        {"script": "torch 2.13 cannot script TransformerEncoderLayer(bias=False)"},
    ),
    "AdaptiveAvgPool2d with a None size": (
        spec(
            {"p": {"AdaptiveAvgPool2d": {"output_size": [None, 3]}}},
            {"p": ["x"]},
            "p",
            (2, 3, 8, 6),
        ),
        "self.p = nn.AdaptiveAvgPool2d(output_size=[None, 3])",
        {"script": "torch 2.13 cannot script AdaptiveAvgPool2d(output_size=[None, 3])"},
    ),
}


@pytest.fixture(scope="module")
def torcharc():
    require_torcharc()
    worker = TorchArc()
    yield worker
    worker.close()


@pytest.mark.slow  # every check of seven models, and TorchArc's build of each
@pytest.mark.parametrize("name", REPRODUCERS)
def test_reproducers_generate_verify_and_equal_torcharc(name, torcharc):
    ours, line, impossible = REPRODUCERS[name]
    result = compile_spec(copy.deepcopy(ours), "Model", verify=True)
    assert line in result.source
    checks = {c.name: c for c in result.report.checks}
    assert {n: c.detail for n, c in checks.items() if c.status == "not possible"} == impossible
    assert all(c.status == "ok" for n, c in checks.items() if n not in impossible)
    compare_with_torcharc(ours, plain(ours), torcharc)


def test_the_state_dict_keys_are_torcharcs_names():
    ours = REPRODUCERS["names TorchArc accepts"][0]
    source = compile_spec(copy.deepcopy(ours), "Model", verify=False).source
    assert "self.__ = nn.Linear(in_features=6, out_features=6)" in source
    assert "emb_ü = self.emb(emb_A_b)" in source
    assert "emb_a_b = self.emb(emb_ü)" in source


def test_a_name_python_would_mangle_is_refused_where_it_is():
    bad = spec({"__w": {"Tanh": None}}, {"__w": ["x"]}, "__w")
    with pytest.raises(SpecError) as e:
        compile_spec(bad, "Model", verify=False)
    assert e.value.lines() == [
        "modules.__w: module name '__w' can't be written in Python as it is: inside a class "
        "Python reads a name that starts with '__' (and doesn't end with it) as "
        "'_<Class>__w', so its state_dict keys would not be TorchArc's: rename it"
    ]


def test_each_specs_script_check_is_independent_of_the_ones_before(monkeypatch):
    """TorchScript keeps a class whose compilation failed half-defined: without a cache of its
    own, the second spec would fail with "Can't redefine method: forward"."""
    monkeypatch.setattr(verify_module, "torch_limit", lambda *args: None)  # torch's reasons
    ours = REPRODUCERS["TransformerEncoderLayer without bias"][0]
    first, second = (
        compile_spec(copy.deepcopy(ours), "Model", verify=True).report.checks[1] for _ in range(2)
    )
    assert first.line() == second.line()
    assert first.line().startswith("script: failed (RuntimeError: 'NoneType' object has no")


TEL_YAML = textwrap.dedent("""\
    modules:
      t:
        TransformerEncoderLayer: {d_model: 8, nhead: 2, bias: false, batch_first: true}
    graph:
      input: {x: {shape: [4, 3, 8]}}
      modules:
        t: [x]
      output: t
    """)


@pytest.mark.slow  # verifies a transformer twice
def test_torchs_limit_is_a_warning_unless_the_project_requires_the_check(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(TEL_YAML)
    assert main(["t.yaml", "-o", "t.py", "-q"]) == 0
    warning = (
        "t.yaml: script: not possible (torch 2.13 cannot script "
        "TransformerEncoderLayer(bias=False))"
    )
    assert capsys.readouterr().err.splitlines() == [f"warning: {warning}"]
    assert (tmp_path / "t.py").exists()
    (tmp_path / "t.py").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.torcharc-gen]\nrequire = ["script"]\n')
    assert main(["t.yaml", "-o", "t.py", "-q"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{warning}: [tool.torcharc-gen] requires script",
        "torcharc-gen: verification failed; t.py not written",
    ]
    assert not (tmp_path / "t.py").exists()


def test_require_names_checks(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.yaml").write_text(TEL_YAML)
    (tmp_path / "pyproject.toml").write_text('[tool.torcharc-gen]\nrequire = ["scrip"]\n')
    assert main(["t.yaml", "-o", "t.py"]) == 2
    assert capsys.readouterr().err == (
        f"torcharc-gen: error: {tmp_path / 'pyproject.toml'}: require must be a list of "
        "checks, each one of script, trace, compile, export\n"
    )
