"""Priced pieces -> the report's breakdowns (by category, market, template; lines) and comparison."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from wacost.estimate.billing import _fees_of, _Priced
from wacost.models import CATEGORY_ORDER, Category, PricingType
from wacost.prices.cards import RateCard
from wacost.prices.fees import FeeProfile
from wacost.report.model import (
    CategoryDifference,
    CategoryRow,
    Comparison,
    Line,
    MarketDifference,
    MarketRow,
    RateCardInfo,
    TemplateRow,
)


@dataclass
class _Group:
    messages: int = 0
    billable: int = 0
    cost: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)

    def add(
        self, messages: int, billable: bool, cost: Decimal | None, fees: Decimal = Decimal(0)
    ) -> None:
        self.messages += messages
        if billable:
            self.billable += messages
        if cost is not None:
            self.cost += cost
        self.fees += fees


@dataclass(frozen=True)
class Summary:
    """The breakdowns of a priced campaign, and the sums the totals are made of."""

    cost: Decimal
    fees: Decimal
    billable: int
    free: int
    lines: tuple[Line, ...]
    by_category: tuple[CategoryRow, ...]
    by_market: tuple[MarketRow, ...]
    by_template: tuple[TemplateRow, ...]


def summarize(
    priced: _Priced, fees: FeeProfile | None, failure_rate: Decimal = Decimal(0)
) -> Summary:
    by_category: dict[Category, _Group] = defaultdict(_Group)
    by_market: dict[str, _Group] = defaultdict(_Group)
    by_template: dict[tuple[str | None, str | None, Category], _Group] = defaultdict(_Group)
    lines: dict[tuple[str, Category, PricingType, str | None, Decimal | None], list[Any]] = (
        defaultdict(lambda: [0, Decimal(0)])
    )
    for piece in priced.pieces:
        cell = piece.cell
        fee = _fees_of(piece, fees, failure_rate)
        by_category[cell.category].add(piece.messages, piece.billable, piece.cost, fee)
        by_market[cell.market].add(piece.messages, piece.billable, piece.cost, fee)
        by_template[(cell.template, cell.language, cell.category)].add(
            piece.messages, piece.billable, piece.cost, fee
        )
        line = lines[(cell.market, cell.category, cell.pricing_type, piece.tier, piece.rate)]
        line[0] += piece.messages
        line[1] += piece.cost or Decimal(0)

    def band_order(tier: str | None) -> int:
        return int(tier.split(":")[0]) if tier else -1

    typed_lines = tuple(
        Line(
            market=market,
            category=category,
            pricing_type=pricing_type,
            tier=tier,
            messages=messages,
            rate=rate,
            cost=cost if rate is not None else None,
        )
        for (market, category, pricing_type, tier, rate), (messages, cost) in sorted(
            lines.items(),
            key=lambda item: (
                item[0][0],
                CATEGORY_ORDER.index(item[0][1]),
                item[0][2].value,
                band_order(item[0][3]),
            ),
        )
    )
    cost = sum((g.cost for g in by_category.values()), Decimal(0))
    fee_total = sum((g.fees for g in by_category.values()), Decimal(0))
    billable = sum(g.billable for g in by_category.values())
    priced_messages = sum(g.messages for g in by_category.values())
    unknown = sum(p.messages for p in priced.pieces if p.rate is None)

    def money(g: _Group) -> dict[str, Any]:
        if fees is None:
            return {"cost": g.cost}
        return {"cost": g.cost, "fees": g.fees, "total_cost": g.cost + g.fees}

    return Summary(
        cost=cost,
        fees=fee_total,
        billable=billable,
        free=priced_messages - billable - unknown,
        lines=typed_lines,
        by_category=tuple(
            CategoryRow(category=c, messages=g.messages, billable_messages=g.billable, **money(g))
            for c, g in sorted(by_category.items(), key=lambda i: CATEGORY_ORDER.index(i[0]))
        ),
        by_market=tuple(
            MarketRow(market=m, messages=g.messages, billable_messages=g.billable, **money(g))
            for m, g in sorted(by_market.items(), key=lambda i: (-i[1].cost, i[0]))
        ),
        by_template=tuple(
            TemplateRow(
                template=t,
                language=lang,
                category=c,
                messages=g.messages,
                billable_messages=g.billable,
                **money(g),
            )
            for (t, lang, c), g in sorted(
                by_template.items(), key=lambda i: (-i[1].cost, i[0][0] or "", i[0][1] or "")
            )
        ),
    )


def card_info(card: RateCard) -> RateCardInfo:
    return RateCardInfo(
        effective_from=card.effective_from,
        source=card.source_url,
        confidence=card.confidence,
        file=Path(card.path).name,
    )


def _moves(a: dict[str, Decimal], b: dict[str, Decimal]) -> list[tuple[str, Decimal, Decimal]]:
    """(key, cost, compare cost) for every key on either side, biggest moves first."""
    keys = sorted(
        set(a) | set(b), key=lambda k: (-(abs(b.get(k, Decimal(0)) - a.get(k, Decimal(0)))), k)
    )
    return [(k, a.get(k, Decimal(0)), b.get(k, Decimal(0))) for k in keys]


def compare(base: Summary, other: Summary, card: RateCard, on: dt.date) -> Comparison:
    """How the campaign's cost moves on another date's card, by market and by category."""
    markets = _moves(
        {r.market: r.cost for r in base.by_market}, {r.market: r.cost for r in other.by_market}
    )
    categories = _moves(
        {r.category.value: r.cost for r in base.by_category},
        {r.category.value: r.cost for r in other.by_category},
    )
    return Comparison(
        date=on,
        rate_card=card_info(card),
        cost=other.cost,
        difference=other.cost - base.cost,
        by_market=tuple(
            MarketDifference(market=k, cost=a, compare_cost=b, difference=b - a)
            for k, a, b in markets
        ),
        by_category=tuple(
            CategoryDifference(category=k, cost=a, compare_cost=b, difference=b - a)
            for k, a, b in categories
        ),
    )
