"""The schema in a real editor: yaml-language-server (npm, pinned in package.json) completes
classes and arguments, shows argument docs on hover, and flags a misspelt argument.

The schema is bound by the modeline on the document's first line: the server reads its
settings by a request back to the client and doesn't wait for them before answering, so the
modeline avoids that race.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lsp_client import LspClient

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "torcharc.schema.json"


def _server() -> list[str] | None:
    local = ROOT / "node_modules" / ".bin" / "yaml-language-server"
    found = str(local) if local.exists() else shutil.which("yaml-language-server")
    if found and shutil.which("node"):
        return [found, "--stdio"]
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    command = _server()
    if command is None:
        reason = "node or yaml-language-server is missing: run `npm ci` in the repository"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run the editor tests)")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("workspace")
    settings = {
        "yaml": {
            "validate": True,
            "completion": True,
            "hover": True,
            "schemas": {},
            "schemaStore": {"enable": False},
        }
    }
    client = LspClient(command, settings)
    client.initialize(root)
    yield client, root
    client.close()


def document(server, name: str, body: str) -> tuple[str, list[str]]:
    client, root = server
    text = f"# yaml-language-server: $schema={SCHEMA.as_uri()}\n{body}"
    return client.open(root / name, text), text.split("\n")


GRAPH = "graph:\n  input: x\n  modules:\n    m: [x]\n  output: m\n"


def labels(items: list[dict]) -> set[str]:
    return {item["label"] for item in items}


def test_class_names_complete_on_a_blank_line_under_a_module(server):
    uri, lines = document(server, "blank.yaml", "modules:\n  m:\n    \n" + GRAPH)
    got = labels(server[0].completion(uri, 3, 4))
    assert {"Linear", "Conv2d", "LazyLinear", "MergeFiLM", "Sequential"} <= got, sorted(got)[:20]


def test_class_names_complete_in_a_sequential_list(server):
    uri, lines = document(
        server, "seq.yaml", "modules:\n  m:\n    Sequential:\n      - Lin\n" + GRAPH
    )
    got = labels(server[0].completion(uri, 4, len("      - Lin")))
    assert "Linear" in got and "LazyLinear" in got, sorted(got)[:20]


def test_arguments_complete_on_a_blank_line_inside_a_class(server):
    uri, lines = document(server, "args.yaml", "modules:\n  m:\n    Linear:\n      \n" + GRAPH)
    got = labels(server[0].completion(uri, 4, 6))
    assert {"in_features", "out_features", "bias"} <= got, sorted(got)


def test_hover_on_an_argument_shows_its_description(server):
    body = "modules:\n  m:\n    Linear:\n      in_features: 4\n      out_features: 2\n" + GRAPH
    uri, lines = document(server, "hover.yaml", body)
    text = server[0].hover(uri, 5, 9)
    assert "size of each output sample" in text, text


def test_an_unknown_argument_is_flagged(server):
    body = "modules:\n  m:\n    Linear:\n      in_feature: 4\n      out_features: 2\n" + GRAPH
    uri, lines = document(server, "diag.yaml", body)
    diagnostics = server[0].diagnostics(uri)
    flagged = [d for d in diagnostics if d["range"]["start"]["line"] == 4]
    assert flagged, diagnostics
    assert any("in_feature" in d["message"] or "not allowed" in d["message"] for d in flagged)


def test_graph_keys_complete_on_a_blank_line_under_graph(server):
    uri, lines = document(server, "graph.yaml", "modules:\n  m:\n    ReLU:\ngraph:\n  \n")
    got = labels(server[0].completion(uri, 5, 2))
    assert {"input", "modules", "output"} <= got, sorted(got)


def test_example_input_fields_complete(server):
    body = "modules:\n  m:\n    ReLU:\ngraph:\n  input:\n    x:\n      \n"
    uri, lines = document(server, "input.yaml", body)
    got = labels(server[0].completion(uri, 7, 6))
    assert {"shape", "dtype", "high"} <= got, sorted(got)
