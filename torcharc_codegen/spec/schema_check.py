"""The JSON Schema check, and jsonschema's errors turned into one short message per place.

The schema is the published one (``schema/torcharc.schema.json``), checked with jsonschema's
Draft 7 validator; each error becomes a :class:`Problem` saying what is wrong in the spec's
words (an argument of a class, a module spec, a key) and, where it can, what to write.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import jsonschema

from ..errors import KeyPath, Problem
from ..grammar.schema import CLASS_UNIONS, arg_schema, base_schema
from ..grammar.spec_schema import BLOCK_USE_PATTERN, REPEAT_NAME_PATTERN
from ..messages import alias_of, close_to, describe, did_you_mean, or_words, quote
from .load import Source


@functools.lru_cache(maxsize=8)
def validator_for(custom: tuple) -> jsonschema.Draft7Validator:
    """The validator over the published schema, with the user's classes (name, class) added."""
    schema = base_schema()
    if custom:
        from ..grammar.schema_gen import with_classes

        schema = with_classes(schema, dict(custom))
    return _Draft7Dispatch(_plain(schema))


_PARAM_REF = {"$ref": "#/definitions/paramRef"}


def _plain(schema: dict) -> dict:
    """The schema for a spec without ``params:`` (a parametrized spec is refused before the
    schema check): no ``${...}`` string is a parameter reference there, so the paramRef branch
    of each argument matches nothing and a wrong value is explained by the argument's types."""
    defs = schema["definitions"]
    if "paramRef" not in defs:
        return schema
    return {**schema, "definitions": {**defs, "paramRef": False}}


def schema_problems(source: Source, validator) -> list[Problem]:
    """One problem per place where ``source`` breaks the schema."""
    problems: list[Problem] = []
    for error in validator.iter_errors(source.data):
        problems += _explain(error, source, validator.schema)
    return problems


def layer_problems(
    cls: str, kwargs: dict, path: KeyPath, source: Source, validator
) -> list[Problem]:
    """Validate one expanded compact layer (``cls(**kwargs)``) against its class's schema."""
    problems = []
    sub = jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/class/{cls}", "definitions": validator.schema["definitions"]}
    )
    for error in sub.iter_errors({cls: kwargs}):
        keys = [k for k in error.absolute_path if k != cls]
        msg = _explain(error, source, validator.schema)[0].message
        problems.append(source.problem(path, msg if not keys else f"{keys[0]}: {msg}"))
    return problems


# --- Draft 7, with a shortcut for the module unions -------------------------------------------


def _branch_keys(any_of: list) -> dict[str, int] | None:
    """For a union of closed single-key objects (the class unions): key -> branch (a class's
    name, or the form's: Sequential, compact, blockUse, repeat)."""
    keys = {}
    for index, branch in enumerate(any_of):
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        if not ref.startswith("#/definitions/"):
            return None
        keys[ref.rsplit("/", 1)[1]] = index
    return keys


_BRANCHES: dict[int, dict[str, int] | None] = {}


def _only_branch(keys: dict[str, int], instance: object) -> int | None:
    """The one branch of a class union that ``instance`` can match, where there is one: the
    class named by a single key, the block use for a `.Name` key, the repeat entry for a
    mapping with `repeat` or `module`."""
    if not isinstance(instance, dict):
        return None
    if len(instance) == 1:
        (key,) = instance
        if key in keys:
            return keys[key]
        if isinstance(key, str) and key.startswith(".") and "blockUse" in keys:
            return keys["blockUse"]
    if "repeat" in keys and ("repeat" in instance or "module" in instance):
        return keys["repeat"]
    return None


def _any_of(validator, any_of, instance, schema):
    """Draft 7's anyOf, with one shortcut: a mapping checked against a union of closed
    single-key objects can only match the branch its keys name (:func:`_only_branch`), so
    only that branch is tried (the same result, without trying ~180 classes per module)."""
    if id(any_of) not in _BRANCHES:
        _BRANCHES[id(any_of)] = _branch_keys(any_of)
    keys = _BRANCHES[id(any_of)]
    index = _only_branch(keys, instance) if keys is not None else None
    if index is not None:
        errors = list(validator.descend(instance, any_of[index], schema_path=index))
        if errors:
            yield jsonschema.ValidationError(
                f"{instance!r} is not valid under any of the given schemas", context=errors
            )
        return
    yield from _DRAFT7_ANY_OF(validator, any_of, instance, schema)


