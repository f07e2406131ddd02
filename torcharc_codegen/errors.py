"""Problems found in a spec, each tied to a place in it.

A :class:`SpecError` carries every problem found in one run; the CLI prints one line per
problem, ``file:line:column: key.path: message``, and exits 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .messages import LIMIT, quote

KeyPath = tuple  # a key path into the spec: ("graph", "modules", "head", 0)


def format_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)  # a key with a newline or 50 MB long is quoted short: one line
            out += ("." if out else "") + (text if _plain(text) else quote(text))
    return out


def _plain(text: str) -> bool:
    return text.isprintable() and len(text) <= LIMIT


@dataclass(frozen=True)
class Problem:
    path: KeyPath
    message: str
    line: int | None = None  # 1-based, from the YAML source
    column: int | None = None

    def format(self, source_name: str | None) -> str:
        where = []
        if source_name is not None:
            where.append(source_name)
            if self.line is not None:
                where += [str(self.line), str(self.column)]
        if self.path:
            where.append(" " + format_path(self.path) if where else format_path(self.path))
        prefix = ":".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class SpecError(Exception):
    """The spec is invalid: one or more located problems."""

    def __init__(self, problems: Sequence[Problem], source_name: str | None = None):
        self.problems = list(problems)
        self.source_name = source_name
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [p.format(self.source_name) for p in self.problems]


class VerificationError(Exception):
    """The generated module runs but fails a check (script, trace, compile or export)."""

    def __init__(self, report):
        self.report = report
        super().__init__("; ".join(c.line() for c in report.checks if c.status == "failed"))
