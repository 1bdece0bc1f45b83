"""The report as GitHub-flavoured Markdown, for pull-request comments and step summaries.

The first line is an HTML comment (`<!-- wacost:estimate -->`, invisible on GitHub) so a
workflow can find and update its own comment instead of adding a new one on every push.
"""

from __future__ import annotations

from typing import Any

from wacost.render.common import (
    VIEW_TITLES,
    all_in,
    breakdown,
    check_views,
    comparison_rows,
    has_fees,
    limit_label,
    limit_rows,
    notes,
    percent_text,
    share,
    signed,
    template_name,
)
from wacost.report.document import to_dict
from wacost.report.model import Estimate

MARKER = "<!-- wacost:estimate -->"
_STATUS = {"ok": "✅ ok", "warning": "⚠️ warning", "broken": "❌ **over limit**"}


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


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

    def money(row: dict[str, Any]) -> list[object]:
        return [row["cost"], row.get("fees"), all_in(row)] if fees else [row["cost"]]

    money_heads = (
        [f"Meta ({cur})", f"Fees ({cur})", f"Total ({cur})"] if fees else [f"Cost ({cur})"]
    )
    if view == "template":
        return _table(
            ["Template", "Language", "Category", "Messages", *money_heads, "Share"],
            [
                [
                    template_name(r),
                    r.get("language"),
                    r["category"],
                    r["messages"],
                    *money(r),
                    percent_text(share(all_in(r), all_in(totals))),
                ]
                for r in rows
            ],
            "lll" + "r" * (len(money_heads) + 2),
        )
    total_money = [*money(totals)]
    total_money[-1] = f"**{total_money[-1]}**"
    return _table(
        [view.capitalize(), "Messages", "Billable", *money_heads, "Share"],
        [
            [
                r[view],
                r["messages"],
                r.get("billable_messages"),
                *money(r),
                percent_text(share(all_in(r), all_in(totals))),
            ]
            for r in rows
        ]
        + [["**Total**", totals["messages"], totals["billable_messages"], *total_money, ""]],
        "l" + "r" * (len(money_heads) + 3),
    )


def _comparison(report: dict[str, Any]) -> list[str]:
    comparison = report.get("comparison")
    if not comparison:
        return []
    cur = report["currency"]
    lines = [
        f"### Compared with {comparison['date']}",
        "",
        (
            f"On the card in effect on {comparison['date']} (effective "
            f"{comparison['rate_card']['effective_from']}) the campaign costs **{comparison['cost']} {cur}** "
            f"({signed(comparison['difference'])} {cur})."
        ),
        "",
    ]
    rows = comparison_rows(report)
    if rows:
        lines += _table(
            ["Market", f"Now ({cur})", f"On {comparison['date']} ({cur})", "Difference"],
            [[r["market"], r["cost"], r["compare_cost"], signed(r["difference"])] for r in rows],
            "lrrr",
        )
        lines += [""]
    return lines


def _limits(report: dict[str, Any]) -> list[str]:
    cur = report["currency"]
    budget = report.get("budget") or {}
    policy = report.get("policy")
    rows = limit_rows(report)
    if not rows:
        return []
    if not policy:
        used = share(all_in(report["totals"]), budget["limit"])
        state = "❌ **over budget**" if budget.get("exceeded") else "✅ within budget"
        used_text = f" ({percent_text(used)} used)" if used is not None else ""
        return [f"**Budget:** {budget['limit']} {cur}{used_text} — {state}.", ""]

    def short(
        row: dict[str, Any],
    ) -> str:  # as in the policy block: total, category marketing, market India
        return "total" if row["scope"] == "total" else f"{row['scope']} {row['name']}"

    broken = [short(r) for r in rows if r["status"] == "broken"]
    warned = [short(r) for r in rows if r["status"] == "warning"]
    if broken:
        summary = f"❌ **{len(broken)} over limit** ({', '.join(broken)})"
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
                r["limit"],
                r["used"],
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
        f"**Total: {all_in(totals)} {cur}**"
        + (f" (Meta {totals['cost']} + fees {totals.get('fees')})" if has_fees(report) else "")
        + f" for {totals['messages']:,} messages ({totals['billable_messages']:,} billable), "
        f"sent on {report['date']}.",
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
            [[t["template"], t["messages"], t["extra_cost"]] for t in risk["templates"]],
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
            f"Rate card: {cur}, effective {card['effective_from']} "
            f"(confidence: {card.get('confidence', 'unknown')}), [source]({card['source']}) · "
            f"`{report.get('schema', 'wacost.estimate/1')}`"
        ),
        "",
    ]
    return "\n".join(lines)
