"""The report as GitHub-flavoured Markdown, for pull-request comments and step summaries.

The first line is an HTML comment (`<!-- wacost:estimate -->`, invisible on GitHub) so a
workflow can find and update its own comment instead of adding a new one on every push.
"""

from __future__ import annotations

import re

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
    per_thousand,
    percent_text,
    row_name,
    share,
    signed_money,
    template_name,
    verdict,
    warned_at,
)
from wacost.report.codec import number_text
from wacost.report.model import Estimate, LimitResult, Totals

MARKER = "<!-- wacost:estimate -->"
_STATUS = {"ok": "✅ ok", "warning": "⚠️ warning", "broken": "❌ **over limit**"}


_ACTIVE = re.compile(r"([\\\[\]|])")  # a backslash, a link's or image's bracket, a table's pipe
_WORD_JOINER = "\u2060"


def _inert(text: str) -> str:
    """Text from the report as Markdown that GitHub shows as written: no image, link,
    autolink, @-mention, HTML or entity comes alive, and no line break ends a table row."""
    text = re.sub(r"\r\n|\r|\n", " ", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _ACTIVE.sub(r"\\\1", text)
    # A word joiner after '@' and inside 'http://' / 'www.' stops mentions and autolinks.
    text = re.sub(r"@(?=\w)", "@" + _WORD_JOINER, text)
    text = re.sub(r"(?i)\b(https?|ftp)://", lambda m: m.group(1) + _WORD_JOINER + "://", text)
    return re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + _WORD_JOINER + ".", text)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _inert(str(value))


def _table(headers: list[str], rows: list[list[object]], align: str) -> list[str]:
    out = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|",
    ]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _breakdown(estimate: Estimate, view: str) -> list[str]:
    cur = estimate.currency
    totals = estimate.totals
    rows = breakdown(estimate, view)
    fees = has_fees(estimate)

    def amounts(row: Row | Totals) -> list[object]:
        return [money(row.cost), money(row.fees), money(row.all_in)] if fees else [money(row.cost)]

    money_heads = (
        [f"Meta ({cur})", f"Fees ({cur})", f"Total ({cur})"] if fees else [f"Cost ({cur})"]
    )
    unbilled = not_billed(estimate, view)
    blank = [""] * len(money_heads)
    total_money = [*amounts(totals)]
    total_money[-1] = f"**{total_money[-1]}**"
    if view == "template":
        return _table(
            ["Template", "Language", "Category", "Messages", *money_heads, "Share"],
            [
                [
                    template_name(r),
                    r.language,
                    r.category.value,
                    r.messages,
                    *amounts(r),
                    percent_text(share(r.all_in, totals.all_in)),
                ]
                for r in estimate.by_template
            ]
            + ([[f"_{NOT_BILLED}_", "", "", unbilled, *blank, ""]] if unbilled else [])
            + [["**Total**", "", "", totals.messages, *total_money, ""]],
            "lll" + "r" * (len(money_heads) + 2),
        )
    return _table(
        [view.capitalize(), "Messages", "Billable", *money_heads, f"Per 1,000 ({cur})", "Share"],
        [
            [
                row_name(r),
                r.messages,
                r.billable_messages,
                *amounts(r),
                per_thousand(r.all_in, r.messages),
                percent_text(share(r.all_in, totals.all_in)),
            ]
            for r in rows
        ]
        + ([[f"_{NOT_BILLED}_", unbilled, 0, *blank, "", ""]] if unbilled else [])
        + [
            [
                "**Total**",
                totals.messages,
                totals.billable_messages,
                *total_money,
                per_thousand(totals.all_in, totals.messages),
                "",
            ]
        ],
        "l" + "r" * (len(money_heads) + 4),
    )


def _comparison(estimate: Estimate) -> list[str]:
    view = comparison_view(estimate)
    if view is None:
        return []
    cur = estimate.currency
    old, new = view.old, view.new
    lines = [
        f"### From {old.date} to {new.date}",
        "",
        (
            f"On the card in effect on {old.date} (effective {old.effective}) the campaign "
            f"costs {money(view.total.old)} {cur}; on the card in effect on {new.date} "
            f"(effective {new.effective}), **{money(view.total.new)} {cur}** "
            f"({signed_money(view.total.change)} {cur})."
        ),
        "",
    ]
    for changes, title in ((view.by_category, "Category"), (view.by_market, "Market")):
        rows = changes[:10]
        if rows:
            lines += _table(
                [title, f"{old.date} ({cur})", f"{new.date} ({cur})", "Change"],
                [[r.name, money(r.old), money(r.new), signed_money(r.change)] for r in rows],
                "lrrr",
            )
            lines += [""]
    return lines


_VERDICT = {"ok": "✅", "warning": "⚠️", "broken": "❌"}


