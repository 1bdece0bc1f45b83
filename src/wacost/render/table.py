"""The report as Rich tables, for a campaign manager at a terminal."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from wacost.models import format_money
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
    percent_text,
    share,
    signed,
    template_name,
)
from wacost.report.document import to_dict
from wacost.report.model import Estimate

_WIDTH = 100
_BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"
_STATUS_STYLE = {"ok": "green", "warning": "yellow", "broken": "bold red"}


def _bar(fraction: Decimal | None, width: int = _BAR_WIDTH) -> str:
    """A bar of `width` cells filled to `fraction` (0-1), in eighths of a cell; a sliver for any share > 0."""
    if fraction is None:
        return " " * width
    eighths = int((min(max(fraction, Decimal(0)), Decimal(1)) * width * 8).to_integral_value())
    if eighths == 0 and fraction > 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def _share_cell(cost: str, total: str, width: int = _BAR_WIDTH) -> str:
    fraction = share(cost, total)
    if fraction is None:
        return ""
    return f"{_bar(fraction, width)} {percent_text(fraction):>6}"


def _breakdown_table(report: dict[str, Any], view: str) -> Table:
    cur = report["currency"]
    totals = report["totals"]
    fees = has_fees(report)
    table = Table(title=VIEW_TITLES[view], title_justify="left")
    rows = breakdown(report, view)
    if view == "template":
        columns = [("Template", "left"), ("Language", "left"), ("Category", "left")]
    else:
        columns = [(view.capitalize(), "left")]
    # Keep within 100 columns: a template row is one category, so its billable count adds little,
    # and with BSP fees the template view shows only the all-in cost.
    with_billable = view != "template" and not fees
    split_fees = fees and view != "template"
    money = (
        [(f"Meta ({cur})", "right"), (f"Fees ({cur})", "right"), (f"Total ({cur})", "right")]
        if split_fees
        else [(f"Total ({cur})" if fees else f"Cost ({cur})", "right")]
    )
    columns += [
        ("Messages", "right"),
        *([("Billable", "right")] if with_billable else []),
        *money,
        ("Share", "left"),
    ]
    for name, justify in columns:
        # Names may wrap; numbers and bars never do (a wrapped bar reads as two rows).
        table.add_column(name, justify=justify, no_wrap=justify == "right" or name == "Share")  # type: ignore[arg-type]
    bar_width = _BAR_WIDTH // 2 if view == "template" or fees else _BAR_WIDTH

    def amounts(row: dict[str, Any]) -> list[str]:
        if split_fees:
            return [row["cost"], row.get("fees") or "", all_in(row)]
        return [all_in(row)]

    for row in rows:
        label = (
            [template_name(row), row.get("language") or "", row["category"]]
            if view == "template"
            else [row[view]]
        )
        billable = row.get("billable_messages")
        counts = [f"{row['messages']:,}"]
        if with_billable:
            counts.append("" if billable is None else f"{billable:,}")
        table.add_row(
            *label, *counts, *amounts(row), _share_cell(all_in(row), all_in(totals), bar_width)
        )
    table.add_section()
    pad = ["", ""] if view == "template" else []
    total_counts = [f"{totals['messages']:,}"] + (
        [f"{totals['billable_messages']:,}"] if with_billable else []
    )
    table.add_row("Total", *pad, *total_counts, *amounts(totals), "", style="bold")
    return table


def _comparison(report: dict[str, Any]) -> list[Any]:
    comparison = report.get("comparison")
    if not comparison:
        return []
    cur = report["currency"]
    parts: list[Any] = [
        Text(
            f"On the card in effect on {comparison['date']} (effective "
            f"{comparison['rate_card']['effective_from']}) the campaign costs "
            f"{comparison['cost']} {cur} ({signed(comparison['difference'])} {cur})."
        )
    ]
    rows = comparison_rows(report)
    if rows:
        table = Table(title=f"Compared with {comparison['date']}", title_justify="left")
        for name in ("Market", f"Now ({cur})", f"On {comparison['date']} ({cur})", "Difference"):
            table.add_column(name, justify="left" if name == "Market" else "right")
        for row in rows:
            table.add_row(
                row["market"], row["cost"], row["compare_cost"], signed(row["difference"])
            )
        parts.append(table)
    return parts


def _limits_table(report: dict[str, Any]) -> Table | None:
    policy = report.get("policy") or {}
    rows = limit_rows(report)
    if not policy or not rows:
        return None
    cur = report["currency"]
    title = f"Budget policy ({policy['source']})" if policy.get("source") else "Budget policy"
    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("Limit", "left"),
        (f"Limit ({cur})", "right"),
        (f"Used ({cur})", "right"),
        ("Used", "left"),
        ("Status", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=name != "Limit")  # type: ignore[arg-type]
    for row in rows:
        fraction = None if row.get("percent") is None else Decimal(row["percent"]) / 100
        used = (
            ""
            if fraction is None
            else f"{_bar(fraction, _BAR_WIDTH // 2)} {row['percent'] + '%':>6}"
        )
        status = STATUS_TEXT.get(row["status"], row["status"])
        if row["status"] == "warning" and row.get("warn_at"):
            status += f" (≥ {row['warn_at']}%)"
        table.add_row(
            limit_label(row),
            row["limit"],
            row["used"],
            used,
            Text(
                status.upper() if row["status"] == "broken" else status,
                style=_STATUS_STYLE.get(row["status"], ""),
            ),
        )
    return table


def build_renderables(estimate: Estimate, views: tuple[str, ...] | None = None) -> Group:
    report = to_dict(estimate)
    cur = report["currency"]
    totals = report["totals"]
    card = report["rate_card"]
    parts: list[Any] = []
    fee_text = f" (Meta {totals['cost']} + fees {totals.get('fees')})" if has_fees(report) else ""
    parts.append(
        Text.assemble(
            ("Estimated cost: ", "bold"),
            (f"{all_in(totals)} {cur}", "bold green"),
            fee_text,
            f"  ·  {totals['messages']:,} messages, {totals['billable_messages']:,} billable  ·  send date {report['date']}",
        )
    )
    for view in check_views(views):
        parts.extend([Text(""), _breakdown_table(report, view)])
    risk = report.get("recategorization_risk") or {}
    if risk.get("templates"):
        parts.append(
            Text(
                f"Recategorization risk: +{risk['extra_cost']} {cur} if Meta moves "
                f"{', '.join(t['template'] for t in risk['templates'])} to marketing.",
                style="yellow",
            )
        )
    limits = _limits_table(report)
    if limits is not None:
        parts.append(limits)
    parts += _comparison(report)
    budget = report.get("budget") or {}
    if budget.get("limit") is not None and not report.get("policy"):
        used = share(all_in(totals), budget["limit"])
        used_text = f" ({percent_text(used)} used)" if used is not None else ""
        parts.append(
            Text(
                f"Budget {budget['limit']} {cur}{used_text}: "
                + ("OVER BUDGET" if budget["exceeded"] else "within budget"),
                style="bold red" if budget["exceeded"] else "green",
            )
        )
    for w in report.get("warnings") or []:
        where = f" (e.g. {w['example']})" if w.get("example") else ""
        parts.append(
            Text(
                f"warning [{w['code']}] {w['count']:,} messages: {w['message']}{where}",
                style="yellow",
            )
        )
    for note in notes(report):
        parts.append(Text(note, style="dim"))
    parts.append(
        Text(
            f"Rate card {cur} effective {card['effective_from']} (confidence {card.get('confidence')}): "
            f"{card['source']}",
            style="dim",
        )
    )
    return Group(*parts)


def render_table(
    estimate: Estimate,
    width: int = _WIDTH,
    color: bool = False,
    views: tuple[str, ...] | None = None,
) -> str:
    """The report as text tables (no colour codes unless `color`); `views` picks the breakdowns shown."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        soft_wrap=False,
        highlight=False,
    )
    console.print(build_renderables(estimate, views))
    return buffer.getvalue()


def render_total(estimate: Estimate) -> str:
    """Only the total cost (all in, as --budget counts it) and its currency, one line: `8.5753 USD` (--quiet)."""
    return f"{format_money(estimate.totals.all_in)} {estimate.currency}\n"
