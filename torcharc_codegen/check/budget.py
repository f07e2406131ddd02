"""The numeric budget: how many bytes of parameters and buffers a model may hold for the
generator to build it with real weights (to compare outputs with eager, or to run an op that
has no meta kernel). Above it, everything runs on the meta device: shapes and dtypes only.

Sizes are written like ``1GB``, ``500 MB``, ``4GiB`` or a plain number of bytes; ``KB``,
``MB``, ``GB`` and ``TB`` are powers of 1000, ``KiB`` ... ``TiB`` powers of 1024.
"""

from __future__ import annotations

import re

DEFAULT = "1GB"
UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*")


def parse(text: str) -> int:
    """Bytes in ``text`` (``4GB``); ValueError saying what to write otherwise."""
    match = _SIZE.fullmatch(str(text))
    unit = match and UNITS.get(match[2].lower())
    if not match or unit is None:
        raise ValueError(
            f"{text!r} is not a size: write a number of bytes with a unit, e.g. 4GB, 500MB, 2GiB"
        )
    return int(float(match[1]) * unit)


def show_bytes(n: int) -> str:
    """1000000000 -> ``1 GB``; 1500000 -> ``1.5 MB``."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= size:
            return f"{_figure(n / size)} {unit}"
    return f"{n} bytes"


def show_count(n: int) -> str:
    """6738149376 -> ``6.7 B``; 234000000 -> ``234 M``; 8906 -> ``8,906``."""
    for unit, size in (("B", 10**9), ("M", 10**6)):
        if n >= size:
            return f"{_figure(n / size)} {unit}"
    return f"{n:,}"


def _figure(value: float) -> str:
    """Two significant figures below 10 (6.7, 1.5, 4), whole numbers above (940)."""
    return f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
