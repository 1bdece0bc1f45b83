"""Month-to-date usage: charged messages per market and category, for volume tiers.

Two inputs: a small CSV (`market,category,messages`; market may be a market name or an ISO
country code), or Meta's `pricing_analytics` JSON response, whose VOLUME data points in the
month of the send date are summed (charged = pricing_type REGULAR). Free service messages in
the analytics also tell how much of the service free tier is already used.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from wacost.errors import InputFileError, literal
from wacost.files import parse_json, read_text_file
from wacost.models import Category
from wacost.numbers.regions import billing_country, country_code
from wacost.prices.cards import RateCard
from wacost.sniffing import dict_rows, numbered


@dataclass(frozen=True)
class Usage:
    """Charged messages so far this month per (market, category); free service messages used."""

    charged: dict[tuple[str, Category], int] = field(default_factory=dict)
    free_service_used: int | None = None
    source: str = ""

    def before(self, market: str, category: Category) -> int:
        return self.charged.get((market, category), 0)


def _market_of(value: str, card: RateCard, where: str, lenient: bool = False) -> str | None:
    text = value.strip()
    if text in card.markets:
        return text
    for name in card.markets:
        if name.lower() == text.lower():
            return name
    code = country_code(text)
    if code is not None:
        market = card.market_for_country(billing_country(code))
        if market:
            return market
    if lenient:
        return None
    raise InputFileError(
        f"{where}: market {text!r} is not on the {card.effective_from} rate card",
        "use a market name as on the card (e.g. India) or an ISO country code",
    )


def _category_of(value: str, where: str) -> Category:
    category = Category.parse(value)
    if category is None:
        raise InputFileError(
            f"{where}: category {value!r} is not a billing category",
            "use marketing, utility, authentication, authentication_international or service",
        )
    return category


def _parse_csv(text: str, card: RateCard, where: str, lenient: bool) -> Usage:
    # comma, semicolon (a European spreadsheet's export), tab or pipe, as a campaign's
    reader, first = dict_rows(text, where)
    try:
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        return _parse_rows(reader, fields, card, where, lenient, first)
    except csv.Error as exc:
        raise InputFileError(
            f"{where}:{first - 2 + reader.line_num}: cannot read the CSV ({exc})",
            "check the usage file",
        ) from None


def _parse_rows(
    reader: csv.DictReader[str],
    fields: list[str],
    card: RateCard,
    where: str,
    lenient: bool,
    first: int,
) -> Usage:
    if not {"market", "category", "messages"} <= set(fields):
        raise InputFileError(
            f"{literal(where)}: needs the columns market,category,messages",
            "see README, {0}",
            "usage",
        )
    charged: dict[tuple[str, Category], int] = defaultdict(int)
    # how each (market, category) was written: its market's name (the whole market), or
    # country codes (a market's countries, added up)
    written: dict[tuple[str, Category], set[str]] = defaultdict(set)
    names = {name.lower() for name in card.markets}
    for line, raw in numbered(reader, first):
        place = f"{where}:{line}"
        extra = raw.pop(None, None)  # fields past the header's
        if extra and any(str(value).strip() for value in extra):
            raise InputFileError(
                f"{place}: more fields than the header's market,category,messages",
                "check the row's delimiters",
            )
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        count = row.get("messages", "")
        if not count.isdigit() or len(count) > 15:
            raise InputFileError(
                f"{place}: messages {count[:20]!r} is not a whole number", "write e.g. 120000"
            )
        market = _market_of(row["market"], card, place, lenient)
        if market is not None:
            key = (market, _category_of(row["category"], place))
            said = row["market"].lower()
            # A row given twice, or a market's name beside its countries, would be added up:
            # more usage, cheaper bands, silently. (On another quarter's card, `lenient`,
            # two markets of the send date's card may be one: added up.)
            seen = written[key]
            if not lenient and (said in seen or (seen and (said in names or seen & names))):
                raise InputFileError(
                    f"{place}: {market} {key[1].value} has a second row",
                    "give each market and category once, with the month's messages added up",
                )
            seen.add(said)
            charged[key] += int(count)
    return Usage(dict(charged), None, where)


def _month_of(point: dict[str, object], where: str) -> tuple[int, int]:
    start = point.get("start")
    if isinstance(start, bool) or not isinstance(start, (int, float)):
        raise InputFileError(
            f"{where}: a data point has no numeric start time", "give Meta's response as it came"
        )
    try:
        day = dt.datetime.fromtimestamp(float(start), dt.UTC).date()
    except (OverflowError, ValueError, OSError):  # 1e300, NaN, a time before year 1
        raise InputFileError(
            f"{where}: start {start!r} is not a time"[:200], "give Meta's response as it came"
        ) from None
    return day.year, day.month


def _parse_analytics(
    data: object, card: RateCard, month: tuple[int, int], where: str, lenient: bool
) -> Usage:
    try:
        blocks = data["pricing_analytics"]["data"]  # type: ignore[index]
    except (KeyError, TypeError):
        raise InputFileError(
            f"{where}: no pricing_analytics.data", "give the pricing_analytics JSON response"
        ) from None
    if not isinstance(blocks, list):
        raise InputFileError(
            f"{where}: pricing_analytics.data must be a list", "give Meta's response as it came"
        )
    charged: dict[tuple[str, Category], int] = defaultdict(int)
    free_service = 0
    seen: set[tuple[tuple[str, str], ...]] = set()
    for block in blocks:
        points = block.get("data_points", []) if isinstance(block, dict) else None
        if not isinstance(points, list):
            raise InputFileError(
                f"{where}: data_points must be a list", "give Meta's response as it came"
            )
        for point in points:
            if not isinstance(point, dict):
                raise InputFileError(
                    f"{where}: a data point must be an object", "give Meta's response as it came"
                )
            # a page given twice would double the month's usage: cheaper bands, silently
            key = tuple(
                sorted((k, str(v)) for k, v in point.items() if k not in ("volume", "cost"))
            )
            if key in seen:
                raise InputFileError(
                    f"{where}: the same data point appears twice", "give each page once"
                )
            seen.add(key)
            if _month_of(point, where) != month:
                continue
            volume = point.get("volume", 0)
            if isinstance(volume, bool) or not isinstance(volume, int) or volume < 0:
                raise InputFileError(
                    f"{where}: volume {volume!r} is not a message count", "give Meta's response"
                )
            category = Category.parse(str(point.get("pricing_category", "")))
            if category is None:
                continue  # marketing_lite, group_* ...: no tiers, no free tier to track
            pricing_type = str(point.get("pricing_type", "REGULAR")).upper()
            if pricing_type == "FREE_CUSTOMER_SERVICE" and category is Category.SERVICE:
                free_service += volume
            if pricing_type != "REGULAR":
                continue
            country = point.get("country")
            if not isinstance(country, str):
                raise InputFileError(
                    f"{where}: a data point has no country",
                    "ask pricing_analytics for the COUNTRY dimension",
                )
            market = _market_of(country, card, where, lenient)
            if market is not None:
                charged[(market, category)] += volume
    return Usage(dict(charged), free_service, where)


def load_usage(path: Path, card: RateCard, on: dt.date, lenient: bool = False) -> Usage:
    """Month-to-date usage from a CSV or a pricing_analytics JSON file, for the month of `on`.

    `lenient`: skip markets `card` does not have (a comparison card of another quarter).
    """
    text = read_text_file(path, "usage")
    where = str(path)
    if text.lstrip().startswith(("{", "[")):
        data = parse_json(text, where, "give the pricing_analytics response as it came")
        return _parse_analytics(data, card, (on.year, on.month), where, lenient)
    return _parse_csv(text, card, where, lenient)
