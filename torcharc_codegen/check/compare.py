"""Outputs compared the way ``torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5,
equal_nan=True)`` compares them, with torch ops: the same structure (any sequences of the same
length, mappings with the same keys), the same Python types for None, bools and numbers, and
tensors of the same shape, dtype, device and layout whose values are ``torch.isclose``.

assert_close itself imports torch.distributed.tensor on its first call (about a second) to
unwrap DTensors; what this module can't compare the way it does (sparse, quantized or nested
tensors, tensor subclasses, other objects) is handed to assert_close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

RTOL = 1e-4
ATOL = 1e-5


def assert_close(got, expected, where: tuple = ()) -> None:
    """AssertionError (saying at which output) unless ``got`` is close to ``expected``."""
    import torch

    at = f"output {'.'.join(map(str, where))}: " if where else ""
    if _is_sequence(got) and _is_sequence(expected):
        if len(got) != len(expected):
            raise AssertionError(f"{at}{len(got)} values, not {len(expected)}")
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_close(a, b, (*where, i))
        return
    if isinstance(got, Mapping) and isinstance(expected, Mapping):
        if set(got) != set(expected):
            raise AssertionError(f"{at}keys {sorted(got)}, not {sorted(expected)}")
        for key in expected:
            assert_close(got[key], expected[key], (*where, key))
        return
    if got is None or expected is None:
        if got is not expected:
            raise AssertionError(f"{at}{got!r}, not {expected!r}")
        return
    if isinstance(got, bool) and isinstance(expected, bool):
        if got is not expected:
            raise AssertionError(f"{at}{got}, not {expected}")
        return
    if _plain_tensor(got) and _plain_tensor(expected):
        _tensors_close(torch, got, expected, at)
        return
    if _number(got) and _number(expected):
        _numbers_close(got, expected, at)
        return
    _as_torch_does(torch, got, expected, at)


def _is_sequence(value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _number(value) -> bool:
    return type(value) in (int, float, complex)


def _plain_tensor(value) -> bool:
    import torch

    return (
        type(value) in (torch.Tensor, torch.nn.Parameter)
        and value.layout == torch.strided
        and not value.is_quantized
        and not value.is_nested
    )


def _tensors_close(torch, got, expected, at: str) -> None:
    for what, a, b in (
        ("shape", tuple(got.shape), tuple(expected.shape)),
        ("device", got.device, expected.device),
        ("dtype", got.dtype, expected.dtype),
    ):
        if a != b:
            raise AssertionError(f"{at}{what} {_shown(a)}, not {_shown(b)}")
    if "meta" in (got.device.type, expected.device.type):
        return  # no values to compare
    if got.dtype.is_floating_point and got.dtype.itemsize == 1:
        _as_torch_does(torch, got, expected, at)  # 8-bit floats: bitwise only
        return
    close = torch.isclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    if bool(close.all()):
        return
    wrong = int((~close).sum())
    index = tuple(int(i) for i in (~close).nonzero()[0])
    a, b = got[index].item(), expected[index].item()
    at_index = f" at index {index}" if index else ""
    raise AssertionError(
        f"{at}{wrong} of {close.numel()} values differ{at_index}: {a!r}, not {b!r}"
        f" (within rtol={RTOL}, atol={ATOL})"
    )


def _numbers_close(got, expected, at: str) -> None:
    import cmath

    if type(got) is not type(expected):
        raise AssertionError(f"{at}{type(got).__name__}, not {type(expected).__name__}")
    if got == expected or (cmath.isnan(got) and cmath.isnan(expected)):
        return
    difference = abs(got - expected)  # rtol and atol given: they hold for ints too
    if cmath.isfinite(difference) and difference <= ATOL + RTOL * abs(expected):
        return
    raise AssertionError(f"{at}{got!r}, not {expected!r} (within rtol={RTOL}, atol={ATOL})")


def _as_torch_does(torch, got, expected, at: str) -> None:
    try:
        torch.testing.assert_close(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    except Exception as e:  # noqa: BLE001 - its reason, at this output
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise AssertionError(f"{at}{first}") from None


def _shown(value) -> str:
    if isinstance(value, tuple):
        return str(value)
    return str(value).removeprefix("torch.")
