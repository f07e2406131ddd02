"""Generate the published JSON Schema from the installed ``torch.nn``.

Every public ``nn.Module`` subclass that ``torch.nn`` exports, the built-in helpers and any
user classes get a closed argument schema introspected from their constructor: a JSON type
from the annotation or the default, the default, ``required``, and descriptions from the
docstrings. The layout is the one editors handle (measured with yaml-language-server): a
module spec is an ``anyOf`` of ``$ref``'d closed single-key objects; no ``maxProperties``
beside ``properties``, no ``patternProperties`` for class names, no ``oneOf`` in arrays.
It also compiles under ajv's strict mode (``ajv compile --strict=true``), which SchemaStore
requires: no keywords of our own, no ``type`` list but ``[T, "null"]``, a ``type`` beside
every keyword that applies to one type. What the generator needs beyond argument schemas is in
the class table beside it (:func:`build_class_table`).

Parametrized specs: ``params`` is a top-level property, and every argument, item of a
list argument and example-input shape entry also takes a ``${...}`` string, an ``anyOf`` whose
last branch is ``definitions.paramRef`` (:func:`or_param_ref`).
"""

from __future__ import annotations

import inspect
import json
import math
import re
import types
import typing

from ..spec.classes import forward_returns_tensor
from ..spec.helpers import HELPERS

SCHEMA_ID = "https://torcharc-codegen.github.io/schema/torcharc.schema.json"
DTYPES = [
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
]


def torch_classes() -> dict[str, type]:
    """Public nn.Module subclasses exported by torch.nn (not ones others registered there)."""
    import torch

    out = {}
    for name in sorted(dir(torch.nn)):
        obj = getattr(torch.nn, name)
        if (
            not name.startswith("_")
            and inspect.isclass(obj)
            and issubclass(obj, torch.nn.Module)
            and obj.__module__.startswith("torch.")
            and name != "Sequential"
        ):
            out[name] = obj
    return out


def build_schema(extra_classes: dict[str, type] | None = None) -> dict:
    import torch

    classes: dict[str, dict] = {}
    for name, cls in torch_classes().items():
        classes[name] = _class_schema(name, init_params(cls), _doc(cls), cls)
    for name, helper in HELPERS.items():
        classes[name] = _class_schema(name, list(helper.params), helper.doc)
    classes.update(custom_class_schemas(extra_classes or {}))
    names = list(classes)
    refs = [{"$ref": f"#/definitions/class/{n}"} for n in names]
    version = torch.__version__
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "TorchArc model spec",
        "description": (
            "A model as data: `modules` (name -> torch.nn module spec) and `graph` (how they "
            f"are called). Compiled to PyTorch code by torcharc-gen. Generated from torch "
            f"{version}."
        ),
        "type": "object",
        "required": ["modules", "graph"],
        "properties": {
            "params": _params(),
            "modules": {
                "title": "modules",
                "description": "Module name -> module spec: a torch.nn class with its keyword "
                "arguments, a Sequential, or a compact spec.",
                "type": "object",
                "additionalProperties": {"$ref": "#/definitions/module"},
            },
            "graph": {"$ref": "#/definitions/graph"},
        },
        "definitions": {
            "module": {
                "title": "module spec",
                "description": "One class name with its keyword arguments (null for none), "
                "`Sequential: [...]`, or `compact: {...}`.",
                "anyOf": refs
                + [{"$ref": "#/definitions/Sequential"}, {"$ref": "#/definitions/compact"}],
            },
            "layer": {
                "title": "layer",
                "description": "One class name with its keyword arguments (null for none).",
                "anyOf": refs,
            },
            "class": {
                name: {
                    "type": "object",
                    "additionalProperties": False,
                    "required": [name],
                    "properties": {name: schema},
                }
                for name, schema in classes.items()
            },
            "Sequential": _sequential(),
            "compact": _compact(names),
            "exampleInput": _example_input(),
            "graph": _graph(),
            "paramRef": PARAM_REF,
        },
    }


def custom_class_schemas(extra_classes: dict[str, type]) -> dict[str, dict]:
    """Argument schemas of a user's classes, by the name specs use for them."""
    return {
        name: _class_schema(name, init_params(cls), _doc(cls), cls)
        for name, cls in sorted(extra_classes.items())
    }


def with_classes(schema: dict, extra_classes: dict[str, type]) -> dict:
    """``schema`` (the published one) with a user's classes added, without regenerating the
    torch.nn part."""
    import copy

    out = copy.deepcopy(schema)
    defs = out["definitions"]
    for name, args in custom_class_schemas(extra_classes).items():
        defs["class"][name] = {
            "type": "object",
            "additionalProperties": False,
            "required": [name],
            "properties": {name: args},
        }
        ref = {"$ref": f"#/definitions/class/{name}"}
        defs["layer"]["anyOf"].append(ref)
        defs["module"]["anyOf"].insert(len(defs["module"]["anyOf"]) - 2, ref)
        enum = defs["compact"]["properties"]["compact"]["properties"]["layer"]
        enum["properties"]["type"]["enum"].append(name)
    return out


