"""The black settings a generated file is formatted with: those black itself would use for the
output path, so a black (or ``ruff format``) hook beside ours never re-wraps what we wrote.

- The project's black configuration, found and read by black's own functions
  (``find_pyproject_toml``, ``parse_pyproject_toml``): line length, target versions (given, or
  inferred from ``requires-python`` as black does), magic trailing comma, string normalization,
  preview/unstable features.
- No ``[tool.black]`` table: ruff's formatter settings from the nearest ruff configuration
  (``.ruff.toml``, ``ruff.toml``, or a ``pyproject.toml`` with ``[tool.ruff]``), as ruff looks
  them up: ``line-length``, ``format.skip-magic-trailing-comma`` and
  ``format.quote-style = "preserve"``. ruff's other formatter options have no black equivalent
  and are not read; ``ruff format`` agrees with black on the code we generate.
- Neither: black's defaults (88 columns).
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    mode: object  # black.Mode
    source: str  # where the settings came from, for -v: "pyproject.toml [tool.black]", ...


class SettingsError(Exception):
    pass


def for_output(path: str | Path) -> Settings:
    """The settings for a file written at ``path`` (which need not exist yet)."""
    return _for_directory(Path(path).resolve().parent)


def clear_cache() -> None:
    """Forget the settings read so far: ours, and black's own caches of what it read (it
    reads a configuration file once per process)."""
    import black.files

    _for_directory.cache_clear()
    _black_config.cache_clear()
    for name in ("_load_toml", "_find_project_root_cached", "find_user_pyproject_toml"):
        getattr(getattr(black.files, name, None), "cache_clear", lambda: None)()


@functools.lru_cache(maxsize=64)
def _for_directory(directory: Path) -> Settings:
    import black

    found = black.find_pyproject_toml((str(directory / "__torcharc_gen__.py"),))
    config, has_black_table = _black_config(found) if found else ({}, False)
    if has_black_table:
        return Settings(_mode(config, found), f"{found} [tool.black]")
    ruff = _ruff_settings(directory)
    if ruff is not None:
        ruff_config, ruff_path = ruff
        inferred = {k: v for k, v in config.items() if k == "target_version"}
        return Settings(_mode({**inferred, **ruff_config}, ruff_path), f"{ruff_path} (ruff)")
    where = f"{found} (no [tool.black])" if found and config else "black's defaults"
    return Settings(_mode(config, where), where)


@functools.lru_cache(maxsize=16)
def _black_config(found: str) -> tuple[dict, bool]:
    """(black's configuration keys, whether the file has a [tool.black] table)."""
    import black

    has_black_table = "black" in _read_toml(Path(found)).get("tool", {})
    try:
        return black.parse_pyproject_toml(found), has_black_table
    except (OSError, ValueError) as e:
        raise SettingsError(f"{found}: can't read black's settings: {e}") from None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SettingsError(f"{path}: can't read the formatter settings: {e}") from None


def _ruff_settings(directory: Path) -> tuple[dict, str] | None:
    """black-style settings from the closest ruff configuration above ``directory``."""
    for folder in [directory, *directory.parents]:
        for name in (".ruff.toml", "ruff.toml", "pyproject.toml"):
            path = folder / name
            if not path.is_file():
                continue
            table = _read_toml(path)
            if name == "pyproject.toml":
                if "ruff" not in table.get("tool", {}):
                    continue
                table = table["tool"]["ruff"]
            config: dict = {}
            if "line-length" in table:
                config["line_length"] = table["line-length"]
            fmt = table.get("format", {})
            if fmt.get("skip-magic-trailing-comma"):
                config["skip_magic_trailing_comma"] = True
            if fmt.get("quote-style") == "preserve":
                config["skip_string_normalization"] = True
            return config, str(path)
    return None


def _mode(config: dict, where: str):
    """black.Mode from configuration keys, as black's own ``main`` builds it."""
    import black

    try:
        versions = {black.TargetVersion[v.upper()] for v in config.get("target_version", [])}
        features = {black.Preview[f] for f in config.get("enable_unstable_feature", [])}
        line_length = int(config.get("line_length", black.DEFAULT_LINE_LENGTH))
    except (KeyError, ValueError, TypeError) as e:
        raise SettingsError(f"{where}: black can't use this setting: {e}") from None
    options = {
        "target_versions": versions,
        "line_length": line_length,
        "string_normalization": not config.get("skip_string_normalization", False),
        "magic_trailing_comma": not config.get("skip_magic_trailing_comma", False),
        "preview": bool(config.get("preview", False)),
        "unstable": bool(config.get("unstable", False)),
        "enabled_features": features,
    }
    # an older black's Mode has fewer fields (`unstable` and `enabled_features` came in 24.1):
    # pass what it has, and refuse a setting it can't honour
    fields = set(getattr(black.Mode, "__dataclass_fields__", options))
    missing = [k for k, v in options.items() if k not in fields and v]
    if missing:
        raise SettingsError(f"{where}: black {black.__version__} has no {', '.join(missing)}")
    return black.Mode(**{k: v for k, v in options.items() if k in fields})


def describe(mode) -> str:
    """The settings that differ from black's defaults, as black's command-line flags
    (``-l 100 -t py310+ -C``); '' for the defaults. Recorded in the generated file's version
    line, so a change of settings makes the file's fast "already current" check fail."""
    if mode is None:
        return ""
    import black

    flags = []
    if mode.line_length != black.DEFAULT_LINE_LENGTH:
        flags.append(f"-l {mode.line_length}")
    if mode.target_versions:
        flags.append(f"-t {_versions(mode.target_versions)}")
    if not mode.magic_trailing_comma:
        flags.append("-C")
    if not mode.string_normalization:
        flags.append("-S")
    if mode.preview:
        flags.append("--preview")
    if getattr(mode, "unstable", False):
        flags.append("--unstable")
    features = sorted(getattr(mode, "enabled_features", ()), key=str)
    flags += [f"--enable-unstable-feature {f.name}" for f in features]
    return " ".join(flags)


def _versions(targets) -> str:
    """py310+ when the set is every version from the oldest on, else py38,py310."""
    import black

    ordered = sorted(targets, key=lambda v: v.value)
    newer = [v for v in black.TargetVersion if v.value >= ordered[0].value]
    if ordered == sorted(newer, key=lambda v: v.value) and len(ordered) > 1:
        return ordered[0].name.lower() + "+"
    return ",".join(v.name.lower() for v in ordered)
