"""The report as one self-contained HTML page: tables, inline SVG bar charts, warnings, rate card.

The page loads nothing: no scripts, fonts, style sheets or images from anywhere (a
Content-Security-Policy says so to the browser), so it can be mailed, attached to a CI run,
or opened offline. Every value from the report is escaped.
"""

from __future__ import annotations

from wacost.models import format_money
from wacost.render.common import (
    NOT_BILLED,
    VIEW_TITLES,
    Row,
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
    row_name,
    share,
    signed_money,
    template_name,
    verdict,
)
from wacost.render.html_chrome import BAR_COLOURS as BAR_COLOURS
from wacost.render.html_chrome import _badge, _bar_chart, _e, _int, _progress, _table, page
from wacost.report.model import Estimate, TemplateRow, Totals


def _label(row: Row) -> str:
    """A bar's label: the row's name, and a template's language."""
    if isinstance(row, TemplateRow) and row.language:
        return f"{template_name(row)} ({row.language})"
    return row_name(row)


def _breakdown(estimate: Estimate, view: str) -> str:
    cur = _e(estimate.currency)
    totals = estimate.totals
    rows = breakdown(estimate, view)
    fees = has_fees(estimate)
    chart = _bar_chart(
        f"Cost {VIEW_TITLES[view].lower()}",
        [(_label(r), r.all_in) for r in rows],
        totals.all_in,
        estimate.currency,
        BAR_COLOURS[view],
    )
    money_heads = (
        [(f"Meta ({cur})", True), (f"Fees ({cur})", True), (f"Total ({cur})", True)]
        if fees
        else [(f"Cost ({cur})", True)]
    )

    def amounts(row: Row | Totals) -> list[str]:
        return (
            [_e(money(row.cost)), _e(money(row.fees)), _e(money(row.all_in))]
            if fees
            else [_e(money(row.cost))]
        )

    unbilled = not_billed(estimate, view)
    blank = [""] * len(money_heads)

    def pct(row: Row) -> str:
        return _e(percent_text(share(row.all_in, totals.all_in)))

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
                _e(r.language or ""),
                _e(r.category.value),
                _int(r.messages),
                *amounts(r),
                pct(r),
            ]
            for r in estimate.by_template
        ]
        if unbilled:
            body.append([f"<em>{NOT_BILLED}</em>", "", "", _int(unbilled), *blank, ""])
        total = ["Total", "", "", _int(totals.messages), *amounts(totals), ""]
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
                _e(row_name(r)),
                _int(r.messages),
                _int(r.billable_messages),
                *amounts(r),
                _e(per_thousand(r.all_in, r.messages)),
                pct(r),
            ]
            for r in rows
        ]
        if unbilled:
            body.append([f"<em>{NOT_BILLED}</em>", _int(unbilled), _int(0), *blank, "", ""])
        total = [
            "Total",
            _int(totals.messages),
            _int(totals.billable_messages),
            *amounts(totals),
            _e(per_thousand(totals.all_in, totals.messages)),
            "",
        ]
    return (
        f'<section id="by-{view}"><h2>{_e(VIEW_TITLES[view])}</h2>{chart}'
        f"{_table(headers, body, total)}</section>"
    )


def _comparison(estimate: Estimate) -> str:
    view = comparison_view(estimate)
    if view is None:
        return ""
    cur = _e(estimate.currency)
    old, new = view.old, view.new
    text = (
        f"<p>On the card in effect on {_e(old.date)} (effective {_e(old.effective)}) the "
        f"campaign costs {_e(money(view.total.old))} {cur}; on the card in effect on "
        f"{_e(new.date)} (effective {_e(new.effective)}), "
        f"<strong>{_e(money(view.total.new))} {cur}</strong> "
        f"({_e(signed_money(view.total.change))} {cur}).</p>"
    )
    tables = []
    for changes, title in ((view.by_category, "Category"), (view.by_market, "Market")):
        rows = changes[:10]
        if rows:
            tables.append(
                _table(
                    [
                        (title, False),
                        (f"{_e(old.date)} ({cur})", True),
                        (f"{_e(new.date)} ({cur})", True),
                        ("Change", True),
                    ],
                    [
                        [
                            _e(r.name),
                            _e(money(r.old)),
                            _e(money(r.new)),
                            _e(signed_money(r.change)),
                        ]
                        for r in rows
                    ],
                )
            )
    return (
        f'<section id="comparison"><h2>From {_e(old.date)} to {_e(new.date)}</h2>'
        f"{text}{''.join(tables)}</section>"
    )


def _notes(estimate: Estimate) -> str:
    extra = notes(estimate)
    if not extra:
        return ""
    items = "".join(f"<li>{_e(n)}</li>" for n in extra)
    return f'<section id="notes"><h2>Notes</h2><ul class="warnings">{items}</ul></section>'


