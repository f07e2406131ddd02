"""Validate a loaded spec: first the JSON Schema, then what a schema can't express.

Every problem is collected (not only the first) and tied to its place in the spec. The schema
is the published one (``schema/torcharc.schema.json``), checked with jsonschema's Draft 7
validator; its errors are turned into one short message per place.
"""

from __future__ import annotations

import difflib
import functools
import graphlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import jsonschema

from .classes import ClassRef, ImportNotAllowed, builtin_classes, resolve_custom
from .errors import Path, Problem, SpecError
from .helpers import HELPERS
from .literals import UnsafeValue, is_identifier, literal
from .load import Source
from .namespace import GENERATED_NAMES
from .schema import arg_schema, base_schema

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
_SUFFIX = re.compile(r"^[A-Za-z0-9_]+$")
INTEGER_DTYPES = {"int64", "int32", "int16", "int8", "uint8"}


@dataclass
class Checked:
    """What validation learned that later stages use."""

    classes: dict[str, ClassRef]  # class name -> reference, for every class the spec names
    custom: dict[str, type] = field(default_factory=dict)  # user classes, by spec name
    warnings: list[Problem] = field(default_factory=list)


def validate(source: Source, imports: Iterable[str] = ()) -> Checked:
    """Check ``source`` against the schema and the graph rules; raise SpecError if invalid."""
    problems: list[Problem] = []
    classes = dict(builtin_classes())
    custom: dict[str, type] = {}
    for name, path in _class_names_used(source.data):
        if name in classes or name in custom:
            continue
        try:
            ref, cls = resolve_custom(name, imports)
        except (ImportNotAllowed, ValueError) as e:
            problems.append(source.problem(path, str(e), at_key=True))
            continue
        if ref is not None:
            classes[name], custom[name] = ref, cls
    validator = _validator(tuple(sorted(custom.items(), key=lambda kv: kv[0])))
    schema = validator.schema
    seen = {p.path for p in problems}
    for p in _schema_problems(source, validator, schema):
        if p.path not in seen:
            seen.add(p.path)
            problems.append(p)
    checked = Checked(classes=classes, custom=custom)
    problems += _graph_problems(source, checked, validator, schema)
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise SpecError(_unique(problems), source.name)
    return checked


def _unique(problems: list[Problem]) -> list[Problem]:
    out, seen = [], set()
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


# --- the schema ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _validator(custom: tuple) -> jsonschema.Draft7Validator:
    """The validator over the published schema, with the user's classes (name, class) added."""
    schema = base_schema()
    if custom:
        from .schema_gen import with_classes

        schema = with_classes(schema, dict(custom))
    return _Draft7Dispatch(schema)


def _branch_keys(any_of: list) -> dict[str, int] | None:
    """For a union of closed single-key objects (the module/layer unions): key -> branch."""
    keys = {}
    for index, branch in enumerate(any_of):
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        if not ref.startswith("#/definitions/"):
            return None
        keys[ref.rsplit("/", 1)[1]] = index
    return keys


_BRANCHES: dict[int, dict[str, int] | None] = {}


def _any_of(validator, any_of, instance, schema):
    """Draft 7's anyOf, with one shortcut: a single-key mapping checked against a union of
    closed single-key objects can only match the branch named by its key, so only that
    branch is tried (the same result, without trying ~180 classes per module)."""
    if id(any_of) not in _BRANCHES:
        _BRANCHES[id(any_of)] = _branch_keys(any_of)
    keys = _BRANCHES[id(any_of)]
    if keys is not None and isinstance(instance, dict) and len(instance) == 1:
        (key,) = instance
        if key in keys:
            index = keys[key]
            errors = list(validator.descend(instance, any_of[index], schema_path=index))
            if errors:
                yield jsonschema.ValidationError(
                    f"{instance!r} is not valid under any of the given schemas", context=errors
                )
            return
    yield from _DRAFT7_ANY_OF(validator, any_of, instance, schema)


_DRAFT7_ANY_OF = jsonschema.Draft7Validator.VALIDATORS["anyOf"]
_Draft7Dispatch = jsonschema.validators.extend(jsonschema.Draft7Validator, {"anyOf": _any_of})


