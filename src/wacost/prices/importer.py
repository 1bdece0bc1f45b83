"""Read Meta's own rate-card and volume-tier files (CSV or XLSX) and write a wacost rate card.

Meta publishes, per currency and effective date, a rate file ("Cost per message in USD on the
WhatsApp Business Platform, effective October 1, 2026") and a volume-tier file. Both are laid out
for people: title and notice rows above the header, `n/a` where a market has no such rate,
numbers stored as spreadsheet floats (`8.0E-4`) or as text with a currency token (`$US 0.0260`),
and, in the tier file, a three-row header (category groups; "Messages (per month)" / "What we
charge"; `From`, `To`, `Rate type`, `Rate`, `vs. List rate`) with the market name only on the
first of its six band rows and `--` as the open upper bound. Nothing here guesses: a cell that
is not a number, `n/a` or empty is an error naming the file, row and column.

Meta's files name markets only; which countries a market holds comes from wacost's own cards
(the shipped card in effect on the date, or the newest one that has the market).
Reading the files' cells is in `wacost.prices.meta_cells`, their layout in `wacost.prices.meta_layout`;
this module builds the card from what they read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from wacost.errors import InputFileError, PricingTableError
from wacost.files import load_yaml_text
from wacost.models import Category
from wacost.prices.cards import SERVICE_CHARGING_STARTS, PriceBook, RateCard
from wacost.prices.loading import parse_rate_card
from wacost.prices.meta_cells import (
    CURRENCIES,
    PRICING_PAGE,
    _fail,
)
from wacost.prices.meta_cells import currency_of as currency_of
from wacost.prices.meta_cells import parse_amount as parse_amount
from wacost.prices.meta_layout import (
    SourceFile,
    _Parsed,
    read_meta_file,
)


@dataclass(frozen=True)
class ImportedCard:
    """The card written from Meta's files: its YAML text and the validated card."""

    text: str
    card: RateCard
    sources: tuple[SourceFile, ...]


# --- building the card --------------------------------------------------------------------


def _membership(
    book: PriceBook, on: dt.date, names: Sequence[str], source: str, currency: str = "USD"
) -> dict[str, tuple[list[str], bool]]:
    """Countries of each market named in Meta's file, from wacost's own cards. A market of
    wacost's card for that date and currency missing from the file is refused: its countries
    would fall to the default market (Other), billed at its rate without a word."""
    cards = sorted(book.cards, key=lambda c: (c.currency != "USD", -c.effective_from.toordinal()))
    in_effect = [c for c in cards if c.effective_from <= on] or cards
    ordered = in_effect + [c for c in cards if c not in in_effect]
    result: dict[str, tuple[list[str], bool]] = {}
    for name in names:
        for card in ordered:
            match = next((m for m in card.markets.values() if m.name.lower() == name.lower()), None)
            if match is not None:
                result[name] = (sorted(match.countries), match.default)
                break
        else:
            raise _fail(
                source,
                f"market {name!r}",
                "not a market in wacost's cards",
                "Meta's files name markets only: add the market and its countries to the card by hand",
            )
    same = [c for c in ordered if c.currency == currency] or ordered
    listed = {name.lower() for name in names}
    for market in same[0].markets.values():
        if not market.default and market.name.lower() not in listed:
            raise _fail(
                source,
                f"market {market.name!r}",
                f"not in the file, though on wacost's {same[0].effective_from} "
                f"{same[0].currency} card: its countries would be billed as the default market",
                "import Meta's file as downloaded (it lists every market)",
            )
    # A country goes to the market that holds it alone (a standalone country beats its region).
    owner: dict[str, str] = {}
    for name in sorted(result, key=lambda n: len(result[n][0])):
        kept = []
        for country in result[name][0]:
            if country not in owner:
                owner[country] = name
                kept.append(country)
        result[name] = (kept, result[name][1])
    return result


