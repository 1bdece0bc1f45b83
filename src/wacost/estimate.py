"""Counts -> priced lines, with exact Decimal money, under the rules in force on the send date.

The report this builds (a plain dict, `wacost.estimate/1`) is the one canonical result: JSON
is this dict, every other format is a view of it, and a saved JSON report renders the same.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from wacost.campaign import DEFAULT_BLOCK_SIZE
from wacost.counting import Counts, RowKind, count_campaign
from wacost.errors import OptionError
from wacost.markets import NON_GEOGRAPHIC, NumberResolver, check_region
from wacost.models import CATEGORY_ORDER, Category, PricingType, Warning, Window, format_money
from wacost.pricing import UNKNOWN, PriceBook, RateCard, quarter_start
from wacost.templates import TemplateBook, TemplateDef

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

    def __post_init__(self) -> None:
        if self.auth_intl_eligible and not self.business_country:
            raise OptionError("--auth-intl-eligible needs --business-country",
                              "say where the business is based, e.g. --business-country GB")
        if self.budget is not None and self.budget < 0:
            raise OptionError(f"--budget {self.budget}: a budget cannot be negative", "give an amount >= 0")


@dataclass
class _WarningTally:
    message: str
    count: int = 0
    example: str | None = None


@dataclass
class _Warnings:
    """Warnings by code and subject, summed over keys, with the earliest example."""

    items: dict[tuple[str, str], _WarningTally] = field(default_factory=dict)

    def add(self, code: str, message: str, count: int, example: str | None, subject: str = "") -> None:
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


def resolve_template(
    name: str, language: str, override: str, book: TemplateBook,
    classifier: Classifier | None = None, assume_recategorized: bool = False,
) -> TemplateVerdict:
    """The billing category of one distinct (template, language, category column) triple."""
    lang = language or None
    if override:
        category = Category(override)
        return TemplateVerdict(category, lang)
    if not name:
        return TemplateVerdict(Category.SERVICE, None)
    found = book.find(name, lang)
    if not found:
        return TemplateVerdict(Category.MARKETING, lang, (
            ("unknown_template",
             f"template {name!r} is not defined in --templates and has no category; "
             "priced as marketing, the most Meta could bill"),
        ))
    warnings: list[tuple[str, str]] = []
    categories: list[Category] = []
    risk = False
    for template in found:
        if template.status and template.status != "APPROVED":
            warnings.append(("template_not_approved",
                             f"template {name!r} ({template.language}) is {template.status}; "
                             "only approved templates can be sent"))
        if template.category is None:
            if classifier is None:
                categories.append(Category.MARKETING)
                warnings.append(("unknown_template",
                                 f"template {name!r} has no category; priced as marketing"))
                continue
            verdict = classifier(template)
            categories.append(Category(verdict.category))
            warnings.append(("classified_template",
                             f"template {name!r} has no category; classified as {verdict.category}"
                             f" ({'; '.join(verdict.reasons[:2])})"))
        else:
            category = template.category
            if classifier is not None and category is Category.UTILITY:
                verdict = classifier(template)
                if verdict.category == Category.MARKETING.value:
                    risk = True
                    if assume_recategorized:
                        category = Category.MARKETING
                        warnings.append(("assumed_recategorized",
                                         f"template {name!r} is declared utility but reads as marketing; "
                                         "priced as marketing (--assume-recategorized)"))
                    else:
                        warnings.append(("recategorization_risk",
                                         f"template {name!r} is declared utility but reads as marketing "
                                         f"({'; '.join(verdict.reasons[:2])}); Meta may move it to marketing"))
            categories.append(category)
    distinct = sorted(set(categories), key=CATEGORY_ORDER.index)
    if len(distinct) > 1:
        warnings.append(("ambiguous_template",
                         f"template {name!r} has categories {', '.join(c.value for c in distinct)} "
                         "in different languages and the row gives no language; priced as "
                         f"{distinct[0].value}, the dearest"))
    languages = {t.language for t in found}
    resolved_language = lang or (next(iter(languages)) if len(languages) == 1 else None)
    return TemplateVerdict(distinct[0], resolved_language, tuple(warnings), risk and not assume_recategorized)


def pricing_type_for(category: Category, window: str, card: RateCard) -> PricingType:
    """Whether a message is free, under the card's rules (Meta changed them on 2026-10-01)."""
    if window == Window.FEP.value:
        return PricingType.FREE_ENTRY_POINT
    if category is Category.SERVICE:
        return PricingType.FREE_CUSTOMER_SERVICE if card.service_free else PricingType.REGULAR
    if category is Category.UTILITY and window == Window.CSW.value and card.utility_free_in_csw:
        return PricingType.FREE_CUSTOMER_SERVICE
    return PricingType.REGULAR


