"""The Jinja templates of templates/: the model file and the helper classes."""

from __future__ import annotations

import functools

import jinja2

from ..resources import TEMPLATE_DIR


@functools.lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render(template: str, **values) -> str:
    return templates().get_template(template).render(**values)


def render_model(parts: dict) -> str:
    """The model file, unformatted, from what emit.draft gathered."""
    return render("model.py.j2", **parts)
