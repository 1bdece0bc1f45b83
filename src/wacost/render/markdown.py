"""The report as GitHub-flavoured Markdown, for pull-request comments and step summaries.

The first line is an HTML comment (`<!-- wacost:estimate -->`, invisible on GitHub) so a
workflow can find and update its own comment instead of adding a new one on every push.
"""

from __future__ import annotations

import re
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
    per_thousand,
    percent_text,
    share,
    signed,
    template_name,
    verdict,
)
from wacost.report.document import to_dict
from wacost.report.model import Estimate

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


def _breakdown(report: dict[str, Any], view: str) -> list[str]:
    cur = report["currency"]
    totals = report["totals"]
    rows = breakdown(report, view)
    fees = has_fees(report)

    def amounts(row: dict[str, Any]) -> list[object]:
        return (
            [money(row["cost"]), money(row.get("fees")), money(all_in(row))]
            if fees
            else [money(row["cost"])]
        )

    money_heads = (
        [f"Meta ({cur})", f"Fees ({cur})", f"Total ({cur})"] if fees else [f"Cost ({cur})"]
    )
    unbilled = not_billed(report, view)
    blank = [""] * len(money_heads)
    total_money = [*amounts(totals)]
    total_money[-1] = f"**{total_money[-1]}**"
    if view == "template":
        return _table(
            ["Template", "Language", "Category", "Messages", *money_heads, "Share"],
            [
                [
                    template_name(r),
                    r.get("language"),
                    r["category"],
                    r["messages"],
                    *amounts(r),
                    percent_text(share(all_in(r), all_in(totals))),
                ]
                for r in rows
            ]
            + ([[f"_{NOT_BILLED}_", "", "", unbilled, *blank, ""]] if unbilled else [])
            + [["**Total**", "", "", totals["messages"], *total_money, ""]],
            "lll" + "r" * (len(money_heads) + 2),
        )
    return _table(
        [view.capitalize(), "Messages", "Billable", *money_heads, f"Per 1,000 ({cur})", "Share"],
        [
            [
                r[view],
                r["messages"],
                r.get("billable_messages"),
                *amounts(r),
                per_thousand(all_in(r), r["messages"]),
                percent_text(share(all_in(r), all_in(totals))),
            ]
            for r in rows
        ]
        + ([[f"_{NOT_BILLED}_", unbilled, 0, *blank, "", ""]] if unbilled else [])
        + [
            [
                "**Total**",
                totals["messages"],
                totals["billable_messages"],
                *total_money,
                per_thousand(all_in(totals), totals["messages"]),
                "",
            ]
        ],
        "l" + "r" * (len(money_heads) + 4),
    )


def _comparison(report: dict[str, Any]) -> list[str]:
    view = comparison_view(report)
    if view is None:
        return []
    cur = report["currency"]
    old, new = view["old"], view["new"]
    lines = [
        f"### From {old['date']} to {new['date']}",
        "",
        (
            f"On the card in effect on {old['date']} (effective {old['effective']}) the campaign "
            f"costs {money(view['old_cost'])} {cur}; on the card in effect on {new['date']} "
            f"(effective {new['effective']}), **{money(view['new_cost'])} {cur}** "
            f"({signed(view['change'])} {cur})."
        ),
        "",
    ]
    for key, title in (("by_category", "Category"), ("by_market", "Market")):
        rows = view[key][:10]
        if rows:
            lines += _table(
                [title, f"{old['date']} ({cur})", f"{new['date']} ({cur})", "Change"],
                [[r["name"], money(r["old"]), money(r["new"]), signed(r["change"])] for r in rows],
                "lrrr",
            )
            lines += [""]
    return lines


_VERDICT = {"ok": "✅", "warning": "⚠️", "broken": "❌"}


def _verdict(report: dict[str, Any]) -> list[str]:
    """The budget verdict, first: what a pull request needs to know."""
    judged = verdict(report)
    if judged is None:
        return []
    status, sentence = judged
    return [f"{_VERDICT.get(status, '')} **{_cell(sentence)}**", ""]


