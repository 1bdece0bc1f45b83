"""The report as one self-contained HTML page: tables, inline SVG bar charts, warnings, rate card.

The page loads nothing: no scripts, fonts, style sheets or images from anywhere (a
Content-Security-Policy says so to the browser), so it can be mailed, attached to a CI run,
or opened offline. Every value from the report is escaped.
"""

from __future__ import annotations

from typing import Any

from wacost.render.common import (
    NOT_BILLED,
    VIEW_TITLES,
    all_in,
    breakdown,
    card_currency,
    check_views,
    comparison_view,
    has_fees,
    limit_label,
    limit_rows,
    money,
    not_billed,
    notes,
    overall_status,
    per_thousand,
    percent_text,
    share,
    signed,
    template_name,
    verdict,
)
from wacost.render.html_chrome import BAR_COLOURS as BAR_COLOURS
from wacost.render.html_chrome import _badge, _bar_chart, _e, _int, _progress, _table, page
from wacost.report.document import to_dict
from wacost.report.model import Estimate


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

    def amounts(row: dict[str, Any]) -> list[str]:
        return (
            [_e(money(row["cost"])), _e(money(row.get("fees"))), _e(money(all_in(row)))]
            if fees
            else [_e(money(row["cost"]))]
        )

    unbilled = not_billed(report, view)
    blank = [""] * len(money_heads)

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
                *amounts(r),
                pct(r),
            ]
            for r in rows
        ]
        if unbilled:
            body.append([f"<em>{NOT_BILLED}</em>", "", "", _int(unbilled), *blank, ""])
        total = ["Total", "", "", _int(totals["messages"]), *amounts(totals), ""]
    else:
        headers = [
            (view.capitalize(), False),
            ("Messages", True),
            ("Billable", True),
            *money_heads,
            (f"Per 1,000 ({cur})", True),
            ("Share", True),
        ]
        body = [
            [
                _e(r[view]),
                _int(r["messages"]),
                _int(r.get("billable_messages")),
                *amounts(r),
                _e(per_thousand(all_in(r), r["messages"])),
                pct(r),
            ]
            for r in rows
        ]
        if unbilled:
            body.append([f"<em>{NOT_BILLED}</em>", _int(unbilled), _int(0), *blank, "", ""])
        total = [
            "Total",
            _int(totals["messages"]),
            _int(totals["billable_messages"]),
            *amounts(totals),
            _e(per_thousand(all_in(totals), totals["messages"])),
            "",
        ]
    return (
        f'<section id="by-{view}"><h2>{_e(VIEW_TITLES[view])}</h2>{chart}'
        f"{_table(headers, body, total)}</section>"
    )


def _comparison(report: dict[str, Any]) -> str:
    view = comparison_view(report)
    if view is None:
        return ""
    cur = _e(report["currency"])
    old, new = view["old"], view["new"]
    text = (
        f"<p>On the card in effect on {_e(old['date'])} (effective {_e(old['effective'])}) the "
        f"campaign costs {_e(money(view['old_cost']))} {cur}; on the card in effect on "
        f"{_e(new['date'])} (effective {_e(new['effective'])}), "
        f"<strong>{_e(money(view['new_cost']))} {cur}</strong> ({_e(signed(view['change']))} {cur}).</p>"
    )
    tables = []
    for key, title in (("by_category", "Category"), ("by_market", "Market")):
        rows = view[key][:10]
        if rows:
            tables.append(
                _table(
                    [
                        (title, False),
                        (f"{_e(old['date'])} ({cur})", True),
                        (f"{_e(new['date'])} ({cur})", True),
                        ("Change", True),
                    ],
                    [
                        [
                            _e(r["name"]),
                            _e(money(r["old"])),
                            _e(money(r["new"])),
                            _e(signed(r["change"])),
                        ]
                        for r in rows
                    ],
                )
            )
    return (
        f'<section id="comparison"><h2>From {_e(old["date"])} to {_e(new["date"])}</h2>'
        f"{text}{''.join(tables)}</section>"
    )


def _notes(report: dict[str, Any]) -> str:
    extra = notes(report)
    if not extra:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in extra)
    return f'<section id="notes"><h2>Notes</h2><ul class="warnings">{items}</ul></section>'


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


def _verdict(report: dict[str, Any]) -> str:
    """The budget verdict, first, in its colour."""
    judged = verdict(report)
    if judged is None:
        return ""
    status, sentence = judged
    return f'<p class="verdict status-{_e(status)}"><strong>{_e(sentence)}</strong></p>'


def _cards(report: dict[str, Any]) -> str:
    totals = report["totals"]
    cards = [
        ("total", "Estimated cost", f"{money(all_in(totals))} {report['currency']}"),
        ("", "Messages", f"{totals['messages']:,}"),
        ("", "Billable", f"{totals['billable_messages']:,}"),
    ]
    if has_fees(report):
        cards.insert(
            1, ("", "Meta + fees", f"{money(totals['cost'])} + {money(totals.get('fees'))}")
        )
    if totals["messages"]:
        cards.append(
            (
                "",
                "Per 1,000 messages",
                f"{per_thousand(all_in(totals), totals['messages'])} {report['currency']}",
            )
        )
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
        f'<footer id="rate-card"><p>Rate card: {_e(card_currency(report))}, effective '
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
    """The report as a self-contained HTML page; `views` picks the breakdowns shown."""
    report = to_dict(estimate)
    totals = report["totals"]
    card = report["rate_card"]
    title = f"WhatsApp campaign cost estimate: {all_in(totals)} {report['currency']}"
    return page(
        title,
        [
            "<h1>WhatsApp campaign cost estimate</h1>",
            (
                f'<p class="sub">Send date {_e(report["date"])} · {_e(report["currency"])} rate card effective '
                f"{_e(card['effective_from'])}</p>"
            ),
            _verdict(report),
            _cards(report),
            _limits(report),
            *(_breakdown(report, view) for view in check_views(views)),
            _risk(report),
            _comparison(report),
            _warnings(report),
            _notes(report),
            _rate_card(report),
        ],
    )
