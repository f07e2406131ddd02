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
from shared_specs import BLOCKS_SYNTAX

pytestmark = pytest.mark.slow  # end to end: `pytest -m "not slow"` skips it

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema" / "torcharc.schema.json"


def _server() -> tuple[list[str] | None, str]:
    """The server's command line, or None and why not."""
    local = ROOT / "node_modules" / ".bin" / "yaml-language-server"
    found = str(local) if local.exists() else shutil.which("yaml-language-server")
    if not shutil.which("node"):
        return None, "node is not installed"
    if not found:
        return None, "yaml-language-server is not installed: run `npm ci` in the repository"
    return [found, "--stdio"], ""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    command, reason = _server()
    if command is None:
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
    with LspClient(command, settings) as client:
        client.initialize(root)
        yield client, root


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
    want = {"Linear", "Conv2d", "LazyLinear", "MergeFiLM", "Sequential"}
    assert (
        want <= got
    ), f"blank line under modules.m: missing {sorted(want - got)}; got {sorted(got)[:20]}"


def test_class_names_complete_in_a_sequential_list(server):
    uri, lines = document(
        server, "seq.yaml", "modules:\n  m:\n    Sequential:\n      - Lin\n" + GRAPH
    )
    got = labels(server[0].completion(uri, 4, len("      - Lin")))
    want = {"Linear", "LazyLinear"}
    assert (
        want <= got
    ), f"after `- Lin` in Sequential: missing {sorted(want - got)}; got {sorted(got)[:20]}"


def test_arguments_complete_on_a_blank_line_inside_a_class(server):
    uri, lines = document(server, "args.yaml", "modules:\n  m:\n    Linear:\n      \n" + GRAPH)
    got = labels(server[0].completion(uri, 4, 6))
    want = {"in_features", "out_features", "bias"}
    assert want <= got, f"blank line inside Linear: missing {sorted(want - got)}; got {sorted(got)}"


def test_hover_on_an_argument_shows_its_description(server):
    body = "modules:\n  m:\n    Linear:\n      in_features: 4\n      out_features: 2\n" + GRAPH
    uri, lines = document(server, "hover.yaml", body)
    text = server[0].hover(uri, 5, 9)
    assert "size of each output sample" in text, f"hover on out_features shows {text!r}"


def test_hover_on_an_argument_taking_several_types_shows_its_description(server):
    body = "modules:\n  m:\n    Conv2d:\n      in_channels: 1\n      out_channels: 2\n"
    body += "      kernel_size: 3\n      padding: same\n" + GRAPH
    uri, lines = document(server, "union.yaml", body)
    text = server[0].hover(uri, 6, 9)
    assert "Size of the convolving kernel" in text, f"hover on kernel_size shows {text!r}"
    text = server[0].hover(uri, 7, 9)
    assert "Padding added to all four sides" in text, f"hover on padding shows {text!r}"


def test_a_wrong_type_in_a_union_is_flagged(server):
    body = "modules:\n  m:\n    Conv2d:\n      in_channels: 1\n      out_channels: 2\n"
    body += "      kernel_size: three\n" + GRAPH
    uri, lines = document(server, "union_diag.yaml", body)
    messages = [(d["range"]["start"]["line"], d["message"]) for d in server[0].diagnostics(uri)]
    assert (6, 'Incorrect type. Expected "integer | array".') in messages, messages


def test_an_unknown_argument_is_flagged(server):
    body = "modules:\n  m:\n    Linear:\n      in_feature: 4\n      out_features: 2\n" + GRAPH
    uri, lines = document(server, "diag.yaml", body)
    diagnostics = server[0].diagnostics(uri)
    flagged = [d for d in diagnostics if d["range"]["start"]["line"] == 4]
    messages = [(d["range"]["start"]["line"], d["message"]) for d in diagnostics]
    assert flagged, f"nothing flagged on the `in_feature` line (4); diagnostics: {messages}"
    assert any(
        "in_feature" in d["message"] or "not allowed" in d["message"] for d in flagged
    ), messages


def test_graph_keys_complete_on_a_blank_line_under_graph(server):
    uri, lines = document(server, "graph.yaml", "modules:\n  m:\n    ReLU:\ngraph:\n  \n")
    got = labels(server[0].completion(uri, 5, 2))
    want = {"input", "modules", "output"}
    assert want <= got, f"blank line under graph: missing {sorted(want - got)}; got {sorted(got)}"


def test_example_input_fields_complete(server):
    body = "modules:\n  m:\n    ReLU:\ngraph:\n  input:\n    x:\n      \n"
    uri, lines = document(server, "input.yaml", body)
    got = labels(server[0].completion(uri, 7, 6))
    want = {"shape", "dtype", "high"}
    assert want <= got, f"blank line under input.x: missing {sorted(want - got)}; got {sorted(got)}"


