"""The wording shared by validation messages: values quoted short, "did you mean", lists.

A message quotes the user's value so they can find it, but never echoes a huge one: every
quoted value is cut to about :data:`LIMIT` characters (a 50 MB string gives a short line).
"""

from __future__ import annotations

import difflib
import re
import reprlib
from collections.abc import Iterable

LIMIT = 80

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = LIMIT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 10


def quote(value: object) -> str:
    """``repr(value)``, cut to about LIMIT characters with an ellipsis."""
    try:
        text = _REPR.repr(value)
    except ValueError:  # an int too long to print (sys.get_int_max_str_digits)
        return "<a very long integer>"
    return text if len(text) <= LIMIT else text[: LIMIT - 3] + "..."


def or_words(words: Iterable[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    words = list(dict.fromkeys(words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe(value: object) -> str:
    """What a value is, for "got ...": ``a mapping``, ``a list``, ``the string 'x'``, ``4``."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {quote(value)}"
    return quote(value)


def close_matches(name: object, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` that ``name`` may be a misspelling of, closest first: those
    that differ from it only in case (``relu``: ``ReLU``) if any, else by edit distance."""
    name = str(name)
    if len(name) > LIMIT:  # nothing is close to it, and difflib would be slow
        return []
    strings = [c for c in choices if isinstance(c, str)]  # a YAML key may be a number
    folded = name.casefold()
    same = [c for c in strings if c.casefold() == folded and c != name]
    if same:
        return same[:n]
    return difflib.get_close_matches(name, strings, n=n, cutoff=0.6)


# torch's other names for its dtypes (torch.long is torch.int64): a spec names the dtype itself
DTYPE_ALIASES = {
    "long": "int64",
    "int": "int32",
    "short": "int16",
    "float": "float32",
    "double": "float64",
    "half": "float16",
}


def alias_of(name: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'int64'? torch.long is torch.int64)`` for a dtype alias whose dtype is
    one of ``choices``, or ''."""
    target = DTYPE_ALIASES.get(name) if isinstance(name, str) else None
    if target is None or target not in choices:
        return ""
    return f" (did you mean {quote(target)}? torch.{name} is torch.{target})"


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'a' or 'b'?)`` for the choices close to ``name``, or ''."""
    return suggest(close_matches(name, choices))


def suggest(close: list[str]) -> str:
    return f" (did you mean {or_words(quote(c) for c in close)}?)" if close else ""


def close_to(name: object, choices: Iterable[str]) -> bool:
    """Whether ``name`` is a likely misspelling of one of ``choices`` (or one in other case)."""
    strings = [c for c in choices if isinstance(c, str)]
    name = str(name)
    if len(name) > LIMIT:
        return False
    folded = name.casefold()
    return any(c.casefold() == folded for c in strings) or bool(
        difflib.get_close_matches(name, strings, 1, 0.8)
    )


def first_line(text: str) -> str:
    """The first sentence of a message that may run on (torch's and fx's advice, an overload
    list, a graph dump): what a one-line report and a spec comment can hold."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else text.strip()
    return re.split(r"(?<=[a-z]{2}\.)\s+(?=[A-Z])", first, maxsplit=1)[0]


def cut(text: str) -> str:
    """``text`` cut to about LIMIT characters with an ellipsis (a name shown unquoted); quoted
    when it holds a newline or another unprintable character."""
    if not text.isprintable():
        return quote(text)
    return text if len(text) <= LIMIT else text[: LIMIT - 3] + "..."