def _limits(report: dict[str, Any]) -> list[str]:
    cur = report["currency"]
    budget = report.get("budget") or {}
    policy = report.get("policy")
    rows = limit_rows(report)
    if not rows:
        return []
    if not policy:
        used = share(all_in(report["totals"]), budget["limit"])
        state = (
            "❌ **over budget**"
            if budget.get("exceeded")
            else "❌ **not checked**: the total leaves billable messages unpriced"
            if budget.get("incomplete")
            else "✅ within budget"
        )
        used_text = f" ({percent_text(used)} used)" if used is not None else ""
        return [f"**Budget:** {money(budget['limit'])} {cur}{used_text} — {state}.", ""]

    def short(
        row: dict[str, Any],
    ) -> str:  # as in the policy block: total, category marketing, market India
        return "total" if row["scope"] == "total" else f"{row['scope']} {row['name']}"

    broken = [_inert(short(r)) for r in rows if r["status"] == "broken"]
    warned = [_inert(short(r)) for r in rows if r["status"] == "warning"]
    if broken:
        summary = f"❌ **{len(broken)} over limit** ({', '.join(broken)})"
    elif policy.get("incomplete"):
        summary = "❌ **not checked**: the total leaves billable messages unpriced"
    else:
        summary = "✅ every limit kept"
    if warned:
        summary += f"; ⚠️ {len(warned)} near the limit ({', '.join(warned)})"
    source = f" (`{policy['source']}`)" if policy.get("source") else ""
    lines = [f"**Budget policy{source}:** {summary}.", ""]

    def status(row: dict[str, Any]) -> str:
        text = str(_STATUS.get(row["status"], row["status"]))
        if row["status"] == "warning" and row.get("warn_at"):
            text += f" (≥ {row['warn_at']}%)"
        return text

    lines += _table(
        ["Limit", f"Limit ({cur})", f"Used ({cur})", "Used", "Status"],
        [
            [
                limit_label(r),
                money(r["limit"]),
                money(r["used"]),
                "–" if r.get("percent") is None else f"{r['percent']}%",
                status(r),
            ]
            for r in rows
        ],
        "lrrrl",
    )
    return [*lines, ""]


def render_markdown(estimate: Estimate, views: tuple[str, ...] | None = None) -> str:
    report = to_dict(estimate)
    """The report as Markdown; `views` picks the breakdowns shown (by template folds away by default)."""
    cur = report["currency"]
    totals = report["totals"]
    card = report["rate_card"]
    lines = [
        MARKER,
        "## WhatsApp campaign cost estimate",
        "",
        *_verdict(report),
        f"**Total: {money(all_in(totals))} {cur}**"
        + (
            f" (Meta {money(totals['cost'])} + fees {money(totals.get('fees'))})"
            if has_fees(report)
            else ""
        )
        + f" for {totals['messages']:,} messages ({totals['billable_messages']:,} billable), "
        + (
            f"{per_thousand(all_in(totals), totals['messages'])} {cur} per 1,000 messages, "
            if totals["messages"]
            else ""
        )
        + f"sent on {report['date']}.",
        "",
    ]
    lines += _limits(report)
    chosen = check_views(views)
    for view in chosen:
        rows = breakdown(report, view)
        if view == "template" and views is None:
            lines += [
                f"<details><summary><b>{VIEW_TITLES[view]}</b> ({len(rows):,} rows)</summary>",
                "",
            ]
            lines += _breakdown(report, view)
            lines += ["", "</details>", ""]
        else:
            lines += [f"### {VIEW_TITLES[view]}", ""]
            lines += _breakdown(report, view)
            lines += [""]
    risk = report.get("recategorization_risk") or {}
    if risk.get("templates"):
        lines += [
            "### Recategorization risk",
            "",
            (
                f"If Meta moves these utility templates to marketing, the campaign costs "
                f"**{risk['extra_cost']} {cur}** more."
            ),
            "",
        ]
        lines += _table(
            ["Template", "Messages", f"Extra cost ({cur})"],
            [[t["template"], t["messages"], money(t["extra_cost"])] for t in risk["templates"]],
            "lrr",
        )
        lines += [""]
    lines += _comparison(report)
    warnings = report.get("warnings") or []
    if warnings:
        lines += ["### Warnings", ""]
        for w in warnings:
            where = f" (e.g. `{w['example']}`)" if w.get("example") else ""
            lines.append(
                f"- ⚠️ **{w['code']}** ({w['count']:,} messages): {_cell(w['message'])}{where}"
            )
        lines += [""]
    extra = notes(report)
    if extra:
        lines += ["### Notes", "", *(f"- {_cell(n)}" for n in extra), ""]
    lines += [
        (
            f"Rate card: {_cell(card_currency(report))}, effective {card['effective_from']} "
            f"(confidence: {card.get('confidence', 'unknown')}), [source]({card['source']}) · "
            f"`{report.get('schema', 'wacost.estimate/1')}`"
        ),
        "",
    ]
    return "\n".join(lines)
