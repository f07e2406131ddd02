"""Load a spec (path, YAML text or dict) safely, remembering where every value came from.

Only PyYAML's safe loader runs (no Python tags). Anchors, aliases and merge keys work. Unlike
plain PyYAML, a key written twice in one mapping is an error, not a silent overwrite.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import yaml

from .errors import Path, Problem, SpecError

_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Source:
    """A loaded spec: the data, and the line:column of each key path (1-based)."""

    data: object
    name: str | None = None  # the file shown in messages; None for a dict
    text: str | None = None
    values: dict = field(default_factory=dict)  # path -> (line, col) of the value
    keys: dict = field(default_factory=dict)  # path -> (line, col) of the mapping key

    @property
    def sha256(self) -> str:
        import json

        raw = self.text if self.text is not None else json.dumps(self.data, sort_keys=True)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def problem(self, path: Path, message: str, at_key: bool = False) -> Problem:
        """A problem at ``path``, located at its key or value, or the nearest enclosing one."""
        table = (self.keys, self.values) if at_key else (self.values, self.keys)
        p = tuple(path)
        while True:
            for t in table:
                if p in t:
                    line, col = t[p]
                    return Problem(tuple(path), message, line, col)
            if not p:
                return Problem(tuple(path), message)
            p = p[:-1]


# libyaml's parser when PyYAML has it (several times faster on big specs); the constructor
# is the same safe one either way.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):
    """SafeLoader that remembers each mapping's own keys before merge keys are flattened."""

    def __init__(self, stream):
        super().__init__(stream)
        self.own_keys: dict[int, list] = {}

    def flatten_mapping(self, node):
        if id(node) not in self.own_keys:
            self.own_keys[id(node)] = [k for k, _ in node.value if k.tag != _MERGE_TAG]
        super().flatten_mapping(node)


def load(spec: str | os.PathLike | dict, name: str | None = None) -> Source:
    """Load ``spec``: a dict, a path to a YAML file, or YAML text (anything with a newline)."""
    if isinstance(spec, dict):
        return Source(data=spec, name=name)
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and "\n" not in spec):
        path = FsPath(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise SpecError([Problem((), f"can't read the spec: {reason}")], str(spec)) from None
        return load_text(text, name or str(spec))
    return load_text(spec, name or "<string>")


@contextlib.contextmanager
def no_gc():
    """Parsing allocates many small objects and no cycles worth collecting; the cyclic
    collector running over them made loading grow faster than the spec (5000 nodes: 0.30 s
    with it, 0.12 s without)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_text(text: str, name: str) -> Source:
    with no_gc():
        return _load_text(text, name)


def _load_text(text: str, name: str) -> Source:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(
                [Problem((), "the spec is empty: it needs `modules` and `graph`", 1, 1)], name
            )
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = (
            "YAML syntax error" if not isinstance(e, yaml.constructor.ConstructorError) else "YAML"
        )
        detail = e.problem or e.context or "invalid YAML"
        if e.context and e.context_mark and e.problem_mark and e.context_mark != e.problem_mark:
            where = f"line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
            detail += f" ({e.context} at {where})"
        if "could not determine a constructor" in detail:
            detail = (
                f"unsupported tag {e.problem.split('tag ')[-1]}: only plain YAML data is allowed"
            )
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError([Problem((), f"{what}: {detail}", line, col)], name) from None
    finally:
        loader.dispose()
    source = Source(data=data, name=name, text=text)
    problems: list[Problem] = []
    _walk(node, (), source, loader.own_keys, problems, set())
    if problems:
        raise SpecError(problems, name)
    return source


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node, path: Path, source: Source, own_keys: dict, problems: list, seen: set) -> None:
    source.values.setdefault(path, _mark(node))
    if id(node) in seen:  # an alias seen before: its positions are recorded already
        return
    if isinstance(node, yaml.MappingNode):
        seen = seen | {id(node)}
        first: dict = {}
        for key_node in own_keys.get(id(node), []):
            key = _key(key_node)
            if key in first:
                problems.append(
                    Problem(
                        path + (key,),
                        f"duplicate key {key!r} (first at line {first[key]}): remove one",
                        *_mark(key_node),
                    )
                )
            else:
                first[key] = key_node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = _key(key_node)
            source.keys[path + (key,)] = _mark(key_node)
            source.values[path + (key,)] = _mark(value_node)
            _walk(value_node, path + (key,), source, own_keys, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        seen = seen | {id(node)}
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), source, own_keys, problems, seen)


def _key(node) -> object:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        return yaml.safe_load(node.value)
    return str(node.value)
