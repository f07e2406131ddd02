"""Names the command line derives from file names: the output module's, and the class's.

``class_name_problem`` is the rule for a generated class's name (the names module's to own:
the API and emit apply the same rule)."""

from __future__ import annotations

import builtins
import keyword
import re

from .config import Config

_FILE_NAMES = {
    "torch": "the torch module the generated file imports",
    "nn": "torch.nn, imported as nn by the generated file",
    "self": "the instance in the generated methods",
}


def class_name_problem(name: str) -> str | None:
    """Why ``name`` can't be the generated class, or None. Beyond being an identifier, it must
    not hide a name the file uses: torch, nn, self, or a Python builtin (super, list, ...)."""
    if not name.isidentifier():
        return "is not a Python identifier (letters, digits and _, not starting with a digit)"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name in _FILE_NAMES:
        return f"would hide {_FILE_NAMES[name]}"
    if name in vars(builtins):
        return f"would hide Python's builtin {name}, which the generated file may use"
    return None


def module_name_problem(stem: str) -> str | None:
    """Why a file named ``stem``.py can't be imported as a module, or None."""
    if not stem.isidentifier():
        return f"{stem!r} is not a Python identifier"
    if keyword.iskeyword(stem):
        return f"{stem!r} is a Python keyword"
    if stem == "torch":
        return "a module named torch hides torch itself from the generated code"
    return None


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
