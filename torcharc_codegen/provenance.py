"""Where a generated file came from: the header's markers, the tool versions that shaped it,
and the command that regenerates it. Light on purpose (no torch, black, jinja2 or jsonschema
import): the "already current" fast path of generation and ``--check`` reads only this."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path

from .black_settings import describe
from .literals import pascal_case
from .version import __version__

VERSION_PREFIX = "# torcharc-gen "
CODE_HASH = "code sha256 "
COMMAND_INDENT = "  "  # the regenerate command's own header line: "#   torcharc-gen ..."


def versions(mode=None) -> str:
    """This tool's version and those that shape its output (torch, black, and black's settings
    when they aren't its defaults), read without importing them."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("torch", "black"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    if found and (settings := describe(mode)):
        found[-1] += f" {settings}"
    return f"{__version__} ({', '.join(found)})"


def command_for(
    spec: str | os.PathLike,
    output: str | os.PathLike,
    class_name: str | None,
    imports: Iterable[str] = (),
    params: Mapping[str, object] | list[str] | None = None,
) -> str:
    """The command that regenerates ``output``, run in its directory (so the text doesn't
    depend on the working directory). ``--class-name`` appears when it isn't the default;
    ``--param`` for each parameter default given instead of the spec's."""
    out = Path(output)
    rel = Path(os.path.relpath(Path(spec).resolve(), out.resolve().parent)).as_posix()
    command = f"torcharc-gen {shlex.quote(rel)} -o {shlex.quote(out.name)}"
    if class_name and class_name != pascal_case(out.stem):
        command += f" --class-name {class_name}"
    command += "".join(f" --import {shlex.quote(p)}" for p in imports)
    if isinstance(params, Mapping):
        params = [f"{k}={v}" for k, v in params.items()]
    return command + "".join(f" --param {shlex.quote(p)}" for p in params or ())
