"""Meta's billing rules on the counts: free windows, the service free tier, volume bands, rates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from wacost.counting.batch import Counts, RowKind
from wacost.estimate.options import EstimateOptions, _Warnings
from wacost.models import (
    MONEY_PLACES,
    Category,
    PricingType,
    Window,
)
from wacost.numbers.regions import check_region
from wacost.prices.cards import TIERED_CATEGORIES, UNKNOWN, Band, RateCard
from wacost.prices.fees import FeeProfile
from wacost.prices.usage import Usage
from wacost.templates.definitions import TemplateBook
from wacost.templates.verdict import Classifier, TemplateVerdict, resolve_template


def pricing_type_for(category: Category, window: str, card: RateCard) -> PricingType:
    """Whether a message is free, under the card's rules (Meta changed them on 2026-10-01)."""
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


class _Key(NamedTuple):
    """One row of the counts table (`counting.Counts.table`), typed."""

    file: int
    kind: int
    country: str
    template: str
    language: str
    category: str
    window: str
    messages: int
    first_line: int


@dataclass(frozen=True)
class _Cell:
    """Messages of one market, category, pricing type and template, before tiers."""

    market: str
    category: Category
    pricing_type: PricingType
    template: str | None
    language: str | None


@dataclass(frozen=True)
class _Piece:
    """Messages priced at one rate: a cell, or the part of a cell inside one volume band."""

    cell: _Cell
    tier: str | None
    messages: int
    rate: Decimal | None  # None: unknown rate (not in the total)

    @property
    def cost(self) -> Decimal | None:
        """rate x messages; exact for Meta's 4-place rates. A converted rate (--fx-rate) has
        more places: its piece is rounded half up to 4 here, once, so that every breakdown
        adds up to the total."""
        if self.rate is None:
            return None
        return (self.rate * self.messages).quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)

    @property
    def billable(self) -> bool:
        return self.cell.pricing_type is PricingType.REGULAR and self.rate is not None


@dataclass
class _Priced:
    """A campaign priced on one card: the pieces and what was counted on the way."""

    card: RateCard
    pieces: list[_Piece]
    warnings: _Warnings
    total_messages: int
    unbilled: int
    risk: dict[str, list[Any]]
    free_tier: dict[str, Any] | None
    tiers_used: dict[str, dict[str, str]]


def _classify_counts(
    counts: Counts,
    card: RateCard,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None,
    warnings: _Warnings,
) -> tuple[dict[_Cell, int], int, int, dict[str, list[Any]]]:
    """Each counted key -> market, category and pricing type; invalid rows become warnings."""
    business = (
        check_region(options.business_country, "business_country")
        if options.business_country
        else None
    )
    cells: dict[_Cell, int] = defaultdict(int)
    risk: dict[str, list[Any]] = {}
    verdicts: dict[tuple[str, str, str], TemplateVerdict] = {}
    total_messages = 0
    unbilled = 0
    table = counts.table.sort_values(["file", "first_line"], kind="stable")
    for values in table[list(_Key._fields)].itertuples(index=False, name=None):
        row = _Key._make(values)
        messages = int(row.messages)
        total_messages += messages
        example = f"{counts.files[row.file]}:{row.first_line}"
        kind = RowKind(int(row.kind))
        if kind is RowKind.INVALID_PHONE:
            warnings.add(
                "invalid_phone",
                "numbers that cannot be real phone numbers; not billed",
                messages,
                example,
            )
            unbilled += messages
            continue
        if kind is RowKind.UNKNOWN_COUNTRY:
            warnings.add(
                "invalid_country",
                "planning rows whose country is not an ISO 3166 code; not billed",
                messages,
                example,
            )
            unbilled += messages
            continue
        key = (row.template, row.language, row.category)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = resolve_template(
                row.template,
                row.language,
                row.category,
                templates,
                classifier,
                options.assume_recategorized,
            )
            verdicts[key] = verdict
        for code, message in verdict.warnings:
            warnings.add(code, message, messages, example, subject=message)
        country = row.country
        market_name = card.market_for_country(country)
        market = card.markets.get(market_name) if market_name else None
        if market is None:
            warnings.add(
                "unpriced_market",
                f"no market on the {card.effective_from} card for these "
                "countries and no default market; not billed",
                messages,
                example,
            )
            unbilled += messages
            continue
        category = verdict.category
        if (
            category is Category.AUTHENTICATION
            and options.auth_intl_eligible
            and business is not None
            and country != business
            and market.rate(Category.AUTHENTICATION_INTERNATIONAL) is not None
        ):
            category = Category.AUTHENTICATION_INTERNATIONAL
        elif category is Category.AUTHENTICATION_INTERNATIONAL and (
            market.rate(Category.AUTHENTICATION_INTERNATIONAL) is None
            or (business is not None and country == business)
        ):
            # A market without an authentication-international rate, or the business's own
            # country, bills authentication.
            category = Category.AUTHENTICATION
        if category is Category.SERVICE and row.window == Window.NONE.value:
            warnings.add(
                "service_outside_window",
                "non-template messages can only be sent in an open customer service window; "
                "priced as if one were open",
                messages,
                example,
            )
        if category is Category.MARKETING and country == "US":
            warnings.add(
                "us_marketing_paused",
                "marketing templates to US (+1) numbers: Meta has paused their delivery, "
                "so they may not be delivered (undelivered messages are not charged); "
                "priced at the list rate",
                messages,
                example,
            )
        pricing_type = pricing_type_for(category, row.window, card)
        cells[
            _Cell(market.name, category, pricing_type, row.template or None, verdict.language)
        ] += messages
        if verdict.risk and pricing_type is PricingType.REGULAR:
            marketing_rate = market.rate(Category.MARKETING)
            own_rate = market.rate(category)
            if isinstance(marketing_rate, Decimal) and isinstance(own_rate, Decimal):
                entry = risk.setdefault(row.template, [0, Decimal(0), verdict.language])
                entry[0] += messages
                entry[1] += (marketing_rate - own_rate) * messages
    return cells, total_messages, unbilled, risk


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


