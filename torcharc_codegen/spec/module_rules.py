"""The checks of ``modules`` a schema can't express: module names, compact rows, argument names
and values that must be Python literals, and the torch function a TorchFn or Reduce calls."""

from __future__ import annotations

import functools

from ..errors import KeyPath, Problem
from ..grammar.spec_schema import DTYPES
from ..messages import did_you_mean, quote
from ..names import is_identifier, name_problem, same_python_name
from ..names import normal as python_name
from .classes import TENSOR_MODULES
from .entries import written
from .helpers import TENSOR_METHODS
from .literals import UnsafeValue, literal
from .load import Source
from .schema_check import layer_problems
from .subscripts import SubscriptError, parse_key


def class_names_used(data: object) -> list[tuple[str, KeyPath]]:
    """(class name, path of its key) for every layer of every module spec (Sequential entries,
    nested and repeated ones, compact layers), and of every block's."""
    out: list[tuple[str, KeyPath]] = []
    for spec, path in _module_specs(data):
        out += _classes_of(spec, path)
    return out


def _module_specs(data: object, prefix: KeyPath = ()) -> list[tuple[object, KeyPath]]:
    out = []
    modules = data.get("modules") if isinstance(data, dict) else None
    for mname, spec in modules.items() if isinstance(modules, dict) else ():
        out.append((spec, prefix + ("modules", mname)))
    blocks = data.get("blocks") if isinstance(data, dict) and not prefix else None
    for bname, block in blocks.items() if isinstance(blocks, dict) else ():
        out += _module_specs(block, ("blocks", bname))
    return out


def _classes_of(spec: object, path: KeyPath) -> list[tuple[str, KeyPath]]:
    return [(w.cls, w.path) for w in written(spec, path) if w.cls is not None]


def module_name_problems(modules: dict, source: Source) -> list[Problem]:
    """Module names: identifiers, not reserved, and the same to Python as written. Python
    reads identifiers NFKC-normalized (``ｍｌｐ`` as ``mlp``): two such names would be one
    attribute, and one alone would give state_dict keys that aren't TorchArc's."""
    problems = []
    for name in modules:
        if (msg := name_problem(name, "module")) is not None:
            problems.append(source.problem(("modules", name), msg, at_key=True))
    named = [(n, ("modules", n)) for n in modules if is_identifier(n)]
    clashes = same_python_name(named, "module")
    for path, msg in clashes:
        problems.append(source.problem(path, msg, at_key=True))
    clashing = {path for path, _ in clashes}
    for name, path in named:
        if path not in clashing and (read := python_name(name)) != name:
            what = (
                f"module name {quote(name)} is read by Python as {quote(read)}: its state_dict "
                f"keys would start with {quote(read + '.')}, TorchArc's with "
                f"{quote(name + '.')}; write {quote(read)}"
            )
            problems.append(source.problem(path, what, at_key=True))
    return problems


def module_value_problems(spec, path: KeyPath, source: Source, classes, validator) -> list[Problem]:
    """Compact rows, argument names, literal values and torch functions of one module spec."""
    if not isinstance(spec, dict) or len(spec) != 1:
        return []
    problems = _compact_rows(spec, path, source, classes, validator)
    for vpath, value in _leaves(spec, path):
        if value is _TOO_DEEP:
            what = f"a value nested more than {MAX_NESTING} levels deep: write a flatter value"
            problems.append(source.problem(vpath[: len(path) + 2], what))  # not 100 x [0]
            break
        try:
            literal(value)
        except UnsafeValue as e:
            what = f"{e}: use a number, string, bool, null, list or mapping"
            problems.append(source.problem(vpath, what))
    for name, cpath in _classes_of(spec, path):
        if name in TENSOR_MODULES and cpath != path + (name,):
            what = f"a {name} is a module of its own, read by a node: not an entry or a layer"
            problems.append(source.problem(cpath, what, at_key=True))
        args = _at(spec, cpath[2:])
        for key in args if isinstance(args, dict) else ():
            if not is_identifier(key):
                what = f"argument name {quote(key)} is not a Python identifier"
                problems.append(source.problem(cpath + (key,), what, at_key=True))
        if name == "Index" and isinstance(args, dict) and isinstance(args.get("key"), str):
            try:
                parse_key(args["key"])
            except SubscriptError as e:
                problems.append(source.problem(cpath + ("key",), str(e)))
        if name == "Buffer" and isinstance(args, dict):
            problems += _buffer_fill(args, cpath, source)
        dtype = (
            args.get("dtype") if name in ("TorchFn", "Method") and isinstance(args, dict) else None
        )
        if isinstance(dtype, str) and dtype not in DTYPES:
            what = f"dtype {quote(dtype)} is none of torch's: {', '.join(DTYPES)}"
            problems.append(source.problem(cpath + ("dtype",), what + did_you_mean(dtype, DTYPES)))
        method = args.get("name") if name == "Method" and isinstance(args, dict) else None
        if isinstance(method, str) and method not in TENSOR_METHODS:
            what = f"Method calls a tensor method torch has no function of, not {quote(method)}"
            if callable(getattr(_torch(), method, None)):
                what += f": torch.{method} is TorchFn's"
            else:
                what += did_you_mean(method, sorted(TENSOR_METHODS))
            problems.append(source.problem(cpath + ("name",), what))
        if name in ("Reduce", "TorchFn") and isinstance(args, dict):
            fn = args.get("name")
            if isinstance(fn, str) and not _is_torch_function(fn, functional=name == "TorchFn"):
                problems.append(source.problem(cpath + ("name",), _not_a_function(name, fn)))
    return problems