def render_schema(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def build_class_table() -> dict:
    """What the generator needs to know about the torch.nn classes besides their arguments,
    kept out of the published schema (strict validators refuse unknown keywords there) and
    read at generation time without importing torch."""
    import torch

    classes = torch_classes()
    returning = [n for n, cls in classes.items() if forward_returns_tensor(cls)]
    floats = {n: args for n, cls in classes.items() if (args := float_arguments(cls))}
    return {
        "torch": torch.__version__,
        "forward_returns_tensor": returning,
        "float_arguments": floats,
    }


def float_arguments(cls: type) -> dict[str, str]:
    """Constructor arguments whose annotation takes a float, not an int: "float", or "items"
    for a list of floats (literals.float_kind)."""
    from ..spec.literals import float_kind

    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}
    out = {}
    for name, param in params.items():
        if param.annotation is inspect.Parameter.empty or isinstance(param.annotation, str):
            continue
        if kind := float_kind(param.annotation):
            out[name] = kind
    return out


# --- parameters -----------------------------------------------------------------------------------

PARAM_NAME_PATTERN = "^[A-Za-z][A-Za-z0-9_]*$"
# Hover in yaml-language-server (measured): it shows the first title and the first description
# among the schemas a value matches. So a `$comment`, not a `description`: on `out_features:
# ${hidden}` the argument's description shows (`params` explains the references). The title
# heads that hover, and keeps a plain value's hover headed by the class alone: with no title
# here it would take the argument's anyOf as all matched and show the class title twice.
PARAM_REF = {
    "title": "parameter reference",
    "type": "string",
    "pattern": r"^\$\{[^}]*\}$",
    "$comment": "A parameter reference, as the whole value: `${name}` or an expression of "
    "parameters, int and float numbers, + - * // / % and parentheses, e.g. `${hidden * 4}`. "
    "The names are declared under `params:`.",
}
_PARAM_REF = {"$ref": "#/definitions/paramRef"}
_SHOWN = ("title", "description", "default")


def _params() -> dict:
    return {
        "title": "params",
        "description": "Parameters of the model: name -> default. The default's type (int, "
        "float, bool or string) is the parameter's type. Use a parameter as the whole value of "
        "a module argument, a compact-form value or an example-input shape entry: `${hidden}`, "
        "or an expression such as `${hidden * 4}`. The generated class takes each parameter as "
        "a keyword-only `__init__` argument with this default. A name is a Python identifier "
        "not starting with `_` (and not self, torch, nn, super or a keyword).",
        "type": "object",
        "propertyNames": {"type": "string", "pattern": PARAM_NAME_PATTERN},
        "additionalProperties": {
            "title": "parameter",
            "description": "The parameter's default: an int, float, bool or string, and its "
            "type (a fixed value); or its default and the domain a search ranges over: "
            "`{default: 256, low: 64, high: 1024, log: true}`, `{default: 3, low: 1, high: 7, "
            "step: 2}`, `{default: 64, choices: [32, 64, 128]}`. Used as `${name}`.",
            "anyOf": [*_VALUES, _DOMAIN],
        },
    }


_VALUES = [{"type": "integer"}, {"type": "number"}, {"type": "boolean"}, {"type": "string"}]
_DOMAIN = {
    "title": "parameter with a search domain",
    "type": "object",
    "required": ["default"],
    "additionalProperties": False,
    "properties": {
        "default": {
            "description": "The value the generated class takes when given none; it lies in "
            "the domain.",
            "anyOf": _VALUES,
        },
        "low": {"description": "The range's lowest value (included).", "type": "number"},
        "high": {"description": "The range's highest value (included).", "type": "number"},
        "step": {
            "description": "The grid's spacing from `low`; it divides `high - low`.",
            "type": "number",
            "exclusiveMinimum": 0,
        },
        "log": {
            "description": "Sample on a log scale (needs `low` > 0; an int's step is 1).",
            "type": "boolean",
        },
        "choices": {
            "description": "The values the parameter takes, instead of a range.",
            "type": "array",
            "minItems": 1,
            "items": {"anyOf": _VALUES},
        },
    },
}


