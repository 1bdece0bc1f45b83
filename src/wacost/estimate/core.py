"""Counts -> priced lines, with exact Decimal money, under the rules in force on the send date.

The report this builds (a plain dict, `wacost.estimate/1`) is the one canonical result: JSON
is this dict, every other format is a view of it, and a saved JSON report renders the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from wacost.counting.batch import Counts
from wacost.counting.pipeline import count_campaign
from wacost.errors import OptionError
from wacost.estimate.billing import _price_on
from wacost.estimate.options import SCHEMA, EstimateOptions
from wacost.estimate.summaries import _card_info, _comparison, _summaries
from wacost.models import (
    MONEY_PLACES,
    format_money,
)
from wacost.numbers.resolver import NumberResolver
from wacost.prices.cards import PriceBook, RateCard, quarter_start
from wacost.prices.fx import convert_card, convert_fees
from wacost.prices.usage import load_usage
from wacost.templates.definitions import TemplateBook
from wacost.templates.verdict import Classifier


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
            fees = convert_fees(fees, options.fx_rate or Decimal(1), card.currency)
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


def annotate_report(report: dict[str, Any], counts: Counts) -> dict[str, Any]:
    """The report with the list-hygiene figures of `counts`: duplicates and exclusions.

    Duplicates are billed (Meta bills every delivered message), so they are a warning;
    excluded recipients are not sent, so they are a notice, not a warning (--strict fails on
    warnings only), and `totals.excluded_messages` (they are not in `totals.messages`).
    """
    if counts.duplicates.messages:
        warnings = list(report.get("warnings", []))
        warnings.append(
            {
                "code": "duplicate_recipient",
                "message": "rows that repeat an earlier row's recipient and template; billed, "
                "since Meta bills every delivered message",
                "count": counts.duplicates.messages,
                "example": counts.duplicates.example,
            }
        )
        report["warnings"] = sorted(warnings, key=lambda w: (w["code"], w["message"]))
    if counts.invalid_exclusions:
        report["warnings"] = sorted(
            [
                *report.get("warnings", []),
                {
                    "code": "invalid_exclusion",
                    "message": "entries of the --exclude list that are not valid phone numbers exclude "
                    "nothing (national numbers need --default-country)",
                    "count": counts.invalid_exclusions,
                    "example": None,
                },
            ],
            key=lambda w: (w["code"], w["message"]),
        )
    if counts.excluded is not None:
        report.setdefault("totals", {})["excluded_messages"] = counts.excluded.messages
    if counts.excluded is not None and counts.excluded.messages:
        report["notices"] = [
            *report.get("notices", []),
            {
                "code": "excluded_recipient",
                "message": "messages to numbers on the --exclude list; not sent, not billed",
                "count": counts.excluded.messages,
                "example": counts.excluded.example,
            },
        ]
    return report
