"""Names the command line derives from output file names: a usable file name close to one
that can't be imported, and why an output's name gives no class name. The rules themselves
(class_name_problem, module_name_problem) are the names module's."""

from __future__ import annotations

import re

from ..names import class_name_problem, module_name_problem
from .config import Config


def usable_stem(stem: str, config: Config) -> str | None:
    """A file name close to ``stem`` that imports and gives a class name (my-model ->
    my_model, 3d -> model_3d, class -> class_), or None."""
    name = re.sub(r"\W", "_", stem)
    if name[:1].isdigit():
        name = f"model_{name}"
    for candidate in (name, (name.strip("_") + "_model").lstrip("_")):
        derived = config.class_name(candidate)
        if not module_name_problem(candidate) and derived and not class_name_problem(derived):
            return candidate
    return None


def derived_class_problem(stem: str, config: Config) -> str | None:
    """Why the output name ``stem`` gives no usable class name, or None."""
    name = config.class_name(stem)
    if name and not class_name_problem(name):
        return None
    raw = stem if config.style == "stem" else "".join(w[:1].upper() + w[1:] for w in _words(stem))
    if not raw:
        why = "it has no letters or digits"
    else:
        why = f"{raw!r} {class_name_problem(raw) or 'is not a usable class name'}"
    return f"gives no usable class name ({why})"


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()