def _limits(estimate: Estimate) -> str:
    rows = limit_rows(estimate)
    if not rows:
        return ""
    cur = _e(estimate.currency)
    policy = estimate.policy
    title = (
        "Budget policy" + (f" <code>{_e(policy.source)}</code>" if policy.source else "")
        if policy is not None
        else "Budget"
    )
    body = [
        [
            _e(limit_label(r)),
            _e(format_money(r.limit)),
            _e(format_money(r.used)),
            _progress(r.percent, r.status),
            _badge(r),
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


def _verdict(estimate: Estimate) -> str:
    """The budget verdict, first, in its colour."""
    judged = verdict(estimate)
    if judged is None:
        return ""
    status, sentence = judged
    return f'<p class="verdict status-{_e(status)}"><strong>{_e(sentence)}</strong></p>'


def _cards(estimate: Estimate) -> str:
    totals = estimate.totals
    cards = [
        ("total", "Estimated cost", f"{money(totals.all_in)} {estimate.currency}"),
        ("", "Messages", f"{totals.messages:,}"),
        ("", "Billable", f"{totals.billable_messages:,}"),
    ]
    if has_fees(estimate):
        cards.insert(1, ("", "Meta + fees", f"{money(totals.cost)} + {money(totals.fees)}"))
    if totals.messages:
        cards.append(
            (
                "",
                "Per 1,000 messages",
                f"{per_thousand(totals.all_in, totals.messages)} {estimate.currency}",
            )
        )
    if totals.free_messages is not None:
        cards.append(("", "Free", f"{totals.free_messages:,}"))
    if totals.unbilled_messages:
        cards.append(("", "Not billed", f"{totals.unbilled_messages:,}"))
    status = overall_status(estimate)
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


def _risk(estimate: Estimate) -> str:
    risk = estimate.recategorization_risk
    if risk is None or not risk.templates:
        return ""
    cur = _e(estimate.currency)
    table = _table(
        [("Template", False), ("Messages", True), (f"Extra cost ({cur})", True)],
        [
            [_e(t.template), _int(t.messages), _e(format_money(t.extra_cost))]
            for t in risk.templates
        ],
    )
    return (
        f'<section id="risk"><h2>Recategorization risk</h2><p>If Meta moves these utility templates '
        f"to marketing, the campaign costs <strong>{_e(format_money(risk.extra_cost))} {cur}"
        f"</strong> more.</p>{table}</section>"
    )


def _warnings(estimate: Estimate) -> str:
    if not estimate.warnings:
        return ""
    items = "".join(
        f"<li><code>{_e(w.code)}</code> <strong>{_int(w.count)} messages</strong>: {_e(w.message)}"
        + (f" (e.g. <code>{_e(w.example)}</code>)" if w.example else "")
        + "</li>"
        for w in estimate.warnings
    )
    return f'<section id="warnings"><h2>Warnings</h2><ul class="warnings">{items}</ul></section>'


def _rate_card(estimate: Estimate) -> str:
    card = estimate.rate_card
    source = card.source or ""
    link = (
        f'<a href="{_e(source)}">{_e(source)}</a>'
        if source.startswith(("https://", "http://"))
        else _e(source)
    )
    inputs = estimate.inputs or ()
    confidence = card.confidence if card.confidence is not None else "unknown"
    return (
        f'<footer id="rate-card"><p>Rate card: {_e(card_currency(estimate))}, effective '
        f"{_e(card.effective_from)} (confidence: {_e(confidence)})"
        + (f", file <code>{_e(card.file)}</code>" if card.file else "")
        + f". Source: {link}.</p>"
        + (
            f"<p>Campaign: {', '.join(f'<code>{_e(i)}</code>' for i in inputs)}.</p>"
            if inputs
            else ""
        )
        + f"<p>Report <code>{_e(estimate.schema)}</code>, made by wacost.</p>"
        "</footer>"
    )


def render_html(estimate: Estimate, views: tuple[str, ...] | None = None) -> str:
    """The report as a self-contained HTML page; `views` picks the breakdowns shown."""
    totals = estimate.totals
    card = estimate.rate_card
    title = f"WhatsApp campaign cost estimate: {format_money(totals.all_in)} {estimate.currency}"
    return page(
        title,
        [
            "<h1>WhatsApp campaign cost estimate</h1>",
            (
                f'<p class="sub">Send date {_e(estimate.date)} · {_e(estimate.currency)} rate '
                f"card effective {_e(card.effective_from)}</p>"
            ),
            _verdict(estimate),
            _cards(estimate),
            _limits(estimate),
            *(_breakdown(estimate, view) for view in check_views(views)),
            _risk(estimate),
            _comparison(estimate),
            _warnings(estimate),
            _notes(estimate),
            _rate_card(estimate),
        ],
    )
