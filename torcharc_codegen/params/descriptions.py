"""What a parameter is for: its comment in the spec, for the generated docstring."""

from __future__ import annotations

from collections.abc import Mapping


def descriptions(source) -> dict[str, str]:
    """name -> the comment the spec gives a parameter: the one after its value on its line, or
    else the comment lines right above its key, at its indentation. The generated docstring
    shows it (and so do help texts that read docstrings: jsonargparse, LightningCLI)."""
    raw = source.data.get("params") if isinstance(source.data, Mapping) else None
    if source.text is None or not isinstance(raw, Mapping):
        return {}
    lines = source.text.splitlines()
    where = {n: source.keys.get(source.prefix + ("params", n)) for n in raw}
    rows = [w[0] for w in where.values() if w is not None]
    out = {}
    for name, at in where.items():
        if at is None or not 1 <= at[0] <= len(lines):
            continue
        line, column = at
        text = _trailing_comment(lines[line - 1], column - 1) if rows.count(line) == 1 else None
        if text is None:
            above = []
            row = line - 2
            while row >= 0 and lines[row].startswith(" " * (column - 1) + "#"):
                above.insert(0, lines[row].strip()[1:].strip())
                row -= 1
            text = " ".join(above)
        if text:
            out[name] = text
    return out


def _trailing_comment(line: str, start: int) -> str | None:
    """The text of a `# comment` after ``start`` on ``line`` (not inside quotes), if any."""
    quote = None
    for i in range(start, len(line)):
        c = line[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and line[i - 1] in " \t":
            return line[i + 1 :].strip() or None
    return None
