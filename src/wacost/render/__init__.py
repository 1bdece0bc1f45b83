"""Report renderers: each a pure function of the canonical report dict, returning text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wacost.render.csv import render_csv
from wacost.render.json import render_json
from wacost.render.markdown import render_markdown
from wacost.render.table import render_table

Renderer = Callable[[dict[str, Any]], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}

__all__ = ["RENDERERS", "Renderer", "render_csv", "render_json", "render_markdown", "render_table"]
