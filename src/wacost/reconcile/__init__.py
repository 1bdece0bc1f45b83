"""Reconcile a saved estimate with what Meta billed (`billed`, `compare`), and learn what to
expect next time (`expected`). See `wacost.reconcile.compare` for how the difference is split;
the result is a typed `Reconciliation` (`wacost.reconcile.model`)."""

from wacost.reconcile.billed import Actual, Point, load_actuals
from wacost.reconcile.compare import load_estimate, mapping_card, reconcile
from wacost.reconcile.expected import apply_delivery_rates, expected_cost, load_delivery_rates
from wacost.reconcile.model import (
    SCHEMA,
    DeliveryRate,
    Finding,
    ReconcileRow,
    Reconciliation,
    format_rate,
)

__all__ = [
    "SCHEMA",
    "Actual",
    "DeliveryRate",
    "Finding",
    "Point",
    "ReconcileRow",
    "Reconciliation",
    "apply_delivery_rates",
    "expected_cost",
    "format_rate",
    "load_actuals",
    "load_delivery_rates",
    "load_estimate",
    "mapping_card",
    "reconcile",
]
