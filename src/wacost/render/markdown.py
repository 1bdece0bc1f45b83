"""The report as GitHub-flavoured Markdown, for pull-request comments and step summaries."""

from __future__ import annotations

from typing import Any


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[object]], align: str) -> list[str]:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(":---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def render_markdown(report: dict[str, Any]) -> str:
    cur = report["currency"]
    totals = report["totals"]
    card = report["rate_card"]
    budget = report["budget"]
    lines = [
        "## WhatsApp campaign cost estimate",
        "",
        f"**Total: {totals['cost']} {cur}** for {totals['messages']:,} messages "
        f"({totals['billable_messages']:,} billable), sent on {report['date']}.",
        "",
    ]
    if budget["limit"] is not None:
        state = "❌ over budget" if budget["exceeded"] else "✅ within budget"
        lines += [f"Budget: {budget['limit']} {cur} — {state}.", ""]
    lines += ["### By category", ""]
    lines += _table(["Category", "Messages", "Billable", f"Cost ({cur})"],
                    [[r["category"], r["messages"], r["billable_messages"], r["cost"]]
                     for r in report["by_category"]]
                    + [["**Total**", totals["messages"], totals["billable_messages"], f"**{totals['cost']}**"]],
                    "lrrr")
    lines += ["", "### By market", ""]
    lines += _table(["Market", "Messages", "Billable", f"Cost ({cur})"],
                    [[r["market"], r["messages"], r["billable_messages"], r["cost"]]
                     for r in report["by_market"]], "lrrr")
    lines += ["", "### By template", ""]
    lines += _table(["Template", "Language", "Category", "Messages", f"Cost ({cur})"],
                    [[r["template"] or "(non-template)", r["language"], r["category"], r["messages"], r["cost"]]
                     for r in report["by_template"]], "lllrr")
    risk = report.get("recategorization_risk") or {}
    if risk.get("templates"):
        lines += ["", "### Recategorization risk", "",
                  f"If Meta moves these utility templates to marketing, the campaign costs "
                  f"**{risk['extra_cost']} {cur}** more.", ""]
        lines += _table(["Template", "Messages", f"Extra cost ({cur})"],
                        [[t["template"], t["messages"], t["extra_cost"]] for t in risk["templates"]], "lrr")
    if report["warnings"]:
        lines += ["", "### Warnings", ""]
        for w in report["warnings"]:
            where = f" (e.g. {w['example']})" if w.get("example") else ""
            lines.append(f"- **{w['code']}** ({w['count']:,} messages): {_cell(w['message'])}{where}")
    lines += ["", f"Rate card: {cur}, effective {card['effective_from']} "
              f"(confidence: {card.get('confidence', 'unknown')}), source: {card['source']}", ""]
    return "\n".join(lines)
