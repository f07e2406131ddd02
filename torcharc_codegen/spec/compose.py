"""Compose a YAML document's node graph from libyaml's events, within budgets.

PyYAML's composer recurses (in C for libyaml: 100,000 nested brackets crash the interpreter;
in Python: a RecursionError), and it shares one node among all the aliases of an anchor, so a
"billion laughs" of a few lines composes quietly and explodes in whatever walks it next. This
composer is a loop over the parser's events that refuses, at the event that crosses it,
nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` values with every alias expanded,
and an alias inside its own anchor (a value with no end). It also refuses a ``%YAML 1.1``
directive: editors honour it, with their own YAML 1.1, and this tool reads YAML 1.2 only.
"""

from __future__ import annotations

import yaml
from yaml.composer import ComposerError

from ..errors import KeyPath
from .yaml12 import STR, resolve12

MAX_DEPTH = 64  # levels of nesting; real specs use under 10
MAX_NODES = 100_000  # values in the spec with every alias expanded
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep (the limit): flatten it"

_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_NO_KEY = object()


class Refused(Exception):
    """The document is refused (a budget, a %YAML 1.1 directive): the message, and where (key
    path, 0-based mark)."""

    def __init__(self, message: str, path: KeyPath, mark):
        super().__init__(message)
        self.message, self.path, self.mark = message, path, mark


class _Open:
    """A collection being composed."""

    __slots__ = ("node", "anchor", "start", "key")

    def __init__(self, node, anchor: str | None, start: int):
        self.node, self.anchor, self.start = node, anchor, start
        self.key = _NO_KEY  # a mapping's key waiting for its value

    def part(self, inner: bool) -> object:
        """The key path part of the child being composed: a node not attached yet for the
        innermost collection, else the collection attached last. None for a key."""
        value = self.node.value
        if isinstance(self.node, yaml.SequenceNode):
            return len(value) if inner else len(value) - 1
        if inner == (self.key is _NO_KEY):  # a key: inner, not attached; outer, attached
            return None
        key = self.key if inner else value[-1][0]
        return key.value if isinstance(key, yaml.ScalarNode) else "?"


def compose(loader) -> yaml.Node | None:
    """The single document's root node, or None for an empty stream. Raises Refused, or
    PyYAML's MarkedYAMLError for a syntax error."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        loader.get_event()
        return None
    start = loader.get_event()  # document start
    if start.version is not None and start.version != (1, 2):
        raise Refused(
            f"%YAML {start.version[0]}.{start.version[1]}: specs are read as YAML 1.2, as "
            "editors read them without this directive: remove it",
            (),
            start.start_mark,
        )
    root = _Composer().document(loader)
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise ComposerError(
            "expected a single document in the stream",
            root.start_mark,
            "but found another document",
            event.start_mark,
        )
    loader.get_event()
    return root


class _Composer:
    """One document's nodes, composed event by event: the anchors, the collections open, and
    the values counted so far with every alias expanded."""

    def __init__(self):
        self.anchors: dict[str, yaml.Node] = {}
        self.sizes: dict[str, int] = {}  # anchor -> values it expands to
        self.stack: list[_Open] = []
        self.total = 0
        self.root = None

    def document(self, loader) -> yaml.Node:
        """The root node: the events up to the end of the document's one value."""
        steps = {
            yaml.ScalarEvent: self.scalar,
            yaml.MappingStartEvent: self.start,
            yaml.SequenceStartEvent: self.start,
            yaml.MappingEndEvent: self.end,
            yaml.SequenceEndEvent: self.end,
            yaml.AliasEvent: self.alias,
        }
        while True:
            event = loader.get_event()
            step = steps.get(type(event))
            if step is not None:
                step(event)
            if not self.stack and self.root is not None:
                return self.root

    def scalar(self, event) -> None:
        tag = event.tag
        if tag is None or tag == "!":
            tag = resolve12(event.value) if event.implicit[0] else STR
        node = yaml.ScalarNode(
            tag, event.value, event.start_mark, event.end_mark, style=event.style
        )
        self.count(1, event)
        self.register(event.anchor, node, event)
        if event.anchor is not None:
            self.sizes[event.anchor] = 1
        self.attach(node)

    def start(self, event) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self.fail(TOO_DEEP, event)
        tag = event.tag
        mapping = type(event) is yaml.MappingStartEvent
        if tag is None or tag == "!":
            tag = _MAP if mapping else _SEQ
        cls = yaml.MappingNode if mapping else yaml.SequenceNode
        node = cls(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self.count(1, event)
        self.register(event.anchor, node, event)
        self.attach(node)
        self.stack.append(_Open(node, event.anchor, self.total - 1))

    def end(self, event) -> None:
        done = self.stack.pop()
        done.node.end_mark = event.end_mark
        if done.anchor is not None:
            self.sizes[done.anchor] = self.total - done.start

    def alias(self, event) -> None:
        anchor = event.anchor
        if anchor not in self.anchors:
            raise ComposerError(None, None, f"found undefined alias {anchor!r}", event.start_mark)
        if any(f.anchor == anchor for f in self.stack):
            self.fail(
                f"alias *{anchor} is inside its own anchor &{anchor}: a value with no end; "
                "write it out",
                event,
            )
        self.count(self.sizes[anchor], event)
        self.attach(self.anchors[anchor])

    def fail(self, message: str, event) -> None:
        parts = (f.part(f is self.stack[-1]) for f in self.stack)
        raise Refused(message, tuple(p for p in parts if p is not None), event.start_mark)

    def count(self, values: int, event) -> None:
        self.total += values
        if self.total > MAX_NODES:
            self.fail(
                (
                    f"aliases expand the spec past {MAX_NODES:,} values (the limit): "
                    "use fewer or smaller aliases"
                    if self.sizes
                    else f"the spec has more than {MAX_NODES:,} values (the limit)"
                ),
                event,
            )

    def attach(self, node) -> None:
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        if isinstance(parent.node, yaml.SequenceNode):
            parent.node.value.append(node)
        elif parent.key is _NO_KEY:
            parent.key = node
        else:
            parent.node.value.append((parent.key, node))
            parent.key = _NO_KEY

    def register(self, anchor: str | None, node, event) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        self.anchors[anchor] = node
