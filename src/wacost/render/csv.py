"""The report as one CSV: a `section` column says which view each row belongs to.

Cells that come from input files (template names) are escaped when a spreadsheet would run
them as a formula (a leading =, +, -, @, tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from wacost.models import format_money
from wacost.report.codec import encode
from wacost.report.model import Estimate

COLUMNS = [
    "section",
    "market",
    "category",
    "pricing_type",
    "tier",
    "template",
    "language",
    "messages",
    "billable_messages",
    "rate",
    "cost",
    "fees",
    "total_cost",
    "compare_cost",
    "difference",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def spreadsheet_safe(value: object) -> object:
    """`value`, with a leading apostrophe if a spreadsheet would run it as a formula.

    Amounts (`-0.1380`) are numbers, not formulas, and stay as they are.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def render_csv(estimate: Estimate) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()

    def put(section: str, row: Mapping[str, Any]) -> None:
        writer.writerow(
            {
                k: spreadsheet_safe(v) if v is not None else ""
                for k, v in {"section": section, **row}.items()
            }
        )

    # Each row as its JSON form (the codec writes every amount by the one rounding rule).
    for line in estimate.lines:
        put("line", encode(line))
    for breakdown, section in (
        (estimate.by_category, "category"),
        (estimate.by_market, "market"),
        (estimate.by_template, "template"),
    ):
        for row in breakdown:
            put(section, encode(row))
    risk = estimate.recategorization_risk
    for template in risk.templates if risk is not None else ():
        put(
            "recategorization_risk",
            {
                "template": template.template,
                "language": template.language,
                "messages": template.messages,
                "difference": format_money(template.extra_cost),
            },
        )
    comparison = estimate.comparison
    if comparison is not None:
        for market in comparison.by_market:
            put("comparison_market", encode(market))
        for category in comparison.by_category:
            put("comparison_category", encode(category))
    totals = estimate.totals
    put(
        "total",
        {
            "messages": totals.messages,
            "billable_messages": totals.billable_messages,
            **encode(totals),
            "compare_cost": format_money(comparison.cost) if comparison else None,
            "difference": format_money(comparison.difference) if comparison else None,
        },
    )
    return out.getvalue()
