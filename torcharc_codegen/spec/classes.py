"""Which class a module spec names: a ``torch.nn`` class, a built-in helper or a user's class.

``torch.nn`` names and helpers come from the published schema (and which forwards return a
Tensor from the class table beside it), so resolving them imports nothing. A user's class is
either registered (:func:`register_nn`, TorchArc's rule: a name ``torch.nn`` has is refused)
or named by import path (``mypkg.layers.Residual``), which is only imported when its
top-level package is allowed.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ..grammar.schema import base_schema, class_table
from ..grammar.spec_schema import DTYPES
from .helpers import HELPERS


@dataclass(frozen=True)
class ClassRef:
    name: str  # as written in the spec
    kind: Literal["torch", "helper", "custom", "block", "sequential", "parameter", "buffer"]
    module: str = "torch.nn"  # where the generated file imports it from (custom only)
    attr: str = ""  # its name in that module; a block's name
    returns_tensor: bool = False  # its forward is annotated to return a Tensor

    @property
    def shown(self) -> str:
        """Its name in tables and pictures: a block's without the `.`."""
        return self.attr if self.kind == "block" else self.name

    @property
    def lazy(self) -> bool:
        return self.kind == "torch" and self.name.startswith("Lazy")


_REGISTERED: dict[str, type] = {}


def register_nn(cls: type) -> type:
    """Let specs name ``cls`` by its class name, like ``torcharc.register_nn``. The generated
    file imports it from its module, so it must live in an importable one."""
    import torch

    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
        raise TypeError(f"{cls!r} is not a torch.nn.Module subclass")
    name = cls.__name__
    if cls.__module__ == "__main__":
        raise ValueError(
            f"{name} is defined in the script being run (__main__), which the generated file "
            f"can't import (`from __main__ import {name}` would find its own script): move "
            f"{name} into a module of its own (e.g. layers.py), import it from there and "
            f"register that"
        )
    if "<locals>" in cls.__qualname__:
        raise ValueError(
            f"{name} is defined inside a function ({cls.__qualname__}), which the generated "
            f"file can't import: define it at the top level of a module"
        )
    if hasattr(torch.nn, name) or name in HELPERS or name in ("Sequential", "compact"):
        raise ValueError(f"Module {name} already exists in torch.nn")
    _REGISTERED[name] = cls
    return cls


BLOCK_PREFIX = "."  # a spec's own block is named `.Name` where a class goes
SEQUENTIAL = ClassRef("Sequential", "sequential", attr="Sequential", returns_tensor=True)


def declared_class(data: object) -> str | None:
    """The class name a spec declares (``class: ResNet``, this project's extension), if any."""
    name = data.get("class") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def block_ref(name: str) -> ClassRef:
    """The class of ``.Name``: the spec's block ``Name``."""
    return ClassRef(name, "block", attr=name[len(BLOCK_PREFIX) :], returns_tensor=True)


# A bare nn.Parameter (this project's extension): `class_token: {Parameter: {shape: [1, 1, 768]}}`
# is `self.class_token = nn.Parameter(torch.full((1, 1, 768), 0.0))`, its state_dict key the
# module's name itself; a node naming it with no arguments reads it.
PARAMETER = "Parameter"
PARAMETER_ARGS = (
    inspect.Parameter("shape", inspect.Parameter.KEYWORD_ONLY, annotation=list[int]),
    inspect.Parameter("fill", inspect.Parameter.KEYWORD_ONLY, default=0.0, annotation=float),
    inspect.Parameter(
        "requires_grad", inspect.Parameter.KEYWORD_ONLY, default=True, annotation=bool
    ),
)
PARAMETER_DOC = """A bare parameter tensor (a torcharc-gen extension), as a model's own
`nn.Parameter` (a class token, a learned position embedding, a layer scale): its state_dict
key is the module's name. A graph node naming it with no arguments reads it.

Args:
    shape: The tensor's shape.
    fill: The value every entry starts at (and init_weights sets again).
    requires_grad: Whether it is trained.
"""


