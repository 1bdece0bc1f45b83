"""Report renderers: each a pure function of the typed estimate, returning text."""

from __future__ import annotations

from collections.abc import Callable

from wacost.render.common import VIEWS
from wacost.render.csv import render_csv
from wacost.render.html import render_html
from wacost.render.json import render_json
from wacost.render.markdown import render_markdown
from wacost.render.table import render_table, render_total
from wacost.report.model import Estimate

Renderer = Callable[[Estimate], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
    "html": render_html,
}

# The formats that show breakdowns as tables people read; `--by` picks which (JSON and CSV hold all).
VIEW_RENDERERS: dict[str, Callable[..., str]] = {
    "table": render_table,
    "markdown": render_markdown,
    "html": render_html,
}


def render_report(report: Estimate, fmt: str, by: str | None = None) -> str:
    """`report` in format `fmt`; `by` (category, market or template) shows only that breakdown."""
    if by is None:
        return RENDERERS[fmt](report)
    if by not in VIEWS:
        raise ValueError(f"unknown view {by!r}")
    return VIEW_RENDERERS[fmt](report, views=(by,))


__all__ = [
    "RENDERERS",
    "VIEWS",
    "VIEW_RENDERERS",
    "Renderer",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_report",
    "render_table",
    "render_total",
]
