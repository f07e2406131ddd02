"""``[tool.torcharc-gen]`` in pyproject.toml: defaults for the command line.

```toml
[tool.torcharc-gen]
specs = "specs"            # the spec directory (or file) used when none is given
output = "generated"       # where the mirrored .py files go
class-name-style = "pascal"  # my_model.py -> MyModel; "stem" keeps my_model
imports = ["mypkg"]        # packages whose classes specs may name by import path
require = ["script"]       # checks that must pass even where torch itself can't do them
numeric-budget = "4GB"     # parameters up to this are checked with real weights (default 1GB)
```
Paths are relative to the pyproject.toml's directory.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..check import budget
from ..spec.literals import pascal_case

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = {"specs", "output", "class-name-style", "imports", "require", "numeric-budget"}
CHECKS = ("script", "trace", "compile", "export")  # verify.CHECKS, without importing it
STYLES = ("pascal", "stem")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    specs: Path | None = None
    output: Path | None = None
    style: str = "pascal"
    imports: tuple[str, ...] = field(default_factory=tuple)
    require: tuple[str, ...] = field(default_factory=tuple)
    numeric_budget: int | None = None  # bytes; None: budget.DEFAULT

    def class_name(self, stem: str) -> str:
        return stem if self.style == "stem" else pascal_case(stem)


def find_pyproject(start: Path) -> Path | None:
    for folder in [start, *start.resolve().parents]:
        if (folder / "pyproject.toml").is_file():
            return folder / "pyproject.toml"
    return None


def load_config(start: Path) -> Config:
    path = find_pyproject(start)
    if path is None:
        return Config()
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f).get("tool", {}).get("torcharc-gen", {})
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: can't read [tool.torcharc-gen]: {e}") from None
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(
            f"{path}: [tool.torcharc-gen] has unknown key(s) "
            f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(KEYS))}"
        )
    style = table.get("class-name-style", "pascal")
    if style not in STYLES:
        raise ConfigError(f"{path}: class-name-style must be one of {', '.join(STYLES)}")
    imports = table.get("imports", [])
    if not (isinstance(imports, list) and all(isinstance(i, str) for i in imports)):
        raise ConfigError(f"{path}: imports must be a list of package names")
    require = table.get("require", [])
    if not (isinstance(require, list) and all(r in CHECKS for r in require)):
        raise ConfigError(
            f"{path}: require must be a list of checks, each one of {', '.join(CHECKS)}"
        )
    numeric_budget = None
    if "numeric-budget" in table:
        try:
            numeric_budget = budget.parse(table["numeric-budget"])
        except ValueError as e:
            raise ConfigError(f"{path}: numeric-budget: {e}") from None

    def resolve(key: str) -> Path | None:
        """Relative to the pyproject's directory, shown relative to where we run."""
        if key not in table:
            return None
        full = (path.parent / table[key]).resolve()
        try:
            return full.relative_to(start.resolve())
        except ValueError:
            return full

    return Config(
        specs=resolve("specs"),
        output=resolve("output"),
        style=style,
        imports=tuple(imports),
        require=tuple(require),
        numeric_budget=numeric_budget,
    )
