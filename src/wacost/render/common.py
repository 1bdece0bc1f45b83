"""What the human-facing views (table, Markdown, HTML) share: views, shares, and budget status rows.

Everything here reads the typed estimate (`wacost.report.model.Estimate`). An amount is shown
as the JSON writes it: rounded by the one rule (`wacost.models.round_money`), and any figure
made from amounts (a share, a cost per 1,000, a change) is made from the rounded amounts, so
what a report shows adds up as shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from wacost.models import format_money, round_money
from wacost.report.codec import number_text
from wacost.report.model import (
    Budget,
    CategoryRow,
    Estimate,
    LimitResult,
    MarketRow,
    TemplateRow,
    Totals,
)

# The breakdowns a report can show, in the order they are shown; `--by` picks one.
VIEWS = ("category", "market", "template")
VIEW_TITLES = {"category": "By category", "market": "By market", "template": "By template"}
STATUS_TEXT = {"ok": "ok", "warning": "warning", "broken": "over limit"}

Row = CategoryRow | MarketRow | TemplateRow
"""A row of one breakdown (`by_category`, `by_market` or `by_template`)."""


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a fraction of `whole`, both as shown (rounded), or None when `whole` shows zero."""
    shown_whole = round_money(whole)
    if shown_whole == 0:
        return None
    return round_money(part) / shown_whole


