"""What Meta billed: data points from `pricing_analytics` responses or an invoice CSV.

Meta's response (the WABA field or its edge, one page or many) gives data points with country,
pricing_category, pricing_type and optionally tier, and the metrics volume and cost; an invoice
CSV gives `market,category,messages,cost`. Countries map to markets through the rate card's
country membership (the same mapping as `--usage`). Costs are read exactly, as Decimals.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from wacost.amounts import AmountError, parse_amount
from wacost.errors import InputFileError
from wacost.files import read_text_file
from wacost.models import Category
from wacost.prices.cards import RateCard
from wacost.prices.usage import _market_of  # one mapping of ISO codes and market names to markets
from wacost.sniffing import dict_rows, numbered

REGULAR = "regular"


@dataclass(frozen=True)
class Point:
    """Billed messages of one market, category, pricing type and volume tier."""

    market: str
    category: str  # Meta's category in lower case: marketing, utility, ..., marketing_lite
    pricing_type: str  # regular, free_customer_service, free_entry_point, ...
    tier: str | None  # "LOWER:UPPER" as in pricing_analytics; None when not given
    messages: int
    cost: Decimal


@dataclass(frozen=True)
class Actual:
    """What was billed: data points from every input, and the period they cover."""

    points: tuple[Point, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    sources: tuple[str, ...] = ()
    currency: str | None = None  # the WABA's currency, where the response says it


def _bad(where: str, problem: str, hint: str) -> InputFileError:
    return InputFileError(f"{where}: {problem}", hint)


def _json(text: str, where: str, hint: str) -> Any:
    """`text` as JSON, numbers with a fraction as exact Decimals; a clear error where it is not."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _bad(
            f"{where}:{exc.lineno}:{exc.colno}", f"not valid JSON ({exc.msg})", hint
        ) from None


def _tier_discounted(tier: str | None) -> bool:
    """Whether `tier` ("LOWER:UPPER") is a band past the first (a volume discount)."""
    if not tier:
        return False
    lower = tier.split(":", 1)[0].strip()
    return lower.isdigit() and int(lower) > 0


def _analytics_points(data: object, where: str) -> list[dict[str, Any]]:
    """The data points of a pricing_analytics response (field or edge form)."""
    blocks: object = None
    if isinstance(data, dict):
        field_form = data.get("pricing_analytics")
        if isinstance(field_form, dict):
            blocks = field_form.get("data")
        elif "data" in data:
            blocks = data.get("data")
    if not isinstance(blocks, list):
        raise _bad(
            where,
            "no pricing_analytics.data list",
            "give Meta's pricing_analytics response as it came, or a CSV market,category,messages,cost",
        )
    points: list[dict[str, Any]] = []
    for block in blocks:
        inner = block.get("data_points") if isinstance(block, dict) else None
        if not isinstance(inner, list) or not all(isinstance(p, dict) for p in inner):
            raise _bad(where, "data_points must be a list of objects", "give Meta's response")
        points.extend(inner)
    return points


def _timestamp(value: object, where: str, key: str) -> dt.date:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _bad(where, f"a data point's {key} is not a Unix time", "give Meta's response")
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC).date()
    except (OverflowError, ValueError, OSError):
        raise _bad(where, f"{key} {value} is not a real time", "give Meta's response") from None


def _text(point: dict[str, Any], key: str, where: str, dimension: str) -> str:
    value = point.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _bad(
            where,
            f"a data point has no {key}",
            f"ask pricing_analytics for the {dimension} dimension",
        )
    return value.strip()


def _money(value: object, where: str, key: str) -> Decimal:
    """A cost under the one amount rule (`wacost.amounts`)."""
    try:
        return parse_amount(value)
    except AmountError as error:
        raise _bad(where, f"{key} {error.describe(str(value)[:20])}", error.hint) from None


