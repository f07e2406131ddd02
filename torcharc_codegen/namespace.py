"""The names a generated file introduces, allocated in one place and by one scheme.

Python reads identifiers NFKC-normalized (PEP 3131): ``ｍｌｐ`` and ``mlp`` are one name, so a
name is taken by its normalized form. A fresh name is ``base`` when that is free, else
``base_2``, ``base_3``, ...; it is never a keyword, a name the file's code relies on
(``torch``, ``nn``, ``self``, ``super``, the builtins it calls or annotates with), nor a name
already taken in its scope.
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Iterable

# Names the generated code reads where a spec's names live; validation refuses them as
# module, input and node names.
GENERATED_NAMES = frozenset({"self", "torch", "nn"})
# Builtins the generated file calls (``super()``, ``float("inf")``) or annotates with.
FILE_BUILTINS = frozenset({"super", "float", "int", "bool", "str", "list", "tuple", "dict"})


def normal(name: str) -> str:
    """The name Python sees: ``name`` NFKC-normalized."""
    return unicodedata.normalize("NFKC", name)


class Namespace:
    """The names of one scope of the generated file (its top level, forward's variables, or
    the model's attributes)."""

    def __init__(self, reserved: Iterable[str] = ()):
        self._reserved = {normal(n) for n in (*GENERATED_NAMES, *FILE_BUILTINS, *reserved)}
        self._holders: dict[str, str] = {}  # normalized name -> the spelling that took it

    def holder(self, name: str) -> str | None:
        """The spelling that already holds ``name`` (or a name NFKC-equal to it), if any."""
        return self._holders.get(normal(name))

    def claim(self, name: str) -> str | None:
        """Take a name from the spec as it is written. Returns None when it was free, else the
        spelling that holds it (and takes nothing). The spec's names were validated, so only
        a clash with a name already taken is checked here."""
        held = self.holder(name)
        if held is None:
            self._holders[normal(name)] = name
        return held

    def fresh(self, base: str) -> str:
        """A new name for generated code: ``base``, else ``base_2``, ``base_3``, ..."""
        name, i = base, 2
        while not self._free(name):
            name, i = f"{base}_{i}", i + 1
        self._holders[normal(name)] = name
        return name

    def _free(self, name: str) -> bool:
        key = normal(name)
        return not keyword.iskeyword(key) and key not in self._reserved and key not in self._holders
