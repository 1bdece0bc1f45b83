"""Counts -> priced lines, with exact Decimal money, under the rules in force on the send date.

The report this builds (a plain dict, `wacost.estimate/1`) is the one canonical result: JSON
is this dict, every other format is a view of it, and a saved JSON report renders the same.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from wacost.campaign import DEFAULT_BLOCK_SIZE
from wacost.counting import (
    Counts,
    Progress,
    RowKind,
    annotate_report,
    count_campaign,
)
from wacost.errors import OptionError
from wacost.fees import FeeProfile, FeeRule
from wacost.markets import NumberResolver, check_region
from wacost.models import (
    CATEGORY_ORDER,
    MONEY_PLACES,
    Category,
    PricingType,
    Warning,
    Window,
    format_money,
)
from wacost.pricing import (
    TIERED_CATEGORIES,
    UNKNOWN,
    Band,
    PriceBook,
    RateCard,
    convert_card,
    quarter_start,
)
from wacost.templates import TemplateBook, TemplateDef
from wacost.usage import Usage, load_usage

SCHEMA = "wacost.estimate/1"
Classifier = Callable[[TemplateDef], Any]


@dataclass(frozen=True)
class EstimateOptions:
    """Everything besides the files that changes an estimate."""

    date: dt.date
    currency: str = "USD"
    default_country: str | None = None
    business_country: str | None = None
    auth_intl_eligible: bool = False
    budget: Decimal | None = None
    encoding: str | None = None
    block_size: int = DEFAULT_BLOCK_SIZE
    assume_recategorized: bool = False
    sender_numbers: int | None = None
    service_free_used: int | None = None
    fees: FeeProfile | None = None
    failure_rate: Decimal = Decimal(0)
    fx_rate: Decimal | None = None
    fx_base: str = "USD"
    compare_date: dt.date | None = None
    exclude: tuple[Path, ...] = ()  # opt-out lists: their numbers are not sent nor billed
    progress: Progress | None = field(
        default=None, compare=False
    )  # told bytes read of the campaign

    def __post_init__(self) -> None:
        if self.auth_intl_eligible and not self.business_country:
            raise OptionError(
                "--auth-intl-eligible needs --business-country",
                "say where the business is based, e.g. --business-country GB",
            )
        if self.budget is not None and self.budget < 0:
            raise OptionError(
                f"--budget {self.budget}: a budget cannot be negative", "give an amount >= 0"
            )
        if self.sender_numbers is not None and self.sender_numbers < 1:
            raise OptionError(
                f"--sender-numbers {self.sender_numbers}: at least one number sends",
                "give a whole number >= 1",
            )
        if self.service_free_used is not None and self.service_free_used < 0:
            raise OptionError("--service-free-used: cannot be negative", "give a whole number >= 0")
        if not Decimal(0) <= self.failure_rate <= Decimal(1):
            raise OptionError(
                f"--failure-rate {self.failure_rate}: not a share", "give a number from 0 to 1"
            )
        if self.fx_rate is not None and self.fx_rate <= 0:
            raise OptionError(f"--fx-rate {self.fx_rate}: must be above 0", "give e.g. 0.92")


INVALID_PHONE_MESSAGE = "numbers that cannot be real phone numbers; not billed"
NATIONAL_HINT = (
    " (a number written without its country code needs --default-country, or a country "
    "column with each row's ISO code)"
)


@dataclass
class _WarningTally:
    message: str
    count: int = 0
    example: str | None = None


@dataclass
class _Warnings:
    """Warnings by code and subject, summed over keys, with the earliest example."""

    items: dict[tuple[str, str], _WarningTally] = field(default_factory=dict)

    def add(
        self, code: str, message: str, count: int, example: str | None, subject: str = ""
    ) -> None:
        tally = self.items.setdefault((code, subject), _WarningTally(message))
        tally.count += count
        if tally.example is None:
            tally.example = example

    def result(self) -> list[Warning]:
        return [Warning(code, t.message, t.count, t.example) for (code, _), t in self.items.items()]


@dataclass(frozen=True)
class TemplateVerdict:
    """The category a campaign row's template is billed in, and why."""

    category: Category
    language: str | None
    warnings: tuple[tuple[str, str], ...] = ()
    risk: bool = False  # declared utility, reads as marketing
    name: str | None = None  # the defined name the row means (Meta's spelling), if found


