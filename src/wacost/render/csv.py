"""The report as one CSV: a `section` column says which view each row belongs to.

Cells that come from input files (template names) are escaped when a spreadsheet would run
them as a formula (a leading =, +, -, @, tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ["section", "market", "category", "pricing_type", "tier", "template", "language",
           "messages", "billable_messages", "rate", "cost"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """`value`, with a leading apostrophe if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def render_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()

    def put(section: str, row: dict[str, Any]) -> None:
        writer.writerow({k: spreadsheet_safe(v) if v is not None else "" for k, v in
                         {"section": section, **row}.items()})

    for line in report["lines"]:
        put("line", line)
    for row in report["by_category"]:
        put("category", row)
    for row in report["by_market"]:
        put("market", row)
    for row in report["by_template"]:
        put("template", row)
    put("total", {"messages": report["totals"]["messages"],
                  "billable_messages": report["totals"]["billable_messages"],
                  "cost": report["totals"]["cost"]})
    return out.getvalue()
