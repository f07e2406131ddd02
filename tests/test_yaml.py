"""How a spec's YAML is read: YAML 1.2's core schema, as editors read it; where TorchArc's YAML
1.1 (``yaml.safe_load``) reads the same text otherwise, a located error or warning; loading
budgets; and the rule that tells a spec path from spec text."""

from __future__ import annotations

import datetime
import math
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from peak_memory import run_measured

from torcharc_codegen import generate
from torcharc_codegen.api import compile_spec
from torcharc_codegen.errors import SpecError
from torcharc_codegen.spec.load import load, load_text

HOSTILE = Path(__file__).with_name("hostile")
LOAD_CASES = sorted(HOSTILE.glob("load_*.yaml"))


def read(text: str):
    """The value of `v: <text>` and the warnings, as `line:col: message`."""
    source = load_text(f"v: {text}\n", "s.yaml")
    return source.data["v"], [w.format("s.yaml") for w in source.warnings]


def refusal(text: str) -> list[str]:
    with pytest.raises(SpecError) as e:
        load_text(text, "s.yaml")
    return e.value.lines()


# Text that YAML 1.1 and 1.2 read alike: no message.
SAME = [
    ("1.0e-5", 1e-05),
    ("1.5", 1.5),
    ("-3", -3),
    ("+3", 3),
    ("0", 0),
    ("00", 0),
    ("0x1F", 31),
    (".inf", math.inf),
    ("-.inf", -math.inf),
    ("~", None),
    ("null", None),
    ("", None),
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("False", False),
    ("y", "y"),
    ("n", "n"),
    ("relu", "relu"),
    ("'no'", "no"),
    ('"010"', "010"),
    ("!!str 010", "010"),
    ("[1, 2]", [1, 2]),
]


@pytest.mark.parametrize("text, value", SAME, ids=[t or "empty" for t, _ in SAME])
def test_text_both_yaml_versions_read_alike_has_no_message(text, value):
    got, warnings = read(text)
    assert (type(got), got) == (type(value), value)
    assert warnings == []


def test_nan_is_a_float():
    got, warnings = read(".nan")
    assert isinstance(got, float) and math.isnan(got) and warnings == []


# YAML 1.2 reading, TorchArc's YAML 1.1 reading, and the warning. A warning only: one of the
# two readings can't build (a string where torch takes a number, or the reverse).
WARNED = [
    (
        "1e-5",
        1e-05,
        "1e-5",
        "`1e-5` is 1e-05 in YAML 1.2 (editors, this tool) but the string '1e-5' in YAML 1.1 "
        "(TorchArc): write 1.0e-5 to mean the same to both",
    ),
    (
        "6.02E23",
        6.02e23,
        "6.02E23",
        "`6.02E23` is 6.02e+23 in YAML 1.2 (editors, this tool) but the string '6.02E23' in "
        "YAML 1.1 (TorchArc): write 6.02e+23 to mean the same to both",
    ),
    (
        "-.5",
        -0.5,
        "-.5",
        "`-.5` is -0.5 in YAML 1.2 (editors, this tool) but the string '-.5' in YAML 1.1 "
        "(TorchArc): write -0.5 to mean the same to both",
    ),
    (
        "0o17",
        15,
        "0o17",
        "`0o17` is 15 in YAML 1.2 (editors, this tool) but the string '0o17' in YAML 1.1 "
        "(TorchArc): write 15",
    ),
    (
        "08",
        8,
        "08",
        "`08` is 8 in YAML 1.2 (editors, this tool) but the string '08' in YAML 1.1 "
        "(TorchArc): write 8",
    ),
    (
        "1:20",
        "1:20",
        80,
        "`1:20` is the string '1:20' in YAML 1.2 (editors, this tool) but 80 in YAML 1.1 "
        "(TorchArc): write 80, or '1:20' in quotes for the string",
    ),
    (
        "1_000",
        "1_000",
        1000,
        "`1_000` is the string '1_000' in YAML 1.2 (editors, this tool) but 1000 in YAML 1.1 "
        "(TorchArc): write 1000, or '1_000' in quotes for the string",
    ),
    (
        "0b11",
        "0b11",
        3,
        "`0b11` is the string '0b11' in YAML 1.2 (editors, this tool) but 3 in YAML 1.1 "
        "(TorchArc): write 3, or '0b11' in quotes for the string",
    ),
    (
        "-0x1F",
        "-0x1F",
        -31,
        "`-0x1F` is the string '-0x1F' in YAML 1.2 (editors, this tool) but -31 in YAML 1.1 "
        "(TorchArc): write -31, or '-0x1F' in quotes for the string",
    ),
    (
        "2024-01-01",
        "2024-01-01",
        datetime.date(2024, 1, 1),
        "`2024-01-01` is the string '2024-01-01' in YAML 1.2 (editors, this tool) but the date "
        "2024-01-01 in YAML 1.1 (TorchArc): write '2024-01-01' in quotes",
    ),
]


