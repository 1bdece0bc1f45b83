"""The report as GitHub-flavoured Markdown, for pull-request comments and step summaries.

The first line is an HTML comment (`<!-- wacost:estimate -->`, invisible on GitHub) so a
workflow can find and update its own comment instead of adding a new one on every push.
"""

from __future__ import annotations

from typing import Any

from wacost.render.common import (
    VIEW_TITLES,
    breakdown,
    check_views,
    limit_label,
    limit_rows,
    percent_text,
    share,
    template_name,
)

MARKER = "<!-- wacost:estimate -->"
_STATUS = {"ok": "✅ ok", "warning": "⚠️ warning", "broken": "❌ **over limit**"}


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _table(headers: list[str], rows: list[list[object]], align: str) -> list[str]:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _breakdown(report: dict[str, Any], view: str) -> list[str]:
    cur = report["currency"]
    totals = report["totals"]
    rows = breakdown(report, view)
    if view == "template":
        return _table(["Template", "Language", "Category", "Messages", f"Cost ({cur})", "Share"],
                      [[template_name(r), r.get("language"), r["category"], r["messages"], r["cost"],
                        percent_text(share(r["cost"], totals["cost"]))] for r in rows], "lllrrr")
    return _table([view.capitalize(), "Messages", "Billable", f"Cost ({cur})", "Share"],
                  [[r[view], r["messages"], r.get("billable_messages"), r["cost"],
                    percent_text(share(r["cost"], totals["cost"]))] for r in rows]
                  + [["**Total**", totals["messages"], totals["billable_messages"], f"**{totals['cost']}**", ""]],
                  "lrrrr")


def _limits(report: dict[str, Any]) -> list[str]:
    cur = report["currency"]
    budget = report.get("budget") or {}
    policy = report.get("policy")
    rows = limit_rows(report)
    if not rows:
        return []
    if not policy:
        used = share(report["totals"]["cost"], budget["limit"])
        state = "❌ **over budget**" if budget.get("exceeded") else "✅ within budget"
        used_text = f" ({percent_text(used)} used)" if used is not None else ""
        return [f"**Budget:** {budget['limit']} {cur}{used_text} — {state}.", ""]
    broken = [limit_label(r) for r in rows if r["status"] == "broken"]
    warned = [limit_label(r) for r in rows if r["status"] == "warning"]
    if broken:
        summary = f"❌ **{len(broken)} over limit** ({', '.join(broken)})"
    else:
        summary = "✅ every limit kept"
    if warned:
        summary += f"; ⚠️ {len(warned)} near the limit ({', '.join(warned)})"
    source = f" (`{policy['source']}`)" if policy.get("source") else ""
    lines = [f"**Budget policy{source}:** {summary}.", ""]

    def status(row: dict[str, Any]) -> str:
        text = _STATUS.get(row["status"], row["status"])
        if row["status"] == "warning" and row.get("warn_at"):
            text += f" (≥ {row['warn_at']}%)"
        return text

    lines += _table(["Limit", f"Limit ({cur})", f"Used ({cur})", "Used", "Status"],
                    [[limit_label(r), r["limit"], r["used"],
                      "–" if r.get("percent") is None else f"{r['percent']}%", status(r)] for r in rows],
                    "lrrrl")
    return lines + [""]


def render_markdown(report: dict[str, Any], views: tuple[str, ...] | None = None) -> str:
    """The report as Markdown; `views` picks the breakdowns shown (by template folds away by default)."""
    cur = report["currency"]
    totals = report["totals"]
    card = report["rate_card"]
    lines = [
        MARKER,
        "## WhatsApp campaign cost estimate",
        "",
        f"**Total: {totals['cost']} {cur}** for {totals['messages']:,} messages "
        f"({totals['billable_messages']:,} billable), sent on {report['date']}.",
        "",
    ]
    lines += _limits(report)
    chosen = check_views(views)
    for view in chosen:
        rows = breakdown(report, view)
        if view == "template" and views is None:
            lines += [f"<details><summary><b>{VIEW_TITLES[view]}</b> ({len(rows):,} rows)</summary>", ""]
            lines += _breakdown(report, view)
            lines += ["", "</details>", ""]
        else:
            lines += [f"### {VIEW_TITLES[view]}", ""]
            lines += _breakdown(report, view)
            lines += [""]
    risk = report.get("recategorization_risk") or {}
    if risk.get("templates"):
        lines += ["### Recategorization risk", "",
                  f"If Meta moves these utility templates to marketing, the campaign costs "
                  f"**{risk['extra_cost']} {cur}** more.", ""]
        lines += _table(["Template", "Messages", f"Extra cost ({cur})"],
                        [[t["template"], t["messages"], t["extra_cost"]] for t in risk["templates"]], "lrr")
        lines += [""]
    warnings = report.get("warnings") or []
    if warnings:
        lines += ["### Warnings", ""]
        for w in warnings:
            where = f" (e.g. `{w['example']}`)" if w.get("example") else ""
            lines.append(f"- ⚠️ **{w['code']}** ({w['count']:,} messages): {_cell(w['message'])}{where}")
        lines += [""]
    lines += [f"Rate card: {cur}, effective {card['effective_from']} "
              f"(confidence: {card.get('confidence', 'unknown')}), [source]({card['source']}) · "
              f"`{report.get('schema', 'wacost.estimate/1')}`", ""]
    return "\n".join(lines)
