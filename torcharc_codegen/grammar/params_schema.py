"""The schema's part for parametrized specs: ``params`` is a top-level property, and every
argument, item of a list argument and example-input shape entry also takes a ``${...}`` string,
an ``anyOf`` whose last branch is ``definitions.paramRef`` (:func:`or_param_ref`)."""

from __future__ import annotations

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


MODEL_PARAMS = (
    "Parameters of the model: name -> default. The default's type (int, float, bool or "
    "string) is the parameter's type. Use a parameter as the whole value of a module argument, "
    "a compact-form value or an example-input shape entry: `${hidden}`, or an expression such "
    "as `${hidden * 4}`. The generated class takes each parameter as a keyword-only `__init__` "
    "argument with this default."
)
BLOCK_PARAMS = (
    "Parameters of the block, the arguments its uses pass: name -> default, as the model's "
    "`params:`. The default's type (int, float, bool or string) is the parameter's type. Inside "
    "the block's `modules` a parameter stands as `${name}` or in an expression, "
    "`${planes * 4}`. The block's generated class takes each as a keyword-only `__init__` "
    "argument with this default."
)
_NAMES = (
    " A name is a Python identifier not starting with `_` (and not self, torch, nn, super or a "
    "keyword)."
)


def params_schema(description: str = MODEL_PARAMS) -> dict:
    return {
        "title": "params",
        "description": description + _NAMES,
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