@pytest.mark.parametrize("text, value, torcharc, message", WARNED, ids=[w[0] for w in WARNED])
def test_yaml_1_2_reading_with_a_located_warning(text, value, torcharc, message):
    got, warnings = read(text)
    assert (type(got), got) == (type(value), value)
    assert warnings == [f"s.yaml:1:4: v: {message}"]
    # What the message says TorchArc reads is what TorchArc's loader reads.
    assert yaml.safe_load(f"v: {text}")["v"] == torcharc


# Both readings are values a spec could mean: refused. torch takes bias="no" as true (a
# non-empty string), so the YAML 1.2 reading would silently keep the bias.
REFUSED = [
    (
        "bias: no",
        False,
        "s.yaml:1:7: bias: `no` is the string 'no' in YAML 1.2 (editors, this tool) but false "
        "in YAML 1.1 (TorchArc): write false, or 'no' in quotes for the string",
    ),
    (
        "bias: On",
        True,
        "s.yaml:1:7: bias: `On` is the string 'On' in YAML 1.2 (editors, this tool) but true "
        "in YAML 1.1 (TorchArc): write true, or 'On' in quotes for the string",
    ),
    (
        "bias: YES",
        True,
        "s.yaml:1:7: bias: `YES` is the string 'YES' in YAML 1.2 (editors, this tool) but true "
        "in YAML 1.1 (TorchArc): write true, or 'YES' in quotes for the string",
    ),
    (
        "bias: off",
        False,
        "s.yaml:1:7: bias: `off` is the string 'off' in YAML 1.2 (editors, this tool) but false "
        "in YAML 1.1 (TorchArc): write false, or 'off' in quotes for the string",
    ),
    (
        "out_features: 010",
        8,
        "s.yaml:1:15: out_features: `010` is 10 in YAML 1.2 (editors, this tool) but 8 in "
        "YAML 1.1 (TorchArc): write 8 or 10 explicitly",
    ),
    (
        "out_features: -010",
        -8,
        "s.yaml:1:15: out_features: `-010` is -10 in YAML 1.2 (editors, this tool) but -8 in "
        "YAML 1.1 (TorchArc): write -8 or -10 explicitly",
    ),
]


