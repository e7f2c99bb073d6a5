"""The Jinja templates of ``instructerc_hf/cards/templates``, shared by the dataset card and the model card."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def render_template(name: str, context: dict[str, Any]) -> str:
    """Render ``templates/<name>`` with ``context``; an undefined variable is an error."""
    env = Environment(loader=PackageLoader("instructerc_hf.cards", "templates"), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    return env.get_template(name).render(**context)
