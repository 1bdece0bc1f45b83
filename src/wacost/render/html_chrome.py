"""The HTML page's chrome and building blocks: colours, the inline style sheet, escaping, tables,
inline SVG bar charts, progress bars and status badges. Used by the estimate page
(`render.html`) and the reconciliation page (`render.reconcile`); nothing here loads anything.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from wacost.models import format_money
from wacost.render.common import (
    STATUS_TEXT,
    percent_text,
    share,
    warned_at,
)
from wacost.report.codec import number_text
from wacost.report.model import LimitResult

# One colour per chart, so a screenshot test can find each chart's bars.
BAR_COLOURS = {"category": "#25d366", "market": "#34b7f1", "template": "#7b61ff"}
TRACK_COLOUR = "#eef1f4"
STATUS_COLOURS = {"ok": "#1e8e3e", "warning": "#e37400", "broken": "#d93025"}

_CSS = """
:root { color-scheme: light; --ink: #1d2329; --muted: #5f6b76; --line: #dde3e8; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
.sub { color: var(--muted); margin: 0 0 20px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
  margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; background: none; border: 0; padding: 0; }
.card { flex: 1 1 150px; background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 12px 16px; }
.card .k { display: block; color: var(--muted); font-size: 13px; }
.card .v { display: block; font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card.total { flex: 2 1 240px; }
.card.status-ok, .card.status-warning, .card.status-broken { flex: 1.6 1 190px; }
.card.total .v { color: #0b7a3b; }
.verdict { font-size: 18px; margin: 0 0 16px; }
.verdict.status-ok { color: #1e8e3e; } .verdict.status-warning { color: #b06000; }
.verdict.status-broken { color: #d93025; }
.status-ok .v { color: #1e8e3e; } .status-warning .v { color: #b06000; } .status-broken .v { color: #d93025; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap; }
tr.total td { font-weight: 650; border-top: 2px solid var(--line); border-bottom: 0; }
svg.chart { display: block; width: 100%; max-width: 900px; height: auto; margin: 0 0 14px; }
svg.chart text { font: 13px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
svg.chart text.value { fill: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; color: #fff; font-size: 12px;
  font-weight: 600; }
ul.warnings { margin: 0; padding-left: 20px; } ul.warnings li { margin: 0 0 8px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg);
  padding: 1px 4px; border-radius: 4px; }
footer { color: var(--muted); font-size: 13px; }
footer a { color: inherit; }
@media print { body { background: #fff; } section, .card { break-inside: avoid; } }
"""


def page(title: str, body: list[str]) -> str:
    """A self-contained HTML page: the one head every wacost page has (inline style sheet, a
    content policy that loads nothing), then `body`'s non-empty parts, a line each."""
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        (
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; img-src data:\">"
        ),
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        *body,
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else _e(value)


def _bar_chart(
    title: str, rows: list[tuple[str, Decimal]], total: Decimal, currency: str, colour: str
) -> str:
    """Horizontal bars, one per (label, cost) row, each as long as its share of `total`
    (amounts rounded by the one rule, as the tables show them)."""
    label_w, bar_w, row_h, width = 220, 440, 26, 900
    height = row_h * len(rows) + 8
    out = [
        (
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>'
        )
    ]
    for i, (label, cost) in enumerate(rows):
        y = 4 + i * row_h
        fraction = share(cost, total) or Decimal(0)
        length = int((fraction * bar_w).to_integral_value())
        if length == 0 and fraction > 0:
            length = 1
        shown = label if len(label) <= 30 else label[:29] + "…"
        out.append(
            f'<text x="{label_w - 10}" y="{y + 17}" text-anchor="end">{_e(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" rx="3" fill="{TRACK_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="18" rx="3" fill="{colour}"/>'
            f'<text class="value" x="{label_w + bar_w + 10}" y="{y + 17}">{_e(format_money(cost))} {_e(currency)} · '
            f"{_e(percent_text(share(cost, total)) or '–')}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _table(
    headers: list[tuple[str, bool]], rows: list[list[str]], total: list[str] | None = None
) -> str:
    """A table; each header is (text, numeric); cells are already escaped."""
    head = "".join(f'<th class="n">{h}</th>' if n else f"<th>{h}</th>" for h, n in headers)
    body = []
    for row in rows + ([total] if total else []):
        cells = "".join(
            f'<td class="n">{c}</td>' if n else f"<td>{c}</td>" for c, (_, n) in zip(row, headers)
        )
        body.append(f'<tr class="total">{cells}</tr>' if row is total else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _progress(percent: Decimal | None, status: str) -> str:
    if percent is None:
        return "–"
    fill = min(percent, Decimal(100)) * Decimal("1.2")
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["ok"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="10" viewBox="0 0 120 10" '
        f'aria-hidden="true" style="vertical-align: middle; margin-right: 8px">'
        f'<rect width="120" height="10" rx="5" fill="{TRACK_COLOUR}"/>'
        f'<rect width="{fill:.1f}" height="10" rx="5" fill="{colour}"/></svg>{_e(number_text(percent))}%'
    )


def _badge(row: LimitResult) -> str:
    text = STATUS_TEXT.get(row.status, row.status) + warned_at(row)
    colour = STATUS_COLOURS.get(row.status, STATUS_COLOURS["ok"])
    return f'<span class="badge" style="background: {colour}">{_e(text)}</span>'