# One spec, read by the editor and by torcharc-gen: the editor flags a line exactly where
# torcharc-gen's YAML 1.2 reading is a string the schema doesn't allow, so both read one value.
READINGS = """modules:
  norm:
    LayerNorm:
      normalized_shape: 4
      eps: 1e-5
  lin:
    Linear:
      in_features: 0o17
      out_features: 010
      bias: no
  lin2:
    Linear:
      in_features: 1:20
      out_features: 08
      bias: on
graph:
  input: x
  modules: {norm: [x], lin: [norm], lin2: [lin]}
  output: lin2
"""


def test_the_editor_reads_yaml_as_the_cli_does(server):
    from torcharc_codegen.errors import SpecError
    from torcharc_codegen.spec.load import load_text

    uri, lines = document(server, "readings.yaml", READINGS)
    flagged = {d["range"]["start"]["line"]: d["message"] for d in server[0].diagnostics(uri)}
    line = {text.strip(): i for i, text in enumerate(lines)}
    # eps: 1e-5 is a number to the editor (YAML 1.1 would make it a string): no diagnostic.
    assert line["eps: 1e-5"] not in flagged, flagged
    assert flagged.get(line["bias: no"]) == 'Incorrect type. Expected "boolean".', flagged
    assert flagged.get(line["bias: on"]) == 'Incorrect type. Expected "boolean".', flagged
    assert flagged.get(line["in_features: 1:20"]) == 'Incorrect type. Expected "integer".'
    assert len(flagged) == 3, flagged  # 0o17, 010 and 08 are integers to the editor too

    # The CLI: the same values, refusing the two that TorchArc would read as other values
    # (no: false, 010: 8), warning where TorchArc's reading can't build.
    with pytest.raises(SpecError) as e:
        load_text("\n".join(lines), "readings.yaml")
    refused = {p.line - 1: p.message.split(" in YAML 1.2")[0] for p in e.value.problems}
    assert refused == {
        line["out_features: 010"]: "`010` is 10",
        line["bias: no"]: "`no` is the string 'no'",
        line["bias: on"]: "`on` is the string 'on'",
    }
    allowed = "\n".join(
        text.replace(": 010", ": 10").replace(": no", ": false").replace(": on", ": true")
        for text in lines
    )
    source = load_text(allowed, "readings.yaml")
    args = source.data["modules"]
    assert args["norm"]["LayerNorm"]["eps"] == 1e-05
    assert args["lin"]["Linear"]["in_features"] == 15
    assert args["lin2"]["Linear"] == {"in_features": "1:20", "out_features": 8, "bias": True}
    warned = {w.line - 1 for w in source.warnings}
    assert warned == {
        line[k] for k in ("eps: 1e-5", "in_features: 0o17", "in_features: 1:20", "out_features: 08")
    }


# --- parametrized specs --------------------------------------------------------------------

PARAMETRIZED = """params:
  hidden: 256
  in_dim: 32
  k: 3
modules:
  body:
    Sequential:
      - LazyLinear:
          out_features: ${hidden}
      - ReLU:
      - LazyLinear:
          out_features: ${hidden * 4}
  conv:
    Conv2d:
      in_channels: ${in_dim}
      out_channels: 2
      kernel_size: [3, "${k}"]
  wrong:
    Linear:
      in_features: 4
      out_features: [1, 2]
graph:
  input:
    x: {shape: [4, "${in_dim}"]}
  modules:
    body: [x]
  output: body
"""


def parametrized(server, name: str, body: str = PARAMETRIZED) -> tuple[str, dict[str, int]]:
    """The document's uri, and its lines' numbers by their text."""
    uri, lines = document(server, name, body)
    return uri, {text.strip(): i for i, text in enumerate(lines)}


def test_parameter_references_are_not_flagged_but_a_wrong_type_still_is(server):
    uri, line = parametrized(server, "params_diag.yaml")
    flagged = {d["range"]["start"]["line"]: d["message"] for d in server[0].diagnostics(uri)}
    # The one mistake is flagged (so the document is checked), and no ${...} is. The value
    # may also be a ${...} string: "string" joins the types the message lists.
    assert flagged == {
        line["out_features: [1, 2]"]: 'Incorrect type. Expected "integer | string".'
    }, flagged


def test_a_broken_reference_is_flagged_as_the_arguments_type(server):
    body = PARAMETRIZED.replace("out_features: ${hidden}\n", 'out_features: "${hidden"\n')
    uri, line = parametrized(server, "params_typo.yaml", body)
    flagged = {d["range"]["start"]["line"]: d["message"] for d in server[0].diagnostics(uri)}
    assert flagged.get(line['out_features: "${hidden"']) == 'Incorrect type. Expected "integer".'


