"""The report as one CSV: a `section` column says which view each row belongs to.

The rows of each view (category, market, template) and the `not_billed` row (messages the
total counts that no view bills: invalid numbers, unknown countries, unpriced markets) add up
to the `total` row's messages.

Cells that come from input files (template names) are escaped when a spreadsheet would run
them as a formula (a leading =, +, -, @, tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from wacost.render.common import not_billed
from wacost.report.document import to_dict
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
    report = to_dict(estimate)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()

    def put(section: str, row: dict[str, Any]) -> None:
        writer.writerow(
            {
                k: spreadsheet_safe(v) if v is not None else ""
                for k, v in {"section": section, **row}.items()
            }
        )

    for line in report["lines"]:
        put("line", line)
    for row in report["by_category"]:
        put("category", row)
    for row in report["by_market"]:
        put("market", row)
    for row in report["by_template"]:
        put("template", row)
    unbilled = not_billed(report, "category")
    if unbilled:  # invalid numbers and the like: in the total, in no breakdown row
        put("not_billed", {"messages": unbilled, "billable_messages": 0})
    for row in (report.get("recategorization_risk") or {}).get("templates", []):
        put(
            "recategorization_risk",
            {
                "template": row["template"],
                "language": row.get("language"),
                "messages": row["messages"],
                "difference": row["extra_cost"],
            },
        )
    comparison = report.get("comparison")
    if comparison:
        for row in comparison["by_market"]:
            put("comparison_market", row)
        for row in comparison["by_category"]:
            put("comparison_category", row)
    totals = report["totals"]
    put(
        "total",
        {
            "messages": totals["messages"],
            "billable_messages": totals["billable_messages"],
            "cost": totals["cost"],
            "fees": totals.get("fees"),
            "total_cost": totals.get("total_cost"),
            "compare_cost": comparison["cost"] if comparison else None,
            "difference": comparison["difference"] if comparison else None,
        },
    )
    return out.getvalue()
