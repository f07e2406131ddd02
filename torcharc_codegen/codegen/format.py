"""Black on the generated file: the whole file at once, or (format_big) statement by statement
for a big model; and where a trailing comment goes so that black leaves the line as it is."""

from __future__ import annotations

import dataclasses
import re

from .render import render_model

_INIT_MARK, _FORWARD_MARK = "_init_statements_", "_forward_statements_"
_MAGIC_COMMA = re.compile(r",\s*[)\]}]")  # black explodes a bracket that ends with a comma
_SIMPLE_LINE = re.compile(r"^[\w.()\[\], =+*/-]*(  # [\w(), .\[\]{}:-]*)?$")


def line_length(mode) -> int:
    import black

    return (mode or black.Mode()).line_length


def format_source(text: str, mode=None) -> str:
    import black

    return black.format_str(text, mode=mode or black.Mode())


def format_big(parts: dict, mode=None) -> str:
    """Black's output for a big model, without running black on thousands of statements.

    Black formats each statement on its own terms, so the file is formatted with one
    placeholder statement per method, and each real statement is then formatted alone (at
    its indentation's line length) and spliced in; most are short plain lines black would
    leave as they are, so black only sees the others. tests/test_format.py checks the result
    is exactly what black gives for the whole file.
    """
    skeleton = dict(parts)
    skeleton["modules"] = [{"name": _INIT_MARK, "init": f"self.{_INIT_MARK} = 0"}]
    skeleton["statements"] = [{"var": _FORWARD_MARK, "expr": "0", "comment": "", "above": False}]
    init = [m["init"] for m in parts["modules"]]
    forward = [
        (f"# {s['comment']}\n" if s["above"] else "")
        + f"{s['var']} = {s['expr']}"
        + (f"  # {s['comment']}" if s["comment"] and not s["above"] else "")
        for s in parts["statements"]
    ]
    out = []
    for line in format_source(render_model(skeleton), mode).split("\n"):
        if line.strip() == f"self.{_INIT_MARK} = 0":
            out += [_format_statement(s, 8, mode) for s in init]
        elif line.strip() == f"{_FORWARD_MARK} = 0":
            out += [_format_statement(s, 8, mode) for s in forward]
        else:
            out.append(line)
    return "\n".join(out)


def _format_statement(statement: str, indent: int, mode=None) -> str:
    import black

    mode = mode or black.Mode()
    pad = " " * indent
    if (
        len(statement) + indent <= mode.line_length
        and _SIMPLE_LINE.match(statement)
        and not _MAGIC_COMMA.search(statement)
    ):
        return pad + statement
    indented = dataclasses.replace(mode, line_length=mode.line_length - indent)
    formatted = black.format_str(statement, mode=indented)
    return "\n".join(pad + line if line else line for line in formatted.rstrip("\n").split("\n"))


def fits(code: str, extra: int, indent: int, line_length: int) -> bool:
    """Whether black leaves ``code`` on one line at ``indent`` with ``extra`` characters after
    it (a trailing comment): a comment never makes black split a statement that fits."""
    if not _SIMPLE_LINE.match(code) or _MAGIC_COMMA.search(code):
        import black

        formatted = black.format_str(code, mode=black.Mode(line_length=10_000)).strip()
        if "\n" in formatted:
            return False
        code = formatted
    return indent + len(code) + extra <= line_length


def with_comment(code: str, comment: str, indent: int, line_length: int) -> str:
    """``code`` with ``comment`` after it, or on the line above when it wouldn't fit there."""
    if not comment:
        return code
    if fits(code, 4 + len(comment), indent, line_length):
        return f"{code}  # {comment}"
    return f"# {comment}\n{code}"