def test_arguments_complete_beside_parameter_references(server):
    given = 'kernel_size: [3, "${k}"]\n'
    body = PARAMETRIZED.replace(given, given + "      \n")
    uri, line = parametrized(server, "params_complete.yaml", body)
    got = labels(server[0].completion(uri, line['kernel_size: [3, "${k}"]'] + 1, 6))
    want = {"stride", "padding", "bias", "padding_mode"}
    assert want <= got, f"blank line inside Conv2d: missing {sorted(want - got)}; got {sorted(got)}"
    assert "in_channels" not in got, "an argument already given is offered again"


def test_hover_on_params_and_on_an_argument_given_a_reference(server):
    uri, line = parametrized(server, "params_hover.yaml")
    text = server[0].hover(uri, line["params:"], 2)
    assert "The default's type (int, float, bool or string) is the parameter's type" in text, text
    assert "keyword-only" in text, text
    text = server[0].hover(uri, line["in_channels: ${in_dim}"], 9)
    assert "Number of channels in the input image" in text, f"hover on in_channels shows {text!r}"


def test_params_completes_among_the_top_level_keys(server):
    uri, lines = document(
        server,
        "params_top.yaml",
        "\n" + GRAPH.replace("graph:", "modules: {m: {ReLU: null}}\ngraph:"),
    )
    got = labels(server[0].completion(uri, 1, 0))
    assert "params" in got, f"blank first line: got {sorted(got)}"


# --- search domains ------------------------------------------------------------------------

DOMAINS = """params:
  hidden: {default: 256, low: 64, high: 1024, log: true}
  k: {default: 3, low: 1, high: 7, step: 2}
  use_bias: {default: true, choices: [true, false]}
  n_classes: 10
modules:
  body:
    Sequential:
      - LazyLinear:
          out_features: ${hidden}
          bias: ${use_bias}
      - LazyLinear:
          out_features: ${n_classes}
  wrong:
    Linear:
      in_features: 4
      out_features: [1, 2]
graph:
  input:
    x: {shape: [4, 32]}
  modules:
    body: [x]
  output: body
"""


def test_a_search_domain_is_not_flagged_but_a_misspelt_domain_key_is(server):
    uri, line = parametrized(server, "domains_diag.yaml", DOMAINS)
    flagged = {d["range"]["start"]["line"]: d["message"] for d in server[0].diagnostics(uri)}
    # the one mistake is flagged (so the document is checked), and no domain is
    assert flagged == {
        line["out_features: [1, 2]"]: 'Incorrect type. Expected "integer | string".'
    }, flagged
    body = DOMAINS.replace("high: 1024", "hihg: 1024")
    uri, line = parametrized(server, "domains_typo.yaml", body)
    flagged = [(d["range"]["start"]["line"], d["message"]) for d in server[0].diagnostics(uri)]
    typo = line["hidden: {default: 256, low: 64, hihg: 1024, log: true}"]
    assert (typo, "Property hihg is not allowed.") in flagged, flagged


def test_domain_keys_complete_inside_a_parameter_and_hover_shows_them(server):
    body = "params:\n  hidden:\n    default: 256\n    low: 64\n    \n" + GRAPH.replace(
        "graph:", "modules: {m: {ReLU: null}}\ngraph:"
    )
    uri, line = parametrized(server, "domains_complete.yaml", body)
    got = labels(server[0].completion(uri, line["low: 64"] + 1, 4))
    want = {"high", "step", "log", "choices"}
    assert want <= got, f"blank line inside a param: missing {sorted(want - got)}; got {got}"
    text = server[0].hover(uri, line["low: 64"], 5)
    assert "The range's lowest value (included)." in text, f"hover on low shows {text!r}"
    text = server[0].hover(uri, line["default: 256"], 5)
    assert "it lies in the domain" in text, f"hover on default shows {text!r}"


# --- blocks, repeat entries, nested and named Sequentials ------------------------------------


def test_classes_complete_inside_a_blocks_modules(server):
    body = "blocks:\n  B:\n    modules:\n      m:\n        \n"
    body += "    graph: {input: x, modules: {m: [x]}, output: m}\nmodules:\n  m: {.B: }\n" + GRAPH
    uri, line = parametrized(server, "block_complete.yaml", body)
    got = labels(server[0].completion(uri, line["m:"] + 1, 8))
    want = {"Linear", "Conv2d", "MergeSum", "Sequential", "compact"}
    assert want <= got, f"blank line in a block's module: missing {sorted(want - got)}"


def test_a_blocks_keys_complete(server):
    body = "blocks:\n  B:\n    \nmodules:\n  m: {.B: }\n" + GRAPH
    uri, line = parametrized(server, "block_keys.yaml", body)
    got = labels(server[0].completion(uri, line["B:"] + 1, 4))
    assert {"params", "modules", "graph"} <= got, got


