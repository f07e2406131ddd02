"""The names a generated file introduces, allocated in one place and by one scheme.

A name is taken by the form Python reads (names.normal). A fresh name is ``base`` when that
is free, else ``base_2``, ``base_3``, ...; it is never a keyword, a name the scope reserves
(by default the names the file's code relies on: ``torch``, ``nn``, ``self``, ``super``, the
builtins it calls or annotates with), nor a name already taken in its scope.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable

from ..names import FILE_BUILTINS, GENERATED_NAMES, normal

# The names the file's code reads: a variable or top-level name must not hide them. The
# model's attributes (``self.torch``) hide nothing and reserve none of them.
FILE_RESERVED = GENERATED_NAMES | FILE_BUILTINS

__all__ = ["FILE_BUILTINS", "FILE_RESERVED", "GENERATED_NAMES", "Namespace", "normal"]


class Namespace:
    """The names of one scope of the generated file (its top level, forward's variables, or
    the model's attributes)."""

    def __init__(self, reserved: Iterable[str] = FILE_RESERVED):
        self._reserved = {normal(n) for n in reserved}
        self._holders: dict[str, str] = {}  # normalized name -> the spelling that took it

    def holder(self, name: str) -> str | None:
        """The spelling that already holds ``name`` (or a name NFKC-equal to it), if any; a
        keyword or reserved name is held by the file itself (its normal form is returned)."""
        key = normal(name)
        if keyword.iskeyword(key) or key in self._reserved:
            return key
        return self._holders.get(key)

    def claim(self, name: str) -> str | None:
        """Take a name from the spec as it is written. Returns None when it was free, else the
        spelling that holds it (and takes nothing)."""
        held = self.holder(name)
        if held is None:
            self._holders[normal(name)] = name
        return held

    def fresh(self, base: str) -> str:
        """A new name for generated code: ``base``, else ``base_2``, ``base_3``, ..."""
        name, i = base, 2
        while self.holder(name) is not None:
            name, i = f"{base}_{i}", i + 1
        self._holders[normal(name)] = name
        return name
