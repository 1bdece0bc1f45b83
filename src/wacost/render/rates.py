"""`wacost rates`: one rate card, or what changed between two, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rich.table import Table

from wacost.errors import OptionError
from wacost.models import Category
from wacost.prices.cards import UNKNOWN, Rate, RateCard, Tiers
from wacost.prices.compare import CardComparison
from wacost.render.common import printable, report_console
from wacost.render.csv import spreadsheet_safe


def _rate_text(rate: Rate) -> str | None:
    if rate is None:
        return None
    if rate is UNKNOWN:
        return "unknown"
    assert isinstance(rate, Decimal)
    return str(rate)


def _bands(tiers: Mapping[Category, Tiers]) -> dict[str, list[dict[str, Any]]]:
    """Each category's bands as Meta prints them: the first from 0, upper bounds inclusive."""
    return {
        category.value: [
            {"from": 0 if i == 0 else b.first, "to": b.last, "rate": str(b.rate)}
            for i, b in enumerate(tier.bands)
        ]
        for category, tier in tiers.items()
    }


_SHORT_HEADERS = {
    "marketing": "Marketing",
    "utility": "Utility",
    "authentication": "Auth",
    "authentication_international": "Auth-intl",
    "service": "Service",
}


def render_rates(
    card: RateCard, market: str | None, fmt: str, width: int = 120, color: bool = False
) -> str:
    """The card as JSON, CSV, or a table `width` columns wide (colour codes only if `color`)."""
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
    bands = {m.name: _bands(m.tiers) for m in markets if m.tiers}
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
                    "volume_tiers_note": card.tiers_note or None,
                    "markets": [
                        {**row, "tiers": bands[row["market"]]} if row["market"] in bands else row
                        for row in rows
                    ],
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
                    spreadsheet_safe(row["market"]),
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
    table.add_column("Market", style="bold" if color else "")
    for c in Category:
        # at 80 columns the full names do not fit beside the market's
        header = (
            c.value.replace("authentication_international", "auth-intl")
            if width >= 100
            else _SHORT_HEADERS[c.value]
        )
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            printable(row["market"]),
            *("–" if row[c.value] is None else row[c.value] for c in Category),
        )
    buffer = io.StringIO()
    console = report_console(buffer, width, color)
    console.print(table)
    console.print(f"Source: {card.source_url}", style="dim", soft_wrap=False)
    if len(rows) == 1 and rows[0]["market"] in bands:
        for category, listed in bands[rows[0]["market"]].items():
            console.print(
                f"{category} volume bands (messages a month): "
                + ", ".join(
                    f"{b['from']:,}-{'MAX' if b['to'] is None else format(b['to'], ',')}: "
                    f"{b['rate']}"
                    for b in listed
                )
            )
    if card.tiers_note:
        console.print(f"Volume tiers: {card.tiers_note}")
    if card.service_free:
        console.print(
            "Service (non-template) messages are free on this card; utility in an open "
            "customer service window is free."
            if card.utility_free_in_csw
            else "Service messages are free on this card."
        )
    return buffer.getvalue()


def _signed(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"+{value}" if value > 0 else str(value)


def comparison_data(comparison: CardComparison) -> dict[str, Any]:
    """The comparison as plain data: every change is new minus old."""
    old, new = comparison.old, comparison.new
    return {
        "currency": new.currency,
        "old": {"effective_from": old.effective_from.isoformat(), "source": old.source_url},
        "new": {"effective_from": new.effective_from.isoformat(), "source": new.source_url},
        "difference": "new minus old",
        "markets": [
            {
                "market": m.market,
                "status": m.status,
                "rates": [
                    {
                        "category": r.category.value,
                        "old": _rate_text(r.old),
                        "new": _rate_text(r.new),
                        "difference": _signed(r.difference),
                    }
                    for r in m.rates
                ],
                "tiers": [{"category": c.value, "change": s} for c, s in m.tiers],
                "countries_added": list(m.countries_added),
                "countries_removed": list(m.countries_removed),
            }
            for m in comparison.markets
        ],
    }


def render_comparison(comparison: CardComparison, fmt: str) -> str:
    """`wacost rates --compare-date`: what changed, market by market, as table, JSON or CSV."""
    data = comparison_data(comparison)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    old_date, new_date = data["old"]["effective_from"], data["new"]["effective_from"]
    rows: list[list[str]] = []
    for m in data["markets"]:
        for r in m["rates"]:
            rows.append(
                [m["market"], m["status"], r["category"], r["old"] or "–", r["new"] or "–",
                 r["difference"] or ""]
            )  # fmt: skip
        for t in m["tiers"]:
            rows.append([m["market"], m["status"], f"{t['category']} bands", "", "", t["change"]])
        moved = [f"+{c}" for c in m["countries_added"]] + [f"-{c}" for c in m["countries_removed"]]
        if moved and m["status"] == "changed":
            rows.append([m["market"], m["status"], "countries", "", "", " ".join(moved)])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["market", "status", "item", f"old_{old_date}", f"new_{new_date}", "difference"]
        )
        writer.writerows(rows)
        return out.getvalue()
    table = Table(
        title=f"{data['currency']} rate card changes: old = card of {old_date}, "
        f"new = card of {new_date} (difference = new minus old)",
        title_justify="left",
    )
    for name, justify in (
        ("Market", "left"),
        ("Status", "left"),
        ("Item", "left"),
        (f"Old ({old_date})", "right"),
        (f"New ({new_date})", "right"),
        ("Difference", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    # names are data: a market called "[bold]X" in an imported card is printed as written
    console = report_console(buffer, 140, False)
    if rows:
        console.print(table)
    else:
        console.print(
            f"No change: the {old_date} and {new_date} {data['currency']} cards price every "
            "market alike."
        )
    return buffer.getvalue()
