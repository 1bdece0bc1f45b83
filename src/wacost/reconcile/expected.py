"""What to expect next time: delivery rates per market, and the expected cost of an estimate.

The rates come from a `wacost reconcile --format json` report or a CSV `market,rate`; the
expected cost is each market's cost times its rate (1 for a market without one). The estimate's
`totals.cost` stays the upper bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from wacost.amounts import AmountError, parse_amount
from wacost.files import read_text_file
from wacost.prices.cards import RateCard
from wacost.prices.usage import _market_of
from wacost.reconcile.billed import _bad, _json
from wacost.reconcile.model import RATE_PLACES, SCHEMA
from wacost.report.model import DeliveryRates, Estimate
from wacost.sniffing import dict_rows, numbered


def _rate_value(value: object, where: str) -> Decimal:
    try:
        rate = parse_amount(value, maximum=Decimal(1))
    except AmountError:
        raise _bad(
            where, f"rate {str(value)[:20]!r} is not a share from 0 to 1", "write e.g. 0.95"
        ) from None
    return rate


def load_delivery_rates(path: Path, card: RateCard) -> dict[str, Decimal]:
    """Delivery rate per market: a `wacost reconcile --format json` report, or a CSV market,rate
    (market name or ISO country code, as on `card`)."""
    text = read_text_file(path, "delivery rates")
    where = str(path)
    pairs: list[tuple[str, object, str]] = []
    if text.lstrip().startswith("{"):
        data = _json(text, where, "give a file written by reconcile --format json")
        items = data.get("delivery_rates") if isinstance(data, dict) else None
        if (
            not isinstance(data, dict)
            or data.get("schema") != SCHEMA
            or not isinstance(items, list)
        ):
            raise _bad(
                where,
                f"not a {SCHEMA} report with delivery_rates",
                "give a file written by reconcile --format json, or a CSV market,rate",
            )
        for i, item in enumerate(items):
            place = f"{where}: delivery_rates[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("market"), str):
                raise _bad(place, "needs a market and a rate", "save the report again")
            pairs.append((item["market"], item.get("rate"), place))
    else:
        reader, first = dict_rows(text, where)  # delimiter: as a campaign's
        fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
        if not {"market", "rate"} <= fields:
            raise _bad(where, "needs the columns market,rate", "or give a reconcile JSON report")
        for line, row in numbered(reader, first):
            cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
            if any(cells.values()):
                pairs.append((cells["market"], cells["rate"], f"{where}:{line}"))
    rates: dict[str, Decimal] = {}
    for market_text, value, place in pairs:
        market = _market_of(market_text, card, place)
        assert market is not None
        if market in rates:
            raise _bad(place, f"{market} has a second rate", "give each market once")
        rates[market] = _rate_value(value, place)
    return rates


def expected_cost(by_market: Iterable[tuple[str, Decimal]], rates: dict[str, Decimal]) -> Decimal:
    """Each market's cost times its delivery rate (1 for a market without one), added up."""
    return sum((cost * rates.get(market, Decimal(1)) for market, cost in by_market), Decimal(0))


def apply_delivery_rates(estimate: Estimate, rates: dict[str, Decimal], source: str) -> Estimate:
    """The estimate with what to expect: each market's `delivery_rate` and `expected_cost`, and
    `totals.expected_cost` (exact; rounded once, when written). `totals.cost` is unchanged: it
    stays the upper bound that budgets and policies check."""
    by_market = tuple(
        replace(
            row,
            delivery_rate=rates.get(row.market, Decimal(1)).quantize(RATE_PLACES),
            expected_cost=row.cost * rates.get(row.market, Decimal(1)),
        )
        for row in estimate.by_market
    )
    total = expected_cost(((row.market, row.cost) for row in estimate.by_market), rates)
    return replace(
        estimate,
        by_market=by_market,
        totals=replace(estimate.totals, expected_cost=total),
        delivery_rates=DeliveryRates(
            source=source,
            markets_with_rate=sum(1 for row in estimate.by_market if row.market in rates),
        ),
    )
