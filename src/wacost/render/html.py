"""The report as one self-contained HTML page: tables, inline SVG bar charts, warnings, rate card.

The page loads nothing: no scripts, fonts, style sheets or images from anywhere (a
Content-Security-Policy says so to the browser), so it can be mailed, attached to a CI run,
or opened offline. Every value from the report is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from wacost.render.common import (
    STATUS_TEXT,
    VIEW_TITLES,
    all_in,
    breakdown,
    check_views,
    comparison_rows,
    has_fees,
    limit_label,
    limit_rows,
    notes,
    overall_status,
    percent_text,
    share,
    signed,
    template_name,
)
from wacost.report.document import to_dict
from wacost.report.model import Estimate

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


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _int(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else _e(value)


def _bar_chart(
    title: str, rows: list[tuple[str, str]], total: str, currency: str, colour: str
) -> str:
    """Horizontal bars, one per (label, cost) row, each as long as its share of `total`."""
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
            f'<text class="value" x="{label_w + bar_w + 10}" y="{y + 17}">{_e(cost)} {_e(currency)} · '
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


def _breakdown(report: dict[str, Any], view: str) -> str:
    cur = _e(report["currency"])
    totals = report["totals"]
    rows = breakdown(report, view)
    fees = has_fees(report)
    labels = [
        (f"{template_name(r)} ({r['language']})" if r.get("language") else template_name(r))
        if view == "template"
        else str(r[view])
        for r in rows
    ]
    chart = _bar_chart(
        f"Cost {VIEW_TITLES[view].lower()}",
        list(zip(labels, (all_in(r) for r in rows))),
        all_in(totals),
        report["currency"],
        BAR_COLOURS[view],
    )
    money_heads = (
        [(f"Meta ({cur})", True), (f"Fees ({cur})", True), (f"Total ({cur})", True)]
        if fees
        else [(f"Cost ({cur})", True)]
    )

    def money(row: dict[str, Any]) -> list[str]:
        return (
            [_e(row["cost"]), _e(row.get("fees")), _e(all_in(row))] if fees else [_e(row["cost"])]
        )

    def pct(row: dict[str, Any]) -> str:
        return _e(percent_text(share(all_in(row), all_in(totals))))

    if view == "template":
        headers = [
            ("Template", False),
            ("Language", False),
            ("Category", False),
            ("Messages", True),
            *money_heads,
            ("Share", True),
        ]
        body = [
            [
                _e(template_name(r)),
                _e(r.get("language") or ""),
                _e(r["category"]),
                _int(r["messages"]),
                *money(r),
                pct(r),
            ]
            for r in rows
        ]
        total = ["Total", "", "", _int(totals["messages"]), *money(totals), ""]
    else:
        headers = [
            (view.capitalize(), False),
            ("Messages", True),
            ("Billable", True),
            *money_heads,
            ("Share", True),
        ]
        body = [
            [_e(r[view]), _int(r["messages"]), _int(r.get("billable_messages")), *money(r), pct(r)]
            for r in rows
        ]
        total = [
            "Total",
            _int(totals["messages"]),
            _int(totals["billable_messages"]),
            *money(totals),
            "",
        ]
    return (
        f'<section id="by-{view}"><h2>{_e(VIEW_TITLES[view])}</h2>{chart}'
        f"{_table(headers, body, total)}</section>"
    )


def _comparison(report: dict[str, Any]) -> str:
    comparison = report.get("comparison")
    if not comparison:
        return ""
    cur = _e(report["currency"])
    text = (
        f"<p>On the card in effect on {_e(comparison['date'])} (effective "
        f"{_e(comparison['rate_card']['effective_from'])}) the campaign costs "
        f"<strong>{_e(comparison['cost'])} {cur}</strong> ({_e(signed(comparison['difference']))} {cur}).</p>"
    )
    rows = comparison_rows(report)
    table = (
        _table(
            [
                ("Market", False),
                (f"Now ({cur})", True),
                (f"On {_e(comparison['date'])} ({cur})", True),
                ("Difference", True),
            ],
            [
                [_e(r["market"]), _e(r["cost"]), _e(r["compare_cost"]), _e(signed(r["difference"]))]
                for r in rows
            ],
        )
        if rows
        else ""
    )
    return f'<section id="comparison"><h2>Compared with {_e(comparison["date"])}</h2>{text}{table}</section>'


def _notes(report: dict[str, Any]) -> str:
    extra = notes(report)
    if not extra:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in extra)
    return f'<section id="notes"><h2>Notes</h2><ul class="warnings">{items}</ul></section>'


def _progress(percent: str | None, status: str) -> str:
    if percent is None:
        return "–"
    fill = min(Decimal(percent), Decimal(100)) * Decimal("1.2")
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["ok"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="10" viewBox="0 0 120 10" '
        f'aria-hidden="true" style="vertical-align: middle; margin-right: 8px">'
        f'<rect width="120" height="10" rx="5" fill="{TRACK_COLOUR}"/>'
        f'<rect width="{fill:.1f}" height="10" rx="5" fill="{colour}"/></svg>{_e(percent)}%'
    )


def _badge(status: str, warn_at: str | None = None) -> str:
    text = STATUS_TEXT.get(status, status)
    if status == "warning" and warn_at:
        text += f" (≥ {warn_at}%)"
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["ok"])
    return f'<span class="badge" style="background: {colour}">{_e(text)}</span>'


def _limits(report: dict[str, Any]) -> str:
    rows = limit_rows(report)
    if not rows:
        return ""
    cur = _e(report["currency"])
    policy = report.get("policy") or {}
    title = (
        "Budget policy" + (f" <code>{_e(policy['source'])}</code>" if policy.get("source") else "")
        if policy
        else "Budget"
    )
    body = [
        [
            _e(limit_label(r)),
            _e(r["limit"]),
            _e(r["used"]),
            _progress(r.get("percent"), r["status"]),
            _badge(r["status"], r.get("warn_at")),
        ]
        for r in rows
    ]
    table = _table(
        [
            ("Limit", False),
            (f"Limit ({cur})", True),
            (f"Used ({cur})", True),
            ("Used", False),
            ("Status", False),
        ],
        body,
    )
    return f'<section id="budget"><h2>{title}</h2>{table}</section>'


def _cards(report: dict[str, Any]) -> str:
    totals = report["totals"]
    cards = [
        ("total", "Estimated cost", f"{all_in(totals)} {report['currency']}"),
        ("", "Messages", f"{totals['messages']:,}"),
        ("", "Billable", f"{totals['billable_messages']:,}"),
    ]
    if has_fees(report):
        cards.insert(1, ("", "Meta + fees", f"{totals['cost']} + {totals.get('fees')}"))
    if isinstance(totals.get("free_messages"), int):
        cards.append(("", "Free", f"{totals['free_messages']:,}"))
    if totals.get("unbilled_messages"):
        cards.append(("", "Not billed", f"{totals['unbilled_messages']:,}"))
    status = overall_status(report)
    if status is not None:
        text = {"ok": "Within limits", "warning": "Near a limit", "broken": "Over limit"}[status]
        cards.append((f"status-{status}", "Budget", text))
    return (
        '<section class="cards">'
        + "".join(
            f'<div class="card {cls}"><span class="k">{_e(k)}</span><span class="v">{_e(v)}</span></div>'
            for cls, k, v in cards
        )
        + "</section>"
    )


def _risk(report: dict[str, Any]) -> str:
    risk = report.get("recategorization_risk") or {}
    if not risk.get("templates"):
        return ""
    cur = _e(report["currency"])
    table = _table(
        [("Template", False), ("Messages", True), (f"Extra cost ({cur})", True)],
        [[_e(t["template"]), _int(t["messages"]), _e(t["extra_cost"])] for t in risk["templates"]],
    )
    return (
        f'<section id="risk"><h2>Recategorization risk</h2><p>If Meta moves these utility templates '
        f"to marketing, the campaign costs <strong>{_e(risk['extra_cost'])} {cur}</strong> more.</p>"
        f"{table}</section>"
    )


def _warnings(report: dict[str, Any]) -> str:
    warnings = report.get("warnings") or []
    if not warnings:
        return ""
    items = "".join(
        f"<li><code>{_e(w['code'])}</code> <strong>{_int(w['count'])} messages</strong>: {_e(w['message'])}"
        + (f" (e.g. <code>{_e(w['example'])}</code>)" if w.get("example") else "")
        + "</li>"
        for w in warnings
    )
    return f'<section id="warnings"><h2>Warnings</h2><ul class="warnings">{items}</ul></section>'


def _rate_card(report: dict[str, Any]) -> str:
    card = report["rate_card"]
    source = str(card.get("source") or "")
    link = (
        f'<a href="{_e(source)}">{_e(source)}</a>'
        if source.startswith(("https://", "http://"))
        else _e(source)
    )
    inputs = report.get("inputs") or []
    return (
        f'<footer id="rate-card"><p>Rate card: {_e(report["currency"])}, effective '
        f"{_e(card['effective_from'])} (confidence: {_e(card.get('confidence', 'unknown'))})"
        + (f", file <code>{_e(card['file'])}</code>" if card.get("file") else "")
        + f". Source: {link}.</p>"
        + (
            f"<p>Campaign: {', '.join(f'<code>{_e(i)}</code>' for i in inputs)}.</p>"
            if inputs
            else ""
        )
        + f"<p>Report <code>{_e(report.get('schema', 'wacost.estimate/1'))}</code>, made by wacost.</p>"
        "</footer>"
    )


def render_html(estimate: Estimate, views: tuple[str, ...] | None = None) -> str:
    report = to_dict(estimate)
    """The report as a self-contained HTML page; `views` picks the breakdowns shown."""
    totals = report["totals"]
    card = report["rate_card"]
    title = f"WhatsApp campaign cost estimate: {all_in(totals)} {report['currency']}"
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
        "<h1>WhatsApp campaign cost estimate</h1>",
        (
            f'<p class="sub">Send date {_e(report["date"])} · {_e(report["currency"])} rate card effective '
            f"{_e(card['effective_from'])}</p>"
        ),
        _cards(report),
        _limits(report),
        *(_breakdown(report, view) for view in check_views(views)),
        _risk(report),
        _comparison(report),
        _warnings(report),
        _notes(report),
        _rate_card(report),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