# A bare buffer (this project's extension): `index: {Buffer: {shape: [49], dtype: int64}}` is
# `self.register_buffer("index", torch.full((49,), 0, dtype=torch.int64))`, its state_dict key
# the module's name (unless it isn't persistent); a node naming it with no arguments reads it.
BUFFER = "Buffer"
BUFFER_ARGS = (
    inspect.Parameter("shape", inspect.Parameter.KEYWORD_ONLY, annotation=list[int]),
    inspect.Parameter("fill", inspect.Parameter.KEYWORD_ONLY, default=0.0, annotation=float | bool),
    inspect.Parameter(
        "dtype",
        inspect.Parameter.KEYWORD_ONLY,
        default="float32",
        annotation=Literal[tuple(DTYPES)],  # type: ignore[valid-type]
    ),
    inspect.Parameter("persistent", inspect.Parameter.KEYWORD_ONLY, default=True, annotation=bool),
)
BUFFER_DOC = """A bare buffer tensor (a torcharc-gen extension), as a model's own registered
buffer (BatchNorm's running statistics read with F.batch_norm): its state_dict key is the
module's name, unless it isn't persistent. A graph node naming it with no arguments reads it.

Args:
    shape: The tensor's shape.
    fill: The value every entry starts at (and init_weights sets again).
    dtype: Its dtype.
    persistent: Whether the state_dict holds it.
"""
# The modules of one tensor, read by a node with no arguments
TENSOR_MODULES = {PARAMETER: "parameter", BUFFER: "buffer"}


def builtin_classes() -> dict[str, ClassRef]:
    """torch.nn classes, helpers, Parameter and Buffer, by name, as the schema lists them."""
    returning = set(class_table()["forward_returns_tensor"])

    def kind(name: str) -> str:
        return "helper" if name in HELPERS else TENSOR_MODULES.get(name, "torch")

    return {
        name: ClassRef(
            name, kind(name), attr=name, returns_tensor=name in returning or name in TENSOR_MODULES
        )
        for name in base_schema()["definitions"]["class"]
    }


class ImportNotAllowed(Exception):
    pass


def resolve_custom(name: str, imports: Iterable[str]) -> tuple[ClassRef | None, type | None]:
    """A registered name, or an import path whose top-level package is in ``imports``.

    Returns (None, None) when ``name`` is neither; raises ImportNotAllowed (with what to do)
    or ValueError (with what went wrong) for an import path that can't be used.
    """
    if name in _REGISTERED:
        cls = _REGISTERED[name]
        return _custom_ref(name, cls), cls
    if "." not in name:
        return None, None
    module_name, _, attr = name.rpartition(".")
    top = name.split(".")[0]
    if top not in set(imports):
        raise ImportNotAllowed(
            f"class {name!r} comes from package {top!r}, which is not allowed: pass "
            f"--import {top} (or imports = [{top!r}] under [tool.torcharc-gen], or "
            f"imports=[{top!r}] in the Python API)"
        )
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} is not an import path")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # noqa: BLE001 - any import failure is the user's to see
        raise ValueError(f"can't import {module_name!r}: {type(e).__name__}: {e}") from None
    cls = getattr(module, attr, None)
    import torch

    if not (inspect.isclass(cls) and issubclass(cls, torch.nn.Module)):
        raise ValueError(f"{name!r} is not a torch.nn.Module subclass")
    return _custom_ref(name, cls), cls


def _custom_ref(name: str, cls: type) -> ClassRef:
    return ClassRef(name, "custom", cls.__module__, cls.__qualname__, forward_returns_tensor(cls))


def forward_returns_tensor(cls: type) -> bool:
    """Whether ``cls.forward`` is annotated to return a Tensor (for the forward's annotation)."""
    import torch

    try:
        ann = inspect.signature(cls.forward).return_annotation
    except (TypeError, ValueError):
        return False
    return ann is torch.Tensor or ann in ("Tensor", "torch.Tensor")
