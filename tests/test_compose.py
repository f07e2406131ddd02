"""compose.py on its own: the node graph of one YAML document, composed in a loop over
libyaml's events within budgets (depth, values with every alias expanded, no alias inside its
own anchor); a refusal names the key path and the 0-based mark of the event that crossed it.
The located messages a user sees are tested through load in test_yaml.py."""

from __future__ import annotations

import pytest
import yaml
from yaml.composer import ComposerError

from torcharc_codegen.spec.compose import MAX_DEPTH, MAX_NODES, TOO_DEEP, Refused, compose
from torcharc_codegen.spec.yaml12 import MERGE, STR, Loader12


def composed(text: str):
    loader = Loader12(text)
    try:
        node = compose(loader)
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def refused(text: str) -> Refused:
    with pytest.raises(Refused) as err:
        composed(text)
    return err.value


def test_a_document_composes_to_the_nodes_pyyaml_would_give():
    text = "modules:\n  lin: {Linear: {in_features: 4, bias: true}}\nlist: [on, 1e-5, 010]\n"
    node, data = composed(text)
    assert isinstance(node, yaml.MappingNode)
    assert data == {
        "modules": {"lin": {"Linear": {"in_features": 4, "bias": True}}},
        "list": ["on", 1e-5, 10],  # YAML 1.2: `on` a string, 1e-5 a float, 010 ten
    }
    key, value = node.value[0]
    assert (key.value, key.start_mark.line, key.start_mark.column) == ("modules", 0, 0)
    assert value.end_mark is not None  # every collection gets its end mark


def test_an_empty_stream_is_none():
    assert composed("") == (None, None)
    assert composed("# only a comment\n") == (None, None)


def test_aliases_share_their_anchors_node_and_merge_keys_stay_merge_keys():
    text = "base: &b {in_features: 3}\nm: {<<: *b, out_features: 2}\n"
    loader = Loader12(text)
    (_, base), (_, merged) = compose(loader).value
    merge_key, alias = merged.value[0]
    assert (merge_key.tag, alias) == (MERGE, base)  # the constructor merges them
    loader.dispose()
    assert composed(text)[1]["m"] == {"in_features": 3, "out_features": 2}


def test_an_explicit_tag_and_a_quoted_scalar_are_kept():
    node, data = composed("a: !!str 12\nb: '12'\nc: 12\n")
    assert [v.tag for _, v in node.value] == [STR, STR, "tag:yaml.org,2002:int"]
    assert data == {"a": "12", "b": "12", "c": 12}


def test_nesting_past_the_depth_budget_is_refused_where_it_crosses():
    at_limit = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert composed(at_limit)[1]["a"] is not None
    e = refused("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert e.message == TOO_DEEP
    assert e.path == ("a",) + (0,) * (MAX_DEPTH - 1)
    assert (e.mark.line, e.mark.column) == (0, 3 + MAX_DEPTH - 1)


def test_values_past_the_budget_are_refused_and_aliases_count_expanded():
    # three levels of ten aliases each: 1 + 10 + 100 + 1000 values under `a3`
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 4)
    )
    assert len(composed(laughs)[1]["a3"]) == 10
    many = laughs + "".join(f"b{i}: [{', '.join(['*a3'] * 10)}]\n" for i in range(9))
    e = refused(many)
    assert e.message == (
        f"aliases expand the spec past {MAX_NODES:,} values (the limit):"
        " use fewer or smaller aliases"
    )
    assert e.path[0].startswith("b") and isinstance(e.path[1], int)
    plain = refused("a: [" + "1, " * MAX_NODES + "]\n")
    assert plain.message == f"the spec has more than {MAX_NODES:,} values (the limit)"
    assert plain.path == ("a", MAX_NODES - 3)  # the root, `a` and its list count too


@pytest.mark.parametrize(
    ("text", "path"),
    [("a: &r [1, *r]\n", ("a", 1)), ("a: &m {b: *m}\n", ("a", "b"))],
)
def test_an_alias_inside_its_own_anchor_is_refused(text, path):
    e = refused(text)
    anchor = text.split("&")[1][0]
    assert e.message == (
        f"alias *{anchor} is inside its own anchor &{anchor}: a value with no end; write it out"
    )
    assert e.path == path


def test_a_yaml_11_directive_is_refused_and_12_is_read():
    e = refused("%YAML 1.1\n---\na: 1\n")
    assert e.message.startswith("%YAML 1.1: specs are read as YAML 1.2")
    assert (e.path, e.mark.line) == ((), 0)  # at the directive
    assert composed("%YAML 1.2\n---\na: no\n")[1] == {"a": "no"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: &x 1\nb: &x 2\n", "second occurrence"),
        ("a: *nowhere\n", "found undefined alias 'nowhere'"),
        ("a: 1\n---\nb: 2\n", "but found another document"),
    ],
)
def test_yaml_it_cannot_compose_is_pyyamls_located_error(text, problem):
    with pytest.raises(ComposerError) as err:
        composed(text)
    assert problem in str(err.value)
    assert err.value.problem_mark is not None
