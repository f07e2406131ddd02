"""YAML 1.2 core-schema scalars for PyYAML, and where TorchArc's YAML 1.1 reading differs.

Editors (yaml-language-server, through the `yaml` npm package), check-jsonschema and ajv read
YAML 1.2, where ``1e-5`` is a float, ``no``/``on`` are strings and ``010`` is ten. PyYAML, and
so TorchArc (``yaml.safe_load``), reads YAML 1.1: ``1e-5`` is a string, ``no`` is false and
``010`` is eight. :class:`Loader12` reads the core schema (the regexes are those of the `yaml`
package the editor uses) on libyaml's parser when PyYAML has it; :func:`reading_conflict` says
what to tell the user about a plain scalar the two readings see differently.

Why not ruamel.yaml, which reads YAML 1.2: its 1.2 resolver still takes ``0b11`` and ``1_000``
as integers, which the core schema and the editor read as strings, so it would need the same
override, and it would be a second YAML library beside the PyYAML that TorchArc brings.
"""

from __future__ import annotations

import math
import re
import sys

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"

# YAML 1.2.2 section 10.3.2, as the `yaml` npm package (2.x, schema/core) writes them.
_CORE = [
    (NULL, re.compile(r"(?:~|[Nn]ull|NULL)?\Z")),
    (BOOL, re.compile(r"(?:[Tt]rue|TRUE|[Ff]alse|FALSE)\Z")),
    (INT, re.compile(r"(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)\Z")),
    (
        FLOAT,
        re.compile(
            r"(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN"
            r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+"
            r"|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))\Z"
        ),
    ),
]

_FIRST = frozenset("~nNtTfF0123456789+-.<")  # how a non-string plain scalar can start


def resolve12(value: str) -> str:
    """The core-schema tag of a plain scalar (``<<`` stays a merge key, as in PyYAML)."""
    if value and value[0] not in _FIRST:
        return STR  # most keys and names, decided without a regex
    if value == "<<":
        return MERGE
    for tag, pattern in _CORE:
        if pattern.match(value):
            return tag
    return STR


class Loader12(_BASE):
    """PyYAML's safe loader with YAML 1.2 core-schema plain scalars and only the core
    schema's tags."""

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            return resolve12(value)
        return super().resolve(kind, value, implicit)

    def construct_yaml_bool(self, node):
        value = self.construct_scalar(node)
        if value not in ("true", "True", "TRUE", "false", "False", "FALSE"):
            raise ConstructorError(None, None, f"{value!r} is not a boolean", node.start_mark)
        return value.lower() == "true"

    def construct_yaml_int(self, node):
        value = self.construct_scalar(node)
        try:
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith("0x"):
                return int(value[2:], 16)
            return int(value, 10)
        except ValueError:  # more digits than Python converts, or a bad `!!int`
            digits = len(value.lstrip("+-"))
            limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
            why = f" ({digits} digits; Python reads {limit}): write a smaller number"
            raise ConstructorError(
                None,
                None,
                f"can't read {_cut(value)} as an integer" + (why if 0 < limit < digits else ""),
                node.start_mark,
            ) from None

    def construct_yaml_float(self, node):
        value = self.construct_scalar(node)
        lower = value.lower()
        if lower in (".inf", "+.inf", "-.inf"):
            return -math.inf if value.startswith("-") else math.inf
        if lower == ".nan":
            return math.nan
        try:
            return float(value)
        except ValueError:
            raise ConstructorError(
                None, None, f"can't read {_cut(value)} as a number", node.start_mark
            ) from None


# The core schema's tags only: PyYAML's safe loader also builds sets (in hash order, so the
# output would vary from run to run), bytes, dates and ordered pairs, none of them spec values.
Loader12.yaml_constructors = {
    tag: SafeConstructor.yaml_constructors[tag]
    for tag in (NULL, STR, "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map", None)
}
Loader12.add_constructor(BOOL, Loader12.construct_yaml_bool)
Loader12.add_constructor(INT, Loader12.construct_yaml_int)
Loader12.add_constructor(FLOAT, Loader12.construct_yaml_float)


# --- TorchArc's reading ----------------------------------------------------------------------

_RESOLVER11 = Resolver()
_CONSTRUCTOR11 = SafeConstructor()
_BOOL_WORDS = re.compile(r"(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)\Z")
_UNSET = object()


def read11(value: str) -> object:
    """What PyYAML's safe loader (YAML 1.1) makes of a plain scalar; ``_UNSET`` if it can't."""
    tag = _RESOLVER11.resolve(yaml.ScalarNode, value, (True, False))
    if tag == STR:
        return value
    try:
        return _CONSTRUCTOR11.construct_object(yaml.ScalarNode(tag, value), deep=True)
    except Exception:  # e.g. too many digits, a date that isn't one, the `=` value tag
        return _UNSET


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and (a == b or repr(a) == repr(b))


def _cut(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _show(value: object) -> str:
    """A value as it reads in a message: YAML words for YAML values."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {_cut(value)}"
    if isinstance(value, float):
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return ".nan" if math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    return f"the {type(value).__name__} {value}"


def _float_for_both(text: str) -> str | None:
    """``text`` rewritten so YAML 1.1 reads the same float: a dot in the mantissa, a signed
    exponent, a digit before the dot (``1e-5`` -> ``1.0e-5``)."""
    m = re.fullmatch(r"([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?)([0-9]+))?", text)
    if not m:
        return None
    sign, whole, frac, esign, exp = m.groups()
    out = f"{sign}{whole or '0'}.{frac or '0'}"
    if exp is not None:
        out += f"e{esign or '+'}{exp}"
    return out if _same(read11(out), float(text)) else None


def reading_conflict(value: str, read: object) -> tuple[bool, str] | None:
    """For a plain scalar ``value`` that YAML 1.2 reads as ``read``: None if TorchArc's
    YAML 1.1 reads the same, else (is_error, message).

    An error where both readings are values a spec could mean (``no``: false or the string
    'no'; ``010``: 8 or 10); a warning where TorchArc's reading can't build anyway (``1e-5``
    is a string to it) or where the YAML 1.2 reading is a string no argument takes (``1_000``,
    ``1:20``, ``0b11``), which validation then reports in its own words.
    """
    old = read11(value)
    shown = value if len(value) <= 40 else value[:40] + "..."
    if _same(old, read):
        return None
    both = f"`{shown}` is {_show(read)} in YAML 1.2 (editors, this tool)"
    if old is _UNSET:
        return False, f"{both}; TorchArc's YAML 1.1 can't read it: quote it, or write it otherwise"
    both += f" but {_show(old)} in YAML 1.1 (TorchArc)"
    if isinstance(old, bool) and _BOOL_WORDS.match(value):
        word = "true" if old else "false"
        return True, f"{both}: write {word}, or '{shown}' in quotes for the string"
    if isinstance(old, int) and isinstance(read, int):
        return True, f"{both}: write {old} or {read} explicitly"
    if isinstance(read, float) and isinstance(old, str):
        fix = _float_for_both(value)
        return False, both + (f": write {fix} to mean the same to both" if fix else "")
    if isinstance(read, int) and isinstance(old, str):  # 0o17
        return False, f"{both}: write {read}"
    if isinstance(read, str) and isinstance(old, (int, float)) and not isinstance(old, bool):
        return False, f"{both}: write {_show(old)}, or '{shown}' in quotes for the string"
    return False, f"{both}: write '{shown}' in quotes"