def _count(value: object, where: str, key: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(where, f"{key} {str(value)[:20]!r} is not a message count", "write e.g. 1200")
    return value


def _parse_analytics(
    data: object, card: RateCard, where: str, seen: set[tuple[object, ...]]
) -> tuple[list[Point], set[dt.date]]:
    """The points of one response; `seen` holds the points of earlier pages, to refuse repeats."""
    points: list[Point] = []
    days: set[dt.date] = set()
    for raw in _analytics_points(data, where):
        key = tuple(sorted((k, str(v)) for k, v in raw.items() if k not in ("volume", "cost")))
        if key in seen:
            raise _bad(where, "the same data point appears twice", "give each page or file once")
        seen.add(key)
        for side in ("start", "end"):
            if side in raw:
                days.add(_timestamp(raw[side], where, side))
        if "volume" not in raw:
            raise _bad(where, "a data point has no volume", "ask for metric_types VOLUME and COST")
        if "cost" not in raw:
            raise _bad(where, "a data point has no cost", "ask for metric_types VOLUME and COST")
        country = _text(raw, "country", where, "COUNTRY")
        market = _market_of(country, card, where)
        assert market is not None  # not lenient: an unknown market raised
        tier = raw.get("tier")
        messages = _count(raw["volume"], where, "volume")
        cost = _money(raw["cost"], where, "cost")
        if raw.get("pricing_type") is None:
            # Asked without the PRICING_TYPE dimension: messages that cost nothing were free.
            pricing_type = "free" if cost == 0 and messages else REGULAR
        else:
            pricing_type = _text(raw, "pricing_type", where, "PRICING_TYPE").lower()
        points.append(
            Point(
                market=market,
                category=_text(raw, "pricing_category", where, "PRICING_CATEGORY").lower(),
                pricing_type=pricing_type,
                tier=tier.strip() if isinstance(tier, str) and tier.strip() else None,
                messages=messages,
                cost=cost,
            )
        )
    return points, days


def _parse_csv(text: str, card: RateCard, where: str) -> list[Point]:
    reader, first = dict_rows(text, where)  # delimiter: as a campaign's
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"market", "category", "messages", "cost"} <= fields:
        raise _bad(
            where,
            "needs the columns market,category,messages,cost",
            "or give Meta's pricing_analytics JSON response",
        )
    points = []
    for line, row in numbered(reader, first):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        place = f"{where}:{line}"
        if not any(cells.values()):
            continue
        category = Category.parse(cells["category"])
        if category is None:
            raise _bad(
                place,
                f"category {cells['category'][:30]!r} is not a billing category",
                "use marketing, utility, authentication, authentication_international or service",
            )
        messages = _count(cells["messages"].replace(",", "").replace("_", ""), place, "messages")
        cost = _money(cells["cost"], place, "cost")
        # An invoice line that costs nothing is free messages (free window, free tier).
        pricing_type = cells.get("pricing_type", "").lower() or (
            "free" if cost == 0 and messages else REGULAR
        )
        market = _market_of(cells["market"], card, place)
        assert market is not None
        points.append(
            Point(market, category.value, pricing_type, cells.get("tier") or None, messages, cost)
        )
    return points


def load_actuals(paths: Sequence[Path], card: RateCard) -> Actual:
    """What Meta billed, from pricing_analytics responses and/or invoice CSVs, added together.

    Markets are named as on `card` (ISO country codes map through its country membership).
    """
    if not paths:
        raise InputFileError("no billed data given", "give a pricing_analytics file or a CSV")
    points: list[Point] = []
    days: set[dt.date] = set()
    seen: set[tuple[object, ...]] = set()
    currencies: dict[str, str] = {}
    for path in paths:
        text = read_text_file(path, "billed data")
        where = str(path)
        if text.lstrip().startswith(("{", "[")):
            data = _json(text, where, "give the pricing_analytics response as it came")
            if isinstance(data, dict) and isinstance(data.get("currency"), str):
                currencies[data["currency"].strip().upper()] = where
            found, more_days = _parse_analytics(data, card, where, seen)
            points += found
            days |= more_days
        else:
            points += _parse_csv(text, card, where)
    if len(currencies) > 1:
        raise InputFileError(
            f"the billed files are in several currencies ({', '.join(sorted(currencies))})",
            "reconcile one WhatsApp Business Account at a time",
        )
    return Actual(
        tuple(points),
        min(days) if days else None,
        max(days) if days else None,
        tuple(str(p) for p in paths),
        next(iter(currencies), None),
    )