def _compact_rows(spec: dict, path: KeyPath, source: Source, classes, validator) -> list[Problem]:
    (key,) = spec
    layer = spec[key].get("layer") if key == "compact" and isinstance(spec[key], dict) else None
    if not (isinstance(layer, dict) and isinstance(layer.get("keys"), list)):
        return []
    keys, rows, cls = layer["keys"], layer.get("args"), layer.get("type")
    problems = []
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        row = row if isinstance(row, list) else [row]
        rpath = path + ("compact", "layer", "args", i)
        if len(row) != len(keys):
            what = (
                f"compact row has {len(row)} value(s) for {len(keys)} key(s) {quote(keys)}: "
                "give one per key"
            )
            problems.append(source.problem(rpath, what))
        elif (
            isinstance(cls, str)
            and cls in classes
            and classes[cls].kind != "block"  # a block's arguments: blocks.use_problems
            and all(isinstance(k, str) for k in keys)
        ):
            kwargs = dict(zip(keys, row, strict=True))
            problems += layer_problems(cls, kwargs, rpath, source, validator)
    return problems


def _at(value: object, parts: KeyPath) -> object:
    """The value at ``parts`` below ``value``, or None."""
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


# Deeper values can't be written as Python literals (the parser allows 200 nested brackets).
MAX_NESTING = 100
_TOO_DEEP = object()


def _leaves(value: object, path: KeyPath, depth: int = 0):
    """(path, value) of every scalar below ``value``; _TOO_DEEP past MAX_NESTING levels."""
    if depth > MAX_NESTING:
        yield path, _TOO_DEEP
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,), depth + 1)
    else:
        yield path, value


def _buffer_fill(args: dict, cpath: KeyPath, source: Source) -> list[Problem]:
    """A Buffer's fill must be a value of its dtype: a whole number for an integer dtype."""
    fill, dtype = args.get("fill", 0.0), args.get("dtype", "float32")
    if not isinstance(dtype, str) or not isinstance(fill, int | float) or isinstance(fill, bool):
        return []
    if dtype.startswith(("int", "uint")) and fill != int(fill):
        what = f"fill {fill} is no value of {dtype}: give a whole number"
        return [source.problem(cpath + ("fill",), what)]
    return []


def _not_a_function(helper: str, fn: str) -> str:
    if fn.startswith(FUNCTIONAL) and helper == "TorchFn":
        rest = fn[len(FUNCTIONAL) :]
        return f"torch.nn.functional has no function {quote(rest)}" + did_you_mean(
            rest, sorted(functional_functions())
        )
    if fn in _torch_names():
        return (
            f"torch.{fn} is not a tensor operation: {helper} only calls torch "
            "functions that compute on tensors"
        )
    return f"torch has no function {quote(fn)}" + did_you_mean(fn, sorted(torch_functions()))


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


# TorchFn's ``name: nn.functional.<fn>`` (this project's extension): a function torch.nn.functional
# alone has (``linear``, ``pad``, ``scaled_dot_product_attention``)
FUNCTIONAL = "nn.functional."


@functools.lru_cache(maxsize=1)
def functional_functions() -> frozenset:
    """Names ``torch.nn.functional.<name>`` that are its functions (not what it imports:
    typing's, torch.overrides' dispatch helpers)."""
    import inspect

    import torch.nn.functional as F

    def ours(name: str) -> bool:
        fn = getattr(F, name)
        module = getattr(fn, "__module__", None) or ""
        return (
            callable(fn)
            and not inspect.isclass(fn)
            and module.partition(".")[0] == "torch"
            and module not in ("torch.overrides", "torch._jit_internal")
        )

    skipped = {"assert_int_or_pair"}
    return frozenset(n for n in dir(F) if not n.startswith("_") and n not in skipped and ours(n))


def _torch():
    import torch

    return torch


def _torch_names() -> set[str]:
    import torch

    return set(dir(torch))


def _is_torch_function(name: str, functional: bool) -> bool:
    if functional and name.startswith(FUNCTIONAL):
        return name[len(FUNCTIONAL) :] in functional_functions()
    return is_identifier(name) and name in torch_functions()
