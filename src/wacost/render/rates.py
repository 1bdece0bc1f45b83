"""`wacost rates`: one rate card as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from wacost.errors import OptionError
from wacost.models import Category
from wacost.prices.cards import UNKNOWN, Rate, RateCard


def _rate_text(rate: Rate) -> str | None:
    if rate is None:
        return None
    if rate is UNKNOWN:
        return "unknown"
    assert isinstance(rate, Decimal)
    return str(rate)


def render_rates(card: RateCard, market: str | None, fmt: str) -> str:
    markets = list(card.markets.values())
    if market:
        wanted = market.strip().lower()
        markets = [m for m in markets if m.name.lower() == wanted or wanted.upper() in m.countries]
        if not markets:
            default = card.default_market
            if len(wanted) == 2 and default is not None:
                markets = [default]
            else:
                raise OptionError(
                    f"--market {market!r}: no such market on the {card.effective_from} card",
                    "give a market name (e.g. India) or an ISO country code (e.g. IN)",
                )
    rows: list[dict[str, Any]] = [
        {
            "market": m.name,
            "countries": sorted(m.countries),
            **{c.value: _rate_text(m.rate(c)) for c in Category},
        }
        for m in markets
    ]
    if fmt == "json":
        return (
            json.dumps(
                {
                    "currency": card.currency,
                    "effective_from": card.effective_from.isoformat(),
                    "source": card.source_url,
                    "confidence": card.confidence,
                    "service_free": card.service_free,
                    "utility_free_in_customer_service_window": card.utility_free_in_csw,
                    "markets": rows,
                },
                indent=2,
            )
            + "\n"
        )
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["market", "countries", *(c.value for c in Category)])
        for row in rows:
            writer.writerow(
                [
                    row["market"],
                    " ".join(row["countries"]),
                    *("" if row[c.value] is None else row[c.value] for c in Category),
                ]
            )
        return out.getvalue()
    table = Table(
        title=f"{card.currency} rate card effective {card.effective_from} "
        f"(confidence {card.confidence})",
        title_justify="left",
    )
    table.add_column("Market")
    for c in Category:
        table.add_column(
            c.value.replace("authentication_international", "auth-intl"), justify="right"
        )
    for row in rows:
        table.add_row(
            row["market"], *("–" if row[c.value] is None else row[c.value] for c in Category)
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    console.print(table)
    console.print(f"Source: {card.source_url}")
    if card.service_free:
        console.print(
            "Service (non-template) messages are free on this card; utility in an open "
            "customer service window is free."
            if card.utility_free_in_csw
            else "Service messages are free on this card."
        )
    return buffer.getvalue()
