"""The report as Rich tables, for a campaign manager at a terminal."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from wacost.models import format_money
from wacost.render.common import (
    NOT_BILLED,
    STATUS_TEXT,
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
    report_console,
    row_name,
    share,
    signed_money,
    template_name,
    verdict,
    warned_at,
)
from wacost.report.codec import number_text
from wacost.report.model import Estimate, TemplateRow, Totals

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


def _share_cell(cost: Decimal, total: Decimal, width: int = _BAR_WIDTH) -> str:
    fraction = share(cost, total)
    if fraction is None:
        return ""
    if width <= 0:  # no room for a bar: the percentage alone
        return f"{percent_text(fraction):>6}"
    return f"{_bar(fraction, width)} {percent_text(fraction):>6}"


def _bar_width(width: int, narrow: bool) -> int:
    """How wide a share bar fits: none at 80 columns (the percentage alone), more when wider."""
    if width >= 120:
        return _BAR_WIDTH // 2 if narrow else _BAR_WIDTH
    if width >= 100:
        return _BAR_WIDTH // 2
    return 0


def _labels(row: Row) -> list[str]:
    if isinstance(row, TemplateRow):
        return [template_name(row), row.language or "", row.category.value]
    return [row_name(row)]


def _breakdown_table(estimate: Estimate, view: str, width: int) -> Table:
    cur = estimate.currency
    totals = estimate.totals
    fees = has_fees(estimate)
    table = Table(title=VIEW_TITLES[view], title_justify="left")
    rows = breakdown(estimate, view)
    if view == "template":
        columns = [("Template", "left"), ("Language", "left"), ("Category", "left")]
    else:
        columns = [(view.capitalize(), "left")]
    # Fit the terminal: a template row is one category, so its billable count adds little;
    # with BSP fees the template view shows only the all-in cost; the cost per 1,000
    # messages and the share bars take the room a wider terminal has.
    with_billable = view != "template" and not fees
    split_fees = fees and view != "template"
    with_rate = view != "template" and width >= (110 if fees else 90)
    money_columns = (
        [(f"Meta ({cur})", "right"), (f"Fees ({cur})", "right"), (f"Total ({cur})", "right")]
        if split_fees
        else [(f"Total ({cur})" if fees else f"Cost ({cur})", "right")]
    )
    columns += [
        ("Messages", "right"),
        *([("Billable", "right")] if with_billable else []),
        *money_columns,
        *([("Per 1,000", "right")] if with_rate else []),
        ("Share", "left"),
    ]
    for name, justify in columns:
        # Names may wrap; numbers and bars never do (a wrapped bar reads as two rows).
        table.add_column(name, justify=justify, no_wrap=justify == "right" or name == "Share")  # type: ignore[arg-type]
    bar_width = _bar_width(width, view == "template" or fees)

    def amounts(row: Row | Totals) -> list[str]:
        if split_fees:
            return [money(row.cost), money(row.fees), money(row.all_in)]
        return [money(row.all_in)]

    def rate(row: Row | Totals) -> list[str]:
        return [per_thousand(row.all_in, row.messages)] if with_rate else []

    for row in rows:
        billable = row.billable_messages
        counts = [f"{row.messages:,}"]
        if with_billable:
            counts.append("" if billable is None else f"{billable:,}")
        table.add_row(
            *_labels(row),
            *counts,
            *amounts(row),
            *rate(row),
            _share_cell(row.all_in, totals.all_in, bar_width),
        )
    pad = ["", ""] if view == "template" else []
    unbilled = not_billed(estimate, view)
    if unbilled:
        # the total counts them, so the table shows them: its Messages column adds up
        table.add_row(
            Text(NOT_BILLED, style="dim"),
            *pad,
            Text(f"{unbilled:,}", style="dim"),
            *(["0"] if with_billable else []),
            *([""] * (len(amounts(totals)) + len(rate(totals)))),
            "",
        )
    table.add_section()
    total_counts = [f"{totals.messages:,}"] + (
        [f"{totals.billable_messages:,}"] if with_billable else []
    )
    table.add_row("Total", *pad, *total_counts, *amounts(totals), *rate(totals), "", style="bold")
    return table


def _comparison(estimate: Estimate) -> list[Any]:
    view = comparison_view(estimate)
    if view is None:
        return []
    cur = estimate.currency
    old, new = view.old, view.new
    parts: list[Any] = [
        Text(""),
        Text(
            f"From {old.date} (card effective {old.effective}) to {new.date} (card "
            f"effective {new.effective}): {money(view.total.old)} → "
            f"{money(view.total.new)} {cur} ({signed_money(view.total.change)} {cur})."
        ),
    ]
    for changes, title in ((view.by_category, "Category"), (view.by_market, "Market")):
        rows = changes[:10]
        if not rows:
            continue
        table = Table(title=f"{title} costs, {old.date} → {new.date}", title_justify="left")
        for name in (title, f"{old.date} ({cur})", f"{new.date} ({cur})", "Change"):
            table.add_column(name, justify="left" if name == title else "right")
        for row in rows:
            table.add_row(row.name, money(row.old), money(row.new), signed_money(row.change))
        parts.append(table)
    return parts


def _limits_table(estimate: Estimate) -> Table | None:
    policy = estimate.policy
    rows = limit_rows(estimate)
    if policy is None or not rows:
        return None
    cur = estimate.currency
    title = f"Budget policy ({policy.source})" if policy.source else "Budget policy"
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
        used = (
            ""
            if row.percent is None
            else f"{_bar(row.percent / 100, _BAR_WIDTH // 2)} {number_text(row.percent) + '%':>6}"
        )
        status = STATUS_TEXT.get(row.status, row.status) + warned_at(row)
        table.add_row(
            limit_label(row),
            money(row.limit),
            money(row.used),
            used,
            Text(
                status.upper() if row.status == "broken" else status,
                style=_STATUS_STYLE.get(row.status, ""),
            ),
        )
    return table


def build_renderables(
    estimate: Estimate, views: tuple[str, ...] | None = None, width: int = _WIDTH
) -> Group:
    cur = estimate.currency
    totals = estimate.totals
    card = estimate.rate_card
    parts: list[Any] = []
    judged = verdict(estimate)
    if judged is not None:  # the verdict first: it is what a run is for
        status, sentence = judged
        parts.append(Text(sentence, style=_STATUS_STYLE.get(status, "")))
    fee_text = (
        f" (Meta {money(totals.cost)} + fees {money(totals.fees)})" if has_fees(estimate) else ""
    )
    rate = per_thousand(totals.all_in, totals.messages)
    parts.append(
        Text.assemble(
            ("Estimated cost: ", "bold"),
            (f"{money(totals.all_in)} {cur}", "bold"),
            fee_text,
            f"  ·  {totals.messages:,} messages, {totals.billable_messages:,} billable"
            + (f"  ·  {rate} {cur} per 1,000 messages" if rate else "")
            + f"  ·  send date {estimate.date}",
        )
    )
    for view in check_views(views):
        parts.extend([Text(""), _breakdown_table(estimate, view, width)])
    risk = estimate.recategorization_risk
    if risk is not None and risk.templates:
        parts.append(
            Text(
                f"Recategorization risk: +{money(risk.extra_cost)} {cur} if Meta moves "
                f"{', '.join(t.template for t in risk.templates)} to marketing.",
                style="yellow",
            )
        )
    limits = _limits_table(estimate)
    if limits is not None:
        parts.append(limits)
    parts += _comparison(estimate)
    unpriced = estimate.unpriced
    policy = estimate.policy
    if unpriced is not None and (
        estimate.budget.incomplete or (policy is not None and policy.incomplete)
    ):
        parts.append(
            Text(
                f"Budget not checked: {unpriced.message}. How to price them: "
                f"{unpriced.how_to_price}.",
                style="bold red",
            )
        )
    for w in estimate.warnings:
        where = f" (e.g. {w.example})" if w.example else ""
        parts.append(
            Text(
                f"warning [{w.code}] {w.count:,} messages: {w.message}{where}",
                style="yellow",
            )
        )
    for note in notes(estimate):
        parts.append(Text(note, style="dim"))
    parts.append(
        Text(
            f"Rate card {card_currency(estimate)} effective {card.effective_from} "
            f"(confidence {card.confidence}): {card.source}",
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
    console = report_console(buffer, width, color, soft_wrap=False)
    console.print(build_renderables(estimate, views, width))
    return buffer.getvalue()


def render_total(estimate: Estimate) -> str:
    """Only the total cost (all in, as --budget counts it) and its currency, one line: `8.5753 USD` (--quiet)."""
    return f"{format_money(estimate.totals.all_in)} {estimate.currency}\n"
