"""The report as an Excel workbook (`--format xlsx`): one sheet per view, real numbers.

A CSV of amounts is read differently by every locale's spreadsheet (`159150.0000` is a
hundred and fifty-nine million in a pt-BR or de-DE Excel). A workbook stores numbers as
numbers: each cell holds the exact amount (a Decimal, written as the number it is) with a
currency number format, which every spreadsheet shows in its own locale.

Sheets: Summary, Categories, Markets, Templates, Lines, then Comparison (with
--compare-date), Warnings and Notices. Text from input files (template names) is written as
text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from wacost.models import format_money, round_money
from wacost.report.codec import rate_text
from wacost.report.model import CategoryDifference, Estimate, MarketDifference

_MONEY_FORMAT = '#,##0.0000 "{currency}"'
_RATE_FORMAT = '#,##0.000000 "{currency}"'
_COUNT_FORMAT = "#,##0"


def _get(row: object, key: str) -> Any:
    """A row's value for a column: a key of a dict, or a field of a typed row."""
    if isinstance(row, Mapping):
        return row.get(key)
    return getattr(row, key, None)


def _plain(value: Any) -> Any:
    """An enum as its value, a date as YYYY-MM-DD (as the JSON writes them)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _shown(value: Any, kind: str) -> Any:
    """A cell's value as the report writes it: amounts rounded by the one rule, as text."""
    if value is None:
        return None
    if kind == "money":
        return format_money(value)
    if kind == "rate":
        return rate_text(value)
    return _plain(value)


def _cell(value: Any, kind: str) -> Any:
    """What a cell holds: an exact Decimal for money and rates (rounded as the JSON writes
    them), an int for counts, text (never a formula) for the rest."""
    if value is None:
        return None
    if kind == "money":
        return round_money(value)
    if kind == "rate":
        return Decimal(rate_text(value))
    if kind == "count":
        return int(value)
    return _text(_plain(value))


def _text(value: Any) -> Any:
    """Text cells are never formulas: openpyxl would store a leading '=' as one."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def render_xlsx(estimate: Estimate) -> bytes:
    """The report as the bytes of an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    currency = estimate.currency
    money_format = _MONEY_FORMAT.format(currency=currency)
    rate_format = _RATE_FORMAT.format(currency=currency)
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, columns: list[tuple[str, str]], rows: Sequence[object]) -> None:
        """A sheet: a bold header, one row per dict or typed row; `columns` are (key, kind)
        with kind text, count, money or rate."""
        ws = book.active if book.active is not None and book.active.title == "Sheet" else None
        if ws is None:
            ws = book.create_sheet(title)
        else:
            ws.title = title
        ws.append([key for key, _ in columns])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_cell(_get(row, key), kind) for key, kind in columns])
        for index, (key, kind) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            fmt = {"money": money_format, "rate": rate_format, "count": _COUNT_FORMAT}.get(kind)
            if fmt is not None:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            shown = [len(str(_shown(_get(r, key), kind) or "")) for r in rows[:200]]
            width = max([len(key), *shown]) + 2
            ws.column_dimensions[letter].width = min(max(width, 10), 60)
        ws.freeze_panes = "A2"

    totals = estimate.totals
    summary: list[dict[str, Any]] = [
        {"item": "currency", "text": currency},
        {"item": "send date", "text": estimate.date},
        {"item": "messages", "count": totals.messages},
        {"item": "billable messages", "count": totals.billable_messages},
        {"item": "cost", "amount": totals.cost},
    ]
    if totals.fees is not None:
        summary.append({"item": "fees", "amount": totals.fees})
        summary.append({"item": "total cost", "amount": totals.total_cost})
    if totals.excluded_messages is not None:
        summary.append({"item": "excluded messages", "count": totals.excluded_messages})
    budget = estimate.budget
    if budget.limit is not None:
        summary.append({"item": "budget", "amount": budget.limit})
        summary.append(
            {
                "item": "over budget by",
                "amount": round_money(totals.all_in) - round_money(budget.limit),
            }
            if budget.exceeded
            else {"item": "within budget", "text": "yes"}
        )
    card = estimate.rate_card
    summary.append({"item": "rate card", "text": card.effective_from})
    summary.append({"item": "rate card source", "text": card.source})
    sheet(
        "Summary",
        [("item", "text"), ("count", "count"), ("amount", "money"), ("text", "text")],
        summary,
    )
    cost_columns = [("messages", "count"), ("billable_messages", "count"), ("cost", "money")]
    if totals.fees is not None:
        cost_columns += [("fees", "money"), ("total_cost", "money")]
    sheet("Categories", [("category", "text"), *cost_columns], estimate.by_category)
    sheet("Markets", [("market", "text"), *cost_columns], estimate.by_market)
    sheet(
        "Templates",
        [("template", "text"), ("language", "text"), ("category", "text"), *cost_columns],
        estimate.by_template,
    )
    sheet(
        "Lines",
        [
            ("market", "text"),
            ("category", "text"),
            ("pricing_type", "text"),
            ("tier", "text"),
            ("messages", "count"),
            ("rate", "rate"),
            ("cost", "money"),
        ],
        estimate.lines,
    )
    comparison = estimate.comparison
    if comparison is not None:
        rows: list[dict[str, Any]] = [
            {"view": "category", "name": r.category, **_differences(r)}
            for r in comparison.by_category
        ] + [{"view": "market", "name": r.market, **_differences(r)} for r in comparison.by_market]
        rows.append(
            {
                "view": "total",
                "name": "total",
                "cost": totals.cost,
                "compare_cost": comparison.cost,
                "difference": comparison.difference,
            }
        )
        sheet(
            "Comparison",
            [
                ("view", "text"),
                ("name", "text"),
                ("cost", "money"),
                ("compare_cost", "money"),
                ("difference", "money"),
            ],
            rows,
        )
    warning_columns = [
        ("code", "text"),
        ("count", "count"),
        ("message", "text"),
        ("example", "text"),
    ]
    sheet("Warnings", warning_columns, estimate.warnings)
    if estimate.notices:
        sheet("Notices", warning_columns, estimate.notices)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _differences(row: CategoryDifference | MarketDifference) -> dict[str, Decimal]:
    """A comparison row's amounts: cost, compare_cost and difference."""
    return {"cost": row.cost, "compare_cost": row.compare_cost, "difference": row.difference}
