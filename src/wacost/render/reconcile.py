"""A reconciliation (`wacost.reconcile/1`) as a table, JSON, Markdown or one HTML page.

Pure functions of the typed `Reconciliation` (amounts rounded here, by the one rule), escaped like the estimate's renderers: Markdown cells through
the same cell escaper, every HTML value through `html.escape`, and the page loads nothing.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from wacost.models import format_money
from wacost.reconcile.model import SCHEMA, ReconcileRow, Reconciliation, format_rate
from wacost.render.common import signed, signed_money
from wacost.render.html_chrome import _e, _int, page
from wacost.render.html_chrome import _table as _html_table
from wacost.render.markdown import _table as _md_table

FORMATS = ("table", "json", "markdown", "html")
MARKER = "<!-- wacost:reconcile -->"
_WIDTH = 100


def _headline(report: Reconciliation) -> str:
    cur = report.currency
    percent = report.difference_percent
    share = f" ({signed(str(percent))}%)" if percent is not None else ""
    return (
        f"Estimated {format_money(report.estimated_cost)} {cur}, "
        f"billed {format_money(report.actual_cost)} {cur}: "
        f"{signed_money(report.difference)} {cur}{share}"
    )


def _period(report: Reconciliation) -> str:
    when = (
        f"billed {report.start.isoformat()} to {report.end.isoformat()}"
        if report.start and report.end
        else "billed (no dates in the input)"
    )
    return f"Estimate for {report.estimate_date.isoformat()}, card {report.rate_card.isoformat()}; {when}."


def _tolerance(report: Reconciliation) -> str | None:
    if report.tolerance is None:
        return None
    verdict = "more than" if report.over_tolerance else "within"
    return f"Tolerance: the bill is {verdict} {report.tolerance}% of the estimate."


def _row_cells(row: ReconcileRow) -> list[object]:
    return [
        row.market,
        row.category,
        row.estimated_messages,
        row.actual_messages,
        format_money(row.estimated_cost),
        format_money(row.actual_cost),
        signed_money(row.difference),
    ]


def _total_cells(report: Reconciliation) -> list[object]:
    return [
        "Total",
        "",
        report.estimated_messages,
        report.actual_messages,
        format_money(report.estimated_cost),
        format_money(report.actual_cost),
        signed_money(report.difference),
    ]


def _heads(cur: str) -> list[str]:
    return [
        "Market",
        "Category",
        "Planned",
        "Billed",
        f"Estimated ({cur})",
        f"Billed ({cur})",
        "Difference",
    ]


def render_reconcile_table(report: Reconciliation) -> str:
    cur = report.currency
    parts: list[Any] = [Text(_headline(report), style="bold"), Text(_period(report))]
    tolerance = _tolerance(report)
    if tolerance:
        parts.append(Text(tolerance, style="bold red" if report.over_tolerance else ""))
    findings = Table(title="Why they differ", title_justify="left")
    findings.add_column("Finding")
    findings.add_column(f"Cost ({cur})", justify="right", no_wrap=True)
    findings.add_column("Explanation")
    for f in report.findings:
        findings.add_row(f.code, signed_money(f.cost), f.message)
    rows = Table(title="By market and category", title_justify="left")
    for i, head in enumerate(_heads(cur)):
        rows.add_column(head, justify="left" if i < 2 else "right", no_wrap=i >= 2)
    for row in report.rows:
        rows.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in _row_cells(row)))
    rows.add_section()
    rows.add_row(
        *(f"{v:,}" if isinstance(v, int) else str(v) for v in _total_cells(report)), style="bold"
    )
    rates = Table(title="Delivery rates", title_justify="left")
    rates.add_column("Market")
    rates.add_column("Delivered ÷ planned", justify="right")
    for item in report.delivery_rates:
        rates.add_row(item.market, format_rate(item.rate))
    parts += [Text(""), findings if report.findings else Text("No difference to explain.")]
    parts += [Text(""), rows, Text(""), rates]
    buffer = io.StringIO()
    console = Console(file=buffer, width=_WIDTH, color_system=None, force_terminal=False)
    console.print(Group(*parts))
    return buffer.getvalue()


def render_reconcile_markdown(report: Reconciliation) -> str:
    cur = report.currency
    lines = [MARKER, "## WhatsApp bill vs estimate", "", f"**{_headline(report)}**", ""]
    lines += [_period(report), ""]
    tolerance = _tolerance(report)
    if tolerance:
        lines += [("❌ " if report.over_tolerance else "✅ ") + tolerance, ""]
    if report.findings:
        lines += ["### Why they differ", ""]
        lines += _md_table(
            ["Finding", f"Cost ({cur})", "Explanation"],
            [[f.code, signed_money(f.cost), f.message] for f in report.findings],
            "lrl",
        )
        lines += [""]
    lines += ["### By market and category", ""]
    lines += _md_table(
        _heads(cur),
        [_row_cells(r) for r in report.rows] + [_total_cells(report)],
        "llrrrrr",
    )
    lines += ["", "### Delivery rates", ""]
    lines += _md_table(
        ["Market", "Delivered ÷ planned"],
        [[d.market, format_rate(d.rate)] for d in report.delivery_rates],
        "lr",
    )
    return "\n".join(lines) + "\n"


def render_reconcile_html(report: Reconciliation) -> str:
    cur = report.currency

    def cells(values: list[object]) -> list[str]:
        return [_int(v) if isinstance(v, int) else _e(v) for v in values]

    numeric = [False, False, True, True, True, True, True]
    table = _html_table(
        [(_e(h), n) for h, n in zip(_heads(cur), numeric)],
        [cells(_row_cells(r)) for r in report.rows],
        cells(_total_cells(report)),
    )
    findings = (
        _html_table(
            [("Finding", False), (f"Cost ({_e(cur)})", True), ("Explanation", False)],
            [
                [f"<code>{_e(f.code)}</code>", _e(signed_money(f.cost)), _e(f.message)]
                for f in report.findings
            ],
        )
        if report.findings
        else "<p>No difference to explain.</p>"
    )
    rates = _html_table(
        [("Market", False), ("Delivered ÷ planned", True)],
        [[_e(d.market), _e(format_rate(d.rate))] for d in report.delivery_rates],
    )
    tolerance = _tolerance(report)
    return page(
        _headline(report),
        [
            "<h1>WhatsApp bill vs estimate</h1>",
            f'<p class="sub">{_e(_period(report))}</p>',
            f"<section><p><strong>{_e(_headline(report))}</strong></p>"
            + (f"<p>{_e(tolerance)}</p>" if tolerance else "")
            + "</section>",
            f'<section id="findings"><h2>Why they differ</h2>{findings}</section>',
            f'<section id="rows"><h2>By market and category</h2>{table}</section>',
            f'<section id="delivery-rates"><h2>Delivery rates</h2>{rates}</section>',
            f"<footer><p>Report <code>{_e(SCHEMA)}</code>, made by wacost.</p></footer>",
        ],
    )


def render_reconcile_json(report: Reconciliation) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "table": render_reconcile_table,
    "json": render_reconcile_json,
    "markdown": render_reconcile_markdown,
    "html": render_reconcile_html,
}


def render_reconcile(report: Reconciliation, fmt: str) -> str:
    """`report` in format `fmt` (table, json, markdown or html)."""
    return RENDERERS[fmt](report)