_DRAFT7_ANY_OF = jsonschema.Draft7Validator.VALIDATORS["anyOf"]
_Draft7Dispatch = jsonschema.validators.extend(jsonschema.Draft7Validator, {"anyOf": _any_of})


# --- errors turned into messages ------------------------------------------------------------


def _explain(error, source: Source, schema: dict) -> list[Problem]:
    explain = _EXPLAIN.get(error.validator, _explain_other)
    return explain(error, source, schema)


def _explain_other(error, source: Source, schema: dict) -> list[Problem]:
    path = tuple(error.absolute_path)
    if error.validator == "minProperties" and error.instance == {}:
        return [source.problem(path, "empty mapping")]
    if error.validator == "minimum" and path and path[-1] == "repeat":  # a repeat entry's
        return [source.problem(path, f"a repeat count is an int >= 0, got {quote(error.instance)}")]
    if path == ("blocks",) and error.validator in ("pattern", "not", "type"):  # a block's name
        name = error.instance
        what = f"block name {quote(name)} is not a Python identifier"
        if error.validator == "not":
            what = f"block name {quote(name)} can't be used: YAML reads `.{name}` as a float"
        return [source.problem(path + (name,), what, True)]
    message = error.message
    if len(message) > 2 * len(quote(error.instance)):  # never echo a huge value
        message = message.replace(repr(error.instance), quote(error.instance))
    return [source.problem(path, message)]


