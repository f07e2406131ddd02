"""check/compare.py gives torch.testing.assert_close's verdict (rtol 1e-4, atol 1e-5, NaN
equal to NaN, dtype, device and shape checked) without importing what assert_close imports."""

from __future__ import annotations

import collections
import subprocess
import sys

import pytest
import torch

from torcharc_codegen.check.compare import assert_close

t = torch.tensor
Pair = collections.namedtuple("Pair", "a b")

CASES = {
    "equal floats": (t([1.0, 2.0]), t([1.0, 2.0])),
    "within rtol": (t([10000.0]), t([10000.5])),
    "past rtol": (t([10000.0]), t([10002.0])),
    "within atol near 0": (t([0.0]), t([5e-6])),
    "past atol near 0": (t([0.0]), t([5e-5])),
    "nan equals nan": (t([float("nan"), 1.0]), t([float("nan"), 1.0])),
    "nan is not a number": (t([float("nan")]), t([1.0])),
    "inf equals inf": (t([float("inf")]), t([float("inf")])),
    "inf is not -inf": (t([float("inf")]), t([float("-inf")])),
    "another dtype": (t([1.0]), t([1.0], dtype=torch.float64)),
    "ints and floats": (t([1]), t([1.0])),
    "another shape": (t([1.0, 2.0]), t([[1.0, 2.0]])),
    "a scalar tensor": (t(1.5), t(1.5)),
    "a different scalar tensor": (t(1.5), t(2.5)),
    "equal ints": (t([3, 4]), t([3, 4])),
    "ints one apart": (t([3, 4]), t([3, 5])),
    "large ints within rtol": (t([10**6]), t([10**6 + 50])),
    "bools": (t([True, False]), t([True, False])),
    "different bools": (t([True, False]), t([True, True])),
    "complex": (t([1 + 1j]), t([1 + 1j])),
    "different complex": (t([1 + 1j]), t([1 + 2j])),
    "empty": (torch.empty(0, 3), torch.empty(0, 3)),
    "tuple and list": ((t([1.0]), t([2.0])), [t([1.0]), t([2.0])]),
    "a shorter tuple": ((t([1.0]),), (t([1.0]), t([2.0]))),
    "a named tuple and a tuple": (Pair(t([1.0]), t([2.0])), (t([1.0]), t([2.0]))),
    "nested, one value off": ((t([1.0]), [t([2.0])]), (t([1.0]), [t([3.0])])),
    "same keys": ({"a": t([1.0]), "b": t([2.0])}, {"b": t([2.0]), "a": t([1.0])}),
    "other keys": ({"a": t([1.0])}, {"b": t([1.0])}),
    "a dict and a tuple": ({0: t([1.0])}, (t([1.0]),)),
    "None and None": (None, None),
    "None and a tensor": (None, t([1.0])),
    "a tensor and a number": (t(1.0), 1.0),
    "an int and a float": (1, 1.0),
    "ints": (3, 3),
    "floats within rtol": (1000.0, 1000.05),
    "floats past rtol": (1000.0, 1000.5),
    "True and 1": (True, 1),
    "True and False": (True, False),
    "a parameter and a tensor": (torch.nn.Parameter(t([1.0])), t([1.0])),
    "meta tensors": (torch.empty(2, device="meta"), torch.empty(2, device="meta")),
    "a meta tensor and a cpu tensor": (torch.empty(2, device="meta"), t([1.0, 2.0])),
    "strings": ("a", "a"),
    "sparse": (t([[0.0, 1.0]]).to_sparse(), t([[0.0, 1.0]]).to_sparse()),
    "sparse, another value": (t([[0.0, 1.0]]).to_sparse(), t([[0.0, 2.0]]).to_sparse()),
}


def verdict(check, got, expected) -> bool:
    try:
        check(got, expected)
    except Exception:  # noqa: BLE001 - any failure is "not close"
        return False
    return True


def torchs(got, expected):
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5, equal_nan=True)


@pytest.mark.parametrize("case", CASES)
def test_the_verdict_is_assert_closes(case):
    got, expected = CASES[case]
    assert verdict(assert_close, got, expected) == verdict(torchs, got, expected)


def test_the_cases_hold_both_verdicts():
    verdicts = [verdict(torchs, *pair) for pair in CASES.values()]
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 10


def test_a_difference_says_where_and_how_many():
    with pytest.raises(AssertionError) as e:
        assert_close(
            (t([1.0]), {"h": t([[1.0, 2.0], [3.0, 4.0]])}),
            (t([1.0]), {"h": t([[1.0, 2.0], [3.5, 4.5]])}),
        )
    assert str(e.value) == (
        "output 1.h: 2 of 4 values differ at index (1, 0): 3.0, not 3.5 (within rtol=0.0001,"
        " atol=1e-05)"
    )
    with pytest.raises(AssertionError, match=r"^output 0: dtype float32, not float64$"):
        assert_close([t([1.0])], [t([1.0], dtype=torch.float64)])


def test_comparing_tensors_imports_no_dtensor():
    code = (
        "import sys, torch\n"
        "from torcharc_codegen.check.compare import assert_close\n"
        "assert_close((torch.ones(2), [torch.zeros(1)]), (torch.ones(2), [torch.zeros(1)]))\n"
        "print('torch.distributed.tensor' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