def or_param_ref(schema: dict) -> dict:
    """``schema`` that also takes a ``${...}`` string: an ``anyOf`` of its branches (one type
    each) and the paramRef, the items of its lists too (``kernel_size: [3, "${k}"]``).

    What an editor shows (title, description, default) stays at the top. The paramRef branch
    comes last: of equally bad branches yaml-language-server reports the first, so a wrong
    value is still reported against the argument's own type."""
    if "type" not in schema and "anyOf" not in schema:
        return schema  # takes any value already
    shown = {k: schema[k] for k in _SHOWN if k in schema}
    core = {k: v for k, v in schema.items() if k not in _SHOWN}
    branches = core["anyOf"] if set(core) == {"anyOf"} else [core]
    return {"anyOf": [*map(_items_or_param_ref, branches), dict(_PARAM_REF)], **shown}


def _items_or_param_ref(branch: dict) -> dict:
    items = branch.get("items")
    if not isinstance(items, dict):
        return branch
    return {**branch, "items": or_param_ref(items)}


# --- one class ---------------------------------------------------------------------------------


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


def _doc(cls: type) -> str:
    return inspect.getdoc(cls) or ""


def _class_schema(
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
                strings = _string_enum(arg_docs(q_doc).get(p.name, ""), q.default)
                strings = strings or _assigned_strings(q_doc, p.name)
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
        "description": _summary(doc) or f"torch.nn.{name}",
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
            out.append((param, _doc(base)))
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


# --- docstrings ---------------------------------------------------------------------------------

_ROLE = re.compile(r":(?:class|func|meth|attr|mod|math|ref|obj|data|exc):`~?([^`]*)`")
_LITERAL = re.compile(r"``([^`]*)``")


def _clean(text: str) -> str:
    text = _ROLE.sub(lambda m: m.group(1).split("<")[0].strip(), text)
    text = _LITERAL.sub(r"\1", text)
    text = re.sub(r"`([^`]*)`_?", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _summary(doc: str, limit: int = 600) -> str:
    """The docstring's opening paragraph(s), up to the first section or math block."""
    out: list[str] = []
    for para in re.split(r"\n\s*\n", doc):
        stripped = para.strip()
        if not stripped or stripped.startswith(
            (
                ".. ",
                "Args:",
                "Shape:",
                "Attributes:",
                "Examples:",
                "Example:",
                "Note:",
                "Warning:",
                "Parameters:",
                "Inputs:",
                "Outputs:",
            )
        ):
            if out:
                break
            continue
        out.append(_clean(stripped))
        if sum(len(p) for p in out) > limit / 2:
            break
    text = " ".join(out)
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "..."


_ARG = re.compile(r"^(\s*)\**(\w+)(?:\s*\(([^)]*)\))?\s*:\s*(.*)$")


def arg_docs(doc: str) -> dict[str, str]:
    """``name -> description`` from an ``Args:`` (or ``Parameters:``) section."""
    lines = doc.splitlines()
    out: dict[str, str] = {}
    in_args, indent, current = False, None, None
    for line in lines:
        if re.match(r"^\s*(Args|Arguments|Parameters)\s*:\s*$", line):
            in_args, indent, current = True, None, None
            continue
        if not in_args:
            continue
        if not line.strip():
            continue
        lead = len(line) - len(line.lstrip())
        if indent is None:
            indent = lead
        if lead < indent or (lead == 0 and line.rstrip().endswith(":")):
            in_args = False
            continue
        match = _ARG.match(line)
        if lead == indent and match:
            current = match.group(2)
            out[current] = match.group(4)
        elif current is not None:
            out[current] += " " + line.strip()
    return {k: _clean(v)[:400] for k, v in out.items()}


_QUOTED = re.compile(r"['\"]([A-Za-z_][\w-]*)['\"]")


# Parameters whose docs list only some of the values torch accepts (Upsample also takes
# 'nearest-exact'): no enum for them, the schema must never refuse what torch accepts.
_OPEN_STRINGS = {("Upsample", "mode")}
# Parameters annotated with more strings than the constructor takes: the transposed
# convolutions raise ValueError for any padding_mode but 'zeros'. By (torch base class, name).
_NARROWED = {("_ConvTransposeNd", "padding_mode"): ["zeros"]}


def _string_enum(doc: str, default: object) -> list[str]:
    """The allowed strings a parameter's doc lists (``'zeros'``, ``'reflect'``...), when the
    default is among them."""
    values = list(dict.fromkeys(_QUOTED.findall(doc)))
    if len(values) >= 2 and isinstance(default, str) and default in values:
        return values
    return []


def _assigned_strings(doc: str, name: str) -> list[str]:
    """Strings the class docstring shows being given, ``padding='same'``, ``padding='valid'``."""
    values = list(dict.fromkeys(re.findall(rf"\b{name}\s*=\s*['\"]([\w-]+)['\"]", doc)))
    return values if len(values) >= 2 else []


# --- the rest of the spec ------------------------------------------------------------------------


def _sequential() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["Sequential"],
        "properties": {
            "Sequential": {
                "title": "Sequential([layer, ...])",
                "description": "nn.Sequential of these layers, in order, indexed 0, 1, 2, ... "
                "(parameter names are `name.0.weight`, ...).",
                "type": "array",
                "items": {"$ref": "#/definitions/layer"},
            }
        },
    }


def _compact(names: list[str]) -> dict:
    layers = {"type": ["array", "null"], "items": {"$ref": "#/definitions/layer"}}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["compact"],
        "properties": {
            "compact": {
                "title": "compact(prelayer, layer, postlayer)",
                "description": "Expands into one flat Sequential: for each row of `layer.args`, "
                "the prelayers, then `type(**dict(zip(keys, row)))`, then the postlayers.",
                "type": "object",
                "required": ["layer"],
                "properties": {
                    "prelayer": {
                        **layers,
                        "title": "prelayer",
                        "description": "Layers repeated before each layer.",
                    },
                    "layer": {
                        "title": "layer",
                        "description": "The layer repeated once per row of `args`.",
                        "type": "object",
                        "required": ["type", "keys", "args"],
                        "properties": {
                            "type": {
                                "title": "type",
                                "description": "A torch.nn class name.",
                                "type": "string",
                                "enum": names,
                            },
                            "keys": {
                                "title": "keys",
                                "description": "The keyword argument names.",
                                "type": "array",
                                "items": {"type": "string"},
                            },
                            "args": {
                                "title": "args",
                                "description": "One row per layer: values for `keys`, in "
                                "order; a scalar row v means [v]. A value may be a parameter, "
                                "`${width}`.",
                                "type": "array",
                                "items": {},
                            },
                        },
                    },
                    "postlayer": {
                        **layers,
                        "title": "postlayer",
                        "description": "Layers repeated after each layer.",
                    },
                },
            }
        },
    }


