"""A reconciliation, typed: what `wacost.reconcile.compare.reconcile` returns and every
reconcile renderer reads. Money stays exact here; it is rounded (`models.round_money`) only
when rendered, by `to_dict` for JSON and by the human formats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from wacost.models import format_money

SCHEMA = "wacost.reconcile/1"
RATE_PLACES = Decimal("0.0001")
_PERCENT_PLACES = Decimal("0.1")


def format_rate(rate: Decimal) -> str:
    """A delivery rate with 4 decimal places, rounded half up."""
    return str(rate.quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ReconcileRow:
    """One market and category: planned and billed messages and cost."""

    market: str
    category: str
    estimated_messages: int
    actual_messages: int
    estimated_cost: Decimal
    actual_cost: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual_cost - self.estimated_cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "category": self.category,
            "estimated_messages": self.estimated_messages,
            "actual_messages": self.actual_messages,
            "estimated_cost": format_money(self.estimated_cost),
            "actual_cost": format_money(self.actual_cost),
            "difference": format_money(self.difference),
        }


@dataclass(frozen=True)
class DeliveryRate:
    """A market's delivered messages over its planned ones."""

    market: str
    rate: Decimal

    def to_dict(self) -> dict[str, str]:
        return {"market": self.market, "rate": format_rate(self.rate)}


@dataclass(frozen=True)
class Finding:
    """One reason the bill differs: its code, its sentence, what it costs and where."""

    code: str
    message: str
    cost: Decimal
    messages: int | None  # None where the finding is about prices, not messages
    markets: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "cost": format_money(self.cost),
            "messages": self.messages,
            "markets": list(self.markets),
        }


@dataclass(frozen=True)
class Reconciliation:
    """A saved estimate against what Meta billed (the `wacost.reconcile/1` report)."""

    currency: str
    estimate_date: dt.date
    rate_card: dt.date
    start: dt.date | None
    end: dt.date | None
    sources: tuple[str, ...]
    rows: tuple[ReconcileRow, ...]  # every market and category of either side
    delivery_rates: tuple[DeliveryRate, ...]
    findings: tuple[Finding, ...]
    tolerance: Decimal | None = None  # the difference allowed, in percent of the estimate

    @property
    def estimated_cost(self) -> Decimal:
        return sum((row.estimated_cost for row in self.rows), Decimal(0))

    @property
    def actual_cost(self) -> Decimal:
        return sum((row.actual_cost for row in self.rows), Decimal(0))

    @property
    def estimated_messages(self) -> int:
        return sum(row.estimated_messages for row in self.rows)

    @property
    def actual_messages(self) -> int:
        return sum(row.actual_messages for row in self.rows)

    @property
    def difference(self) -> Decimal:
        return self.actual_cost - self.estimated_cost

    @property
    def difference_percent(self) -> Decimal | None:
        """The difference in percent of the estimate, to one place (None: nothing estimated)."""
        if self.estimated_cost == 0:
            return None
        share = self.difference / self.estimated_cost * 100
        return share.quantize(_PERCENT_PLACES, rounding=ROUND_HALF_UP)

    @property
    def over_tolerance(self) -> bool:
        """Whether the bill differs from the estimate by more than the tolerance given."""
        if self.tolerance is None:
            return False
        if self.estimated_cost == 0:
            return self.difference != 0
        return abs(self.difference) * 100 > self.tolerance * abs(self.estimated_cost)

    def to_dict(self) -> dict[str, Any]:
        """The JSON report; every amount rounded here, once."""
        percent = self.difference_percent
        report: dict[str, Any] = {
            "schema": SCHEMA,
            "currency": self.currency,
            "estimate": {
                "date": self.estimate_date.isoformat(),
                "cost": format_money(self.estimated_cost),
                "messages": self.estimated_messages,
                "rate_card": self.rate_card.isoformat(),
            },
            "actual": {
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None,
                "cost": format_money(self.actual_cost),
                "messages": self.actual_messages,
                "sources": list(self.sources),
            },
            "totals": {
                "estimated_cost": format_money(self.estimated_cost),
                "actual_cost": format_money(self.actual_cost),
                "difference": format_money(self.difference),
                "difference_percent": None if percent is None else str(percent),
            },
            "rows": [row.to_dict() for row in self.rows],
            "delivery_rates": [rate.to_dict() for rate in self.delivery_rates],
            "findings": [finding.to_dict() for finding in self.findings],
        }
        if self.tolerance is not None:
            report["tolerance"] = {
                "percent": str(self.tolerance),
                "exceeded": self.over_tolerance,
            }
        return report
