"""namespace.py: every generated name is unique as Python reads it (NFKC-normalized), with one
scheme (`base`, `base_2`, ...), and never a keyword or a name the generated file relies on."""

from __future__ import annotations

import pytest

from torcharc_codegen.codegen.namespace import GENERATED_NAMES, Namespace


def test_fresh_names_count_up_from_2():
    ns = Namespace()
    assert [ns.fresh("conv_left") for _ in range(3)] == ["conv_left", "conv_left_2", "conv_left_3"]


def test_fresh_names_skip_names_already_claimed():
    ns = Namespace()
    assert ns.claim("a_b") is None
    assert ns.claim("a_b_2") is None
    assert ns.fresh("a_b") == "a_b_3"


@pytest.mark.parametrize("name", ["class", "lambda", "torch", "nn", "self", "super", "float"])
def test_fresh_names_are_never_keywords_or_names_the_file_uses(name):
    assert Namespace().fresh(name) == f"{name}_2"


def test_names_the_file_reads_are_held_by_the_file():
    ns = Namespace()
    assert all(ns.claim(name) == name for name in GENERATED_NAMES)
    assert ns.claim("ｓｅｌｆ") == "self"  # as Python reads it


def test_attributes_reserve_nothing_but_keywords():
    attributes = Namespace(reserved=())
    assert attributes.claim("torch") is None
    assert attributes.claim("class") == "class"


def test_nfkc_equal_names_are_one_name():
    ns = Namespace()
    assert ns.claim("mlp") is None
    # fullwidth letters: Python reads `ｍｌｐ` as `mlp`
    assert ns.claim("ｍｌｐ") == "mlp"
    assert ns.holder("ｍｌｐ") == "mlp"
    assert ns.fresh("ｍｌｐ") == "ｍｌｐ_2"
    assert ns.fresh("mlp_2") == "mlp_2_2"  # `ｍｌｐ_2` holds it


def test_a_claimed_name_that_is_taken_takes_nothing():
    ns = Namespace()
    ns.claim("x")
    assert ns.claim("ｘ") == "x"
    assert ns.holder("x") == "x"


def test_nfkc_keywords_are_refused():
    # `ｉｆ` normalizes to the keyword `if`
    assert Namespace().fresh("ｉｆ") == "ｉｆ_2"