def _price_cells(
    cells: dict[_Cell, int],
    card: RateCard,
    usage: Usage | None,
    warnings: _Warnings,
) -> tuple[list[_Piece], dict[str, dict[str, str]]]:
    """Priced pieces: list rate, or the volume bands from where the month already stands."""
    pieces: list[_Piece] = []
    tiers_used: dict[str, dict[str, str]] = {}
    groups: dict[tuple[str, Category], list[_Cell]] = defaultdict(list)
    for cell in cells:
        groups[(cell.market, cell.category)].append(cell)
    for (market_name, category), group in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1].value)
    ):
        market = card.markets[market_name]
        rate = market.rate(category)
        tiers = market.tiers.get(category)
        before = usage.before(market_name, category) if usage is not None else 0
        position = before
        for cell in sorted(
            group, key=lambda c: (c.pricing_type.value, c.template or "", c.language or "")
        ):
            messages = cells[cell]
            if cell.pricing_type is not PricingType.REGULAR:
                pieces.append(_Piece(cell, None, messages, Decimal(0)))
                continue
            if rate is None or rate is UNKNOWN:
                warnings.add(
                    "unknown_rate",
                    f"{market_name} {category.value}: the rate is unknown on the "
                    f"{card.effective_from} card; these messages are not in the total",
                    messages,
                    None,
                    subject=f"{market_name}/{category.value}",
                )
                pieces.append(_Piece(cell, None, messages, None))
                continue
            if tiers is None:
                pieces.append(_Piece(cell, None, messages, rate))  # type: ignore[arg-type]
            else:
                for band, count in _split_into_bands(messages, position, tiers.bands):
                    pieces.append(_Piece(cell, band.label, count, band.rate))
                tiers_used[f"{market_name}/{category.value}"] = {
                    "source": tiers.source,
                    "confidence": tiers.confidence,
                }
            position += messages
        charged = position - before
        if (
            tiers is None
            and category in TIERED_CATEGORIES
            and charged
            and position > UNKNOWN_TIERS_NOTICE_AT
        ):
            warnings.add(
                "volume_tiers_unknown",
                f"{market_name} {category.value}: {position:,} charged messages this month, but "
                "the volume bands are unknown; priced at the list rate (an upper bound)",
                charged,
                None,
                subject=f"{market_name}/{category.value}",
            )
    return pieces, tiers_used


def _price_on(
    card: RateCard,
    counts: Counts,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None,
    usage: Usage | None,
) -> _Priced:
    warnings = _Warnings()
    cells, total, unbilled, risk = _classify_counts(
        counts, card, templates, options, classifier, warnings
    )
    free_tier = _apply_service_free_tier(cells, card, options, usage)
    pieces, tiers_used = _price_cells(cells, card, usage, warnings)
    unbilled += sum(p.messages for p in pieces if p.rate is None)
    return _Priced(card, pieces, warnings, total, unbilled, risk, free_tier, tiers_used)


def _fees_of(piece: _Piece, fees: FeeProfile | None, failure_rate: Decimal = Decimal(0)) -> Decimal:
    """A BSP's fees on one piece: per message, markup, and the expected failed-message fee.

    Rounded half up to 4 places here, once per piece, so that every breakdown adds up to the
    total (a markup of 3.33% on 0.0118 has more decimals than money does).
    """
    if fees is None:
        return Decimal(0)
    rule = fees.rule(piece.cell.category)
    amount = Decimal(0)
    if fees.applies_to == "all" or piece.billable:
        amount += rule.per_message * piece.messages
    if piece.cost is not None:
        amount += piece.cost * rule.markup_percent / 100
    amount += fees.failed_message_fee * piece.messages * failure_rate
    return amount.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)