@pytest.mark.parametrize("text, torcharc, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_two_working_readings_are_refused(text, torcharc, message):
    assert refusal(text + "\n") == [message]
    assert list(yaml.safe_load(text).values()) == [torcharc]


def test_a_yaml_1_1_directive_is_refused():
    # Editors honour it (with their own YAML 1.1, which reads 1e-5 as a float); one reading.
    assert refusal("# spec\n%YAML 1.1\n---\nbias: no\n") == [
        "s.yaml:2:1: %YAML 1.1: specs are read as YAML 1.2, as editors read them without this "
        "directive: remove it"
    ]


@pytest.mark.parametrize("tag", ["!!set", "!!binary", "!!omap", "!!timestamp", "!!pairs"])
def test_tags_beyond_the_core_schema_are_refused(tag):
    # A !!set would come out in hash order: a different file on every run.
    assert refusal(f"a: {tag} {{x, y}}\n") == [
        f"s.yaml:1:4: YAML: unsupported tag '{tag}': only plain YAML data is allowed"
    ]


def test_a_yaml_1_2_directive_is_fine():
    assert load_text("%YAML 1.2\n---\nbias: false\n", "s.yaml").data == {"bias": False}


def test_torch_takes_both_readings_of_no_but_only_one_of_1e_5():
    """Why `bias: no` is refused and `eps: 1e-5` only warned: torch builds a Linear from
    bias=False and from bias="no" (with a bias: a non-empty string is true), while a
    LayerNorm with eps="1e-5" (TorchArc's reading) fails on its first call."""
    import torch

    assert torch.nn.Linear(2, 2, bias=False).bias is None
    assert torch.nn.Linear(2, 2, bias="no").bias is not None
    with pytest.raises(TypeError, match="eps"):
        torch.nn.LayerNorm(2, eps="1e-5")(torch.zeros(1, 2))


def test_a_key_is_read_the_same_way():
    assert refusal("modules:\n  on: {ReLU: }\n") == [
        "s.yaml:2:3: modules.on: `on` is the string 'on' in YAML 1.2 (editors, this tool) but "
        "true in YAML 1.1 (TorchArc): write true, or 'on' in quotes for the string"
    ]


def test_every_refusal_is_reported_at_once():
    lines = refusal("a: no\nb: [1, 010]\n")
    assert [line.split(": `")[0] for line in lines] == ["s.yaml:1:4: a", "s.yaml:2:8: b[1]"]


def test_an_alias_of_a_refused_value_is_reported_once():
    assert len(refusal("a: &n no\nb: *n\nc: *n\n")) == 1


def test_duplicate_keys_compare_yaml_1_2_values():
    # 1 and 0x1 are both the integer 1: one key written twice.
    assert refusal("a:\n  1: x\n  0x1: y\n") == [
        "s.yaml:3:3: a[1]: duplicate key 1 (first at line 2): remove one"
    ]


def test_warning_reaches_the_result_and_the_generated_code():
    spec = (
        "modules:\n"
        "  norm:\n"
        "    LayerNorm: {normalized_shape: 4, eps: 1e-5}\n"
        "graph:\n"
        "  input: x\n"
        "  modules: {norm: [x]}\n"
        "  output: norm\n"
    )
    result = compile_spec(spec, verify=False, name="spec.yaml")
    assert [w.format("spec.yaml") for w in result.warnings] == [
        "spec.yaml:3:43: modules.norm.LayerNorm.eps: `1e-5` is 1e-05 in YAML 1.2 (editors, this "
        "tool) but the string '1e-5' in YAML 1.1 (TorchArc): write 1.0e-5 to mean the same to both"
    ]
    assert "eps=1e-05" in result.source


@pytest.mark.slow
def test_the_cli_prints_the_warning_and_writes_the_model(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "modules:\n  norm:\n    LayerNorm:\n      normalized_shape: 4\n      eps: 1e-5\n"
        "graph:\n  input: x\n  modules: {norm: [x]}\n  output: norm\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "spec.yaml", "-o", "model.py", "--no-verify"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "warning: spec.yaml:5:12: modules.norm.LayerNorm.eps: `1e-5` is 1e-05 in YAML 1.2"
        in proc.stderr
    )
    assert "eps=1e-05" in (tmp_path / "model.py").read_text()


def test_a_huge_integer_is_a_located_error():
    (line,) = refusal("v: " + "7" * 5000 + "\n")
    assert line == (
        "s.yaml:1:4: YAML: can't read '" + "7" * 40 + "...' as an integer (5000 digits; Python "
        "reads 4300): write a smaller number"
    )


# --- budgets ----------------------------------------------------------------------------------


def laughs(levels: int = 9, width: int = 10, indent: str = "") -> str:
    lines = [f"{indent}a0: &a0 [lol]"]
    for i in range(1, levels):
        items = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"{indent}a{i}: &a{i} [{items}]")
    return "\n".join(lines) + "\n"