def _explain_additional(error, source: Source, schema: dict) -> list[Problem]:
    path = tuple(error.absolute_path)
    if _not_a_repeat_entry(error, schema):
        return []  # the missing `repeat` and `module` say it
    allowed = list(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    owner = _class_of(path, schema)
    out = []
    for key in error.instance:
        if key in allowed or any(isinstance(key, str) and re.search(p, key) for p in patterns):
            continue
        what = (
            f"unknown argument {quote(key)} for {owner}" if owner else f"unknown key {quote(key)}"
        )
        if REPEAT_NAME_PATTERN in patterns:  # a named Sequential's
            what = f"entry name {quote(key)} is not letters, digits, _ and - (add_module's)"
            if "{i}" in str(key):
                what = "a repeat entry's name has `{i}` in it once (letters, digits, _ and -"
                what += f" around it), got {quote(key)}"
        out.append(source.problem(path + (key,), what + did_you_mean(key, allowed), True))
    return out


def _not_a_repeat_entry(error, schema: dict) -> bool:
    """A named Sequential's entry named with `{i}` that has neither `repeat` nor `module`."""
    inst = error.instance
    return error.schema is schema["definitions"].get("repeat") and not (
        isinstance(inst, dict) and ("repeat" in inst or "module" in inst)
    )


def _explain_required(error, source: Source, schema: dict) -> list[Problem]:
    path, inst = tuple(error.absolute_path), error.instance
    missing = [r for r in error.validator_value if r not in inst]
    known = error.schema.get("properties", {})
    misspelt = [k for k in inst if k not in known]
    # a misspelt argument is reported as unknown, with this name as its suggestion
    missing = [r for r in missing if not close_to(r, misspelt)]
    if _not_a_repeat_entry(error, schema):
        what = "an entry whose name has `{i}` is a repeat entry, `{repeat: N, module: ...}`"
        return [source.problem(path, what + "; or name it without `{i}`", True)]
    if not missing:
        return []
    owner = _class_of(path, schema)
    if owner:
        return [source.problem(path, _missing_arguments(missing, owner, schema))]
    return [source.problem(path, f"missing required key {', '.join(map(repr, missing))}")]


def _missing_arguments(missing: list[str], owner: str, schema: dict) -> str:
    title = arg_schema(schema, owner).get("title", owner)
    return f"missing required argument {', '.join(map(repr, missing))} for {title}"


def _explain_type(error, source: Source, schema: dict) -> list[Problem]:
    path, inst = tuple(error.absolute_path), error.instance
    expected = error.validator_value
    expected = [expected] if isinstance(expected, str) else expected
    owner = _class_of(path, schema)
    required = arg_schema(schema, owner).get("required", []) if owner else []
    if owner and inst is None and required:  # `BatchNorm1d:` with nothing after it
        return [source.problem(path, _missing_arguments(required, owner, schema), at_key=True)]
    if owner:
        what = f"the arguments of {owner} must be a mapping of keyword arguments"
        if "null" in expected:
            what += " (or empty)"
    elif path and isinstance(path[-1], str) and path[-1].startswith("."):  # a block use
        what = f"the arguments of {path[-1]} must be a mapping of the block's params (or empty)"
    elif not path:
        what = "a spec must be a mapping with the keys `modules` and `graph`"
    else:
        what = f"must be {or_words(_TYPE_WORDS.get(t, t) for t in expected)}"
        arg_owner = _class_of(path[:-1], schema)
        if arg_owner and isinstance(path[-1], str):
            what = f"argument {path[-1]!r} of {arg_owner} " + what
    return [source.problem(path, f"{what}, got {describe(inst)}")]


_LISTED = 12


def _explain_enum(error, source: Source, schema: dict) -> list[Problem]:
    inst, choices = error.instance, error.validator_value
    listed = ", ".join(map(repr, choices))
    if len(choices) > _LISTED:  # the ~180 class names of a compact layer's type
        listed = f"the {len(choices)} names such as {', '.join(map(repr, choices[:3]))}, ..."
    what = f"must be one of {listed}, got {quote(inst)}"
    if len(choices) > _LISTED and inst in _blocks(source):
        what += f" (a block is used as {quote('.' + inst)})"
    elif isinstance(inst, str):
        strings = [c for c in choices if isinstance(c, str)]
        what += alias_of(inst, strings) or did_you_mean(inst, strings)
    return [source.problem(tuple(error.absolute_path), what)]


def _explain_any_of(error, source: Source, schema: dict) -> list[Problem]:
    """A value that fits none of several forms: explain the form its type is closest to."""
    if _is_union(error, schema):
        return _explain_module(error, source, schema)
    path = tuple(error.absolute_path)
    kept = [i for i, s in enumerate(error.schema["anyOf"]) if s != _PARAM_REF]
    context = [sub for sub in error.context if sub.schema_path[0] in kept]
    if len(kept) == 1:  # one type besides the paramRef: its own errors
        return [p for sub in context for p in _explain(sub, source, schema)]
    by_branch: dict[int, list] = {}
    for sub in context:
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    candidates = [
        errs
        for errs in by_branch.values()
        if not any(e.validator == "type" and tuple(e.absolute_path) == path for e in errs)
    ]
    if not candidates and "type" in error.schema:
        return []  # the union's own `type` says what it must be
    if candidates:
        return [p for sub in min(candidates, key=len) for p in _explain(sub, source, schema)]
    forms = [
        s.get("description") or s.get("title") or _form(s)
        for i, s in enumerate(error.schema["anyOf"])
        if i in kept
    ]
    if not all(forms):
        return _explain_other(error, source, schema)
    what = f"must be {or_words(forms)}, got {describe(error.instance)}"
    arg_owner = _class_of(path[:-1], schema)
    if arg_owner and path and isinstance(path[-1], str):
        what = f"argument {path[-1]!r} of {arg_owner} " + what
    return [source.problem(path, what)]


def _form(branch: dict) -> str:
    """An undescribed branch of an argument's union (one type each), in words."""
    if "enum" in branch:
        return or_words(repr(v) for v in branch["enum"])
    kind = branch.get("type")
    return _TYPE_WORDS.get(kind, "") if isinstance(kind, str) else ""


def _is_union(error, schema: dict) -> bool:
    defs = schema["definitions"]
    return any(error.schema is defs.get(union) for union in CLASS_UNIONS)


_EXAMPLE = "e.g. `Linear: {in_features: 8, out_features: 4}`"


def _explain_module(error, source: Source, schema: dict) -> list[Problem]:
    """A module spec that matched no class: say which of the usual mistakes it is."""
    path, inst = tuple(error.absolute_path), error.instance
    forms = _branch_keys(error.schema["anyOf"]) or {}
    if not isinstance(inst, dict):
        what = "a module spec is a mapping of one class name to its arguments"
        return [source.problem(path, f"{what} ({_EXAMPLE}), got {describe(inst)}")]
    if "repeat" in inst or "module" in inst:
        if "repeat" in forms:
            return _branch_problems(error, forms["repeat"], source, schema)
        return [source.problem(path, _misplaced_repeat(path, error.schema, schema), True)]
    if len(inst) != 1:
        keys = ", ".join(map(quote, inst))
        what = f"a module spec has exactly one key, the class name; got {len(inst)}"
        return [source.problem(path, what + (f" ({keys})" if keys else f" ({_EXAMPLE})"))]
    (name,) = inst
    if isinstance(name, str) and name.startswith(".") and "blockUse" in forms:
        if not re.search(BLOCK_USE_PATTERN, name):
            what = (
                f"a block use is `.` and the block's name (a Python identifier), got {quote(name)}"
            )
            return [source.problem(path + (name,), what, True)]
        return _branch_problems(error, forms["blockUse"], source, schema)
    names = list(schema["definitions"]["class"]) + [
        f for f in ("Sequential", "compact") if f in forms
    ]
    if name not in names:
        where = "compact" if error.schema is schema["definitions"]["layer"] else "a Sequential"
        what = _unknown_class(name, names, where, _blocks(source))
        return [source.problem(path + (name,), what, True)]
    return _branch_problems(error, forms.get(name), source, schema)


def _branch_problems(error, branch: int | None, source: Source, schema: dict) -> list[Problem]:
    """The problems of one branch of a class union, the one the value is written as."""
    out: list[Problem] = []
    for sub in error.context:
        if sub.schema_path and sub.schema_path[0] == branch:
            out += _explain(sub, source, schema)
    return out or _explain_other(error, source, schema)


def _misplaced_repeat(path: KeyPath, union: dict, schema: dict) -> str:
    if union is schema["definitions"]["entryModule"] and len(path) > 1:
        if path[-2] == "Sequential":
            return "a repeat entry's name in a named Sequential has `{i}` in it (`layer{i}`)"
        return "a repeat entry's module can't be another repeat entry"
    return "a repeat entry `{repeat: N, module: ...}` stands only in a Sequential"


def _blocks(source: Source) -> list[str]:
    """The names of the blocks the spec defines."""
    data = source.data
    blocks = data.get("blocks") if isinstance(data, dict) else None
    return [b for b in blocks if isinstance(b, str)] if isinstance(blocks, dict) else []


def _unknown_class(name: object, names: list[str], where: str, blocks: list[str]) -> str:
    hint = did_you_mean(name, names)
    if name in blocks:
        hint = f" (a block is used as {quote('.' + name)})"
    elif not hint and name in ("Sequential", "compact"):
        hint = f": {name} can't be nested inside {where}"
    elif not hint:
        hint = (
            " (a torch.nn class, a built-in helper, a registered or imported class, or a block "
            "use `.Name`)"
        )
    return f"unknown module class {quote(name)}{hint}"


def _class_of(path: KeyPath, schema: dict) -> str | None:
    """The class whose arguments mapping ``path`` is, e.g. (..., "lin", "Linear") -> Linear."""
    if path and isinstance(path[-1], str) and path[-1] in schema["definitions"]["class"]:
        return path[-1]
    return None


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}

_EXPLAIN: dict[str, Callable[..., list[Problem]]] = {
    "anyOf": _explain_any_of,
    "additionalProperties": _explain_additional,
    "required": _explain_required,
    "type": _explain_type,
    "enum": _explain_enum,
}
