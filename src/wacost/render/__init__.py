"""Report renderers: each a pure function of the typed estimate, returning text."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from wacost.models import exact_money
from wacost.render.common import VIEWS, printable_estimate
from wacost.report.model import Estimate

Renderer = Callable[[Estimate], str]

# Each format's renderer, imported when that format is asked for (the table's pulls in rich;
# a JSON report needs none of the others).
_HOMES: dict[str, tuple[str, str]] = {
    "table": ("table", "render_table"),
    "json": ("json", "render_json"),
    "csv": ("csv", "render_csv"),
    "markdown": ("markdown", "render_markdown"),
    "html": ("html", "render_html"),
}
# The formats that show breakdowns as tables people read; `--by` picks which (JSON and CSV hold all).
VIEW_FORMATS = ("table", "markdown", "html")
# Formats that are files, not text: bytes.
_BINARY_HOMES: dict[str, tuple[str, str]] = {"xlsx": ("xlsx", "render_xlsx")}
_FUNCTIONS = {name: module for module, name in [*_HOMES.values(), *_BINARY_HOMES.values()]}
_FUNCTIONS["render_total"] = "table"


def _renderer(homes: dict[str, tuple[str, str]], fmt: str) -> Callable[..., Any]:
    module, name = homes[fmt]
    function: Callable[..., Any] = getattr(import_module(f"wacost.render.{module}"), name)
    return function


@exact_money
def render_report(report: Estimate, fmt: str, by: str | None = None) -> str | bytes:
    """`report` in format `fmt`; `by` (category, market or template) shows only that breakdown.

    Names come from input files: control characters in them are written out first (an ANSI
    escape in a template name never reaches a terminal), in every format.
    """
    report = printable_estimate(report)
    if fmt in _BINARY_HOMES:
        data: bytes = _renderer(_BINARY_HOMES, fmt)(report)
        return data
    if by is None:
        text: str = _renderer(_HOMES, fmt)(report)
        return text
    if by not in VIEWS:
        raise ValueError(f"unknown view {by!r}")
    if fmt not in VIEW_FORMATS:
        raise KeyError(fmt)
    text = _renderer(_HOMES, fmt)(report, views=(by,))
    return text


def __getattr__(name: str) -> Any:
    """The renderers by name, and the tables of them, imported on first use."""
    if name == "RENDERERS":
        return {fmt: _renderer(_HOMES, fmt) for fmt in _HOMES}
    if name == "VIEW_RENDERERS":
        return {fmt: _renderer(_HOMES, fmt) for fmt in VIEW_FORMATS}
    if name == "BINARY_RENDERERS":
        return {fmt: _renderer(_BINARY_HOMES, fmt) for fmt in _BINARY_HOMES}
    if name in _FUNCTIONS:
        return getattr(import_module(f"wacost.render.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BINARY_RENDERERS",
    "RENDERERS",
    "VIEWS",
    "VIEW_FORMATS",
    "VIEW_RENDERERS",
    "Renderer",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_report",
    "render_table",
    "render_total",
    "render_xlsx",
]
