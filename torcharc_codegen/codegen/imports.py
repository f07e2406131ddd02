"""The generated file's imports as a structure: each (module, name) it takes once, under one
local name, written one ``from`` line per module with the names sorted. Names are compared
whole, never by text prefix (``Res`` is not ``ResBlock``)."""

from __future__ import annotations

from collections.abc import Callable

# What every generated file starts with; the custom classes' lines follow, sorted by module.
DEFAULT_IMPORTS = ("import torch", "from torch import nn")


class Imports:
    def __init__(self) -> None:
        self._local: dict[tuple[str, str], str] = {}  # (module, name) -> its local name

    def add(self, module: str, name: str, fresh: Callable[[str], str]) -> str:
        """The local name of ``name`` from ``module``; the first time, ``fresh(name)`` gives
        it (the name itself, or another when the file already uses that one)."""
        key = (module, name)
        if key not in self._local:
            self._local[key] = fresh(name)
        return self._local[key]

    def lines(self) -> list[str]:
        """``from m import A, B as B_2`` for each module, the modules and names sorted."""
        by_module: dict[str, list[str]] = {}
        for (module, name), local in self._local.items():
            by_module.setdefault(module, []).append(name if local == name else f"{name} as {local}")
        return [
            f"from {module} import {', '.join(sorted(names))}"
            for module, names in sorted(by_module.items())
        ]

    def __len__(self) -> int:
        return len(self._local)
