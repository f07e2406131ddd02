"""Every rule about names, in one place: which names a spec may give (modules, inputs, nodes),
which names the generated class and file may take, and how a name is read by Python.

Python reads identifiers NFKC-normalized (PEP 3131): ``ｍｌｐ`` (fullwidth) and ``mlp`` are one
attribute, ``ｘ`` and ``x`` one variable, so names are compared in that form. The generated
file's own code reads a few names (``torch``, ``nn``, ``self``, and the builtins it calls or
annotates with): a name that would hide one of them is never a forward variable, a parameter
or the class. A module may still be called ``torch``: ``self.torch`` is a plain attribute, and
the forward variable of its node is renamed (codegen's Namespace does that).
"""

from __future__ import annotations

import builtins
import functools
import keyword
import unicodedata
from collections.abc import Iterable

from .errors import KeyPath
from .messages import quote

# The names the generated code reads where a spec's names live, and what each one is.
FILE_NAMES = {
    "torch": "the torch module the generated file imports",
    "nn": "torch.nn, imported as nn by the generated file",
    "self": "the instance in the generated methods",
}
GENERATED_NAMES = frozenset(FILE_NAMES)
# Builtins the generated file calls (``super()``, ``float("inf")``) or annotates with.
FILE_BUILTINS = frozenset({"super", "float", "int", "bool", "str", "list", "tuple", "dict"})

# Attributes of nn.Module: a submodule with one of these names would shadow it (``training``
# is the flag ``.eval()`` sets). Kept as data so validation needs no torch import;
# tests/test_names.py checks it against torch.
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


def normal(name: str) -> str:
    """The name Python sees: ``name`` NFKC-normalized."""
    return unicodedata.normalize("NFKC", name)


def is_identifier(name: object) -> bool:
    """A name usable as a Python variable or attribute: an identifier, not a keyword."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def hides_file_name(name: str) -> bool:
    """Whether ``name``, as a variable or parameter of the generated file, would hide a name
    its code reads (``torch``, ``nn``, ``self``, ``super``, ...) or is a keyword."""
    read = normal(name)
    return keyword.iskeyword(read) or read in GENERATED_NAMES or read in FILE_BUILTINS


def identifier_from(text: str) -> str:
    """``text`` with each character an identifier can't hold replaced by ``_`` (``emb_A-b`` ->
    ``emb_A_b``); ``text`` is a spec name, so it starts with an identifier's first letter."""
    out = "".join(c if ("a" + c).isidentifier() else "_" for c in text)
    return out if out.isidentifier() else "_" + out


def pascal_case(text: str) -> str:
    """``my_model`` / ``my-model`` -> ``MyModel``; the result is an identifier or ''."""
    words = "".join(c if c.isalnum() else " " for c in text).split()
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if name[:1].isdigit():
        name = "Model" + name
    return name if is_identifier(name) else ""


# --- the spec's names -----------------------------------------------------------------------


def name_problem(name: object, what: str) -> str | None:
    """Why ``name`` can't be the name of a ``what`` ("module", "input"), or None."""
    if not is_identifier(name) or not is_identifier(normal(name)):
        return (
            f"{what} name {quote(name)} is not a Python identifier (letters, digits, underscores)"
        )
    read = normal(name)
    if what == "input" and read in GENERATED_NAMES:
        # forward's parameter would hide it, and renaming a parameter breaks keyword calls
        return (
            f"{what} name {quote(name)} is reserved in the generated code (forward's parameter"
            f" would hide {FILE_NAMES[read]}): rename it"
        )
    if what == "module" and read in MODULE_ATTRIBUTES:
        return (
            f"{what} name {quote(name)} is reserved in the generated code (nn.Module's own"
            f" attribute `{read}`{_attribute_use(read)}): rename it"
        )
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


def _attribute_use(name: str) -> str:
    if name == "training":
        return ", which .eval() and .train() set"
    return ", a method" if name != "T_destination" and name != "dump_patches" else ""


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
        read = normal(name)
        if read in first and first[read] != name:
            out.append((path, collision(what, name, what, first[read])))
        first.setdefault(read, name)
    return out


def collision(what: str, name: str, other_what: str, other: str) -> str:
    """The message for two spellings Python reads as one name."""
    return (
        f"{what} name {quote(name)} and {other_what} name {quote(other)} are the same name "
        f"in Python (both read as {quote(normal(name))}): rename one"
    )


# --- the generated class and file -----------------------------------------------------------


def class_name_problem(name: str) -> str | None:
    """Why ``name`` can't be the generated class, or None. Beyond being an identifier, it must
    not hide a name the file uses: torch, nn, self, or a Python builtin (super, list, ...)."""
    if not isinstance(name, str) or not name.isidentifier():
        return "is not a Python identifier (letters, digits and _, not starting with a digit)"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    read = normal(name)
    if read in FILE_NAMES:
        return f"would hide {FILE_NAMES[read]}"
    if read in vars(builtins):
        return f"would hide Python's builtin {read}, which the generated file may use"
    return None


def module_name_problem(stem: str) -> str | None:
    """Why a file named ``stem``.py can't be imported as a module, or None."""
    if not stem.isidentifier():
        return f"{stem!r} is not a Python identifier"
    if keyword.iskeyword(stem):
        return f"{stem!r} is a Python keyword"
    if normal(stem) == "torch":
        return "a module named torch hides torch itself from the generated code"
    return None
