"""What a saved report must hold beyond its types: figures that add up, and values in range.

`wacost report` judges a saved estimate by its own figures (see `wacost.policy.recheck`), so a
file whose totals were edited apart from its lines, or whose amounts are negative or out of
range, is refused with the field named rather than judged or rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from wacost.currencies import currency_code
from wacost.models import format_money
from wacost.report.codec import DecodeError
from wacost.report.model import Estimate

_SCOPES = ("total", "category", "market")
_HALF_CENT = Decimal("0.00005")  # each written amount is rounded half up to 4 places


def _not_negative(path: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        raise DecodeError(path, f"{value} is negative")


def _adds_up(path: str, total: Decimal, parts: Iterable[Decimal], what: str) -> None:
    items = list(parts)
    added = sum(items, Decimal(0))
    # rounded parts may differ from the rounded total by half a unit each
    if abs(added - total) > _HALF_CENT * (len(items) + 1):
        raise DecodeError(path, f"{total}, but {what} add up to {format_money(added)}")


def _rows(estimate: Estimate) -> Iterable[tuple[str, Any]]:
    for name in ("by_category", "by_market", "by_template"):
        for i, row in enumerate(getattr(estimate, name)):
            yield f"{name}[{i}]", row


def _amounts(estimate: Estimate) -> None:
    totals = estimate.totals
    for key in ("cost", "fees", "total_cost", "expected_cost"):
        _not_negative(f"totals.{key}", getattr(totals, key))
    for where, row in _rows(estimate):
        for key in ("cost", "fees", "total_cost"):
            _not_negative(f"{where}.{key}", getattr(row, key))
    for i, line in enumerate(estimate.lines):
        _not_negative(f"lines[{i}].rate", line.rate)
        _not_negative(f"lines[{i}].cost", line.cost)
    _not_negative("budget.limit", estimate.budget.limit)
    if estimate.fx is not None and estimate.fx.rate <= 0:
        raise DecodeError("fx.rate", f"{estimate.fx.rate} is not above 0")
    fees = estimate.fees
    if fees is not None:
        for key in ("meta_cost", "message_fees", "failed_message_fees", "total_fees", "total_cost"):
            _not_negative(f"fees.{key}", getattr(fees, key))
        if not Decimal(0) <= fees.failure_rate <= Decimal(1):
            raise DecodeError("fees.failure_rate", f"{fees.failure_rate} is not from 0 to 1")


def _warn_at(path: str, value: Decimal | None) -> None:
    if value is not None and not Decimal(1) <= value <= Decimal(100):
        raise DecodeError(path, f"{value} is not a percentage from 1 to 100")


def _policy(estimate: Estimate) -> None:
    policy = estimate.policy
    if policy is None:
        return
    _warn_at("policy.warn_at", policy.warn_at)
    for i, row in enumerate(policy.limits):
        where = f"policy.limits[{i}]"
        if row.scope not in _SCOPES:
            raise DecodeError(
                f"{where}.scope", f"{row.scope[:40]!r} is not total, category or market"
            )
        _not_negative(f"{where}.limit", row.limit)
        _not_negative(f"{where}.used", row.used)
        _warn_at(f"{where}.warn_at", row.warn_at)


def _sums(estimate: Estimate) -> None:
    totals = estimate.totals
    priced = (line.cost for line in estimate.lines if line.cost is not None)
    _adds_up("totals.cost", totals.cost, priced, "the lines' costs")
    for name in ("by_category", "by_market"):
        rows = getattr(estimate, name)
        if not rows:
            continue
        _adds_up("totals.cost", totals.cost, (r.cost for r in rows), f"{name}'s costs")
        if totals.total_cost is not None:
            _adds_up(
                "totals.total_cost",
                totals.total_cost,
                (r.all_in for r in rows),
                f"{name}'s total costs",
            )
    if totals.total_cost is not None:
        fees = totals.fees if totals.fees is not None else Decimal(0)
        _adds_up("totals.total_cost", totals.total_cost, (totals.cost, fees), "its cost and fees")


def _shape(path: str, block: Mapping[str, Any] | None, types: Mapping[str, Any]) -> None:
    if block is None:
        return
    for key, expected in types.items():
        value = block.get(key)
        if value is None:
            continue
        wrong = isinstance(value, bool) and expected is not bool
        if wrong or not isinstance(value, expected) or (expected is int and value < 0):
            raise DecodeError(f"{path}.{key}", _KINDS[expected])


_KINDS = {
    bool: "not true or false",
    int: "not a whole number >= 0",
    str: "not text",
    dict: "not an object",
}
_FREE_TIER = {
    "applied": bool,
    "absorbed": int,
    "allowance": int,
    "sender_numbers": int,
    "per_number": int,
    "used_before": int,
    "note": str,
}
_VOLUME = {"bands": dict, "usage": str}


def check(estimate: Estimate) -> None:
    """Raise a DecodeError naming the first field of `estimate` that is out of range or
    inconsistent with the others."""
    if currency_code(estimate.currency) != estimate.currency:
        raise DecodeError("currency", f"{estimate.currency[:40]!r} is not a currency code")
    _shape("service_free_tier", estimate.service_free_tier, _FREE_TIER)
    _shape("volume_tiers", estimate.volume_tiers, _VOLUME)
    _amounts(estimate)
    _policy(estimate)
    _sums(estimate)


__all__ = ["check"]
