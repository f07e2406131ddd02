"""Load a spec (path, YAML text or dict) safely, remembering where every value came from.

Only PyYAML's safe constructor runs (no Python tags), on plain scalars read as YAML 1.2's
core schema like editors read them (yaml12.py), composed within budgets (compose.py).
Anchors, aliases and merge keys work. Unlike plain PyYAML, a key written twice in one mapping
is an error, not a silent overwrite, and so is a value TorchArc's YAML 1.1 reads as another
working value (``bias: no``); where its reading couldn't build anyway (``1e-5``) a warning
goes on ``Source.warnings``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import yaml

from ..errors import KeyPath, Problem, SpecError
from ..params.resolution import flow_style_hint
from .compose import TOO_DEEP, Refused, compose
from .yaml12 import FLOAT, INT, MERGE, STR, Loader12, reading_conflict, resolve12


@dataclass
class Source:
    """A loaded spec: the data, and the line:column of each key path (1-based)."""

    data: object
    name: str | None = None  # the file shown in messages; None for a dict
    text: str | None = None
    values: dict = field(default_factory=dict)  # path -> (line, col) of the value
    keys: dict = field(default_factory=dict)  # path -> (line, col) of the mapping key
    warnings: list = field(default_factory=list)  # Problems that don't stop generation
    # Where this spec sits in its file: () for the file's spec, ("blocks", name) for a block
    # (see sub); problems name the whole path.
    prefix: KeyPath = ()

    def problem(self, path: KeyPath, message: str, at_key: bool = False) -> Problem:
        """A problem at ``path``, located at its key or value, or the nearest enclosing one."""
        table = (self.keys, self.values) if at_key else (self.values, self.keys)
        p = self.prefix + tuple(path)
        while True:
            for t in table:
                if p in t:
                    line, col = t[p]
                    return Problem(self.prefix + tuple(path), message, line, col)
            if not p:
                return Problem(self.prefix + tuple(path), message)
            p = p[:-1]

    def sub(self, path: KeyPath) -> Source:
        """The spec at ``path`` in this one (a block's definition) as a Source of its own:
        its data, located in the same file, its problems named by their whole path."""
        data = self.data
        for part in path:
            data = data[part]
        return dataclasses.replace(self, data=data, warnings=[], prefix=self.prefix + tuple(path))


class _Loader(Loader12):
    """Loader12 that remembers each mapping's own keys before merge keys are flattened."""

    def __init__(self, stream):
        super().__init__(stream)
        self.own_keys: dict[int, list] = {}

    def flatten_mapping(self, node):
        if id(node) not in self.own_keys:
            self.own_keys[id(node)] = [k for k, _ in node.value if k.tag != MERGE]
        super().flatten_mapping(node)


def load(spec: str | bytes | os.PathLike | dict, name: str | None = None) -> Source:
    """Load ``spec``: a dict, a path to a YAML file, or YAML text (bytes are always text).

    A string is a path if it names an existing file or ends in .yaml/.yml, and YAML text if
    it has a newline, is blank, or reads as a YAML mapping (``"{modules: ..., graph: ...}"``);
    anything else is an error saying so, so one is never taken for the other.
    """
    if isinstance(spec, dict):
        return Source(data=spec, name=name)
    if isinstance(spec, bytes):  # YAML text as read from a file or stdin, never a path
        return load_text(_decode(spec, name or "<bytes>"), name or "<bytes>")
    if isinstance(spec, os.PathLike):
        return load_text(_read(FsPath(spec)), name or str(spec))
    if "\n" in spec or not spec.strip():
        return load_text(spec, name or "<string>")
    if _is_path(spec):
        return load_text(_read(FsPath(spec)), name or spec)
    if _reads_as_mapping(spec):
        return load_text(spec, name or "<string>")
    message = f"no spec file {_cut(spec)}: give a path to a YAML file or YAML text"
    raise SpecError([Problem((), message)], name)


def _is_path(spec: str) -> bool:
    return os.path.isfile(spec) or spec.rstrip().lower().endswith((".yaml", ".yml"))


def _reads_as_mapping(text: str) -> bool:
    """Whether ``text`` starts a YAML mapping: its first events only, nothing composed."""
    loader = Loader12(text)
    try:
        for _ in range(3):  # stream start, document start, then the root
            if isinstance(loader.get_event(), yaml.MappingStartEvent):
                return True
        return False
    except (yaml.YAMLError, UnicodeError):
        return False
    finally:
        loader.dispose()


def _cut(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _read(path: FsPath) -> str:
    where = str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block, /dev/zero never end
            raise SpecError([Problem((), "can't read the spec: not a regular file")], where)
        data = path.read_bytes()
    except OSError as e:
        raise SpecError([Problem((), f"can't read the spec: {e.strerror or e}")], where) from None
    return _decode(data, where)


def _decode(data: bytes, where: str) -> str:
    """UTF-8 text, or a SpecError at the line:column of the first byte that isn't."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = len(data[data.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", "replace")) + 1
        byte = data[e.start : e.start + 1].hex()
        message = f"byte 0x{byte} is not UTF-8: save the spec as UTF-8"
        raise SpecError([Problem((), message, line, col)], where) from None


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
    _check_characters(text, name)
    loader = _Loader(text)
    try:
        node = compose(loader)
        if node is None:
            raise SpecError(
                [Problem((), "the spec is empty: it needs `modules` and `graph`", 1, 1)], name
            )
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        raise SpecError([_yaml_problem(e, text)], name) from None
    except Refused as e:
        problem = Problem(e.path, e.message, e.mark.line + 1, e.mark.column + 1)
        raise SpecError([problem], name) from None
    finally:
        loader.dispose()
    source = Source(data=data, name=name, text=text)
    problems: list[Problem] = []
    _Walk(loader, source, problems).walk(node, ())
    if problems:
        raise SpecError(problems, name)
    source.warnings.sort(key=lambda p: (p.line or 0, p.column or 0))
    return source


def _yaml_problem(e: yaml.MarkedYAMLError, text: str) -> Problem:
    """The YAML error as one located line; where an unquoted ``${...}`` in flow style caused
    it, the line says to quote it."""
    problem = _yaml_error(e)
    layout = _layout_problem(e, text)
    if layout is not None:
        return dataclasses.replace(problem, message=f"YAML syntax error: {layout}")
    hint = flow_style_hint(text, problem.line)
    return dataclasses.replace(problem, message=f"{problem.message}; {hint}") if hint else problem


# PyYAML's words where a line is indented more or less than the mapping it belongs to
_MISINDENTED = ("did not find expected key", "mapping values are not allowed in this context")


def _layout_problem(e: yaml.MarkedYAMLError, text: str) -> str | None:
    """PyYAML's words for a tab or a misindented line, said plainly: what is at the line, the
    line above it and what was expected; None for other errors."""
    mark = e.problem_mark
    if mark is None:
        return None
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines):
        return None
    line = lines[mark.line]
    if mark.column < len(line) and line[mark.column] == "\t":
        return "a tab: YAML indents with spaces only; replace the tab with spaces"
    if e.problem not in _MISINDENTED:
        return None
    above = next(
        (
            n
            for n in range(mark.line - 1, -1, -1)
            if lines[n].strip() and lines[n].lstrip()[0] != "#"
        ),
        None,
    )
    if above is None:
        return None
    indent = len(line) - len(line.lstrip(" "))
    above_indent = len(lines[above]) - len(lines[above].lstrip(" "))
    if indent == above_indent:
        return None
    shown, shown_above = line.strip()[:40], lines[above].strip()[:40]
    how = "more" if indent > above_indent else "less"
    expected = (
        f"a key of the same mapping is indented {above_indent} as well"
        if indent > above_indent
        else f"indent it {above_indent} like the line above, or as a key of a mapping further out"
    )
    return (
        f"bad indentation: `{shown}` is indented {indent} spaces, {how} than line {above + 1}"
        f" above it (`{shown_above}`, {above_indent}): {expected}"
    )


def _yaml_error(e: yaml.MarkedYAMLError) -> Problem:
    mark = e.problem_mark or e.context_mark
    if e.problem == "exceeded maximum nesting depth":  # libyaml's own limit, met first in flow
        return Problem((), TOO_DEEP, mark.line + 1, mark.column + 1)
    what = "YAML syntax error" if not isinstance(e, yaml.constructor.ConstructorError) else "YAML"
    detail = e.problem or e.context or "invalid YAML"
    if e.context and e.context_mark and e.problem_mark and e.context_mark != e.problem_mark:
        where = f"line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
        detail += f" ({e.context} at {where})"
    if "could not determine a constructor" in detail:
        tag = e.problem.split("tag ")[-1].replace("tag:yaml.org,2002:", "!!")
        detail = f"unsupported tag {tag}: only plain YAML data is allowed"
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem((), f"{what}: {detail}", line, col)


# --- characters ----------------------------------------------------------------------------

# Characters YAML forbids anywhere (not YAML 1.2 c-printable; PyYAML raises an unlocated
# ReaderError for them, libyaml can't even take a lone surrogate), and the three that YAML 1.1
# (libyaml, TorchArc) takes for line breaks and YAML 1.2 (editors) for plain characters.
_FORBIDDEN = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_BREAK = re.compile("\r\n|\r|\n")
_C0 = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()
_BREAKS_11 = {0x85: "NEXT LINE", 0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR"}


def _check_characters(text: str, name: str) -> None:
    m = _FORBIDDEN.search(text)
    if m is None:
        return
    pos, code = m.start(), ord(m.group())
    breaks = list(_BREAK.finditer(text, 0, pos))
    line = len(breaks) + 1
    col = pos - (breaks[-1].end() if breaks else 0) + 1
    if 0xDC80 <= code <= 0xDCFF:  # a byte that wasn't UTF-8, kept by surrogateescape (stdin)
        message = f"byte 0x{code - 0xDC00:02x} is not UTF-8: save the spec as UTF-8"
    elif code in _BREAKS_11:
        message = (
            f"the character U+{code:04X} ({_BREAKS_11[code]}) is a line break to YAML 1.1 "
            "(TorchArc) and not to YAML 1.2 (editors): delete it, or write "
            f"\\u{code:04x} in double quotes"
        )
    else:
        label = f" ({_C0[code]})" if code < 32 else " (DEL)" if code == 127 else ""
        kind = "control character" if code < 32 or 127 <= code < 160 else "character"
        message = (
            f"the {kind} U+{code:04X}{label} is not allowed in YAML, even in a comment: delete it"
        )
    raise SpecError([Problem((), message, line, col)], name)


# --- positions, duplicate keys, and the YAML 1.1 readings that differ ------------------------


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Walk:
    """Record the line:column of every key and value, report keys written twice, and compare
    each plain scalar's YAML 1.2 reading with TorchArc's YAML 1.1 one."""

    def __init__(self, loader: _Loader, source: Source, problems: list):
        self.loader, self.source, self.problems = loader, source, problems
        self.compared: set[int] = set()  # scalar nodes compared already (aliases repeat them)

    def walk(self, node, path: KeyPath) -> None:
        """Depth-first over the expanded tree: compose bounded its depth and size and
        refused cycles."""
        source = self.source
        source.values.setdefault(path, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            self.compare(node, path)
        elif isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node in self.loader.own_keys.get(id(node), []):
                key = self.key(key_node)
                if key in first:
                    self.problems.append(
                        Problem(
                            path + (key,),
                            f"duplicate key {key!r} (first at line {first[key]}): remove one",
                            *_mark(key_node),
                        )
                    )
                else:
                    first[key] = key_node.start_mark.line + 1
            for key_node, value_node in node.value:
                key = self.key(key_node)
                if isinstance(key_node, yaml.ScalarNode):
                    self.compare(key_node, path + (key,))
                source.keys[path + (key,)] = _mark(key_node)
                source.values[path + (key,)] = _mark(value_node)
                self.walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.walk(item, path + (i,))

    def key(self, node) -> object:
        if isinstance(node, yaml.ScalarNode):
            return node.value if node.tag == STR else self.loader.construct_object(node)
        return str(node.value)

    def compare(self, node, path: KeyPath) -> None:
        if node.style or id(node) in self.compared:  # quoted or block: a string to both
            return
        self.compared.add(id(node))
        check = _MAY_DIFFER.get(node.tag)
        if check is None or not check(node.value):
            return  # the common case, decided without running both readers
        if node.tag != resolve12(node.value):
            return  # an explicit tag (`!!str 010`): both readings obey it
        found = reading_conflict(node.value, self.loader.construct_object(node))
        if found is not None:
            is_error, message = found
            problem = Problem(path, message, *_mark(node))
            (self.problems if is_error else self.source.warnings).append(problem)


# Which plain scalars YAML 1.1 might read otherwise, by their YAML 1.2 tag: strings that start
# like a number, `.inf` or a date, or are a yes/no/on/off word; integers with a leading zero or
# 0o; any float. true/false and null are the same words in both.
_MAY_DIFFER = {
    STR: re.compile(r"[-+.0-9]|(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)\Z").match,
    INT: re.compile(r"[-+]?0[0-9o]").match,
    FLOAT: bool,
}
