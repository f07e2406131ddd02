"""What torch's Sphinx docstrings say: a class's summary, each argument's description, the
strings an argument takes."""

from __future__ import annotations

import inspect
import re


def doc_of(cls: type) -> str:
    return inspect.getdoc(cls) or ""


_ROLE = re.compile(r":(?:class|func|meth|attr|mod|math|ref|obj|data|exc):`~?([^`]*)`")
_LITERAL = re.compile(r"``([^`]*)``")


def _clean(text: str) -> str:
    text = _ROLE.sub(lambda m: m.group(1).split("<")[0].strip(), text)
    text = _LITERAL.sub(r"\1", text)
    text = re.sub(r"`([^`]*)`_?", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def summary(doc: str, limit: int = 600) -> str:
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


def string_enum(doc: str, default: object) -> list[str]:
    """The allowed strings a parameter's doc lists (``'zeros'``, ``'reflect'``...), when the
    default is among them."""
    values = list(dict.fromkeys(_QUOTED.findall(doc)))
    if len(values) >= 2 and isinstance(default, str) and default in values:
        return values
    return []


def assigned_strings(doc: str, name: str) -> list[str]:
    """Strings the class docstring shows being given, ``padding='same'``, ``padding='valid'``."""
    values = list(dict.fromkeys(re.findall(rf"\b{name}\s*=\s*['\"]([\w-]+)['\"]", doc)))
    return values if len(values) >= 2 else []
