"""Hostile and unlucky input: nothing from a spec runs, nothing good is lost, output is
deterministic."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from torcharc_codegen import SpecError, generate
from torcharc_codegen.spec.literals import identifier_from

SPEC = {
    "modules": {"lin": {"Linear": {"in_features": 4, "out_features": 2}}},
    "graph": {"input": "x", "modules": {"lin": ["x"]}, "output": "lin"},
}

PAYLOADS = [
    "'; import os; os.system('touch /tmp/pwned') #",
    '"""\nimport os\n"""',
    "\\\n__import__('os').system('x')",
    "${{ }} {% raw %} {{ x }}",
    "ünïcödé \u2028 \x00 tab\t",
    "'''",
]


def spec_with(**parts) -> dict:
    import copy

    spec = copy.deepcopy(SPEC)
    for key, value in parts.items():
        target = spec
        *path, last = key.split("__")
        for p in path:
            target = target[p]
        target[last] = value
    return spec


def _constants(text: str) -> list:
    return [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant)]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_a_value_is_inert_data(payload):
    spec = spec_with(
        modules={"div": {"TorchFn": {"name": "div", "rounding_mode": payload}}, **SPEC["modules"]}
    )
    spec["graph"]["modules"]["div"] = ["x"]
    spec["graph"]["output"] = {payload: "lin", "div": "div"}
    text = generate(spec)
    assert payload in _constants(text), "the value appears as a literal, evaluating to itself"
    compile(text, "m.py", "exec")


NAME_PLACES = ["module name", "input name", "node name", "class name", "argument name", "keyword"]


@pytest.mark.parametrize(
    ("where", "payload"),
    [
        (where, payload)
        for where in NAME_PLACES
        for payload in PAYLOADS
        # a printable reuse suffix only names the node (see the next test)
        if not (where == "node name" and payload.isprintable())
    ],
)
def test_payload_in_a_name_is_rejected(payload, where):
    spec = spec_with()
    if where == "module name":
        spec["modules"][payload] = {"ReLU": None}
        spec["graph"]["modules"][payload] = ["x"]
    elif where == "input name":
        spec["graph"]["input"] = [payload]
    elif where == "node name":
        spec["graph"]["modules"]["lin~" + payload] = ["x"]
    elif where == "class name":
        spec["modules"]["lin"] = {payload: None}
    elif where == "argument name":
        spec["modules"]["lin"] = {"TorchFn": {"name": "relu", payload: 1}}
    else:
        spec["graph"]["modules"]["lin"] = {payload: "x"}
    with pytest.raises(SpecError) as err:
        generate(spec)
    assert err.value.lines(), "a clear message"


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.isprintable()])
def test_payload_in_a_reuse_suffix_only_names_the_node(payload):
    """TorchArc takes any reuse suffix (it only names the node): its variable is an identifier
    made from it, and the text itself reaches the file only as escaped comment text."""
    spec = spec_with()
    spec["graph"]["modules"]["lin~" + payload] = ["x"]
    spec["graph"]["output"] = ["lin", "lin~" + payload]
    tree = ast.parse(generate(spec))
    imports = [
        ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
    assert imports == ["import torch", "from torch import nn"]
    forward = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "forward"
    )
    assert [ast.unparse(n) for n in forward.body] == [
        "lin = self.lin(x)",
        f"{identifier_from('lin_' + payload)} = self.lin(x)",
        f"return ({identifier_from('lin_' + payload).join(['lin, ', ''])})",
    ]


def test_import_path_needs_permission_and_must_be_a_module_class(tmp_path):
    marker = tmp_path / "pwned"
    spec = spec_with(modules={"lin": {"os.system": {"command": f"touch {marker}"}}})
    with pytest.raises(SpecError) as err:
        generate(spec)
    assert "pass --import os" in err.value.lines()[0]
    with pytest.raises(SpecError) as err:
        generate(spec, imports=["os"])
    assert "is not a torch.nn.Module subclass" in err.value.lines()[0]
    assert not marker.exists()


def test_torch_fn_must_be_a_tensor_operation(tmp_path):
    target = tmp_path / "x.pt"
    spec = spec_with(modules={"lin": {"TorchFn": {"name": "save", "f": str(target)}}})
    with pytest.raises(SpecError) as err:
        generate(spec, verify=True)
    assert "torch.save is not a tensor operation" in err.value.lines()[0]
    assert not target.exists()


def test_python_tags_are_refused():
    text = "modules: !!python/object/apply:os.system ['echo hi']\ngraph: {}\n"
    with pytest.raises(SpecError) as err:
        generate(text)
    assert "unsupported tag" in err.value.lines()[0]


@pytest.mark.slow  # end to end: several fresh processes
def test_output_is_byte_identical_across_processes_seeds_and_directories(tmp_path):
    spec = Path(__file__).resolve().parents[1] / "generated_examples" / "merge" / "film.yaml"
    outputs = []
    for seed, cwd in [("0", tmp_path), ("1", spec.parent), ("random", Path("/"))]:
        out = tmp_path / f"film_{len(outputs)}" / "film.py"
        out.parent.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "torcharc_codegen", str(spec), "-o", str(out), "--no-verify"],
            cwd=cwd,
            env=env,
            check=True,
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_a_run_killed_mid_write_leaves_the_previous_file(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(textwrap.dedent("""\
        modules: {lin: {Linear: {in_features: 4, out_features: 2}}}
        graph: {input: x, modules: {lin: [x]}, output: lin}
        """))
    out = tmp_path / "m.py"
    out.write_text("the previous, good file\n")
    # Stall the run between writing the temporary file and renaming it, then kill it there.
    code = textwrap.dedent(f"""\
        import os, time
        import torcharc_codegen.output.write as w
        def stalled(src, dst):
            open({str(tmp_path / 'ready')!r}, 'w').close()
            time.sleep(60)
        w.os.replace = stalled
        from torcharc_codegen.cli import main
        main([{str(spec)!r}, '-o', {str(out)!r}, '--no-verify'])
        """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 120
    while not (tmp_path / "ready").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert (tmp_path / "ready").exists(), "the run reached the rename"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert out.read_text() == "the previous, good file\n"


def test_nan_outputs_where_eager_has_them_pass_verification():
    """sqrt of random normal inputs is NaN in the same places in every run: not a failure."""
    from torcharc_codegen.api import compile_spec

    spec = {
        "modules": {"root": {"TorchFn": {"name": "sqrt"}}},
        "graph": {"input": {"x": {"shape": [4, 8]}}, "modules": {"root": ["x"]}, "output": "root"},
    }
    report = compile_spec(spec, "Model", verify=True).report
    assert [c.status for c in report.checks] == ["ok"] * 5, [c.line() for c in report.checks]