def _verdict(estimate: Estimate) -> list[str]:
    """The budget verdict, first: what a pull request needs to know."""
    judged = verdict(estimate)
    if judged is None:
        return []
    status, sentence = judged
    return [f"{_VERDICT.get(status, '')} **{_cell(sentence)}**", ""]


def _limits(estimate: Estimate) -> list[str]:
    cur = estimate.currency
    budget = estimate.budget
    policy = estimate.policy
    rows = limit_rows(estimate)
    if not rows:
        return []
    if policy is None and budget.limit is not None:
        used = share(estimate.totals.all_in, budget.limit)
        state = (
            "❌ **over budget**"
            if budget.exceeded
            else "❌ **not checked**: the total leaves billable messages unpriced"
            if budget.incomplete
            else "✅ within budget"
        )
        used_text = f" ({percent_text(used)} used)" if used is not None else ""
        return [f"**Budget:** {money(budget.limit)} {cur}{used_text} — {state}.", ""]

    # as in the policy block: total, category marketing, market India
    broken = [_inert(r.label) for r in rows if r.status == "broken"]
    warned = [_inert(r.label) for r in rows if r.status == "warning"]
    if broken:
        summary = f"❌ **{len(broken)} over limit** ({', '.join(broken)})"
    elif policy is not None and policy.incomplete:
        summary = "❌ **not checked**: the total leaves billable messages unpriced"
    else:
        summary = "✅ every limit kept"
    if warned:
        summary += f"; ⚠️ {len(warned)} near the limit ({', '.join(warned)})"
    source = f" (`{policy.source}`)" if policy is not None and policy.source else ""
    lines = [f"**Budget policy{source}:** {summary}.", ""]

    def status(row: LimitResult) -> str:
        return str(_STATUS.get(row.status, row.status)) + warned_at(row)

    lines += _table(
        ["Limit", f"Limit ({cur})", f"Used ({cur})", "Used", "Status"],
        [
            [
                limit_label(r),
                money(r.limit),
                money(r.used),
                "–" if r.percent is None else f"{number_text(r.percent)}%",
                status(r),
            ]
            for r in rows
        ],
        "lrrrl",
    )
    return [*lines, ""]


def render_markdown(estimate: Estimate, views: tuple[str, ...] | None = None) -> str:
    """The report as Markdown; `views` picks the breakdowns shown (by template folds away by default)."""
    cur = estimate.currency
    totals = estimate.totals
    card = estimate.rate_card
    lines = [
        MARKER,
        "## WhatsApp campaign cost estimate",
        "",
        *_verdict(estimate),
        f"**Total: {money(totals.all_in)} {cur}**"
        + (
            f" (Meta {money(totals.cost)} + fees {money(totals.fees)})"
            if has_fees(estimate)
            else ""
        )
        + f" for {totals.messages:,} messages ({totals.billable_messages:,} billable), "
        + (
            f"{per_thousand(totals.all_in, totals.messages)} {cur} per 1,000 messages, "
            if totals.messages
            else ""
        )
        + f"sent on {estimate.date}.",
        "",
    ]
    lines += _limits(estimate)
    chosen = check_views(views)
    for view in chosen:
        rows = breakdown(estimate, view)
        if view == "template" and views is None:
            lines += [
                f"<details><summary><b>{VIEW_TITLES[view]}</b> ({len(rows):,} rows)</summary>",
                "",
            ]
            lines += _breakdown(estimate, view)
            lines += ["", "</details>", ""]
        else:
            lines += [f"### {VIEW_TITLES[view]}", ""]
            lines += _breakdown(estimate, view)
            lines += [""]
    risk = estimate.recategorization_risk
    if risk is not None and risk.templates:
        lines += [
            "### Recategorization risk",
            "",
            (
                f"If Meta moves these utility templates to marketing, the campaign costs "
                f"**{format_money(risk.extra_cost)} {cur}** more."
            ),
            "",
        ]
        lines += _table(
            ["Template", "Messages", f"Extra cost ({cur})"],
            [[t.template, t.messages, money(t.extra_cost)] for t in risk.templates],
            "lrr",
        )
        lines += [""]
    lines += _comparison(estimate)
    if estimate.warnings:
        lines += ["### Warnings", ""]
        for w in estimate.warnings:
            where = f" (e.g. `{w.example}`)" if w.example else ""
            lines.append(f"- ⚠️ **{w.code}** ({w.count:,} messages): {_cell(w.message)}{where}")
        lines += [""]
    extra = notes(estimate)
    if extra:
        lines += ["### Notes", "", *(f"- {_cell(n)}" for n in extra), ""]
    confidence = card.confidence if card.confidence is not None else "unknown"
    lines += [
        (
            f"Rate card: {_cell(card_currency(estimate))}, effective {card.effective_from} "
            f"(confidence: {confidence}), [source]({card.source}) · `{estimate.schema}`"
        ),
        "",
    ]
    return "\n".join(lines)
