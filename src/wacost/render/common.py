"""What the human-facing views (table, Markdown, HTML) share: views, shares, and budget status rows.

Everything here reads the canonical report only, and tolerates keys that a report saved by
an older or newer wacost does not carry.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wacost.models import format_money

# The breakdowns a report can show, in the order they are shown; `--by` picks one.
VIEWS = ("category", "market", "template")
VIEW_TITLES = {"category": "By category", "market": "By market", "template": "By template"}
STATUS_TEXT = {"ok": "ok", "warning": "warning", "broken": "over limit"}


def share(part: str, whole: str) -> Decimal | None:
    """`part` as a fraction of `whole` (both money strings), or None when `whole` is zero."""
    whole_d = Decimal(whole)
    if whole_d == 0:
        return None
    return Decimal(part) / whole_d


def percent_text(fraction: Decimal | None) -> str:
    """A fraction as a percentage with one decimal place, rounded half up: `76.5%` (blank for None)."""
    if fraction is None:
        return ""
    return f"{(fraction * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def check_views(views: tuple[str, ...] | None) -> tuple[str, ...]:
    """The breakdowns to show: `views`, or all of them."""
    if not views:
        return VIEWS
    unknown = [v for v in views if v not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view {unknown[0]!r}; use one of {', '.join(VIEWS)}")
    return views


def breakdown(report: dict[str, Any], view: str) -> list[dict[str, Any]]:
    """The rows of one breakdown (`by_category`, `by_market` or `by_template`)."""
    rows: list[dict[str, Any]] = report.get(f"by_{view}") or []
    return rows


def limit_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every spending limit of the report, as in the policy block (a plain --budget is one row)."""
    policy = report.get("policy")
    if policy:
        rows: list[dict[str, Any]] = policy.get("limits") or []
        return rows
    budget = report.get("budget") or {}
    if budget.get("limit") is None:
        return []
    used = Decimal(report["totals"]["cost"])
    limit = Decimal(budget["limit"])
    fraction = None if limit == 0 else used / limit
    return [{
        "scope": "total", "name": "total", "limit": budget["limit"], "used": report["totals"]["cost"],
        "remaining": format_money(limit - used),
        "percent": None if fraction is None else percent_text(fraction).rstrip("%"),
        "warn_at": None, "status": "broken" if budget.get("exceeded") else "ok", "source": "--budget",
    }]


def limit_label(row: dict[str, Any]) -> str:
    """`Total`, `Category marketing`, `Market India`."""
    if row["scope"] == "total":
        return "Total"
    return f"{row['scope'].capitalize()} {row['name']}"


def overall_status(report: dict[str, Any]) -> str | None:
    """`ok`, `warning` or `broken` for the report's limits; None when it has none."""
    rows = limit_rows(report)
    if not rows:
        return None
    states = {row["status"] for row in rows}
    return "broken" if "broken" in states else "warning" if "warning" in states else "ok"


def template_name(row: dict[str, Any]) -> str:
    return row.get("template") or "(non-template)"
