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

import io
from decimal import Decimal
from typing import Any

from wacost.render.common import all_in
from wacost.report.document import to_dict
from wacost.report.model import Estimate

_MONEY_FORMAT = '#,##0.0000 "{currency}"'
_RATE_FORMAT = '#,##0.000000 "{currency}"'
_COUNT_FORMAT = "#,##0"


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _text(value: Any) -> Any:
    """Text cells are never formulas: openpyxl would store a leading '=' as one."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def render_xlsx(estimate: Estimate) -> bytes:
    """The report as the bytes of an .xlsx workbook."""
    report = to_dict(estimate)
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    currency = str(report.get("currency", "USD"))
    money_format = _MONEY_FORMAT.format(currency=currency)
    rate_format = _RATE_FORMAT.format(currency=currency)
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> None:
        """A sheet: a bold header, one row per dict; `columns` are (key, kind) with kind
        text, count, money or rate."""
        ws = book.active if book.active is not None and book.active.title == "Sheet" else None
        if ws is None:
            ws = book.create_sheet(title)
        else:
            ws.title = title
        ws.append([key for key, _ in columns])
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            values: list[Any] = []
            for key, kind in columns:
                value = row.get(key)
                if kind in ("money", "rate"):
                    values.append(_money(value))
                elif kind == "count":
                    values.append(int(value) if value not in (None, "") else None)
                else:
                    values.append(_text(value))
            ws.append(values)
        for index, (key, kind) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            fmt = {"money": money_format, "rate": rate_format, "count": _COUNT_FORMAT}.get(kind)
            if fmt is not None:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            width = max([len(key)] + [len(str(r.get(key) or "")) for r in rows[:200]]) + 2
            ws.column_dimensions[letter].width = min(max(width, 10), 60)
        ws.freeze_panes = "A2"

    totals = report["totals"]
    summary: list[dict[str, Any]] = [
        {"item": "currency", "text": currency},
        {"item": "send date", "text": report.get("date")},
        {"item": "messages", "count": totals.get("messages")},
        {"item": "billable messages", "count": totals.get("billable_messages")},
        {"item": "cost", "amount": totals.get("cost")},
    ]
    if totals.get("fees") is not None:
        summary.append({"item": "fees", "amount": totals.get("fees")})
        summary.append({"item": "total cost", "amount": totals.get("total_cost")})
    if totals.get("excluded_messages") is not None:
        summary.append({"item": "excluded messages", "count": totals.get("excluded_messages")})
    budget = report.get("budget") or {}
    if budget.get("limit") is not None:
        summary.append({"item": "budget", "amount": budget["limit"]})
        summary.append(
            {
                "item": "over budget by",
                "amount": str(Decimal(all_in(totals)) - Decimal(budget["limit"])),
            }
            if budget.get("exceeded")
            else {"item": "within budget", "text": "yes"}
        )
    card = report.get("rate_card") or {}
    summary.append({"item": "rate card", "text": card.get("effective_from")})
    summary.append({"item": "rate card source", "text": card.get("source")})
    sheet(
        "Summary",
        [("item", "text"), ("count", "count"), ("amount", "money"), ("text", "text")],
        summary,
    )
    cost_columns = [("messages", "count"), ("billable_messages", "count"), ("cost", "money")]
    if totals.get("fees") is not None:
        cost_columns += [("fees", "money"), ("total_cost", "money")]
    sheet("Categories", [("category", "text"), *cost_columns], report.get("by_category") or [])
    sheet("Markets", [("market", "text"), *cost_columns], report.get("by_market") or [])
    sheet(
        "Templates",
        [("template", "text"), ("language", "text"), ("category", "text"), *cost_columns],
        report.get("by_template") or [],
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
        report.get("lines") or [],
    )
    comparison = report.get("comparison")
    if comparison:
        rows = [
            {"view": "category", "name": r.get("category"), **r}
            for r in comparison.get("by_category") or []
        ] + [
            {"view": "market", "name": r.get("market"), **r}
            for r in comparison.get("by_market") or []
        ]
        rows.append(
            {
                "view": "total",
                "name": "total",
                "cost": totals.get("cost"),
                "compare_cost": comparison.get("cost"),
                "difference": comparison.get("difference"),
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
    sheet(
        "Warnings",
        [("code", "text"), ("count", "count"), ("message", "text"), ("example", "text")],
        report.get("warnings") or [],
    )
    if report.get("notices"):
        sheet(
            "Notices",
            [("code", "text"), ("count", "count"), ("message", "text"), ("example", "text")],
            report["notices"],
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
