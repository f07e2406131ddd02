"""``python -m torcharc_codegen.views.published_schema``: regenerate the published schema
(schema/) and the class table beside it from the installed torch."""

from __future__ import annotations

from ..grammar.schema import CLASS_TABLE_PATH, SCHEMA_PATH
from ..grammar.schema_gen import build_class_table, build_schema, render_schema
from ..output.write import write_atomic


def main() -> None:
    write_atomic(SCHEMA_PATH, render_schema(build_schema()))
    write_atomic(CLASS_TABLE_PATH, render_schema(build_class_table()))
    print(f"wrote {SCHEMA_PATH} and {CLASS_TABLE_PATH}")


if __name__ == "__main__":
    main()
