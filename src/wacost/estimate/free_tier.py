"""Meta's rules on which messages are free and how paid ones fall into bands: free windows, the
service free tier (1,000 per business number per month from 2026-10-01), the government and
non-profit service exemption, volume-tier accrual and bands. Line pricing is in `estimate.billing`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wacost.counting.batch import REACTION
from wacost.estimate.options import (
    EstimateOptions,
    _Warnings,
)
from wacost.models import (
    Category,
    PricingType,
    Window,
)
from wacost.prices.cards import Band, RateCard
from wacost.prices.usage import Usage


def pricing_type_for(category: Category, window: str, card: RateCard) -> PricingType:
    """Whether a message is free, under the card's rules (Meta changed them on 2026-10-01)."""
    if window == REACTION:
        return PricingType.FREE_REACTION
    if window == Window.FEP.value:
        return PricingType.FREE_ENTRY_POINT
    if category is Category.SERVICE:
        return PricingType.FREE_CUSTOMER_SERVICE if card.service_free else PricingType.REGULAR
    if category is Category.UTILITY and window == Window.CSW.value and card.utility_free_in_csw:
        return PricingType.FREE_CUSTOMER_SERVICE
    return PricingType.REGULAR


FREE_SERVICE_PER_NUMBER = (
    1000  # service messages free per business phone number per month, from 2026-10-01
)
UNKNOWN_TIERS_NOTICE_AT = 100_000  # the lowest published tier threshold
# Eligible governments and non-profits keep service messages past the free tier free until then.
SERVICE_EXEMPT_UNTIL = dt.date(2027, 12, 31)


def accrual_category(category: Category) -> Category:
    """The category whose monthly count a message adds to, for volume tiers.

    Authentication and authentication-international accrue together within a market (Meta's
    Example 2: when authentication-international starts mid-month, the count continues and the
    tier reached applies to the authentication-international rate).
    """
    if category is Category.AUTHENTICATION_INTERNATIONAL:
        return Category.AUTHENTICATION
    return category


@dataclass(frozen=True)
class _Cell:
    """Messages of one market, category, pricing type and template, before tiers."""

    market: str
    category: Category
    pricing_type: PricingType
    template: str | None
    language: str | None


def _apply_service_free_tier(
    cells: dict[_Cell, int],
    card: RateCard,
    options: EstimateOptions,
    usage: Usage | None,
) -> dict[str, Any] | None:
    """Move charged service messages into the monthly free tier; the cheapest go free first.

    Which messages the 1,000 free ones are depends on delivery order; absorbing the cheapest
    keeps the estimate an upper bound.
    """
    if card.service_free:
        return None
    if options.sender_numbers is None and options.service_free_used is None:
        # How much of this month's free tier is left is unknown: charge every service message.
        return {
            "applied": False,
            "note": "service messages priced without the monthly free tier; "
            "give --sender-numbers and --service-free-used to apply it",
        }
    numbers = options.sender_numbers or 1
    used = options.service_free_used
    if used is None:
        used = (
            usage.free_service_used
            if usage is not None and usage.free_service_used is not None
            else 0
        )
    allowance = max(FREE_SERVICE_PER_NUMBER * numbers - used, 0)
    remaining = allowance
    service = [
        c for c in cells if c.category is Category.SERVICE and c.pricing_type is PricingType.REGULAR
    ]

    def rate_of(cell: _Cell) -> Decimal:
        rate = card.markets[cell.market].rate(Category.SERVICE)
        return rate if isinstance(rate, Decimal) else Decimal("Infinity")

    absorbed = 0
    for cell in sorted(service, key=lambda c: (rate_of(c), c.market, c.template or "")):
        if remaining == 0:
            break
        take = min(remaining, cells[cell])
        cells[cell] -= take
        if cells[cell] == 0:
            del cells[cell]
        free = _Cell(
            cell.market,
            cell.category,
            PricingType.FREE_CUSTOMER_SERVICE,
            cell.template,
            cell.language,
        )
        cells[free] = cells.get(free, 0) + take
        remaining -= take
        absorbed += take
    return {
        "applied": True,
        "per_number": FREE_SERVICE_PER_NUMBER,
        "sender_numbers": numbers,
        "used_before": used,
        "allowance": allowance,
        "absorbed": absorbed,
        "left": remaining,
    }


def _apply_service_exemption(
    cells: dict[_Cell, int], card: RateCard, options: EstimateOptions, warnings: _Warnings
) -> None:
    """Service messages still charged after the free tier become `paid_exempt` (free) for an
    eligible government or non-profit, until SERVICE_EXEMPT_UNTIL."""
    if not options.service_exempt or card.service_free:
        return
    charged = [
        c for c in cells if c.category is Category.SERVICE and c.pricing_type is PricingType.REGULAR
    ]
    if options.date > SERVICE_EXEMPT_UNTIL:
        if charged:
            warnings.add(
                "service_exemption_ended",
                f"the service-message exemption for governments and non-profits ended on "
                f"{SERVICE_EXEMPT_UNTIL}; service messages priced at the service rate",
                sum(cells[c] for c in charged),
                None,
            )
        return
    for cell in charged:
        exempt = _Cell(
            cell.market, cell.category, PricingType.PAID_EXEMPT, cell.template, cell.language
        )
        cells[exempt] = cells.get(exempt, 0) + cells.pop(cell)


def _split_into_bands(messages: int, already: int, bands: Sequence[Band]) -> list[tuple[Band, int]]:
    """`messages` that follow `already` charged this month, split over the volume bands."""
    parts = []
    position = already  # messages charged before the next one
    left = messages
    for band in bands:
        if left == 0:
            break
        if band.last is not None and position >= band.last:
            continue
        room = left if band.last is None else min(left, band.last - position)
        parts.append((band, room))
        position += room
        left -= room
    return parts