def _class_names_used(data: object) -> list[tuple[str, Path]]:
    """(class name, path of its key) for every module spec, Sequential item and compact layer."""
    out: list[tuple[str, Path]] = []
    modules = data.get("modules") if isinstance(data, dict) else None
    if not isinstance(modules, dict):
        return out

    def layer(spec: object, path: Path) -> None:
        if isinstance(spec, dict) and len(spec) == 1:
            (name,) = spec
            if isinstance(name, str):
                out.append((name, path + (name,)))

    for mname, spec in modules.items():
        path = ("modules", mname)
        if not isinstance(spec, dict) or len(spec) != 1:
            continue
        (key,) = spec
        if key == "Sequential" and isinstance(spec[key], list):
            for i, item in enumerate(spec[key]):
                layer(item, path + (key, i))
        elif key == "compact" and isinstance(spec[key], dict):
            compact = spec[key]
            for part in ("prelayer", "postlayer"):
                for i, item in enumerate(compact.get(part) or []):
                    layer(item, path + ("compact", part, i))
            lay = compact.get("layer")
            if isinstance(lay, dict) and isinstance(lay.get("type"), str):
                out.append((lay["type"], path + ("compact", "layer", "type")))
        else:
            layer(spec, path)
    return out


def _schema_problems(source: Source, validator, schema: dict) -> list[Problem]:
    problems: list[Problem] = []
    for error in validator.iter_errors(source.data):
        problems += _explain(error, source, schema)
    return problems


def _is_union(error, schema: dict) -> bool:
    defs = schema["definitions"]
    return error.schema is defs.get("module") or error.schema is defs.get("layer")


def _explain(error, source: Source, schema: dict) -> list[Problem]:
    path = tuple(error.absolute_path)
    inst = error.instance
    if error.validator == "anyOf" and _is_union(error, schema):
        return _explain_module(error, source, schema)
    if error.validator == "anyOf":
        return _explain_any_of(error, source, schema)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        out = []
        for key in inst:
            if key in allowed:
                continue
            owner = _class_of(path, schema)
            what = f"unknown argument {key!r} for {owner}" if owner else f"unknown key {key!r}"
            out.append(source.problem(path + (key,), what + _did_you_mean(key, allowed), True))
        return out
    if error.validator == "required":
        missing = [r for r in error.validator_value if r not in inst]
        known = error.schema.get("properties", {})
        misspelt = [k for k in inst if k not in known]
        # a misspelt argument is reported as unknown, with this name as its suggestion
        missing = [r for r in missing if not difflib.get_close_matches(r, misspelt, 1, 0.8)]
        if not missing:
            return []
        owner = _class_of(path, schema)
        if owner:
            title = arg_schema(schema, owner).get("title", owner)
            what = f"missing required argument {', '.join(map(repr, missing))} for {title}"
        else:
            what = f"missing required key {', '.join(map(repr, missing))}"
        return [source.problem(path, what)]
    if error.validator == "type":
        expected = error.validator_value
        expected = [expected] if isinstance(expected, str) else expected
        owner = _class_of(path, schema)
        if owner:
            what = f"the arguments of {owner} must be a mapping of keyword arguments"
            if "null" in expected:
                what += " (or empty)"
        elif not path:
            what = "a spec must be a mapping with the keys `modules` and `graph`"
        else:
            what = f"must be {_or(_TYPE_WORDS.get(t, t) for t in expected)}"
            arg_owner = _class_of(path[:-1], schema)
            if arg_owner and path and isinstance(path[-1], str):
                what = f"argument {path[-1]!r} of {arg_owner} " + what
        return [source.problem(path, f"{what}, got {_describe(inst)}")]
    if error.validator == "enum":
        choices = error.validator_value
        what = f"must be one of {', '.join(map(repr, choices))}, got {inst!r}"
        if isinstance(inst, str):
            what += _did_you_mean(inst, [c for c in choices if isinstance(c, str)])
        return [source.problem(path, what)]
    if error.validator == "minProperties" and inst == {}:
        return [source.problem(path, "empty mapping")]
    return [source.problem(path, error.message)]


