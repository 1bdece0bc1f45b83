"""Reconcile a saved estimate with what Meta billed, and say why they differ.

Inputs: a `wacost.estimate/1` report (its `lines`), and what Meta billed for the same send:
Meta's `pricing_analytics` response (data points with country, pricing_category, pricing_type,
optionally tier; volume and cost), or a CSV `market,category,messages,cost` from a provider's
invoice. Several files (or pages) are added together.

The difference between the two is split into findings that add up to it exactly, per market and
category, with the estimate's list rate `r` as the yardstick:

    actual - estimate = (delivered - planned) * r            not_delivered / unplanned_messages
                      + shifted * (r_marketing - r_utility)  recategorized
                      - (free actual - free planned) * r     free_messages
                      - (tier discount actual - planned)     volume_tier
                      + (billed price - r) * messages        rate_changed
plus whole markets billed on one side only. `shifted` is how many delivered messages planned as
utility were billed as marketing: assuming one delivery rate for a market's marketing and utility
messages (Meta's analytics has no template dimension), it is what the marketing volume holds
beyond that rate times the planned marketing messages, and at most the utility shortfall.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from wacost.errors import InputFileError
from wacost.files import read_text_file
from wacost.models import CATEGORY_ORDER, format_money
from wacost.prices.cards import PriceBook, RateCard
from wacost.reconcile.billed import REGULAR, Actual, _tier_discounted
from wacost.reconcile.findings import (
    _Finding,
    _finding_list,
)
from wacost.reconcile.model import DeliveryRate, ReconcileRow, Reconciliation
from wacost.report.document import from_json
from wacost.report.model import Estimate, Line

_ORDER = {c.value: i for i, c in enumerate(CATEGORY_ORDER)}


def load_estimate(path: Path) -> Estimate:
    """A saved `estimate --format json` report, every field validated."""
    return from_json(read_text_file(path, "saved estimate"), str(path))


def mapping_card(estimate: Estimate, book: PriceBook) -> RateCard:
    """The card whose markets the estimate used (its date; the card currency before any --fx-rate)."""
    currency = estimate.fx.from_ if estimate.fx is not None else estimate.currency
    return book.card_for(estimate.date, currency, "date")


@dataclass
class _Cell:
    """One market and category, on one side: messages, free ones, cost, and price effects."""

    messages: int = 0
    free: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0  # estimate: messages without a rate
    tier_saving: Decimal = Decimal(0)  # list price minus billed price, in discounted bands
    price_gap: Decimal = Decimal(0)  # billed price minus list price, elsewhere


def _sort_key(market: str, category: str) -> tuple[str, int, str]:
    return (market, _ORDER.get(category, len(_ORDER)), category)


def _key(line: Line) -> tuple[str, str]:
    return (line.market, line.category.value)


def _list_rates(estimate: Estimate, card: RateCard | None) -> dict[tuple[str, str], Decimal]:
    """The list rate of each market and category: the estimate's, else the card's."""
    rates: dict[tuple[str, str], Decimal] = {}
    if card is not None:
        for name, market in card.markets.items():
            for category, rate in market.rates.items():
                if isinstance(rate, Decimal):
                    rates[(name, category.value)] = rate
    for line in estimate.lines:
        if (
            line.pricing_type.value == REGULAR
            and line.rate is not None
            and not _tier_discounted(line.tier)
        ):
            rates[_key(line)] = line.rate
    return rates


def _estimate_cells(estimate: Estimate) -> dict[tuple[str, str], _Cell]:
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for line in estimate.lines:
        cell = cells[_key(line)]
        cell.messages += line.messages
        if line.pricing_type.value != REGULAR:
            cell.free += line.messages
        if line.cost is None:
            cell.unpriced += line.messages
            continue
        cell.cost += line.cost
    return cells


def _actual_cells(actual: Actual) -> dict[tuple[str, str], _Cell]:
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for point in actual.points:
        cell = cells[(point.market, point.category)]
        cell.messages += point.messages
        cell.cost += point.cost
        if point.pricing_type != REGULAR:
            cell.free += point.messages
    return cells


def _price_effects(
    estimate: Estimate,
    actual: Actual,
    rates: dict[tuple[str, str], Decimal],
    est: dict[tuple[str, str], _Cell],
    act: dict[tuple[str, str], _Cell],
) -> None:
    """Fill tier savings and price gaps on both sides (estimate gaps are rounding, if anything)."""
    for point in actual.points:
        key = (point.market, point.category)
        rate = rates.get(key)
        if rate is None:
            continue
        cell = act[key]
        if point.pricing_type != REGULAR:
            cell.price_gap += point.cost  # free messages cost nothing; anything billed is a price
        elif _tier_discounted(point.tier):
            cell.tier_saving += rate * point.messages - point.cost
        else:
            cell.price_gap += point.cost - rate * point.messages
    for line in estimate.lines:
        key = _key(line)
        rate = rates.get(key)
        if rate is None or line.cost is None:
            continue
        cell = est[key]
        cost, messages = line.cost, line.messages
        if line.pricing_type.value != REGULAR:
            cell.price_gap += cost
        elif _tier_discounted(line.tier):
            cell.tier_saving += rate * messages - cost
        else:
            cell.price_gap += cost - rate * messages


def _shifted(planned: dict[str, int], billed: dict[str, int]) -> int:
    """Delivered messages planned as utility but billed as marketing, in one market.

    With one delivery rate d for the market's marketing and utility messages (at most 1), the
    marketing volume beyond d x planned marketing, and at most the utility shortfall below
    d x planned utility, was recategorized.
    """
    e_m, e_u = planned.get("marketing", 0), planned.get("utility", 0)
    a_m, a_u = billed.get("marketing", 0), billed.get("utility", 0)
    if e_u == 0 or a_m == 0 or e_m + e_u == 0:
        return 0
    d = min(Fraction(a_m + a_u, e_m + e_u), Fraction(1))
    moved = min(a_m - d * e_m, d * e_u - a_u)
    if moved <= 0:
        return 0
    return min(int(moved + Fraction(1, 2)), a_m, e_u)


def _free_expected(planned_free: int, delivered: int, planned: int) -> int:
    """The planned free messages among `delivered` of `planned`, in proportion (half up)."""
    if delivered >= planned or planned == 0:
        return planned_free
    return min(int(Fraction(planned_free * delivered, planned) + Fraction(1, 2)), delivered)


def reconcile(
    estimate: Estimate,
    actual: Actual,
    book: PriceBook | None = None,
    tolerance: Decimal | None = None,
) -> Reconciliation:
    """The `wacost.reconcile/1` report: rows, totals, delivery rates and findings."""
    currency = estimate.currency
    if actual.currency is not None and actual.currency != currency:
        raise InputFileError(
            f"the bill is in {actual.currency}, the estimate in {currency}",
            f"estimate again with --currency {actual.currency}",
        )
    card = None
    if book is not None and estimate.fx is None:
        card = book.card_for(estimate.date, currency, "date")
    rates = _list_rates(estimate, card)
    est = _estimate_cells(estimate)
    act = _actual_cells(actual)
    _price_effects(estimate, actual, rates, est, act)

    est_markets = {m for m, _ in est}
    act_markets = {m for m, _ in act}
    findings: dict[str, _Finding] = defaultdict(_Finding)
    delivery: list[DeliveryRate] = []

    for market in sorted(est_markets | act_markets):
        e_cats = {c: cell for (m, c), cell in est.items() if m == market}
        a_cats = {c: cell for (m, c), cell in act.items() if m == market}
        if not a_cats:
            cost = sum((c.cost for c in e_cats.values()), Decimal(0))
            findings["market_only_in_estimate"].add(
                market, -cost, sum(c.messages for c in e_cats.values())
            )
            delivery.append(DeliveryRate(market, Decimal(0)))
            continue
        if not e_cats:
            cost = sum((c.cost for c in a_cats.values()), Decimal(0))
            findings["market_only_in_actual"].add(
                market, cost, sum(c.messages for c in a_cats.values())
            )
            continue
        planned = {c: cell.messages for c, cell in e_cats.items()}
        billed = {c: cell.messages for c, cell in a_cats.items()}
        r_m, r_u = rates.get((market, "marketing")), rates.get((market, "utility"))
        moved = _shifted(planned, billed) if r_m is not None and r_u is not None else 0
        if moved:
            assert r_m is not None and r_u is not None
            findings["recategorized"].add(market, moved * (r_m - r_u), moved)
            billed["marketing"] -= moved
            billed["utility"] = billed.get("utility", 0) + moved
        delivered = 0
        for category in set(e_cats) | set(a_cats):
            e = e_cats.get(category, _Cell())
            a = a_cats.get(category, _Cell())
            rate = rates.get((market, category))
            delivered += min(billed.get(category, 0), planned.get(category, 0))
            if rate is None or e.unpriced:
                findings["unpriced"].add(market, a.cost - e.cost, a.messages)
                continue
            sent, plan = billed.get(category, 0), planned.get(category, 0)
            # Free messages the estimate planned are expected in proportion to delivery; only
            # charged messages that were not delivered (or not planned) move the bill.
            free_expected = _free_expected(e.free, sent, plan)
            charged_gap = (sent - free_expected) - (plan - e.free)
            if sent < plan:
                findings["not_delivered"].add(market, charged_gap * rate, plan - sent)
            elif sent > plan:
                findings["unplanned_messages"].add(market, charged_gap * rate, sent - plan)
            if a.free != free_expected:
                more_free = a.free - free_expected
                findings["free_messages"].add(market, -more_free * rate, more_free)
            if a.tier_saving != e.tier_saving:
                findings["volume_tier"].add(market, -(a.tier_saving - e.tier_saving))
            if a.price_gap != e.price_gap:
                findings["rate_changed"].add(market, a.price_gap - e.price_gap)
        total_planned = sum(planned.values())
        if total_planned:
            delivery.append(DeliveryRate(market, Decimal(delivered) / total_planned))

    rows = []
    for market, category in sorted(set(est) | set(act), key=lambda k: _sort_key(*k)):
        e = est.get((market, category), _Cell())
        a = act.get((market, category), _Cell())
        rows.append(ReconcileRow(market, category, e.messages, a.messages, e.cost, a.cost))
    estimated = estimate.totals.cost
    lines_total = sum((cell.cost for cell in est.values()), Decimal(0))
    if lines_total != estimated:
        raise InputFileError(
            f"the estimate's lines add up to {format_money(lines_total)}, "
            f"its totals.cost is {format_money(estimated)}",
            "give the estimate as wacost saved it",
        )
    return Reconciliation(
        currency=currency,
        estimate_date=estimate.date,
        rate_card=estimate.rate_card.effective_from,
        start=actual.start,
        end=actual.end,
        sources=tuple(actual.sources),
        rows=tuple(rows),
        delivery_rates=tuple(delivery),
        findings=_finding_list(findings, currency, estimate, actual, book),
        tolerance=tolerance,
    )
