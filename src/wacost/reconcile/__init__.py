"""Reconcile a saved estimate with what Meta billed (`billed`, `compare`), and learn what to
expect next time (`expected`). See `wacost.reconcile.compare` for how the difference is split."""

from wacost.reconcile.billed import Actual, Point, load_actuals
from wacost.reconcile.compare import (
    SCHEMA,
    format_rate,
    load_estimate,
    mapping_card,
    over_tolerance,
    reconcile,
)
from wacost.reconcile.expected import apply_delivery_rates, expected_cost, load_delivery_rates

__all__ = [
    "SCHEMA",
    "Actual",
    "Point",
    "apply_delivery_rates",
    "expected_cost",
    "format_rate",
    "load_actuals",
    "load_delivery_rates",
    "load_estimate",
    "mapping_card",
    "over_tolerance",
    "reconcile",
]
