"""A class's argument schema from its constructor: a JSON type from the annotation or the
default (widened by what the torch base classes take), the default, ``required``, and
descriptions from the docstrings; closed unless the constructor takes ``**kwargs``."""

from __future__ import annotations

import inspect
import math
import re
import types
import typing

from .docstrings import arg_docs, assigned_strings, doc_of, string_enum, summary
from .params_schema import or_param_ref


def init_params(cls: type) -> list[inspect.Parameter]:
    """The parameters ``cls(...)`` takes (from the docstring's signature when the real one is
    ``*args, **kwargs``); the schema's properties come from these."""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return [inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    kinds = {p.kind for p in params}
    if kinds <= {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}:
        return _documented_signature(cls) or params
    return params


def _documented_signature(cls: type) -> list[inspect.Parameter] | None:
    """RNN, LSTM and GRU take ``*args, **kwargs``; their docstring opens with the real
    signature, ``__init__(input_size,hidden_size,num_layers=1,...)``."""
    import ast

    match = re.match(r"\s*__init__\((.*?)\)", inspect.getdoc(cls) or "", re.S)
    if not match:
        return None
    try:
        fn = ast.parse(f"def f({match.group(1)}): pass").body[0]
    except SyntaxError:
        return None
    args = fn.args
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    out = []
    for arg, default in zip(args.args, defaults, strict=True):
        value = inspect.Parameter.empty if default is None else ast.literal_eval(default)
        out.append(
            inspect.Parameter(arg.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=value)
        )
    return out


def class_schema(
    name: str, params: list[inspect.Parameter], doc: str, cls: type | None = None
) -> dict:
    P = inspect.Parameter
    keyword = [p for p in params if p.kind in (P.POSITIONAL_OR_KEYWORD, P.KEYWORD_ONLY)]
    described = arg_docs(doc)
    mro = cls.__mro__ if cls is not None else ()
    properties = {}
    for p in keyword:
        inherited = _inherited(cls, p.name) if cls is not None else []
        strings: list[str] = []
        narrowed = [_NARROWED[b.__name__, p.name] for b in mro if (b.__name__, p.name) in _NARROWED]
        if narrowed:
            strings = narrowed[0]
        elif (name, p.name) not in _OPEN_STRINGS:
            for q, q_doc in [(p, doc), *inherited]:
                strings = string_enum(arg_docs(q_doc).get(p.name, ""), q.default)
                strings = strings or assigned_strings(q_doc, p.name)
                if strings:
                    break
        widened = [q for q, _ in inherited]
        arg = _param_schema(p, described.get(p.name, ""), strings, widened)
        properties[p.name] = or_param_ref(arg)
    required = [p.name for p in keyword if p.default is P.empty]
    shown = [
        p.name if p.default is P.empty else f"{p.name}={_show(p.default)}"
        for p in keyword
        if not p.name.startswith("_")
    ]
    if any(p.kind == P.VAR_KEYWORD for p in params):
        shown.append("**kwargs")
    schema: dict = {
        "title": f"{name}({', '.join(shown)})",
        "description": summary(doc) or f"torch.nn.{name}",
        "type": "object" if required else ["object", "null"],
        "properties": properties,
    }
    if required:
        schema["required"] = required
    if not any(p.kind == P.VAR_KEYWORD for p in params):
        schema["additionalProperties"] = False
    return schema


def _inherited(cls: type, name: str) -> list[tuple[inspect.Parameter, str]]:
    """Parameter ``name`` of the constructors of ``cls``'s torch base classes, with their
    docstrings. A subclass hands its arguments on to its base, which is often the one that
    says what it takes: ``LazyConv2d``'s ``padding`` is annotated ``int | tuple`` but
    ``Conv2d`` (its base) takes ``'same'``; ``InstanceNorm1d``'s ``momentum`` is a ``float``
    but ``_NormBase`` takes ``None``."""
    import torch

    out = []
    for base in cls.__mro__[1:]:
        if base is torch.nn.Module or not issubclass(base, torch.nn.Module):
            continue
        if "__init__" not in vars(base) or not base.__module__.startswith("torch."):
            continue
        try:
            param = inspect.signature(base.__init__).parameters.get(name)
        except (TypeError, ValueError):
            continue
        if param is not None and param.kind is not inspect.Parameter.VAR_KEYWORD:
            out.append((param, doc_of(base)))
    return out


def _show(value: object) -> str:
    """A default as the title shows it; never a repr with a memory address."""
    if _jsonable(value):
        return repr(value)
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) else "..."


def _param_schema(
    p: inspect.Parameter, doc: str, enum: list[str], inherited: list[inspect.Parameter] = ()
) -> dict:
    """``enum``: the strings the parameter takes, where torch documents them; ``inherited``:
    the same parameter of the base classes' constructors (the schema takes what they take)."""
    schema = _annotation_schema(p.annotation)
    if schema is None:
        schema = _default_schema(p.default)
    own = _types(schema)
    for q in inherited:
        schema = _widen(schema, q)
    if "string" in _types(schema) and "string" not in own and not enum:
        # a base takes some strings, none documented: better refuse them all than take any
        kept = [t for t in _types(schema) if t != "string"]
        schema["type"] = kept[0] if len(kept) == 1 else kept
    if p.default is None and "type" in schema and "null" not in _types(schema):
        schema["type"] = _types(schema) + ["null"]
    if enum and _types(schema) in (["string"], ["string", "null"]):
        schema["enum"] = enum + ([None] if "null" in _types(schema) else [])
    elif enum and "string" in _types(schema):
        schema["enum"] = enum
    schema = _one_type_per_branch(schema)
    if doc:
        schema["description"] = doc
    if p.default is not inspect.Parameter.empty and _jsonable(p.default):
        schema["default"] = list(p.default) if isinstance(p.default, tuple) else p.default
    return schema


