"""The rules for the names a spec gives (modules, inputs, nodes): each becomes a Python name in
the generated file, so it must be an identifier, must not be a name the file or nn.Module
already uses, and must not equal another name once Python reads it.

Python reads identifiers in their NFKC form (PEP 3131): ``ｍｌｐ`` (fullwidth) and ``mlp`` are
one attribute, ``ｘ`` and ``x`` one variable. Names are therefore compared in that form.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from .errors import KeyPath
from .literals import is_identifier
from .messages import quote
from .namespace import GENERATED_NAMES
from .namespace import normal as python_name

# Attributes of nn.Module: a submodule with one of these names would shadow it. Kept as data
# so validation needs no torch import; tests/test_validate.py checks it against torch.
MODULE_ATTRIBUTES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad""".split()
)


def name_problem(name: object, what: str) -> str | None:
    """Why ``name`` can't be the name of a ``what`` ("module", "input"), or None."""
    if not is_identifier(name) or not is_identifier(python_name(name)):
        return (
            f"{what} name {quote(name)} is not a Python identifier (letters, digits, underscores)"
        )
    read = python_name(name)
    if read in GENERATED_NAMES or (what == "module" and read in MODULE_ATTRIBUTES):
        return f"{what} name {quote(name)} is reserved in the generated code: rename it"
    if read.startswith("__") and not read.endswith("__"):
        # private name mangling: in the class, `self.__x` is `self._Model__x`
        return (
            f"{what} name {quote(name)} can't be written in Python as it is: inside a class "
            f"Python reads a name that starts with '__' (and doesn't end with it) as "
            f"'_<Class>{read}'"
            + (", so its state_dict keys would not be TorchArc's" if what == "module" else "")
            + ": rename it"
        )
    if what == "module" and read.startswith("_") and read in module_internals():
        return f"module name {quote(name)} is an attribute nn.Module uses itself: rename it"
    return None


@functools.cache
def module_internals() -> frozenset[str]:
    """The private attributes of nn.Module (``_modules``, ``_parameters``, ``_buffers``, ...):
    its class's and those every instance sets. Imports torch, so only asked for `_` names."""
    import torch

    names = set(dir(torch.nn.Module)) | set(vars(torch.nn.Module()))
    return frozenset(n for n in names if n.startswith("_"))


def same_python_name(names: Iterable[tuple[str, KeyPath]], what: str) -> list[tuple[KeyPath, str]]:
    """(path, message) for each name that Python reads as an earlier, differently spelt one."""
    first: dict[str, str] = {}
    out = []
    for name, path in names:
        read = python_name(name)
        if read in first and first[read] != name:
            out.append((path, collision(what, name, what, first[read])))
        first.setdefault(read, name)
    return out


def collision(what: str, name: str, other_what: str, other: str) -> str:
    """The message for two spellings Python reads as one name."""
    return (
        f"{what} name {quote(name)} and {other_what} name {quote(other)} are the same name "
        f"in Python (both read as {quote(python_name(name))}): rename one"
    )
