"""What changed between two rate cards, market by market: rates (new minus old), bands, members."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from wacost.models import Category
from wacost.prices.cards import UNKNOWN, Rate, RateCard, Tiers


@dataclass(frozen=True)
class RateChange:
    category: Category
    old: Rate
    new: Rate

    @property
    def difference(self) -> Decimal | None:
        """New minus old, where both are known numbers."""
        if isinstance(self.old, Decimal) and isinstance(self.new, Decimal):
            return self.new - self.old
        return None


@dataclass(frozen=True)
class MarketChange:
    market: str
    status: str  # "changed", "added" (only on the new card) or "removed" (only on the old one)
    rates: tuple[RateChange, ...]
    tiers: tuple[tuple[Category, str], ...]  # category, "added" | "removed" | "changed"
    countries_added: tuple[str, ...]
    countries_removed: tuple[str, ...]


@dataclass(frozen=True)
class CardComparison:
    """`old` is the card that took effect first; every difference is new minus old."""

    old: RateCard
    new: RateCard
    markets: tuple[MarketChange, ...]

    def only(self, market: str | None) -> CardComparison:
        """The changes of one market (by name or member country code); all when None."""
        if not market:
            return self
        wanted = market.strip().lower()
        kept = tuple(
            m
            for m in self.markets
            if m.market.lower() == wanted
            or wanted.upper() in m.countries_added + m.countries_removed
            or any(
                wanted.upper() in card.markets[m.market].countries
                for card in (self.old, self.new)
                if m.market in card.markets
            )
        )
        return CardComparison(self.old, self.new, kept)


def _same(a: Rate, b: Rate) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return a is b or (a is UNKNOWN and b is UNKNOWN)


def _tier_change(old: Tiers | None, new: Tiers | None) -> str | None:
    if old is None and new is None:
        return None
    if old is None:
        return "added"
    if new is None:
        return "removed"
    return None if old.bands == new.bands else "changed"


def compare_cards(first: RateCard, second: RateCard) -> CardComparison:
    """The differences between two cards of one currency, the earlier card as `old`."""
    old, new = sorted((first, second), key=lambda c: c.effective_from)
    changes: list[MarketChange] = []
    names = list(old.markets) + [n for n in new.markets if n not in old.markets]
    for name in names:
        before, after = old.markets.get(name), new.markets.get(name)
        if before is None or after is None:
            market = after or before
            assert market is not None
            rates = tuple(
                RateChange(
                    c,
                    None if before is None else market.rate(c),
                    None if after is None else market.rate(c),
                )
                for c in Category
                if market.rate(c) is not None
            )
            changes.append(
                MarketChange(
                    name,
                    "added" if before is None else "removed",
                    rates,
                    (),
                    tuple(sorted(after.countries)) if after else (),
                    tuple(sorted(before.countries)) if before else (),
                )
            )
            continue
        rate_changes = tuple(
            RateChange(c, before.rate(c), after.rate(c))
            for c in Category
            if not _same(before.rate(c), after.rate(c))
        )
        tiers = tuple(
            (c, status)
            for c in Category
            if (status := _tier_change(before.tiers.get(c), after.tiers.get(c))) is not None
        )
        added = tuple(sorted(after.countries - before.countries))
        removed = tuple(sorted(before.countries - after.countries))
        if rate_changes or tiers or added or removed:
            changes.append(MarketChange(name, "changed", rate_changes, tiers, added, removed))
    return CardComparison(old, new, tuple(changes))
