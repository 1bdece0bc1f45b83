"""A reconciliation (`wacost.reconcile/1`) as a table, JSON, Markdown or one HTML page.

Pure functions of the report dict, escaped like the estimate's renderers: Markdown cells through
the same cell escaper, every HTML value through `html.escape`, and the page loads nothing.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from wacost.render.common import signed
from wacost.render.html_chrome import _e, _int, page
from wacost.render.html_chrome import _table as _html_table
from wacost.render.markdown import _table as _md_table

FORMATS = ("table", "json", "markdown", "html")
MARKER = "<!-- wacost:reconcile -->"
_WIDTH = 100


def _headline(report: dict[str, Any]) -> str:
    totals = report["totals"]
    cur = report["currency"]
    percent = totals.get("difference_percent")
    share = f" ({signed(percent)}%)" if percent is not None else ""
    return (
        f"Estimated {totals['estimated_cost']} {cur}, billed {totals['actual_cost']} {cur}: "
        f"{signed(totals['difference'])} {cur}{share}"
    )


def _period(report: dict[str, Any]) -> str:
    estimate, actual = report["estimate"], report["actual"]
    when = (
        f"billed {actual['start']} to {actual['end']}"
        if actual.get("start") and actual.get("end")
        else "billed (no dates in the input)"
    )
    card = f", card {estimate['rate_card']}" if estimate.get("rate_card") else ""
    return f"Estimate for {estimate['date']}{card}; {when}."


def _tolerance(report: dict[str, Any]) -> str | None:
    tol = report.get("tolerance")
    if not tol:
        return None
    verdict = "more than" if tol.get("exceeded") else "within"
    return f"Tolerance: the bill is {verdict} {tol['percent']}% of the estimate."


def _row_cells(row: dict[str, Any]) -> list[object]:
    return [
        row["market"],
        row["category"],
        row["estimated_messages"],
        row["actual_messages"],
        row["estimated_cost"],
        row["actual_cost"],
        signed(row["difference"]),
    ]


def _total_cells(report: dict[str, Any]) -> list[object]:
    totals = report["totals"]
    return [
        "Total",
        "",
        report["estimate"].get("messages", ""),
        report["actual"]["messages"],
        totals["estimated_cost"],
        totals["actual_cost"],
        signed(totals["difference"]),
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


def render_reconcile_table(report: dict[str, Any]) -> str:
    cur = report["currency"]
    parts: list[Any] = [Text(_headline(report), style="bold"), Text(_period(report))]
    tolerance = _tolerance(report)
    if tolerance:
        parts.append(Text(tolerance, style="bold red" if report["tolerance"]["exceeded"] else ""))
    findings = Table(title="Why they differ", title_justify="left")
    findings.add_column("Finding")
    findings.add_column(f"Cost ({cur})", justify="right", no_wrap=True)
    findings.add_column("Explanation")
    for f in report["findings"]:
        findings.add_row(f["code"], signed(f["cost"]), f["message"])
    rows = Table(title="By market and category", title_justify="left")
    for i, head in enumerate(_heads(cur)):
        rows.add_column(head, justify="left" if i < 2 else "right", no_wrap=i >= 2)
    for row in report["rows"]:
        rows.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in _row_cells(row)))
    rows.add_section()
    rows.add_row(
        *(f"{v:,}" if isinstance(v, int) else str(v) for v in _total_cells(report)), style="bold"
    )
    rates = Table(title="Delivery rates", title_justify="left")
    rates.add_column("Market")
    rates.add_column("Delivered ÷ planned", justify="right")
    for item in report["delivery_rates"]:
        rates.add_row(item["market"], item["rate"])
    parts += [Text(""), findings if report["findings"] else Text("No difference to explain.")]
    parts += [Text(""), rows, Text(""), rates]
    buffer = io.StringIO()
    console = Console(file=buffer, width=_WIDTH, color_system=None, force_terminal=False)
    console.print(Group(*parts))
    return buffer.getvalue()


def render_reconcile_markdown(report: dict[str, Any]) -> str:
    cur = report["currency"]
    lines = [MARKER, "## WhatsApp bill vs estimate", "", f"**{_headline(report)}**", ""]
    lines += [_period(report), ""]
    tolerance = _tolerance(report)
    if tolerance:
        lines += [("❌ " if report["tolerance"]["exceeded"] else "✅ ") + tolerance, ""]
    if report["findings"]:
        lines += ["### Why they differ", ""]
        lines += _md_table(
            ["Finding", f"Cost ({cur})", "Explanation"],
            [[f["code"], signed(f["cost"]), f["message"]] for f in report["findings"]],
            "lrl",
        )
        lines += [""]
    lines += ["### By market and category", ""]
    lines += _md_table(
        _heads(cur),
        [_row_cells(r) for r in report["rows"]] + [_total_cells(report)],
        "llrrrrr",
    )
    lines += ["", "### Delivery rates", ""]
    lines += _md_table(
        ["Market", "Delivered ÷ planned"],
        [[d["market"], d["rate"]] for d in report["delivery_rates"]],
        "lr",
    )
    return "\n".join(lines) + "\n"


def render_reconcile_html(report: dict[str, Any]) -> str:
    cur = report["currency"]

    def cells(values: list[object]) -> list[str]:
        return [_int(v) if isinstance(v, int) else _e(v) for v in values]

    numeric = [False, False, True, True, True, True, True]
    table = _html_table(
        [(_e(h), n) for h, n in zip(_heads(cur), numeric)],
        [cells(_row_cells(r)) for r in report["rows"]],
        cells(_total_cells(report)),
    )
    findings = (
        _html_table(
            [("Finding", False), (f"Cost ({_e(cur)})", True), ("Explanation", False)],
            [
                [f"<code>{_e(f['code'])}</code>", _e(signed(f["cost"])), _e(f["message"])]
                for f in report["findings"]
            ],
        )
        if report["findings"]
        else "<p>No difference to explain.</p>"
    )
    rates = _html_table(
        [("Market", False), ("Delivered ÷ planned", True)],
        [[_e(d["market"]), _e(d["rate"])] for d in report["delivery_rates"]],
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
            f"<footer><p>Report <code>{_e(report.get('schema'))}</code>, made by wacost.</p></footer>",
        ],
    )


def render_reconcile_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {
    "table": render_reconcile_table,
    "json": render_reconcile_json,
    "markdown": render_reconcile_markdown,
    "html": render_reconcile_html,
}


def render_reconcile(report: dict[str, Any], fmt: str) -> str:
    """`report` in format `fmt` (table, json, markdown or html)."""
    return RENDERERS[fmt](report)