def _short(text: str, limit: int = 80) -> str:
    """Text from an input file, cut for a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resolve_template(
    name: str,
    language: str,
    override: str,
    book: TemplateBook,
    classifier: Classifier | None = None,
    assume_recategorized: bool = False,
) -> TemplateVerdict:
    """The billing category of one distinct (template, language, category column) triple."""
    lang = language or None
    if override:
        category = Category(override)
        return TemplateVerdict(category, lang)
    if not name:
        return TemplateVerdict(Category.SERVICE, None)
    match = book.match(name, lang)
    found = list(match.definitions)
    if not found:
        hint = (
            f"; did you mean {' or '.join(repr(n) for n in match.suggestions)}?"
            if match.suggestions
            else ""
        )
        return TemplateVerdict(
            Category.MARKETING,
            match.language,
            (
                (
                    "unknown_template",
                    f"template {_short(name)!r} is not defined in --templates and has no category; "
                    f"priced as marketing, the most Meta could bill{hint}",
                ),
            ),
        )
    lang = match.language
    notes: list[tuple[str, str]] = []
    if match.case_differs:
        notes.append(
            (
                "template_name_case",
                f"template {_short(name)!r}: Meta's template names are lower case and its API "
                f"needs the name exactly; priced as {_short(match.name)!r}",
            )
        )
    if match.unknown_language:
        notes.append(
            (
                "unknown_language",
                f"template {_short(match.name)!r} is not defined in language {_short(lang or '')!r} "
                f"(it has {', '.join(match.languages)}); Meta cannot send it so; priced as the "
                "template",
            )
        )
        lang = None  # the row's language is none of the template's
    warnings: list[tuple[str, str]] = notes
    categories: list[Category] = []
    risk = False
    for template in found:
        if template.status and template.status != "APPROVED":
            warnings.append(
                (
                    "template_not_approved",
                    f"template {_short(name)!r} ({template.language}) is {template.status}; "
                    "only approved templates can be sent",
                )
            )
        if template.category is None:
            if classifier is None:
                categories.append(Category.MARKETING)
                warnings.append(
                    (
                        "unknown_template",
                        f"template {_short(name)!r} has no category; priced as marketing",
                    )
                )
                continue
            verdict = classifier(template)
            categories.append(Category(verdict.category))
            warnings.append(
                (
                    "classified_template",
                    f"template {_short(name)!r} has no category; classified as {verdict.category}"
                    f" ({'; '.join(verdict.reasons[:2])})",
                )
            )
        else:
            category = template.category
            if classifier is not None and category is Category.UTILITY:
                verdict = classifier(template)
                if verdict.category == Category.MARKETING.value:
                    risk = True
                    if assume_recategorized:
                        category = Category.MARKETING
                        warnings.append(
                            (
                                "assumed_recategorized",
                                f"template {_short(name)!r} is declared utility but reads as marketing; "
                                "priced as marketing (--assume-recategorized)",
                            )
                        )
                    else:
                        warnings.append(
                            (
                                "recategorization_risk",
                                f"template {_short(name)!r} is declared utility but reads as marketing "
                                f"({'; '.join(verdict.reasons[:2])}); Meta may move it to marketing",
                            )
                        )
            categories.append(category)
    distinct = sorted(set(categories), key=CATEGORY_ORDER.index)
    if len(distinct) > 1:
        warnings.append(
            (
                "ambiguous_template",
                f"template {_short(name)!r} has categories {', '.join(c.value for c in distinct)} "
                "in different languages and the row gives no language it has; priced as "
                f"{distinct[0].value}, the dearest",
            )
        )
    languages = {t.language for t in found}
    resolved_language = lang or (next(iter(languages)) if len(languages) == 1 else None)
    return TemplateVerdict(
        distinct[0],
        resolved_language,
        tuple(warnings),
        risk and not assume_recategorized,
        match.name,
    )


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
        check_region(options.business_country, "--business-country")
        if options.business_country
        else None
    )
    cells: dict[_Cell, int] = defaultdict(int)
    risk: dict[str, list[Any]] = {}
    verdicts: dict[tuple[str, str, str], TemplateVerdict] = {}
    total_messages = 0
    unbilled = 0
    table = counts.table.sort_values(["file", "first_line"], kind="stable")
    for row in table.itertuples(index=False):
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


def _card_in_currency(
    book: PriceBook, options: EstimateOptions, on: dt.date, option: str = "--date"
) -> tuple[RateCard, dict[str, Any] | None]:
    """The card for `on` in the wanted currency: published, or converted with an explicit --fx-rate."""
    currency = options.currency.upper()
    if currency in book.currencies():
        if options.fx_rate is not None:
            raise OptionError(
                f"--fx-rate: wacost has {currency} rate cards; it does not convert them",
                "drop --fx-rate to use the published card",
            )
        return book.card_for(on, currency, option), None
    if options.fx_rate is None:
        raise OptionError(
            f"--currency {currency}: no {currency} rate card",
            f"cards exist in {', '.join(book.currencies())}; to convert, give --fx-rate "
            f"(how many {currency} one {options.fx_base} buys)",
        )
    base = book.card_for(on, options.fx_base, option)
    fx = {
        "from": options.fx_base,
        "to": currency,
        "rate": str(options.fx_rate),
        "note": f"converted from Meta's {options.fx_base} card at the rate given with --fx-rate; "
        f"Meta's own {currency} prices may differ",
    }
    return convert_card(base, options.fx_rate, currency), fx


def price_counts(
    counts: Counts,
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None = None,
    usage_path: Path | None = None,
) -> dict[str, Any]:
    """The canonical report for a reduced campaign."""
    card, fx = _card_in_currency(book, options, options.date)
    usage = load_usage(usage_path, card, options.date) if usage_path is not None else None
    fees = options.fees
    if fees is not None:
        if fx is not None and fees.currency == fx["from"]:
            fees = _convert_fees(fees, options.fx_rate or Decimal(1), card.currency)
        elif fees.currency != card.currency:
            raise OptionError(
                f"--fees {fees.name}: fees are in {fees.currency}, the report in {card.currency}",
                "use a profile in the report's currency",
            )
    priced = _price_on(card, counts, templates, options, classifier, usage)
    summary = _summaries(priced, fees, options.failure_rate)
    warnings = priced.warnings
    if fx is not None:
        warnings.add(
            "currency_converted",
            f"prices converted from {fx['from']} to {fx['to']} at "
            f"{fx['rate']} (--fx-rate), not a published {fx['to']} card",
            priced.total_messages,
            None,
        )
    newest = book.newest(card.currency) if fx is None else book.newest(options.fx_base)
    if newest is not None and newest.effective_from < quarter_start(options.date):
        warnings.add(
            "stale_rate_card",
            f"the newest {newest.currency} rate card took effect on {newest.effective_from}, "
            f"before the quarter of {options.date}; Meta may have changed rates since",
            priced.total_messages,
            None,
        )

    failed_fees = Decimal(0)
    if fees is not None and options.failure_rate:
        sent = sum(piece.messages for piece in priced.pieces)
        failed_fees = (fees.failed_message_fee * sent * options.failure_rate).quantize(
            MONEY_PLACES, rounding=ROUND_HALF_UP
        )
    fee_total = summary["fees"]  # per-piece fees, failed-message fees included
    all_in = summary["cost"] + fee_total
    exposure = [
        {
            "template": name,
            "language": language,
            "messages": messages,
            "extra_cost": format_money(extra),
        }
        for name, (messages, extra, language) in sorted(priced.risk.items())
    ]
    exposure_total = sum((extra for _, extra, _ in priced.risk.values()), Decimal(0))
    exceeded = options.budget is not None and all_in > options.budget
    totals: dict[str, Any] = {
        "messages": priced.total_messages,
        "billable_messages": summary["billable"],
        "free_messages": summary["free"],
        "unbilled_messages": priced.unbilled,
        "cost": format_money(summary["cost"]),
    }
    if fees is not None:
        totals["fees"] = format_money(fee_total)
        totals["total_cost"] = format_money(all_in)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "currency": card.currency,
        "date": options.date.isoformat(),
        "rate_card": _card_info(card),
        "totals": totals,
        "by_category": summary["by_category"],
        "by_market": summary["by_market"],
        "by_template": summary["by_template"],
        "lines": summary["lines"],
        "recategorization_risk": {
            "extra_cost": format_money(exposure_total),
            "templates": exposure,
        },
        "warnings": [
            w.to_dict() for w in sorted(warnings.result(), key=lambda w: (w.code, w.message))
        ],
        "budget": {
            "limit": format_money(options.budget) if options.budget is not None else None,
            "exceeded": exceeded,
        },
        "inputs": list(counts.files),
    }
    if fx is not None:
        report["fx"] = fx
    if priced.free_tier is not None:
        report["service_free_tier"] = priced.free_tier
    if priced.tiers_used or usage is not None:
        report["volume_tiers"] = {
            "bands": priced.tiers_used,
            "usage": usage.source if usage is not None else None,
        }
    if fees is not None:
        report["fees"] = {
            "profile": fees.name,
            "source": fees.source,
            "confidence": fees.confidence,
            "applies_to": fees.applies_to,
            "meta_cost": format_money(summary["cost"]),
            "message_fees": format_money(fee_total - failed_fees),
            "failed_message_fees": format_money(failed_fees),
            "failure_rate": str(options.failure_rate),
            "total_fees": format_money(fee_total),
            "total_cost": format_money(all_in),
            "note": fees.note,
        }
    if options.compare_date is not None:
        other_card, _ = _card_in_currency(book, options, options.compare_date, "--compare-date")
        other_usage = (
            load_usage(usage_path, other_card, options.date, lenient=True)
            if usage_path is not None
            else None
        )
        other = _price_on(other_card, counts, templates, options, classifier, other_usage)
        report["comparison"] = _comparison(
            summary, _summaries(other, None), other_card, options.compare_date
        )
    return report


def _convert_fees(fees: FeeProfile, rate: Decimal, currency: str) -> FeeProfile:
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


def estimate_campaign(
    paths: Sequence[Path],
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None = None,
    usage_path: Path | None = None,
) -> dict[str, Any]:
    """Read, count and price a campaign: the canonical report (see SCHEMA)."""
    _card_in_currency(book, options, options.date)  # fail on the date or currency before reading
    if options.compare_date is not None:
        _card_in_currency(book, options, options.compare_date, "--compare-date")
    resolver = NumberResolver(book.numbering, options.default_country)
    counts = count_campaign(
        paths,
        resolver,
        options.encoding,
        options.block_size,
        exclude=options.exclude,
        progress=options.progress,
    )
    return annotate_report(
        price_counts(counts, book, templates, options, classifier, usage_path), counts
    )


__all__ = ["EstimateOptions", "estimate_campaign", "price_counts", "resolve_template"]
