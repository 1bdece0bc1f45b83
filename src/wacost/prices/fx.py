"""Currency conversion of a rate card and a fee profile at an explicit rate (--fx-rate)."""

from __future__ import annotations

from decimal import Decimal

from wacost.prices.cards import Band, Market, Rate, RateCard, Tiers
from wacost.prices.fees import FeeProfile, FeeRule


def convert_card(card: RateCard, fx_rate: Decimal, currency: str) -> RateCard:
    """`card` with every rate multiplied by `fx_rate` and labelled `currency` (exact decimals)."""

    def convert(rate: Rate) -> Rate:
        return rate * fx_rate if isinstance(rate, Decimal) else rate

    markets = {
        name: Market(
            name=m.name,
            countries=m.countries,
            rates={c: convert(r) for c, r in m.rates.items()},
            default=m.default,
            confidence=m.confidence,
            note=m.note,
            tiers={
                c: Tiers(
                    tuple(Band(b.first, b.last, convert(b.rate)) for b in t.bands),  # type: ignore[arg-type]
                    t.source,
                    t.confidence,
                )
                for c, t in m.tiers.items()
            },
        )
        for name, m in card.markets.items()
    }
    return RateCard(
        currency=currency,
        effective_from=card.effective_from,
        source_url=card.source_url,
        source=card.source,
        confidence=card.confidence,
        confidence_note=card.confidence_note,
        utility_free_in_csw=card.utility_free_in_csw,
        service_free=card.service_free,
        markets=markets,
        path=card.path,
    )


def convert_fees(fees: FeeProfile, rate: Decimal, currency: str) -> FeeProfile:
    from dataclasses import replace

    def conv(rule: FeeRule) -> FeeRule:
        return FeeRule(rule.per_message * rate, rule.markup_percent)

    return replace(
        fees,
        currency=currency,
        default=conv(fees.default),
        by_category={c: conv(r) for c, r in fees.by_category.items()},
        failed_message_fee=fees.failed_message_fee * rate,
    )