def _explain_module(error, source: Source, schema: dict) -> list[Problem]:
    """A module spec that matched no class: say which of the usual mistakes it is."""
    path = tuple(error.absolute_path)
    inst = error.instance
    in_layer = error.schema is schema["definitions"]["layer"]
    example = "e.g. `Linear: {in_features: 8, out_features: 4}`"
    if not isinstance(inst, dict):
        return [
            source.problem(
                path,
                f"a module spec is a mapping of one class name to its "
                f"arguments ({example}), got {_describe(inst)}",
            )
        ]
    if len(inst) != 1:
        keys = ", ".join(map(repr, inst))
        what = f"a module spec has exactly one key, the class name; got {len(inst)}"
        return [source.problem(path, what + (f" ({keys})" if keys else f" ({example})"))]
    (name,) = inst
    names = list(schema["definitions"]["class"])
    if not in_layer:
        names += ["Sequential", "compact"]
    if name not in names:
        hint = _did_you_mean(name, names)
        if not hint and in_layer and name in ("Sequential", "compact"):
            hint = f": {name} can't be nested inside another Sequential or compact"
        elif not hint:
            hint = " (a torch.nn class, a built-in helper, or a registered or imported class)"
        return [source.problem(path + (name,), f"unknown module class {name!r}{hint}", True)]
    ref = {"Sequential": "#/definitions/Sequential", "compact": "#/definitions/compact"}.get(
        name, f"#/definitions/class/{name}"
    )
    branch = next((i for i, s in enumerate(error.schema["anyOf"]) if s.get("$ref") == ref), None)
    out: list[Problem] = []
    for sub in error.context:
        if sub.schema_path and sub.schema_path[0] == branch:
            out += _explain(sub, source, schema)
    return out or [source.problem(path, error.message)]


def _explain_any_of(error, source: Source, schema: dict) -> list[Problem]:
    """A value that fits none of several forms: explain the form its type is closest to."""
    path = tuple(error.absolute_path)
    by_branch: dict[int, list] = {}
    for sub in error.context:
        by_branch.setdefault(sub.schema_path[0], []).append(sub)
    candidates = [
        errs
        for errs in by_branch.values()
        if not any(e.validator == "type" and tuple(e.absolute_path) == path for e in errs)
    ]
    if candidates:
        best = min(candidates, key=len)
        out: list[Problem] = []
        for sub in best:
            out += _explain(sub, source, schema)
        return out
    forms = [s.get("description") or s.get("title") or _form(s) for s in error.schema["anyOf"]]
    if all(forms):
        what = f"must be {_or(forms)}, got {_describe(error.instance)}"
        arg_owner = _class_of(path[:-1], schema)
        if arg_owner and path and isinstance(path[-1], str):
            what = f"argument {path[-1]!r} of {arg_owner} " + what
    else:
        what = error.message
    return [source.problem(path, what)]


def _form(branch: dict) -> str:
    """An undescribed branch of an argument's union (one type each), in words."""
    if "enum" in branch:
        return _or(repr(v) for v in branch["enum"])
    return _TYPE_WORDS.get(branch.get("type"), "") if isinstance(branch.get("type"), str) else ""


def _class_of(path: Path, schema: dict) -> str | None:
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


