"""Priced pieces -> the report's breakdowns (by category, market, template; lines) and comparison."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from wacost.estimate.billing import _fees_of, _Priced
from wacost.models import (
    CATEGORY_ORDER,
    MONEY_PLACES,
    Category,
    PricingType,
    format_money,
)
from wacost.prices.cards import RateCard
from wacost.prices.fees import FeeProfile


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


def _rate_text(rate: Decimal | None) -> str | None:
    """A rate as text: 4 places like Meta's cards, or every place of a converted rate."""
    if rate is None:
        return None
    if rate == rate.quantize(MONEY_PLACES):
        return format_money(rate)
    return str(rate.normalize())


def _summaries(
    priced: _Priced, fees: FeeProfile | None, failure_rate: Decimal = Decimal(0)
) -> dict[str, Any]:
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

    line_dicts = [
        {
            "market": market,
            "category": category.value,
            "pricing_type": pricing_type.value,
            "tier": tier,
            "messages": messages,
            "rate": _rate_text(rate),
            "cost": format_money(cost) if rate is not None else None,
        }
        for (market, category, pricing_type, tier, rate), (messages, cost) in sorted(
            lines.items(),
            key=lambda item: (
                item[0][0],
                CATEGORY_ORDER.index(item[0][1]),
                item[0][2].value,
                band_order(item[0][3]),
            ),
        )
    ]
    cost = sum((g.cost for g in by_category.values()), Decimal(0))
    fee_total = sum((g.fees for g in by_category.values()), Decimal(0))
    billable = sum(g.billable for g in by_category.values())
    priced_messages = sum(g.messages for g in by_category.values())
    unknown = sum(p.messages for p in priced.pieces if p.rate is None)

    def group(g: _Group) -> dict[str, Any]:
        out: dict[str, Any] = {
            "messages": g.messages,
            "billable_messages": g.billable,
            "cost": format_money(g.cost),
        }
        if fees is not None:
            out["fees"] = format_money(g.fees)
            out["total_cost"] = format_money(g.cost + g.fees)
        return out

    return {
        "cost": cost,
        "fees": fee_total,
        "billable": billable,
        "free": priced_messages - billable - unknown,
        "lines": line_dicts,
        "by_category": [
            {"category": c.value, **group(g)}
            for c, g in sorted(by_category.items(), key=lambda i: CATEGORY_ORDER.index(i[0]))
        ],
        "by_market": [
            {"market": m, **group(g)}
            for m, g in sorted(by_market.items(), key=lambda i: (-i[1].cost, i[0]))
        ],
        "by_template": [
            {"template": t, "language": lang, "category": c.value, **group(g)}
            for (t, lang, c), g in sorted(
                by_template.items(), key=lambda i: (-i[1].cost, i[0][0] or "", i[0][1] or "")
            )
        ],
    }


def _card_info(card: RateCard) -> dict[str, Any]:
    return {
        "effective_from": card.effective_from.isoformat(),
        "source": card.source_url,
        "confidence": card.confidence,
        "file": Path(card.path).name,
    }


def _comparison(
    base: dict[str, Any], other: dict[str, Any], card: RateCard, on: dt.date
) -> dict[str, Any]:
    """How the campaign's cost moves on another date's card, by market and by category."""

    def diff(
        rows_a: list[dict[str, Any]], rows_b: list[dict[str, Any]], key: str
    ) -> list[dict[str, Any]]:
        a = {r[key]: Decimal(r["cost"]) for r in rows_a}
        b = {r[key]: Decimal(r["cost"]) for r in rows_b}
        keys = sorted(
            set(a) | set(b), key=lambda k: (-(abs(b.get(k, Decimal(0)) - a.get(k, Decimal(0)))), k)
        )
        return [
            {
                key: k,
                "cost": format_money(a.get(k, Decimal(0))),
                "compare_cost": format_money(b.get(k, Decimal(0))),
                "difference": format_money(b.get(k, Decimal(0)) - a.get(k, Decimal(0))),
            }
            for k in keys
        ]

    return {
        "date": on.isoformat(),
        "rate_card": _card_info(card),
        "cost": format_money(other["cost"]),
        "difference": format_money(other["cost"] - base["cost"]),
        "by_market": diff(base["by_market"], other["by_market"], "market"),
        "by_category": diff(base["by_category"], other["by_category"], "category"),
    }
