"""Pricing the counts line by line: classify, apply the free rules (`estimate.free_tier`), rate, fees."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from wacost.counting.batch import Counts, RowKind
from wacost.estimate.free_tier import (
    UNKNOWN_TIERS_NOTICE_AT,
    _apply_service_exemption,
    _apply_service_free_tier,
    _Cell,
    _split_into_bands,
    accrual_category,
    pricing_type_for,
)
from wacost.estimate.options import (
    INVALID_PHONE_MESSAGE,
    NATIONAL_HINT,
    EstimateOptions,
    _Warnings,
)
from wacost.models import (
    Category,
    PricingType,
    Window,
    round_money,
)
from wacost.numbers.regions import check_region
from wacost.prices.cards import TIERED_CATEGORIES, UNKNOWN, RateCard
from wacost.prices.fees import FeeProfile
from wacost.prices.usage import Usage
from wacost.templates.definitions import TemplateBook
from wacost.templates.verdict import Classifier, TemplateVerdict, resolve_template


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
        return round_money(self.rate * self.messages)

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
    # billable messages left out of the total: "Iraq authentication_international" (unknown
    # rate) or a country code (no market on the card) -> messages
    unpriced: dict[str, int]


def _classify_counts(
    counts: Counts,
    card: RateCard,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None,
    warnings: _Warnings,
    unpriced: dict[str, int],
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
    for row in counts.table.in_reading_order():
        kind = RowKind(int(row.kind))
        if kind is RowKind.EMPTY:  # nothing written: not a message (a notice, see counting)
            continue
        messages = int(row.messages)
        total_messages += messages
        example = f"{counts.files[row.file]}:{row.first_line}"
        if kind is RowKind.INVALID_PHONE:
            warnings.add(
                "invalid_phone",
                INVALID_PHONE_MESSAGE
                if options.default_country
                else INVALID_PHONE_MESSAGE + NATIONAL_HINT,
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
        if kind is RowKind.COUNTRY_MISMATCH:
            warnings.add(
                "country_mismatch",
                "numbers written with the country code of another country than their row's "
                "country column; billed by the number, as Meta bills",
                messages,
                example,
            )
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
                "countries and no default market; not in the total",
                messages,
                example,
            )
            unbilled += messages
            unpriced[str(country)] = unpriced.get(str(country), 0) + messages
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
            _Cell(
                market.name,
                category,
                pricing_type,
                verdict.name or row.template or None,
                verdict.language,
            )
        ] += messages
        if verdict.risk and pricing_type is PricingType.REGULAR:
            marketing_rate = market.rate(Category.MARKETING)
            own_rate = market.rate(category)
            if isinstance(marketing_rate, Decimal) and isinstance(own_rate, Decimal):
                entry = risk.setdefault(row.template, [0, Decimal(0), verdict.language])
                entry[0] += messages
                entry[1] += (marketing_rate - own_rate) * messages
    return cells, total_messages, unbilled, risk


def _price_cells(
    cells: dict[_Cell, int],
    card: RateCard,
    usage: Usage | None,
    warnings: _Warnings,
    unpriced: dict[str, int],
) -> tuple[list[_Piece], dict[str, dict[str, str]]]:
    """Priced pieces: list rate, or the volume bands from where the month already stands."""
    pieces: list[_Piece] = []
    tiers_used: dict[str, dict[str, str]] = {}
    groups: dict[tuple[str, Category], list[_Cell]] = defaultdict(list)
    for cell in cells:
        groups[(cell.market, cell.category)].append(cell)
    # Month-to-date position per market and accrual category (authentication and
    # authentication-international share one count; authentication is priced first).
    positions: dict[tuple[str, Category], int] = {}
    for market_name, category in groups:
        key = (market_name, accrual_category(category))
        if key not in positions and usage is not None:
            positions[key] = sum(
                usage.before(market_name, c) for c in Category if accrual_category(c) is key[1]
            )
    for (market_name, category), group in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][1].value)
    ):
        market = card.markets[market_name]
        rate = market.rate(category)
        tiers = market.tiers.get(category)
        accrual = (market_name, accrual_category(category))
        before = positions.get(accrual, 0)
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
                label = f"{market_name} {category.value}"
                unpriced[label] = unpriced.get(label, 0) + messages
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
        positions[accrual] = position
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
    unpriced: dict[str, int] = {}
    cells, total, unbilled, risk = _classify_counts(
        counts, card, templates, options, classifier, warnings, unpriced
    )
    free_tier = _apply_service_free_tier(cells, card, options, usage)
    _apply_service_exemption(cells, card, options, warnings)
    pieces, tiers_used = _price_cells(cells, card, usage, warnings, unpriced)
    unbilled += sum(p.messages for p in pieces if p.rate is None)
    return _Priced(card, pieces, warnings, total, unbilled, risk, free_tier, tiers_used, unpriced)


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
    return round_money(amount)