def _or(words: Iterable[str]) -> str:
    words = list(dict.fromkeys(words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _describe(value: object) -> str:
    kind = {dict: "a mapping", list: "a list", str: "the string", bool: "", type(None): ""}
    word = kind.get(type(value), "")
    text = repr(value) if not isinstance(value, (dict, list)) else ""
    if isinstance(value, (dict, list)):
        return word
    return f"{word} {text}".strip()


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {_or(repr(c) for c in close)}?)"


# --- the checks a schema can't express ------------------------------------------------------


def _graph_problems(source: Source, checked: Checked, validator, schema: dict) -> list[Problem]:
    data = source.data
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    prob = source.problem
    modules = data.get("modules") if isinstance(data.get("modules"), dict) else {}
    graph = data.get("graph") if isinstance(data.get("graph"), dict) else {}

    for name, spec in modules.items():
        path = ("modules", name)
        if (msg := _name_problem(name, "module")) is not None:
            problems.append(prob(path, msg, at_key=True))
        problems += _module_values(spec, path, source, checked, validator)

    inputs = _input_names(graph.get("input"))
    for name, path in inputs:
        if (msg := _name_problem(name, "input")) is not None:
            problems.append(prob(path, msg, at_key=True))
    names_seen: dict[str, int] = {}
    for name, path in inputs:
        if name in names_seen:
            problems.append(prob(path, f"duplicate input {name!r}: input names must be unique"))
        names_seen[name] = 1
    examples = graph.get("input") if isinstance(graph.get("input"), dict) else {}
    for name, ex in examples.items():
        if isinstance(ex, dict) and ex.get("dtype") in INTEGER_DTYPES and "high" not in ex:
            problems.append(
                prob(
                    ("graph", "input", name),
                    f"example input {name!r} has dtype "
                    f"{ex['dtype']}: give `high` (integers are drawn from [low, high))",
                )
            )
    input_set = {n for n, _ in inputs}

    nodes = graph.get("modules") if isinstance(graph.get("modules"), dict) else {}
    node_names = [n for n in nodes if isinstance(n, str)]
    known = list(input_set) + node_names
    deps: dict[str, list[str]] = {}
    for node, args in nodes.items():
        path = ("graph", "modules", node)
        if not isinstance(node, str):
            problems.append(prob(path, "a node name must be a string", at_key=True))
            continue
        module, _, suffix = node.partition("~")
        if "~" in suffix:
            problems.append(
                prob(
                    path,
                    f"node {node!r} has more than one '~': use "
                    "`module~suffix` to call `module` again",
                    at_key=True,
                )
            )
        elif "~" in node and not _SUFFIX.match(suffix):
            problems.append(
                prob(
                    path,
                    f"reuse suffix {suffix!r} must be letters, digits or underscores",
                    at_key=True,
                )
            )
        if module not in modules:
            what = "reuse of" if "~" in node else "node"
            problems.append(
                prob(
                    path,
                    f"{what} unknown module {module!r}" + _did_you_mean(module, list(modules)),
                    at_key=True,
                )
            )
        elif node in input_set:
            problems.append(
                prob(path, f"node {node!r} has the name of an input: rename one", at_key=True)
            )
        if isinstance(args, dict):
            for key in args:
                if not is_identifier(key):
                    problems.append(
                        prob(
                            path + (key,),
                            f"keyword {key!r} is not a Python "
                            "identifier: it names a forward parameter",
                            at_key=True,
                        )
                    )
        refs = list(_refs(args, path))
        deps[node] = [r for r, _ in refs]
        for ref, rpath in refs:
            if ref not in input_set and ref not in nodes:
                problems.append(prob(rpath, f"unknown node {ref!r}" + _did_you_mean(ref, known)))
        if module in modules:
            problems += _call_problems(node, modules[module], args, path, source)

    output = graph.get("output")
    for ref, rpath in _refs(output, ("graph", "output")):
        if ref not in input_set and ref not in nodes:
            problems.append(prob(rpath, f"unknown node {ref!r}" + _did_you_mean(ref, known)))

    problems += _cycle_problems(deps, source)
    called = {n.partition("~")[0] for n in node_names}
    for name in modules:
        if name not in called:
            checked.warnings.append(
                source.problem(
                    ("modules", name),
                    f"module {name!r} is not called by any node: it is left out of the model",
                    at_key=True,
                )
            )
    return problems


def _name_problem(name: object, what: str) -> str | None:
    if not is_identifier(name):
        return f"{what} name {name!r} is not a Python identifier (letters, digits, underscores)"
    if name in GENERATED_NAMES or (what == "module" and name in MODULE_ATTRIBUTES):
        return f"{what} name {name!r} is reserved in the generated code: rename it"
    if name.startswith("__"):
        return f"{what} name {name!r} must not start with '__'"
    return None


def _input_names(inp: object) -> list[tuple[str, Path]]:
    path = ("graph", "input")
    if isinstance(inp, str):
        return [(inp, path)]
    if isinstance(inp, list):
        return [(n, path + (i,)) for i, n in enumerate(inp) if isinstance(n, str)]
    if isinstance(inp, dict):
        return [(n, path + (n,)) for n in inp if isinstance(n, str)]
    return []


def _refs(value: object, path: Path):
    """(node name, path) for every node name in a node's arguments or the output."""
    if isinstance(value, str):
        yield value, path
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _refs(item, path + (i,))
    elif isinstance(value, dict):
        for k, item in value.items():
            if isinstance(item, str):
                yield item, path + (k,)


def _module_values(spec, path: Path, source: Source, checked: Checked, validator) -> list[Problem]:
    """Compact rows, and every argument value must be writable as a Python literal."""
    problems: list[Problem] = []
    if not isinstance(spec, dict) or len(spec) != 1:
        return problems
    (key,) = spec
    if key == "compact" and isinstance(spec[key], dict):
        layer = spec[key].get("layer")
        if isinstance(layer, dict) and isinstance(layer.get("keys"), list):
            keys, rows = layer["keys"], layer.get("args")
            cls = layer.get("type")
            for i, row in enumerate(rows if isinstance(rows, list) else []):
                row = row if isinstance(row, list) else [row]
                rpath = path + ("compact", "layer", "args", i)
                if len(row) != len(keys):
                    problems.append(
                        source.problem(
                            rpath,
                            f"compact row has {len(row)} "
                            f"value(s) for {len(keys)} key(s) {keys}: give one per key",
                        )
                    )
                elif cls in checked.classes and all(isinstance(k, str) for k in keys):
                    problems += _layer_args(cls, dict(zip(keys, row)), rpath, source, validator)
    for vpath, value in _leaves(spec, path):
        try:
            literal(value)
        except UnsafeValue as e:
            problems.append(
                source.problem(vpath, f"{e}: use a number, string, bool, null, list or mapping")
            )
    for name, cpath in _class_names_used({"modules": {path[1]: spec}}):
        args = _at(spec, cpath[2:])
        for key in args if isinstance(args, dict) else ():
            if not is_identifier(key):
                problems.append(
                    source.problem(
                        cpath + (key,),
                        f"argument name {key!r} is not a Python identifier",
                        at_key=True,
                    )
                )
        if name in ("Reduce", "TorchFn") and isinstance(args, dict):
            fn = args.get("name")
            if isinstance(fn, str) and not _is_torch_function(fn):
                if fn in _torch_names():
                    what = (
                        f"torch.{fn} is not a tensor operation: {name} only calls torch "
                        "functions that compute on tensors"
                    )
                else:
                    what = f"torch has no function {fn!r}" + _did_you_mean(
                        fn, sorted(torch_functions())
                    )
                problems.append(source.problem(cpath + ("name",), what))
    return problems


def _at(value: object, parts: Path) -> object:
    """The value at ``parts`` below ``value``, or None."""
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


def _layer_args(cls: str, kwargs: dict, path: Path, source: Source, validator) -> list[Problem]:
    """Validate one expanded compact layer against its class's argument schema."""
    problems = []
    sub = jsonschema.Draft7Validator(
        {"$ref": f"#/definitions/class/{cls}", "definitions": validator.schema["definitions"]}
    )
    for error in sub.iter_errors({cls: kwargs}):
        keys = [k for k in error.absolute_path if k != cls]
        msg = _explain(error, source, validator.schema)[0].message
        problems.append(source.problem(path, msg if not keys else f"{keys[0]}: {msg}"))
    return problems


def _leaves(value: object, path: Path):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _call_problems(node: str, spec: object, args: object, path: Path, source: Source):
    """A node calling a built-in helper must pass what the helper's forward takes."""
    if not (isinstance(spec, dict) and len(spec) == 1):
        return []
    (cls,) = spec
    helper = HELPERS.get(cls)
    if helper is None:
        return []
    params = helper.inputs
    sig = f"{cls}({', '.join(params)})"
    if isinstance(args, list) and len(args) != len(params):
        hint = ""
        if params == ("args",) and len(args) > 1:
            hint = f": pass the tensors as one list, e.g. [{args}]".replace("'", "")
        return [
            source.problem(
                path, f"{sig} takes {len(params)} argument(s), " f"got {len(args)}{hint}"
            )
        ]
    if isinstance(args, dict):
        unknown = [k for k in args if k not in params]
        missing = [p for p in params if p not in args]
        if unknown or missing:
            what = f"{sig} takes {', '.join(params)}"
            if unknown:
                what += f"; unknown {', '.join(map(repr, unknown))}"
            if missing:
                what += f"; missing {', '.join(map(repr, missing))}"
            return [source.problem(path, what)]
    return []


def _cycle_problems(deps: dict[str, list[str]], source: Source) -> list[Problem]:
    sorter = graphlib.TopologicalSorter({n: [d for d in ds if d in deps] for n, ds in deps.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        cycle = e.args[1]  # in data-flow order: each node's result feeds the next
        return [
            source.problem(
                ("graph", "modules", cycle[0]),
                "cycle: " + " -> ".join(cycle) + ": a node can't use its own " "result",
                at_key=True,
            )
        ]
    return []


@functools.lru_cache(maxsize=1)
def torch_functions() -> frozenset:
    """Names ``torch.<name>`` that are tensor operations (TorchFn, Reduce). I/O such as
    torch.save / torch.load is not among them, so a spec can't make the generator touch files.
    """
    import torch

    names = set(dir(torch._C._VariableFunctions)) | set(torch.functional.__all__)
    return frozenset(
        n for n in names if not n.startswith("_") and callable(getattr(torch, n, None))
    )


def _torch_names() -> set[str]:
    import torch

    return set(dir(torch))


def _is_torch_function(name: str) -> bool:
    return is_identifier(name) and name in torch_functions()
