"""Where the templates, the schema and the example specs are.

In a wheel they ship inside the package (see ``force-include`` in pyproject.toml); in a source
checkout or an editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(inside: str, top: str) -> Path:
    installed = _PACKAGE / inside
    return installed if installed.is_dir() else _PACKAGE.parent / top


TEMPLATE_DIR = _find("templates", "templates")
SCHEMA_DIR = _find("schema", "schema")
SCHEMA_PATH = SCHEMA_DIR / "torcharc.schema.json"
SPEC_DIR = _find("examples", "generated_examples")