def test_classes_complete_in_a_repeat_entry_and_a_named_sequential(server):
    body = "modules:\n  m:\n    Sequential:\n      - repeat: 2\n        module:\n          \n"
    body += "  n:\n    Sequential:\n      conv0:\n        \n" + GRAPH
    uri, line = parametrized(server, "repeat_complete.yaml", body)
    for where in ("module:", "conv0:"):
        got = labels(server[0].completion(uri, line[where] + 1, 10 if where == "module:" else 8))
        want = {"Linear", "Conv2d", "Sequential"}
        assert want <= got, f"blank line under {where} missing {sorted(want - got)}"
        assert "compact" not in got, "compact can't be nested in a Sequential"
    got = labels(server[0].completion(uri, line["- repeat: 2"] + 1, 8))
    assert {"module", "start"} <= got, got


def test_compacts_layer_type_completes_the_class_names(server):
    body = "modules:\n  m:\n    compact:\n      layer:\n        type: \n"
    body += "        keys: [p]\n        args: [0.5]\n" + GRAPH
    uri, line = parametrized(server, "compact_type.yaml", body)
    got = labels(server[0].completion(uri, line["type:"], len("        type: ")))
    assert {"Linear", "Dropout", "MergeSum"} <= got, sorted(got)[:20]


def test_hover_on_a_torch_argument_in_a_block_a_repeat_and_a_named_sequential(server):
    body = """blocks:
  B:
    params: {n: 2}
    modules:
      c:
        Conv2d:
          in_channels: ${n}
          out_channels: 2
          kernel_size: 3
    graph: {input: x, modules: {c: [x]}, output: c}
modules:
  m:
    Sequential:
      - repeat: 2
        module:
          Conv2d:
            in_channels: 1
            out_channels: 1
            kernel_size: 3
            padding: same
      - .B: {n: 1}
  named:
    Sequential:
      features:
        Sequential:
          lin:
            Linear:
              in_features: 4
              out_features: 2
""" + GRAPH
    uri, lines = document(server, "block_hover.yaml", body)
    hovers = [  # (the line, the word hovered, what the hover says)
        ("in_channels: ${n}", "in_channels", "Number of channels in the input image"),
        ("padding: same", "padding", "Padding added to all four sides"),
        ("out_features: 2", "out_features", "size of each output sample"),
        ("- repeat: 2", "repeat", "How many copies"),
        ("- .B: {n: 1}", ".B", "An instance of the block"),
        ("B:", "B", "A module of the spec's own"),
    ]
    for text, word, doc in hovers:
        row = next(i for i, t in enumerate(lines) if t.strip() == text)
        got = server[0].hover(uri, row, lines[row].index(word) + 1)
        assert doc in got, f"hover on {word!r} in {text!r} shows {got!r}"


# The mistakes an editor must flag in the blocks syntax; everything else in it is valid.
BLOCK_MISTAKES = {
    "bn1: {BatchNorm2d:": "bn1: {BatchNorm2D:",
    "module: {.BasicBlock: {inplanes: 64, planes: 64}}": "module: {Conv2D: {in_channels: 64}}",
    'repeat: "${depth1 - 1}"': "repeat: -1",
    "      - repeat: 2\n": "      - repeat: 2\n        strat: 0\n",
    '"denselayer{i}":': "denselayer:",
}


def test_the_blocks_syntax_is_not_flagged_but_its_mistakes_are(server):
    body = BLOCKS_SYNTAX
    for old, new in BLOCK_MISTAKES.items():
        assert body.count(old) == 1
        body = body.replace(old, new)
    uri, line = parametrized(server, "blocks_diag.yaml", body)
    flagged: dict[int, set[str]] = {}
    for d in server[0].diagnostics(uri):
        flagged.setdefault(d["range"]["start"]["line"], set()).add(d["message"])
    mistakes = {
        "bn1": line['bn1: {BatchNorm2D: {num_features: "${planes}"}}'],
        "module": line["module: {Conv2D: {in_channels: 64}}"],
        "repeat": line["- repeat: -1"],
        "strat": line["strat: 0"],
        "named": line["denselayer:"],
    }
    assert "Property BatchNorm2D is not allowed." in flagged.get(mistakes["bn1"], set()), flagged
    assert "Property Conv2D is not allowed." in flagged.get(mistakes["module"], set()), flagged
    assert flagged.get(mistakes["repeat"]) == {"Value is below the minimum of 0."}, flagged
    assert flagged.get(mistakes["strat"]) == {"Property strat is not allowed."}, flagged
    assert mistakes["named"] in flagged, flagged
    # nothing else but the lines of a repeat entry under a name without `{i}`
    named = set(range(mistakes["named"], mistakes["named"] + 4))
    assert set(flagged) - named == {mistakes[k] for k in ("bn1", "module", "repeat", "strat")}