@dataclass
class _Group:
    messages: int = 0
    billable: int = 0
    cost: Decimal = Decimal(0)

    def add(self, messages: int, billable: bool, cost: Decimal | None) -> None:
        self.messages += messages
        if billable:
            self.billable += messages
        if cost is not None:
            self.cost += cost


def price_counts(
    counts: Counts, book: PriceBook, templates: TemplateBook, options: EstimateOptions,
    classifier: Classifier | None = None,
) -> dict[str, Any]:
    """The canonical report for a reduced campaign."""
    card = book.card_for(options.date, options.currency)
    business = (check_region(options.business_country, "--business-country")
                if options.business_country else None)
    warnings = _Warnings()
    lines: dict[tuple[str, Category, PricingType], list[int]] = defaultdict(lambda: [0])
    by_category: dict[Category, _Group] = defaultdict(_Group)
    by_market: dict[str, _Group] = defaultdict(_Group)
    by_template: dict[tuple[str | None, str | None, Category], _Group] = defaultdict(_Group)
    risk_exposure: dict[str, list[Any]] = {}
    verdicts: dict[tuple[str, str, str], TemplateVerdict] = {}
    total_messages = 0
    unbilled = 0

    table = counts.table.sort_values(["file", "first_line"], kind="stable")
    for row in table.itertuples(index=False):
        messages = int(row.messages)
        total_messages += messages
        example = f"{counts.files[row.file]}:{row.first_line}"
        kind = RowKind(int(row.kind))
        if kind is RowKind.INVALID_PHONE:
            warnings.add("invalid_phone", "numbers that cannot be real phone numbers; not billed",
                         messages, example)
            unbilled += messages
            continue
        if kind is RowKind.UNKNOWN_COUNTRY:
            warnings.add("invalid_country", "planning rows whose country is not an ISO 3166 code; not billed",
                         messages, example)
            unbilled += messages
            continue
        key = (row.template, row.language, row.category)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = resolve_template(row.template, row.language, row.category, templates,
                                       classifier, options.assume_recategorized)
            verdicts[key] = verdict
        for code, message in verdict.warnings:
            warnings.add(code, message, messages, example, subject=message)
        country = row.country
        market_name = card.market_for_country(country)
        market = card.markets.get(market_name) if market_name else None
        if market is None:
            warnings.add("unpriced_market", f"no market on the {card.effective_from} card for these "
                         "countries and no default market; not billed", messages, example)
            unbilled += messages
            continue
        category = verdict.category
        if (category is Category.AUTHENTICATION and options.auth_intl_eligible
                and business is not None and country not in (business,)
                and market.rate(Category.AUTHENTICATION_INTERNATIONAL) is not None):
            category = Category.AUTHENTICATION_INTERNATIONAL
        if category is Category.SERVICE and row.window == Window.NONE.value:
            warnings.add("service_outside_window",
                         "non-template messages can only be sent in an open customer service window; "
                         "priced as if one were open", messages, example)
        if category is Category.MARKETING and country == "US":
            warnings.add("us_marketing_paused",
                         "marketing templates to US (+1) numbers: Meta has paused their delivery, "
                         "so they may not be delivered (undelivered messages are not charged); "
                         "priced at the list rate", messages, example)
        pricing_type = pricing_type_for(category, row.window, card)
        billable = pricing_type is PricingType.REGULAR
        cost: Decimal | None = Decimal(0)
        if billable:
            rate = market.rate(category)
            if rate is None or rate is UNKNOWN:
                warnings.add("unknown_rate", f"{market.name} {category.value}: the rate is unknown on the "
                             f"{card.effective_from} card; these messages are not in the total",
                             messages, example, subject=f"{market.name}/{category.value}")
                cost = None
                unbilled += messages
            else:
                assert isinstance(rate, Decimal)
                cost = rate * messages
        lines[(market.name, category, pricing_type)][0] += messages
        by_category[category].add(messages, billable and cost is not None, cost)
        by_market[market.name].add(messages, billable and cost is not None, cost)
        by_template[(row.template or None, verdict.language, category)].add(
            messages, billable and cost is not None, cost)
        if verdict.risk and billable:
            marketing_rate = market.rate(Category.MARKETING)
            utility_rate = market.rate(category)
            if isinstance(marketing_rate, Decimal) and isinstance(utility_rate, Decimal):
                entry = risk_exposure.setdefault(row.template, [0, Decimal(0), verdict.language])
                entry[0] += messages
                entry[1] += (marketing_rate - utility_rate) * messages

    line_dicts = []
    for (market_name, category, pricing_type), (messages,) in sorted(
        lines.items(), key=lambda item: (item[0][0], CATEGORY_ORDER.index(item[0][1]), item[0][2].value)
    ):
        market = card.markets[market_name]
        if pricing_type is PricingType.REGULAR:
            rate = market.rate(category)
            rate_text = format_money(rate) if isinstance(rate, Decimal) else None
            cost_text = format_money(rate * messages) if isinstance(rate, Decimal) else None
        else:
            rate_text, cost_text = format_money(Decimal(0)), format_money(Decimal(0))
        line_dicts.append({"market": market_name, "category": category.value,
                           "pricing_type": pricing_type.value, "tier": None, "messages": messages,
                           "rate": rate_text, "cost": cost_text})

    total_cost = sum((g.cost for g in by_category.values()), Decimal(0))
    billable_messages = sum(g.billable for g in by_category.values())
    free_messages = sum(g.messages for g in by_category.values()) - billable_messages
    unknown_rate_messages = sum(t.count for (c, _), t in warnings.items.items() if c == "unknown_rate")
    free_messages -= unknown_rate_messages

    newest = book.newest(options.currency)
    if newest is not None and newest.effective_from < quarter_start(options.date):
        warnings.add("stale_rate_card",
                     f"the newest {options.currency} rate card took effect on {newest.effective_from}, "
                     f"before the quarter of {options.date}; Meta may have changed rates since",
                     total_messages, None)

    exposure = []
    for template_name, (messages, extra, language) in sorted(risk_exposure.items()):
        exposure.append({"template": template_name, "language": language, "messages": messages,
                         "extra_cost": format_money(extra)})
    exposure_total = sum((Decimal(e["extra_cost"]) for e in exposure), Decimal(0))

    exceeded = options.budget is not None and total_cost > options.budget
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "currency": card.currency,
        "date": options.date.isoformat(),
        "rate_card": {
            "effective_from": card.effective_from.isoformat(),
            "source": card.source_url,
            "confidence": card.confidence,
            "file": Path(card.path).name,
        },
        "totals": {
            "messages": total_messages,
            "billable_messages": billable_messages,
            "free_messages": free_messages,
            "unbilled_messages": unbilled,
            "cost": format_money(total_cost),
        },
        "by_category": [
            {"category": c.value, "messages": g.messages, "billable_messages": g.billable,
             "cost": format_money(g.cost)}
            for c, g in sorted(by_category.items(), key=lambda item: CATEGORY_ORDER.index(item[0]))
        ],
        "by_market": [
            {"market": m, "messages": g.messages, "billable_messages": g.billable, "cost": format_money(g.cost)}
            for m, g in sorted(by_market.items(), key=lambda item: (-item[1].cost, item[0]))
        ],
        "by_template": [
            {"template": t, "language": lang, "category": c.value, "messages": g.messages,
             "billable_messages": g.billable, "cost": format_money(g.cost)}
            for (t, lang, c), g in sorted(by_template.items(),
                                           key=lambda item: (-item[1].cost, item[0][0] or "", item[0][1] or ""))
        ],
        "lines": line_dicts,
        "recategorization_risk": {"extra_cost": format_money(exposure_total), "templates": exposure},
        "warnings": [w.to_dict() for w in sorted(warnings.result(), key=lambda w: (w.code, w.message))],
        "budget": {"limit": format_money(options.budget) if options.budget is not None else None,
                   "exceeded": exceeded},
        "inputs": list(counts.files),
    }
    return report


def estimate_campaign(
    paths: Sequence[Path], book: PriceBook, templates: TemplateBook, options: EstimateOptions,
    classifier: Classifier | None = None,
) -> dict[str, Any]:
    """Read, count and price a campaign: the canonical report (see SCHEMA)."""
    book.card_for(options.date, options.currency)  # fail on the date before reading any file
    resolver = NumberResolver(book.numbering, options.default_country)
    counts = count_campaign(paths, resolver, options.encoding, options.block_size)
    return price_counts(counts, book, templates, options, classifier)


__all__ = ["NON_GEOGRAPHIC", "EstimateOptions", "estimate_campaign", "price_counts", "resolve_template"]