def percent_of(fraction: Decimal) -> Decimal:
    """A fraction as a percentage with one decimal place, rounded half up: `76.5`."""
    return (fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_text(fraction: Decimal | None) -> str:
    """A fraction as a percentage with one decimal place, rounded half up: `76.5%` (blank for None)."""
    if fraction is None:
        return ""
    return f"{percent_of(fraction)}%"


def check_views(views: tuple[str, ...] | None) -> tuple[str, ...]:
    """The breakdowns to show: `views`, or all of them."""
    if not views:
        return VIEWS
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view {unknown[0]!r}; use one of {', '.join(VIEWS)}")
    return views


def breakdown(estimate: Estimate, view: str) -> tuple[Row, ...]:
    """The rows of one breakdown (`by_category`, `by_market` or `by_template`)."""
    rows: tuple[Row, ...] = getattr(estimate, f"by_{view}")
    return rows


def row_name(row: Row) -> str:
    """What a breakdown row is of: its category, market or template."""
    if isinstance(row, CategoryRow):
        return row.category.value
    if isinstance(row, MarketRow):
        return row.market
    return template_name(row)


def _budget_row(budget: Budget, totals: Totals) -> LimitResult | None:
    """A plain --budget as a total limit, in the amounts the report shows."""
    if budget.limit is None:
        return None
    used = round_money(totals.all_in)
    limit = round_money(budget.limit)
    fraction = None if limit == 0 else used / limit
    return LimitResult(
        scope="total",
        name="total",
        limit=limit,
        used=used,
        remaining=limit - used,
        percent=None if fraction is None else percent_of(fraction),
        warn_at=None,
        status="broken" if budget.exceeded or budget.incomplete else "ok",
        source="--budget",
    )


def limit_rows(estimate: Estimate) -> tuple[LimitResult, ...]:
    """Every spending limit of the report, as in the policy block (a plain --budget is one row)."""
    if estimate.policy is not None:
        return estimate.policy.limits
    row = _budget_row(estimate.budget, estimate.totals)
    return () if row is None else (row,)


def limit_label(row: LimitResult) -> str:
    """`Total`, `Category marketing`, `Market India`."""
    if row.scope == "total":
        return "Total"
    return f"{row.scope.capitalize()} {row.name}"


def warned_at(row: LimitResult) -> str:
    """` (≥ 80%)` after a warned limit's status; empty for any other."""
    if row.status == "warning" and row.warn_at is not None:
        return f" (≥ {number_text(row.warn_at)}%)"
    return ""


def overall_status(estimate: Estimate) -> str | None:
    """`ok`, `warning` or `broken` for the report's limits; None when it has none."""
    rows = limit_rows(estimate)
    if not rows:
        return None
    states = {row.status for row in rows}
    return "broken" if "broken" in states else "warning" if "warning" in states else "ok"


def template_name(row: TemplateRow) -> str:
    return row.template or "(non-template)"


def has_fees(estimate: Estimate) -> bool:
    """Whether the report adds BSP fees to Meta's price (its rows then carry fees and total_cost)."""
    return estimate.totals.total_cost is not None


def notes(estimate: Estimate) -> list[str]:
    """One sentence each on how the report was priced, beyond the rate card: fees, currency, free tiers."""
    out: list[str] = []
    cur = estimate.currency
    totals = estimate.totals
    if totals.expected_cost is not None:
        source = estimate.delivery_rates.source if estimate.delivery_rates else None
        out.append(
            f"Expected cost: {format_money(totals.expected_cost)} {cur} at the delivery rates of "
            f"{source}; at most {format_money(totals.cost)} {cur} if every message is delivered."
        )
    fees = estimate.fees
    if fees is not None:
        out.append(
            f"BSP fees: {fees.profile} — {format_money(fees.total_fees)} {cur} on top of Meta's "
            f"{format_money(fees.meta_cost)} {cur}." + (f" {fees.note}" if fees.note else "")
        )
    fx = estimate.fx
    if fx is not None:
        out.append(
            f"Currency: 1 {fx.from_} = {number_text(fx.rate)} {fx.to}"
            + (f"; {fx.note}." if fx.note else ".")
        )
    # The free tier and volume tier blocks are free-form (dicts, as in the JSON).
    tier = estimate.service_free_tier
    if tier:
        if tier.get("applied"):
            out.append(
                f"Service free tier: {tier.get('absorbed', 0):,} service messages free of "
                f"{tier.get('allowance', 0):,} left this month ({tier.get('sender_numbers')} sender "
                f"number(s) × {tier.get('per_number', 0):,}, {tier.get('used_before', 0):,} used before)."
            )
        elif tier.get("note"):
            out.append(f"Service free tier: {tier['note']}.")
    for notice in estimate.notices or ():
        example = f" (e.g. {notice.example})" if notice.example else ""
        out.append(
            f"{notice.message[:1].upper()}{notice.message[1:]}: {notice.count:,} messages{example}."
        )
    volume = estimate.volume_tiers
    if volume:
        bands = volume.get("bands") or {}
        start = (
            f"month-to-date usage from {volume['usage']}"
            if volume.get("usage")
            else "counted from 0 this month (no usage given)"
        )
        discounted = {
            (line.market, line.category)
            for line in estimate.lines
            if line.tier and not line.tier.startswith("0:")
        }
        out.append(
            f"Volume tiers: {start}; "
            + (
                f"{len(bands)} market/category pair(s) on Meta's bands, "
                f"{len(discounted)} past the first band."
                if bands
                else "no volume tier reached."
            )
        )
    return out


def signed(amount: str) -> str:
    """A difference (as text) with its sign: `+21.2500`, `-21.2500`, `0.0000`."""
    return amount if amount.startswith("-") or Decimal(amount) == 0 else f"+{amount}"


def signed_money(amount: Decimal) -> str:
    """An amount's change, rounded by the one rule, with its sign: `+21.2500`."""
    return signed(format_money(amount))


# Characters that could steer a terminal or reorder text: C0/C1 controls (ANSI escapes start
# with ESC or CSI), DEL, and the bidirectional overrides and isolates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control or bidi character written out (ESC as \\x1b), and lone
    surrogates replaced: safe on a terminal and in any file."""
    if text.isprintable():
        return text
    text = _UNSAFE.sub(_visible, text)
    if any(unicodedata.category(ch) == "Cs" for ch in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _printable_data(value: Any) -> Any:
    """`value` with every string in it made `printable`: a typed value (a frozen dataclass,
    a tuple) rebuilt only where something changed, so an all-printable value comes back as is."""
    if isinstance(value, Enum):  # before str: the enums are str-mixins, and their values are safe
        return value
    if isinstance(value, str):
        return printable(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            clean = _printable_data(item)
            if clean is not item:
                changed[field.name] = clean
        return dataclasses.replace(value, **changed) if changed else value
    if isinstance(value, tuple | list):
        items = [_printable_data(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        pairs = [(_printable_data(k), _printable_data(v)) for k, v in value.items()]
        if all(k is a and v is b for (k, v), (a, b) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    return value


def printable_estimate(estimate: Estimate) -> Estimate:
    """`estimate`, with every string in it (names, warnings, fields of a newer wacost's
    report) made `printable`; the same object when all are."""
    clean: Estimate = _printable_data(estimate)
    return clean


def card_currency(estimate: Estimate) -> str:
    """The rate card's currency as a report shows it: `USD`, or `USD (converted to EUR at 0.92
    per USD)` when the report's currency is a conversion (--fx-rate), not a published card."""
    fx = estimate.fx
    if fx is not None:
        return f"{fx.from_} (converted to {fx.to} at {number_text(fx.rate)} per {fx.from_})"
    return estimate.currency


def money(amount: Decimal | None) -> str:
    """An amount, rounded by the one rule, with thousands separators: `159,150.0000` (blank for None)."""
    if amount is None:
        return ""
    return f"{round_money(amount):,}"


def per_thousand(cost: Decimal, messages: int) -> str:
    """What 1,000 messages cost on average (of the cost as shown), to two decimal places:
    `28.15` (blank for none)."""
    if not messages:
        return ""
    value = (round_money(cost) * 1000 / messages).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,}"


NOT_BILLED = "Not billed"


def not_billed(estimate: Estimate, view: str) -> int:
    """Messages the total counts that no row of a breakdown holds: invalid numbers, planning
    rows with an unknown country, unpriced markets (the `Not billed` row that makes a table add
    up to its total)."""
    rows = breakdown(estimate, view)
    return max(0, estimate.totals.messages - sum(r.messages for r in rows))


def verdict(estimate: Estimate) -> tuple[str, str] | None:
    """The budget verdict, first thing a report says: (status, sentence), status `ok`,
    `warning` or `broken`; None without a budget or policy."""
    rows = limit_rows(estimate)
    if not rows:
        return None
    cur = estimate.currency
    policy = estimate.policy
    if estimate.budget.incomplete or (policy is not None and policy.incomplete):
        # a total that leaves billable messages unpriced passes no budget
        return "broken", "BUDGET NOT CHECKED: the total leaves billable messages unpriced"
    broken = [r for r in rows if r.status == "broken"]
    if broken:

        def over(r: LimitResult) -> str:
            by = money(round_money(r.used) - round_money(r.limit))
            return f"by {by} {cur}: {money(r.used)} of {money(r.limit)} {cur}"

        if [r.scope for r in broken] == ["total"]:
            return "broken", f"OVER BUDGET {over(broken[0])}"
        return "broken", "OVER LIMIT: " + "; ".join(
            f"{limit_label(r).lower()} {over(r)}" for r in broken
        )
    warned = [r for r in rows if r.status == "warning"]
    total = next((r for r in rows if r.scope == "total"), None)
    if total is not None:
        text = f"Within budget: {money(total.remaining)} {cur} left of {money(total.limit)}" + (
            f" ({number_text(total.percent)}% used)" if total.percent is not None else ""
        )
    else:
        text = f"Within every limit ({len(rows)})"
    if warned:
        text += "; near the limit: " + ", ".join(limit_label(r).lower() for r in warned)
        return "warning", text
    return "ok", text


@dataclass(frozen=True)
class CardDate:
    """A send date and the effective date of the card in force on it."""

    date: dt.date
    effective: dt.date


@dataclass(frozen=True)
class CostChange:
    """A category's or market's cost on the older and the newer card, as shown."""

    name: str
    old: Decimal
    new: Decimal

    @property
    def change(self) -> Decimal:
        return self.new - self.old


@dataclass(frozen=True)
class ComparisonView:
    """The --compare-date comparison read from the older date to the newer (amounts as shown)."""

    old: CardDate
    new: CardDate
    total: CostChange
    by_category: tuple[CostChange, ...]
    by_market: tuple[CostChange, ...]


def comparison_view(estimate: Estimate) -> ComparisonView | None:
    """The --compare-date comparison as people read it: from the older date to the newer.

    The saved report keeps `cost` (on --date), `compare_cost` (on --compare-date) and their
    `difference` (compare - cost); this turns them into old, new and change = new - old, with
    each date named, for markets and categories whose cost moves.
    """
    comparison = estimate.comparison
    if comparison is None:
        return None
    base = CardDate(estimate.date, estimate.rate_card.effective_from)
    other = CardDate(comparison.date, comparison.rate_card.effective_from)
    swap = comparison.date < estimate.date  # the other date is the older one
    old, new = (other, base) if swap else (base, other)

    def turn(name: str, cost: Decimal, compare_cost: Decimal) -> CostChange:
        a, b = (compare_cost, cost) if swap else (cost, compare_cost)
        return CostChange(name=name, old=round_money(a), new=round_money(b))

    return ComparisonView(
        old=old,
        new=new,
        total=turn("total", estimate.totals.cost, comparison.cost),
        by_category=tuple(
            turn(r.category, r.cost, r.compare_cost)
            for r in comparison.by_category
            if round_money(r.difference) != 0
        ),
        by_market=tuple(
            turn(r.market, r.cost, r.compare_cost)
            for r in comparison.by_market
            if round_money(r.difference) != 0
        ),
    )


def report_console(buffer: Any, width: int, color: bool, **options: Any) -> Any:
    """The Rich console every human format prints into: `width` columns, colour codes only
    if `color`, and names taken as data (no markup, no emoji codes, no highlighting)."""
    from rich.console import Console

    return Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        highlight=False,
        markup=False,  # names are data: [bold] in a name is printed, not applied
        emoji=False,
        **options,
    )