def _example_input() -> dict:
    return {
        "title": "example input",
        "description": "An example tensor for this input (a torcharc-gen extension): sizes "
        "are inferred, shapes written into the code, and the checks run on it.",
        "type": "object",
        "additionalProperties": False,
        "required": ["shape"],
        "properties": {
            "shape": {
                "title": "shape",
                "description": "The tensor's shape, e.g. [4, 3, 32, 32]; an entry may be a "
                "parameter, `${batch}`.",
                "type": "array",
                "items": or_param_ref({"type": "integer", "minimum": 0}),
            },
            "dtype": {
                "title": "dtype",
                "description": "The tensor's dtype.",
                "type": "string",
                "enum": DTYPES,
                "default": "float32",
            },
            "low": {
                "title": "low",
                "description": "Integers are drawn from [low, high) (low "
                "defaults to 0); floats are uniform in [low, high) when both are given.",
                "type": "number",
            },
            "high": {
                "title": "high",
                "description": "Upper bound (exclusive); required for "
                "integer dtypes, e.g. an embedding's num_embeddings.",
                "type": "number",
            },
        },
    }


def _graph() -> dict:
    name = {"type": "string", "description": "a node or input name"}
    names = {"type": "array", "items": {"type": "string"}}
    return {
        "title": "graph",
        "description": "How the modules are called: the inputs, one node per module call, and "
        "the output.",
        "type": "object",
        "required": ["input", "modules", "output"],
        "properties": {
            "input": {
                "title": "input",
                "description": "The forward's parameters, in order: a name, a list of names, "
                "or a mapping of names to example inputs.",
                "anyOf": [
                    {"type": "string", "description": "one input name"},
                    {**names, "description": "a list of input names"},
                    {
                        "type": "object",
                        "description": "a mapping of input names to example inputs",
                        "additionalProperties": {"$ref": "#/definitions/exampleInput"},
                    },
                ],
            },
            "modules": {
                "title": "nodes",
                "description": "Node name -> its arguments. A node calls the module of the same "
                "name; `module~suffix` calls `module` again (shared weights).",
                "type": "object",
                "additionalProperties": {
                    "title": "arguments",
                    "description": "Positional: a list of node names (an inner list is passed as "
                    "one Python list). Keyword: a mapping of parameter name to node name.",
                    "anyOf": [
                        {
                            "type": "array",
                            "description": "positional arguments",
                            "items": {"anyOf": [name, names]},
                        },
                        {
                            "type": "object",
                            "description": "keyword arguments",
                            "additionalProperties": {"type": "string"},
                        },
                    ],
                },
            },
            "output": {
                "title": "output",
                "description": "One node name, a list (returned as a tuple) or a mapping "
                "(returned as a dict).",
                "anyOf": [
                    {"type": "string", "description": "one node name"},
                    {**names, "description": "a list of node names (a tuple)"},
                    {
                        "type": "object",
                        "description": "a mapping of output keys to node names (a dict)",
                        "additionalProperties": {"type": "string"},
                    },
                ],
            },
        },
    }
