"""Rate cards, volume tiers and the numbering plan as typed, validated values (see `prices.loading`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from wacost.errors import FieldError, literal
from wacost.models import Category

CARD_SCHEMA: Final = "wacost.rate_card/1"
NUMBERING_SCHEMA: Final = "wacost.numbering/1"
CONFIDENCE_LEVELS: Final = ("high", "medium", "low")
SERVICE_CHARGING_STARTS: Final = dt.date(2026, 10, 1)


class _Unknown:
    """Marker for a rate Meta publishes but we could not confirm."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
Rate = Decimal | _Unknown | None


TIERED_CATEGORIES: Final = (
    Category.UTILITY,
    Category.AUTHENTICATION,
    Category.AUTHENTICATION_INTERNATIONAL,
)


@dataclass(frozen=True)
class Band:
    """One monthly volume band: messages `first`..`last` (inclusive; None = no end) at `rate`."""

    first: int
    last: int | None
    rate: Decimal

    @property
    def label(self) -> str:
        """Meta's `LOWER:UPPER` notation, as in pricing_analytics (`0:100000`, `100001:MAX`)."""
        lower = 0 if self.first == 1 else self.first
        return f"{lower}:{'MAX' if self.last is None else self.last}"


@dataclass(frozen=True)
class Tiers:
    """Monthly volume bands of one market and category, with their provenance."""

    bands: tuple[Band, ...]
    source: str
    confidence: str


@dataclass(frozen=True)
class Market:
    name: str
    countries: frozenset[str]
    rates: Mapping[Category, Rate]
    default: bool = False
    confidence: str | None = None
    note: str | None = None
    tiers: Mapping[Category, Tiers] = field(default_factory=dict)

    def rate(self, category: Category) -> Rate:
        return self.rates.get(category)


@dataclass(frozen=True)
class RateCard:
    """One published price list: a currency, the date it takes effect, and its markets."""

    currency: str
    effective_from: dt.date
    source_url: str
    source: Mapping[str, str]
    confidence: str
    confidence_note: str
    utility_free_in_csw: bool
    service_free: bool
    markets: Mapping[str, Market]
    path: str
    _by_country: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for market in self.markets.values():
            for country in market.countries:
                self._by_country[country] = market.name

    @property
    def default_market(self) -> Market | None:
        for market in self.markets.values():
            if market.default:
                return market
        return None

    def market_for_country(self, country: str | None) -> str | None:
        """The market name billing `country` (ISO alpha-2); the default market if unlisted."""
        if country is None:
            return None
        name = self._by_country.get(country)
        if name is not None:
            return name
        default = self.default_market
        return default.name if default else None


@dataclass(frozen=True)
class Numbering:
    """Dialling prefix -> billing country; the longest matching prefix wins."""

    prefixes: Mapping[str, str]
    path: str


@dataclass(frozen=True)
class PriceBook:
    """Every rate card loaded, and the numbering plan that maps numbers to countries."""

    cards: tuple[RateCard, ...]
    numbering: Numbering

    def currencies(self) -> list[str]:
        return sorted({card.currency for card in self.cards})

    def card_for(self, on: dt.date, currency: str = "USD", field: str = "date") -> RateCard:
        """The card of `currency` in effect on `on` (the latest that took effect on or before it).

        `field` names the date in errors (`date`, `compare_date`)."""
        cards = sorted(
            (c for c in self.cards if c.currency == currency), key=lambda c: c.effective_from
        )
        if not cards:
            raise FieldError(
                "currency",
                f"no rate card in {literal(currency)}",
                f"cards are available in {', '.join(self.currencies()) or 'no currency'}",
            )
        in_effect = [c for c in cards if c.effective_from <= on]
        if not in_effect:
            raise FieldError(
                (field, "pricing"),
                f"{{0}} {on.isoformat()}: no {literal(currency)} rate card is in effect yet; "
                f"the earliest takes effect on {cards[0].effective_from.isoformat()}",
                "pick a later {0} or add an older card with {1}",
            )
        return in_effect[-1]

    def newest(self, currency: str = "USD") -> RateCard | None:
        cards = [c for c in self.cards if c.currency == currency]
        return max(cards, key=lambda c: c.effective_from) if cards else None


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