def timed_refusal(text: str, seconds: float = 1.0, megabytes: float = 20) -> list[str]:
    """The lines of the refusal; fails if loading took longer or more memory than given."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        lines = refusal(text)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak < megabytes * 1e6, f"peak {peak / 1e6:.1f} MB"
    return lines


def test_billion_laughs_is_refused_fast_at_the_alias_past_the_limit():
    assert timed_refusal(laughs()) == [
        "s.yaml:6:25: a5[3]: aliases expand the spec past 100,000 values (the limit): use "
        "fewer or smaller aliases"
    ]


def test_billion_laughs_under_an_unused_key_is_refused_too():
    text = "modules: {}\ngraph: {}\nunused:\n" + laughs(indent="  ")
    assert timed_refusal(text) == [
        "s.yaml:9:27: unused.a5[3]: aliases expand the spec past 100,000 values (the limit): "
        "use fewer or smaller aliases"
    ]


def test_aliases_within_the_budget_load():
    source = load_text(laughs(levels=5), "s.yaml")  # 10,000 values expanded
    assert source.data["a4"][9][9][9][9] == ["lol"]


def test_a_spec_without_aliases_past_the_budget_is_refused_without_blaming_aliases():
    # the root, its key `a` and the list are three values: item 99,997 is the 100,001st
    assert refusal("a: [" + "1, " * 100_001 + "]\n") == [
        "s.yaml:1:299996: a[99997]: the spec has more than 100,000 values (the limit)"
    ]


def test_a_5000_module_spec_is_within_the_budget():
    modules = "".join(
        f"  l{i}:\n    Linear: {{in_features: 8, out_features: 8, bias: true}}\n"
        for i in range(5000)
    )
    nodes = "".join(f"    l{i}: [{f'l{i - 1}' if i else 'x'}]\n" for i in range(5000))
    text = f"modules:\n{modules}graph:\n  input: x\n  modules:\n{nodes}  output: l4999\n"
    assert len(load_text(text, "s.yaml").data["modules"]) == 5000


def test_merge_keys_still_work():
    text = "base: &b {in_features: 3}\nm: {<<: *b, out_features: 2}\n"
    assert load_text(text, "s.yaml").data["m"] == {"in_features": 3, "out_features": 2}


def test_nesting_past_the_limit_is_refused_with_the_limit():
    text = "a:\n" + "".join("  " * i + "- \n" for i in range(1, 70))
    (line,) = timed_refusal(text)
    assert line.startswith("s.yaml:65:129: a")
    assert line.endswith(": nested more than 64 levels deep (the limit): flatten it")


def test_nesting_at_the_limit_loads():
    text = "a: " + "[" * 63 + "]" * 63 + "\n"  # 64 levels with the root mapping
    value, depth = load_text(text, "s.yaml").data["a"], 0
    while value is not None:
        value, depth = (value[0] if value else None), depth + 1
    assert depth == 63


@pytest.mark.parametrize("depth", [250, 600, 100_000, 1_000_000])
def test_deep_flow_nesting_in_an_argument_is_refused(depth):
    text = "modules:\n  m:\n    Linear: {in_features: " + "[" * depth + "]" * depth + "}\n"
    (line,) = timed_refusal(text, megabytes=60)
    assert line.endswith("nested more than 64 levels deep (the limit): flatten it"), line


def test_self_recursive_alias_is_refused():
    assert timed_refusal("modules:\n  m:\n    Linear:\n      device: &r [1, *r]\n") == [
        "s.yaml:4:22: modules.m.Linear.device[1]: alias *r is inside its own anchor &r: a value "
        "with no end; write it out"
    ]


def test_mapping_that_contains_itself_is_refused():
    assert refusal("a: &m {b: *m}\n") == [
        "s.yaml:1:11: a.b: alias *m is inside its own anchor &m: a value with no end; write it out"
    ]


@pytest.mark.parametrize(
    "text, line",
    [
        (
            "a: 1 # co\x00mment\n",
            "s.yaml:1:10: the control character U+0000 (NUL) is not allowed in YAML, even in a "
            "comment: delete it",
        ),
        (
            "a: 1\nb: x\x07\n",
            "s.yaml:2:5: the control character U+0007 (BEL) is not allowed in YAML, even in a "
            "comment: delete it",
        ),
        (
            "a: '\x1b[0m'\n",
            "s.yaml:1:5: the control character U+001B (ESC) is not allowed in YAML, even in a "
            "comment: delete it",
        ),
        (
            "a: \ud800\n",
            "s.yaml:1:4: the character U+D800 is not allowed in YAML, even in a comment: delete it",
        ),
        ("a: caf\udce9\n", "s.yaml:1:7: byte 0xe9 is not UTF-8: save the spec as UTF-8"),
        (
            "a: 1\r\rb: \x9b\n",
            "s.yaml:3:4: the control character U+009B is not allowed in YAML, even in a comment: "
            "delete it",
        ),
        (
            "a: x\u2028y\n",
            "s.yaml:1:5: the character U+2028 (LINE SEPARATOR) is a line break to YAML 1.1 "
            "(TorchArc) and not to YAML 1.2 (editors): delete it, or write \\u2028 in double "
            "quotes",
        ),
        (
            "a: x\x85\n",
            "s.yaml:1:5: the character U+0085 (NEXT LINE) is a line break to YAML 1.1 "
            "(TorchArc) and not to YAML 1.2 (editors): delete it, or write \\u0085 in double "
            "quotes",
        ),
    ],
    ids=[
        "nul-in-comment",
        "bel",
        "esc-in-quotes",
        "lone-surrogate",
        "escaped-byte",
        "c1-after-cr",
        "ls",
        "nel",
    ],
)
def test_forbidden_characters_are_located(text, line):
    assert refusal(text) == [line]


def test_escaped_separators_and_other_unicode_are_fine():
    text = 'a: "\\u2028"\nb: caf\u00e9 \U0001f600\n'
    assert load_text(text, "s.yaml").data == {"a": "\u2028", "b": "caf\u00e9 \U0001f600"}


# --- a path or YAML text ----------------------------------------------------------------------

ONE_LINE = "{modules: {m: {ReLU: }}, graph: {input: x, modules: {m: [x]}, output: m}}"


def test_one_line_flow_mapping_is_spec_text():
    assert "class Model(nn.Module):" in generate(ONE_LINE)


def test_one_line_block_mapping_is_spec_text():
    with pytest.raises(SpecError) as e:
        generate("modules: {m: {ReLU: }}")
    assert e.value.source_name == "<string>"
    assert "graph" in str(e.value)


def test_blank_text_is_an_empty_spec():
    with pytest.raises(SpecError) as e:
        load("")
    assert e.value.lines() == ["<string>:1:1: the spec is empty: it needs `modules` and `graph`"]


def test_a_word_that_is_no_file_says_so():
    with pytest.raises(SpecError) as e:
        load("no_such_spec")
    assert e.value.lines() == [
        "no spec file 'no_such_spec': give a path to a YAML file or YAML text"
    ]


def test_a_yaml_suffix_is_a_path_even_when_missing(tmp_path):
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(SpecError) as e:
        load(missing)
    assert e.value.lines() == [f"{missing}: can't read the spec: No such file or directory"]


def test_an_existing_file_is_a_path_whatever_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("spec.txt").write_text(ONE_LINE + "\n")
    assert load("spec.txt").data["graph"]["output"] == "m"


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SpecError) as e:
        load(fifo)
    assert e.value.lines() == [f"{fifo}: can't read the spec: not a regular file"]


@pytest.mark.parametrize("encoding", ["utf-8:strict", "utf-8:surrogateescape", "latin-1"])
def test_bytes_on_stdin_that_are_not_utf8_are_located(tmp_path, encoding):
    # stdin is read as bytes, so the locale's decoding (strict on most desktops) never runs
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "-", "-o", str(tmp_path / "model.py")],
        input=b"modules:\n  m: {ReLU\xff: }\n",
        capture_output=True,
        timeout=300,
        env={**os.environ, "PYTHONIOENCODING": encoding},
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines() == [
        "<stdin>:2:11: byte 0xff is not UTF-8: save the spec as UTF-8"
    ]
    assert not (tmp_path / "model.py").exists()


def test_one_line_on_stdin_naming_a_file_is_yaml_text_not_that_file(tmp_path):
    (tmp_path / "other.yaml").write_text("modules: {}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "torcharc_codegen", "-", "-o", "-"],
        input=b"other.yaml",
        capture_output=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "spec must be a mapping" in proc.stderr.decode(), proc.stderr.decode()


def test_bytes_that_are_not_utf8_are_located(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"modules:\n  m: {ReLU: }\n# caf\xe9\n")
    with pytest.raises(SpecError) as e:
        load(spec)
    assert e.value.lines() == [f"{spec}:3:6: byte 0xe9 is not UTF-8: save the spec as UTF-8"]


# --- hostile specs through the CLI ------------------------------------------------------------


def expected(spec: Path) -> list[str]:
    prefix = "# expect: "
    text = spec.read_bytes().decode("utf-8", "replace")
    return [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]


def test_hostile_corpus_is_there():
    assert len(LOAD_CASES) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("spec", LOAD_CASES, ids=[s.stem for s in LOAD_CASES])
def test_hostile_spec_is_one_located_line(spec, tmp_path):
    out = tmp_path / "model.py"
    start = time.monotonic()
    command = [sys.executable, "-m", "torcharc_codegen", spec.name, "-o", str(out)]
    proc, maxrss = run_measured(command, cwd=HOSTILE, timeout=120)
    elapsed = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == expected(spec)
    assert not out.exists()
    assert elapsed < 60
    assert maxrss < 1_500_000, f"{maxrss} kB"  # an alias bomb took 4 GiB


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "modules:\n\tlin: {Linear: {in_features: 4, out_features: 2}}\n",
            "s.yaml:2:1: YAML syntax error: a tab: YAML indents with spaces only; replace the tab"
            " with spaces",
        ),
        (
            "modules:\n  lin:\n    Linear:\n      in_features: 4\n     out_features: 2\n",
            "s.yaml:5:6: YAML syntax error: bad indentation: `out_features: 2` is indented 5"
            " spaces, less than line 4 above it (`in_features: 4`, 6): indent it 6 like the line"
            " above, or as a key of a mapping further out",
        ),
        (
            "modules:\n  lin:\n    Linear:\n      in_features: 4\n        out_features: 2\n",
            "s.yaml:5:21: YAML syntax error: bad indentation: `out_features: 2` is indented 8"
            " spaces, more than line 4 above it (`in_features: 4`, 6): a key of the same mapping"
            " is indented 6 as well",
        ),
    ],
    ids=["tab", "less", "more"],
)
def test_a_tab_or_a_misindented_line_is_said_plainly(text, message):
    with pytest.raises(SpecError) as e:
        load(text.encode(), name="s.yaml")
    assert e.value.lines() == [message]