def _widen(schema: dict, q: inspect.Parameter) -> dict:
    """``schema`` also taking what a base class's parameter ``q`` is annotated to take."""
    other = _annotation_schema(q.annotation)
    if other is None:
        other = _default_schema(q.default)
    if "type" not in schema or "type" not in other:
        return schema  # one of them says nothing: no widening from it
    out = dict(schema)
    out["type"] = _types(schema) + [t for t in _types(other) if t not in _types(schema)]
    if q.default is None and "null" not in out["type"]:
        out["type"].append("null")
    if "items" not in out and "items" in other:
        out["items"] = other["items"]
    if out["type"] == ["number", "integer"] or out["type"] == ["integer", "number"]:
        out["type"] = ["number"]
    if len(out["type"]) == 1:
        out["type"] = out["type"][0]
    return out


def _types(schema: dict) -> list[str]:
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def _one_type_per_branch(schema: dict) -> dict:
    """A union of types as an ``anyOf`` of one type each: ajv's strict mode refuses a
    ``type`` list other than ``[T, "null"]``. The branches have no description of their own:
    an editor's hover would show it instead of the argument's."""
    if "items" in schema:
        schema = {**schema, "items": _one_type_per_branch(schema["items"])}
    types_ = _types(schema)
    if len([t for t in types_ if t != "null"]) < 2:
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("type", "items", "enum")}
    branches = []
    for t in types_:
        branch: dict = {"type": t}
        if t == "array" and "items" in schema:
            branch["items"] = schema["items"]
        if t == "string" and "enum" in schema:
            branch["enum"] = [v for v in schema["enum"] if isinstance(v, str)]
        branches.append(branch)
    return {"anyOf": branches, **rest}


_SCALARS = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _annotation_schema(ann: object) -> dict | None:
    """The JSON schema of a Python annotation, or None when it says nothing usable."""
    if ann is inspect.Parameter.empty:
        return None
    if isinstance(ann, str):
        return _string_annotation(ann)
    if ann in _SCALARS:
        return {"type": _SCALARS[ann]}
    if ann is type(None):
        return {"type": "null"}
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        parts = [_annotation_schema(a) for a in args]
        if any(p is None or "type" not in p for p in parts):
            return {}
        merged: dict = {"type": []}
        for part in parts:
            for t in _types(part):
                if t not in merged["type"]:
                    merged["type"].append(t)
            if "items" in part:
                merged["items"] = part["items"]
        if merged["type"] == ["integer", "number"] or merged["type"] == ["number", "integer"]:
            merged["type"] = ["number"]
        return merged
    if origin in (tuple, list, typing.Sequence) or ann in (tuple, list):
        items = [a for a in args if a is not Ellipsis]
        item = _annotation_schema(items[0]) if items and len(set(items)) == 1 else None
        out: dict = {"type": "array"}
        if item:
            out["items"] = item
        return out
    if origin is typing.Literal:
        return (
            {"type": "string", "enum": list(args)} if all(isinstance(a, str) for a in args) else {}
        )
    return {}


def _string_annotation(ann: str) -> dict | None:
    """Annotations left as strings (``from __future__ import annotations`` in the module)."""
    text = ann.replace(" ", "")
    optional = text.startswith("Optional[") or text.endswith("|None")
    core = (
        text.removeprefix("Optional[").removesuffix("]") if text.startswith("Optional[") else text
    )
    core = core.removesuffix("|None")
    simple = {"int": "integer", "float": "number", "bool": "boolean", "str": "string"}
    if core in simple:
        return {"type": [simple[core], "null"] if optional else simple[core]}
    if core.startswith("_size_") or core.startswith("_ratio_"):
        base = "integer" if core.startswith("_size_") else "number"
        types_ = [base, "array"] + (["null"] if optional else [])
        return {"type": types_, "items": {"type": base}}
    return {}


def _default_schema(default: object) -> dict:
    if default is inspect.Parameter.empty or default is None:
        return {}
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, (int, float)):
        return {"type": "number"}
    if isinstance(default, str):
        return {"type": "string"}
    if isinstance(default, (tuple, list)):
        return {"type": "array"}
    return {}


def _jsonable(value: object) -> bool:
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return all(_jsonable(v) for v in value)
    return False


# Parameters whose docs list only some of the values torch accepts (Upsample also takes
# 'nearest-exact'): no enum for them, the schema must never refuse what torch accepts.
_OPEN_STRINGS = {("Upsample", "mode")}
# Parameters annotated with more strings than the constructor takes: the transposed
# convolutions raise ValueError for any padding_mode but 'zeros'. By (torch base class, name).
_NARROWED = {("_ConvTransposeNd", "padding_mode"): ["zeros"]}
