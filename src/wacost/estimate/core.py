"""Counts -> the typed estimate, with exact Decimal money, under the rules in force on the send date.

`price_counts` is the one place an `Estimate` (`wacost.report.model`) is built: totals,
breakdowns, warnings and notices, budget, fees, comparison and policy. JSON is one view of it
(`wacost.report.document`), every other format another, and a saved JSON report renders the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from wacost.counting.batch import Counts, RowKind
from wacost.counting.pipeline import count_campaign
from wacost.counting.table import CountTable
from wacost.errors import FieldError, literal
from wacost.estimate.billing import _price_on
from wacost.estimate.options import EstimateOptions, _Warnings
from wacost.estimate.summaries import card_info, compare, summarize
from wacost.models import Warning, exact_money, round_money
from wacost.numbers.resolver import NumberResolver
from wacost.policy import Policy
from wacost.prices.cards import PriceBook, RateCard, quarter_start
from wacost.prices.fx import convert_card, convert_fees
from wacost.prices.usage import load_usage
from wacost.report.model import (
    Budget,
    Estimate,
    Fees,
    Fx,
    RecategorizationRisk,
    RiskTemplate,
    Totals,
    Unpriced,
    UnpricedPlace,
)
from wacost.templates.definitions import TemplateBook
from wacost.templates.verdict import Classifier, default_classifier


def _card_in_currency(
    book: PriceBook, options: EstimateOptions, on: dt.date, field: str = "date"
) -> tuple[RateCard, Fx | None]:
    """The card for `on` in the wanted currency: published, or converted with an explicit --fx-rate."""
    currency = options.currency.upper()
    if currency in book.currencies():
        if options.fx_rate is not None:
            raise FieldError(
                "fx_rate",
                f"{{0}}: wacost has {literal(currency)} rate cards; it does not convert them",
                "drop {0} to use the published card",
            )
        return book.card_for(on, currency, field), None
    if options.fx_rate is None:
        raise FieldError(
            ("currency", "fx_rate"),
            f"{{0}} {literal(currency)}: no {literal(currency)} rate card",
            f"cards exist in {', '.join(book.currencies())}; to convert, give {{1}} "
            f"(how many {literal(currency)} one {literal(options.fx_base)} buys)",
        )
    base = book.card_for(on, options.fx_base, field)
    fx = Fx(
        from_=options.fx_base,
        to=currency,
        rate=options.fx_rate,
        note=f"converted from Meta's {options.fx_base} card at the rate given with --fx-rate; "
        f"Meta's own {currency} prices may differ",
    )
    return convert_card(base, options.fx_rate, currency), fx


def _list_hygiene(warnings: _Warnings, counts: Counts) -> None:
    """The list-hygiene warnings of `counts`: duplicates (billed) and entries that exclude nothing."""
    if counts.duplicates.messages:
        warnings.add(
            "duplicate_recipient",
            "rows that repeat an earlier row's recipient and template; billed, "
            "since Meta bills every delivered message",
            counts.duplicates.messages,
            counts.duplicates.example,
        )
    if counts.invalid_exclusions:
        warnings.add(
            "invalid_exclusion",
            "entries of the --exclude list that are not valid phone numbers exclude "
            "nothing (national numbers need --default-country)",
            counts.invalid_exclusions,
            None,
        )


def _notices(counts: Counts) -> tuple[Warning, ...] | None:
    """Excluded recipients are not sent, so they are a notice, not a warning (--strict fails on
    warnings only); they are not in `totals.messages` either. Nor are blank rows (Excel's
    `;;;;`): nothing is written in them."""
    notices: list[Warning] = []
    empty = [row for row in counts.table.in_reading_order() if row.kind == RowKind.EMPTY]
    if empty:
        first = empty[0]
        notices.append(
            Warning(
                "empty_row",
                "rows with nothing in any column wacost reads (as spreadsheets export blank "
                "rows); skipped, not counted",
                sum(row.messages for row in empty),
                f"{counts.files[first.file]}:{first.first_line}",
            )
        )
    if counts.excluded is not None and counts.excluded.messages:
        notices.append(
            Warning(
                "excluded_recipient",
                "messages to numbers on the --exclude list; not sent, not billed",
                counts.excluded.messages,
                counts.excluded.example,
            )
        )
    return tuple(notices) or None


@exact_money
def price_counts(
    counts: Counts,
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None = None,
    usage_path: Path | None = None,
) -> Estimate:
    """The estimate of a reduced campaign (the one place an `Estimate` is built).

    `classifier` gives a verdict on templates without a category, and on declared utility
    templates (recategorization risk); None: the packaged classifier.
    """
    if not isinstance(counts.table, CountTable):  # a DataFrame, as `Counts.table` was before
        counts = replace(counts, table=CountTable.from_pandas(counts.table))
    if classifier is None:
        classifier = default_classifier()
    card, fx = _card_in_currency(book, options, options.date)
    usage = load_usage(usage_path, card, options.date) if usage_path is not None else None
    fees = options.fees
    if fees is not None:
        if fx is not None and fees.currency == fx.from_:
            fees = convert_fees(fees, options.fx_rate or Decimal(1), card.currency)
        elif fees.currency != card.currency:
            raise FieldError(
                "fees",
                f"{{}} {literal(fees.name)}: fees are in {fees.currency}, the report in {card.currency}",
                "use a profile in the report's currency",
            )
    priced = _price_on(card, counts, templates, options, classifier, usage)
    summary = summarize(priced, fees, options.failure_rate)
    warnings = priced.warnings
    if fx is not None:
        warnings.add(
            "currency_converted",
            f"prices converted from {fx.from_} to {fx.to} at "
            f"{fx.rate} (--fx-rate), not a published {fx.to} card",
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
    _list_hygiene(warnings, counts)

    failed_fees = Decimal(0)
    if fees is not None and options.failure_rate:
        sent = sum(piece.messages for piece in priced.pieces)
        failed_fees = round_money(fees.failed_message_fee * sent * options.failure_rate)
    fee_total = summary.fees  # per-piece fees, failed-message fees included
    all_in = summary.cost + fee_total
    exposure = tuple(
        RiskTemplate(template=name, language=language, messages=messages, extra_cost=extra)
        for name, (messages, extra, language) in sorted(priced.risk.items())
    )
    exposure_total = sum((extra for _, extra, _ in priced.risk.values()), Decimal(0))
    unpriced = unpriced_block(priced.unpriced, card)
    comparison = None
    if options.compare_date is not None:
        other_card, _ = _card_in_currency(book, options, options.compare_date, "compare_date")
        other_usage = (
            load_usage(usage_path, other_card, options.date, lenient=True)
            if usage_path is not None
            else None
        )
        other = _price_on(other_card, counts, templates, options, classifier, other_usage)
        comparison = compare(summary, summarize(other, None), other_card, options.compare_date)
    estimate = Estimate(
        currency=card.currency,
        date=options.date,
        rate_card=card_info(card),
        totals=Totals(
            messages=priced.total_messages,
            billable_messages=summary.billable,
            free_messages=summary.free,
            unbilled_messages=priced.unbilled,
            cost=summary.cost,
            fees=fee_total if fees is not None else None,
            total_cost=all_in if fees is not None else None,
            excluded_messages=counts.excluded.messages if counts.excluded is not None else None,
            unpriced_messages=unpriced.messages if unpriced is not None else None,
        ),
        by_category=summary.by_category,
        by_market=summary.by_market,
        by_template=summary.by_template,
        lines=summary.lines,
        recategorization_risk=RecategorizationRisk(extra_cost=exposure_total, templates=exposure),
        warnings=tuple(sorted(warnings.result(), key=lambda w: (w.code, w.message))),
        budget=Budget(
            limit=options.budget,
            exceeded=options.budget is not None and all_in > options.budget,
            # a total that leaves billable messages out cannot show the budget is kept
            incomplete=True if unpriced is not None and options.budget is not None else None,
        ),
        unpriced=unpriced,
        inputs=tuple(counts.files),
        fx=fx,
        service_free_tier=priced.free_tier,
        volume_tiers=(
            {"bands": priced.tiers_used, "usage": usage.source if usage is not None else None}
            if priced.tiers_used or usage is not None
            else None
        ),
        fees=(
            Fees(
                profile=fees.name,
                source=fees.source,
                confidence=fees.confidence,
                applies_to=fees.applies_to,
                meta_cost=summary.cost,
                message_fees=fee_total - failed_fees,
                failed_message_fees=failed_fees,
                failure_rate=options.failure_rate,
                total_fees=fee_total,
                total_cost=all_in,
                note=fees.note,
            )
            if fees is not None
            else None
        ),
        comparison=comparison,
        notices=_notices(counts),
    )
    policy = policy_on_card(book, options)
    if policy is not None:
        from wacost.policy import apply_policy

        estimate = apply_policy(estimate, policy)
    return estimate


def policy_on_card(book: PriceBook, options: EstimateOptions) -> Policy | None:
    """`options.policy` with its markets spelled as on the rate card (or named by an ISO
    country code); a market not on the card is an InputFileError (its limit could never break)."""
    if options.policy is None:
        return None
    from wacost.numbers.regions import COUNTRY_ALIASES, known_countries
    from wacost.policy import check_markets

    card = book.card_for(options.date)

    def market(code: str) -> str | None:
        region = COUNTRY_ALIASES.get(code, code)
        return card.market_for_country(region) if region in known_countries() else None

    return check_markets(options.policy, {n for c in book.cards for n in c.markets}, market)


def unpriced_block(unpriced: dict[str, int], card: RateCard) -> Unpriced | None:
    """Billable messages left out of the total, by market (or country), and how to price them.

    A total that leaves them out is a lower bound: no budget or policy check can pass on it.
    """
    total = sum(unpriced.values())
    if total == 0:
        return None
    rows = sorted(unpriced.items(), key=lambda item: (-item[1], item[0]))
    names = ", ".join(f"{name} ({messages:,})" for name, messages in rows[:5])
    if len(rows) > 5:
        names += f" and {len(rows) - 5} more"
    countries = [name for name, _ in rows if " " not in name and len(name) == 2]
    hints = []
    if countries:
        hints.append(
            f"the {card.currency} card of {card.effective_from} has no market for "
            f"{', '.join(countries[:5])}: price them on a card that has one (the USD card, or "
            f"Meta's {card.currency} card imported with `wacost rates import`)"
        )
    if len(countries) < len(rows):
        hints.append(
            "a rate is unknown on the card: put Meta's figure in your own copy of the card "
            "(or import Meta's file with `wacost rates import`) and give it as the pricing"
        )
    return Unpriced(
        messages=total,
        markets=tuple(UnpricedPlace(market=name, messages=count) for name, count in rows),
        message=f"{total:,} billable messages have no price and are not in the total: {names}",
        how_to_price="; ".join(hints),
    )


def estimate_campaign(
    paths: Sequence[Path],
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
    classifier: Classifier | None = None,
    usage_path: Path | None = None,
) -> Estimate:
    """Read, count and price a campaign: its estimate."""
    _card_in_currency(book, options, options.date)  # fail on the date or currency before reading
    policy_on_card(book, options)  # and on a policy market the card lacks
    if options.compare_date is not None:
        _card_in_currency(book, options, options.compare_date, "compare_date")
    resolver = NumberResolver(book.numbering, options.default_country)
    counts = count_campaign(
        paths,
        resolver,
        options.encoding,
        options.block_size,
        exclude=options.exclude,
        progress=options.progress,
    )
    return price_counts(counts, book, templates, options, classifier, usage_path)
