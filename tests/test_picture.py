"""`torcharc-gen graph`: DOT and Mermaid as text, SVG/PNG through graphviz."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from torcharc_codegen.api import compile_spec
from torcharc_codegen.cli import main
from torcharc_codegen.views.picture import PictureError, render, to_dot, to_mermaid

ROOT = Path(__file__).resolve().parents[1]
STEREO = ROOT / "generated_examples" / "basic" / "stereo_conv_reuse.yaml"


@pytest.fixture(scope="module")
def stereo():
    return compile_spec(STEREO, "Model", verify=False)


def test_dot_has_inputs_nodes_edges_shapes_and_shared_weights(stereo):
    dot = to_dot(stereo)
    assert '"in:left_image" [shape=ellipse, label="left_image\\n(B, 3, 32, 32)"];' in dot
    assert 'label="conv~left\\nSequential(7)\\n(B, 12544)"' in dot
    assert '"in:left_image" -> "conv~left";' in dot
    assert '"conv~left" -> "left_mlp";' in dot
    assert '"left_mlp" -> "out:" [label="[0]"];' in dot
    assert '"conv~left" -> "conv~right" [style=dashed' in dot
    assert "shares weights: conv" in dot


def test_mermaid_has_the_same_graph(stereo):
    mmd = to_mermaid(stereo)
    assert mmd.startswith("flowchart TB\n")
    assert 'in0(["left_image<br/>(B, 3, 32, 32)"])' in mmd
    assert "in0 --> n0" in mmd and 'n2 -->|"[0]"| out' in mmd
    assert 'n0 -.-|"shares weights"| n1' in mmd
    assert "class n0,n1 shared0" in mmd


def test_keyword_edges_and_escaped_labels():
    spec = {
        "modules": {
            "attn": {"MultiheadAttention": {"embed_dim": 4, "num_heads": 1}},
            "first": {"Get": {"key": 0}},
        },
        "graph": {
            "input": ["q", "k"],
            "modules": {"attn": {"query": "q", "key": "k", "value": "k"}, "first": ["attn"]},
            "output": {'say "hi" <b>': "first"},
        },
    }
    result = compile_spec(spec, "Model", verify=False)
    dot = to_dot(result)
    assert '"in:k" -> "attn" [label="value"];' in dot
    assert '[label="say \\"hi\\" <b>"]' in dot
    assert "say #quot;hi#quot; #lt;b#gt;" in to_mermaid(result)
    if shutil.which("dot"):
        drawn = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True)
        assert drawn.returncode == 0, drawn.stderr


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_svg_and_png_through_graphviz(tmp_path, suffix):
    if shutil.which("dot") is None:
        pytest.skip("graphviz's `dot` is not installed (.ci/run installs it)")
    out = tmp_path / f"model{suffix}"
    assert main(["graph", str(STEREO), "-o", str(out)]) == 0
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if suffix == ".png" else b"<" in head


def test_without_graphviz_svg_is_a_clear_error_and_text_formats_work(
    stereo, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PictureError, match="install graphviz"):
        render(stereo, tmp_path / "m.svg")
    assert main(["graph", str(STEREO), "-o", str(tmp_path / "m.svg")]) == 2
    assert "install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "m.svg").exists()
    for suffix in (".dot", ".mmd"):
        assert main(["graph", str(STEREO), "-o", str(tmp_path / f"m{suffix}")]) == 0
