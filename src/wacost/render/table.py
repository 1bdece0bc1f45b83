"""The report as Rich tables, for a campaign manager at a terminal."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

_WIDTH = 100


def _share(cost: str, total: str) -> str:
    total_d = Decimal(total)
    if total_d == 0:
        return ""
    share = Decimal(cost) / total_d
    blocks = int((share * 20).to_integral_value())
    return f"{'█' * blocks:<20} {share * 100:5.1f}%"


def build_renderables(report: dict[str, Any]) -> Group:
    cur = report["currency"]
    totals = report["totals"]
    card = report["rate_card"]
    parts: list[Any] = []
    parts.append(Text.assemble(
        ("Estimated cost: ", "bold"), (f"{totals['cost']} {cur}", "bold green"),
        f"  ·  {totals['messages']:,} messages, {totals['billable_messages']:,} billable  ·  send date {report['date']}",
    ))
    cat = Table(title="By category", title_justify="left", expand=False)
    for name, justify in (("Category", "left"), ("Messages", "right"), ("Billable", "right"),
                          (f"Cost ({cur})", "right"), ("Share", "left")):
        cat.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report["by_category"]:
        cat.add_row(row["category"], f"{row['messages']:,}", f"{row['billable_messages']:,}", row["cost"],
                    _share(row["cost"], totals["cost"]))
    cat.add_section()
    cat.add_row("Total", f"{totals['messages']:,}", f"{totals['billable_messages']:,}", totals["cost"], "",
                style="bold")
    parts.append(cat)
    market = Table(title="By market", title_justify="left")
    for name, justify in (("Market", "left"), ("Messages", "right"), ("Billable", "right"),
                          (f"Cost ({cur})", "right"), ("Share", "left")):
        market.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report["by_market"]:
        market.add_row(row["market"], f"{row['messages']:,}", f"{row['billable_messages']:,}", row["cost"],
                       _share(row["cost"], totals["cost"]))
    parts.append(market)
    tpl = Table(title="By template", title_justify="left")
    for name, justify in (("Template", "left"), ("Language", "left"), ("Category", "left"),
                          ("Messages", "right"), (f"Cost ({cur})", "right")):
        tpl.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in report["by_template"]:
        tpl.add_row(row["template"] or "(non-template)", row["language"] or "", row["category"],
                    f"{row['messages']:,}", row["cost"])
    parts.append(tpl)
    risk = report.get("recategorization_risk") or {}
    if risk.get("templates"):
        parts.append(Text(f"Recategorization risk: +{risk['extra_cost']} {cur} if Meta moves "
                          f"{', '.join(t['template'] for t in risk['templates'])} to marketing.",
                          style="yellow"))
    budget = report["budget"]
    if budget["limit"] is not None:
        parts.append(Text(f"Budget {budget['limit']} {cur}: " + ("OVER BUDGET" if budget["exceeded"] else "within budget"),
                          style="bold red" if budget["exceeded"] else "green"))
    for w in report["warnings"]:
        where = f" (e.g. {w['example']})" if w.get("example") else ""
        parts.append(Text(f"warning [{w['code']}] {w['count']:,} messages: {w['message']}{where}", style="yellow"))
    parts.append(Text(f"Rate card {cur} effective {card['effective_from']} (confidence {card.get('confidence')}): "
                      f"{card['source']}", style="dim"))
    return Group(*parts)


def render_table(report: dict[str, Any], width: int = _WIDTH, color: bool = False) -> str:
    """The report as text tables (no colour codes unless `color`)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="auto" if color else None,
                      soft_wrap=False, highlight=False)
    console.print(build_renderables(report))
    return buffer.getvalue()