def _decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value() and abs(value) >= 1000:
        return str(value.quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    places = len(text.partition(".")[2])
    return text if places >= 4 else format(value.quantize(Decimal("0.0001")), "f")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_card_text(
    rates_file: _Parsed,
    tiers_file: _Parsed | None,
    currency: str,
    effective: dt.date,
    book: PriceBook,
    today: dt.date,
) -> str:
    names = list(rates_file.rates)
    members = _membership(book, effective, names, rates_file.source.name, currency)
    service_free = effective < SERVICE_CHARGING_STARTS
    sources = [rates_file.source] + ([tiers_file.source] if tiers_file else [])
    files = "; ".join(f"{s.name} (sha256 {s.sha256})" for s in sources)
    lines = [
        f"# wacost rate card: Meta's WhatsApp Business Platform rates in {currency} per delivered",
        f"# message, effective {effective.isoformat()}, imported by `wacost rates import` from Meta's",
        f"# own files: {', '.join(s.name for s in sources)}. Market membership (countries) is",
        "# wacost's: Meta's files name markets only.",
        "schema: wacost.rate_card/1",
        f"currency: {currency}",
        f'effective_from: "{effective.isoformat()}"',
        "source:",
        "  publisher: Meta",
        f"  url: {PRICING_PAGE}",
        f"  obtained_via: {_quote('wacost rates import of Meta files: ' + files)}",
        f'  retrieved: "{today.isoformat()}"',
        f"  rates_file: {_quote(rates_file.source.name)}",
        f'  rates_sha256: "{rates_file.source.sha256}"',
    ]
    if tiers_file is not None:
        lines += [
            f"  tiers_file: {_quote(tiers_file.source.name)}",
            f'  tiers_sha256: "{tiers_file.source.sha256}"',
        ]
    lines += [
        "confidence: high",
        _kv(
            "confidence_note",
            "Every rate imported from Meta's own files (names and SHA-256 in "
            "source); the countries of each market are wacost's.",
        ),
        _kv(
            "volume_tiers_note",
            f"Bands from Meta's volume-tier file {tiers_file.source.name}."
            if tiers_file
            else "No volume-tier file was imported: utility and authentication are "
            "priced at list rate, an upper bound.",
        ),
        "free_rules:",
        f"  utility_in_customer_service_window: {'free' if service_free else 'charged'}",
        f"  service: {'free' if service_free else 'charged'}",
        "markets:",
    ]
    tiers = tiers_file.tiers if tiers_file else {}
    unknown_tiers = sorted(set(tiers) - set(names))
    if unknown_tiers:
        raise _fail(
            tiers_file.source.name if tiers_file else "", f"market {unknown_tiers[0]!r}",
            "is in the tier file but not in the rate file", "import the matching pair of files",
        )  # fmt: skip
    for name in names:
        countries, default = members[name]
        lines.append(f"  {name}:")
        lines.append("    countries: [" + ", ".join(f'"{c}"' for c in countries) + "]")
        if default:
            lines.append("    default: true")
        lines.append("    rates:")
        for category in Category:
            value = rates_file.rates[name][category]
            lines.append(
                f"      {category.value}: {'null' if value is None else _decimal_text(value)}"
            )
        market_tiers = tiers.get(name, {})
        if market_tiers:
            lines.append("    tiers:")
            for category, bands in market_tiers.items():
                lines.append(f"      {category.value}:")
                lines.append(
                    f"        source: {_quote(f'Meta volume-tier file {tiers_file.source.name}' if tiers_file else '')}"
                )
                lines.append("        confidence: high")
                lines.append("        bands:")
                for band in bands:
                    to = "null" if band.last is None else str(band.last)
                    lines.append(
                        f"          - {{from: {band.first}, to: {to}, rate: {_decimal_text(band.rate)}}}"
                    )
    return "\n".join(lines) + "\n"


def _kv(key: str, value: str) -> str:
    return f"{key}: {_quote(value)}"


def import_meta_files(
    paths: Sequence[Path],
    book: PriceBook,
    effective_from: dt.date | None = None,
    currency: str | None = None,
    today: dt.date | None = None,
) -> ImportedCard:
    """A wacost rate card from Meta's rate file (and optionally its volume-tier file)."""
    if not paths:
        raise InputFileError("rates import: no file given", "give Meta's rate-card file")
    parsed = [read_meta_file(Path(p)) for p in paths]
    rate_files = [p for p in parsed if p.source.kind == "rates"]
    tier_files = [p for p in parsed if p.source.kind == "tiers"]
    if len(rate_files) != 1:
        raise InputFileError(
            f"rates import: {len(rate_files)} rate-card files given "
            f"({', '.join(p.source.name for p in rate_files) or 'none'})",
            "give exactly one rate file of one currency and date (and its volume-tier file)",
        )
    if len(tier_files) > 1:
        raise InputFileError(
            f"rates import: {len(tier_files)} volume-tier files given", "give at most one"
        )
    rates_file = rate_files[0]
    tiers_file = tier_files[0] if tier_files else None
    codes = {p.source.currency for p in parsed if p.source.currency}
    if currency is not None:
        wanted = currency_of(currency)
        if wanted is None:
            raise InputFileError(
                f"currency {currency!r} is not one wacost knows", f"one of {', '.join(CURRENCIES)}"
            )
        if codes and codes != {wanted}:
            raise InputFileError(
                f"currency: the files say {', '.join(sorted(codes))}, not {wanted}",
                "give the files of that currency",
            )
        codes = {wanted}
    if len(codes) > 1:
        raise InputFileError(
            f"rates import: the files are in {', '.join(sorted(codes))}",
            "import one currency at a time",
        )
    if not codes:
        raise InputFileError(
            f"{rates_file.source.name}: no currency in the title or the Currency column "
            "(a bare $ could be any of several)",
            "give the currency explicitly",
        )
    dates = {p.source.effective_from for p in parsed if p.source.effective_from}
    if effective_from is None:
        if len(dates) > 1:
            raise InputFileError(
                f"rates import: the files take effect on {', '.join(sorted(d.isoformat() for d in dates))}",
                "import the files of one date together, or give the effective date explicitly",
            )
        if not dates:
            raise InputFileError(
                f"{rates_file.source.name}: the title gives no effective date",
                "give the effective date explicitly (YYYY-MM-DD)",
            )
        effective_from = dates.pop()
    if tiers_file is not None:
        for market, categories in tiers_file.tiers.items():
            listed = rates_file.rates.get(market)
            for category, bands in categories.items():
                list_rate = listed.get(category) if listed else None
                if list_rate is None or bands[0].rate != list_rate:
                    raise InputFileError(
                        f"{tiers_file.source.name}: {market} {category.value}: the first band's rate "
                        f"{bands[0].rate} is not the list rate {list_rate} in {rates_file.source.name}",
                        "import the rate and tier files of the same currency and date",
                    )
    currency_code = codes.pop()
    text = build_card_text(
        rates_file, tiers_file, currency_code, effective_from, book, today or dt.date.today()
    )
    try:
        card = parse_rate_card(load_yaml_text(text, "imported card"), "imported card")
    except PricingTableError as exc:
        raise InputFileError(
            f"{rates_file.source.name}: the card made from it is not valid: {exc.message}",
            exc.hint or "check Meta's file",
        ) from None
    return ImportedCard(text, card, tuple(p.source for p in parsed))
