"""The typed estimate: every figure of a `wacost.estimate/1` report as frozen dataclasses.

Money is `Decimal`, exact; it is rounded (half up, 4 places) only when written. The core builds
an `Estimate` in one place (`wacost.estimate.core`); `to_json` and `from_json` (in
`wacost.report.document`) are the only doors to JSON; renderers and the policy take an
`Estimate`. The JSON of each field follows from its type (see `wacost.report.codec`), so a new
figure is one new field here, optional (default None) so that older saved reports still load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from wacost.models import Category, PricingType, Warning
from wacost.report.codec import MONEY, NUMBER, OMIT, RATE

SCHEMA = "wacost.estimate/1"


class _AllIn:
    """What a row costs all in: Meta's price plus any BSP fees (what budgets and policies count)."""

    cost: Decimal
    total_cost: Decimal | None

    @property
    def all_in(self) -> Decimal:
        return self.total_cost if self.total_cost is not None else self.cost


@dataclass(frozen=True, kw_only=True)
class RateCardInfo:
    """The rate card a report was priced on."""

    effective_from: dt.date
    source: str
    confidence: str | None = field(default=None, metadata=OMIT)
    file: str | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True, kw_only=True)
class Totals(_AllIn):
    """The whole campaign. `cost` is Meta's price; `total_cost` adds BSP fees (None without)."""

    messages: int
    billable_messages: int
    free_messages: int | None = field(default=None, metadata=OMIT)
    unbilled_messages: int | None = field(default=None, metadata=OMIT)
    cost: Decimal = field(metadata=MONEY)
    fees: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})
    total_cost: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})
    excluded_messages: int | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True, kw_only=True)
class CategoryRow(_AllIn):
    category: Category
    messages: int
    billable_messages: int
    cost: Decimal = field(metadata=MONEY)
    fees: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})
    total_cost: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})


@dataclass(frozen=True, kw_only=True)
class MarketRow(_AllIn):
    market: str
    messages: int
    billable_messages: int
    cost: Decimal = field(metadata=MONEY)
    fees: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})
    total_cost: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})


@dataclass(frozen=True, kw_only=True)
class TemplateRow(_AllIn):
    template: str | None  # None: non-template (service) messages
    language: str | None
    category: Category
    messages: int
    billable_messages: int | None = field(default=None, metadata=OMIT)
    cost: Decimal = field(default=Decimal(0), metadata=MONEY)
    fees: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})
    total_cost: Decimal | None = field(default=None, metadata={**MONEY, **OMIT})


@dataclass(frozen=True, kw_only=True)
class Line:
    """Messages of one market, category and pricing type at one rate (a volume band: `tier`)."""

    market: str
    category: Category
    pricing_type: PricingType
    tier: str | None
    messages: int
    rate: Decimal | None = field(metadata=RATE)  # None: the rate is unknown
    cost: Decimal | None = field(metadata=MONEY)  # None: the rate is unknown


@dataclass(frozen=True, kw_only=True)
class RiskTemplate:
    template: str
    language: str | None
    messages: int
    extra_cost: Decimal = field(metadata=MONEY)


@dataclass(frozen=True, kw_only=True)
class RecategorizationRisk:
    """What it would cost more if Meta moved declared-utility templates to marketing."""

    extra_cost: Decimal = field(metadata=MONEY)
    templates: tuple[RiskTemplate, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Budget:
    limit: Decimal | None = field(default=None, metadata=MONEY)
    exceeded: bool = False


@dataclass(frozen=True, kw_only=True)
class Fx:
    """A card converted at an explicit rate: 1 `from_` = `rate` `to`."""

    from_: str = field(metadata={"key": "from"})
    to: str
    rate: Decimal = field(metadata=NUMBER)
    note: str | None = field(default=None, metadata=OMIT)


@dataclass(frozen=True, kw_only=True)
class Fees:
    """BSP fees on top of Meta's price."""

    profile: str
    source: str | None
    confidence: str | None
    applies_to: str
    meta_cost: Decimal = field(metadata=MONEY)
    message_fees: Decimal = field(metadata=MONEY)
    failed_message_fees: Decimal = field(metadata=MONEY)
    failure_rate: Decimal = field(metadata=NUMBER)
    total_fees: Decimal = field(metadata=MONEY)
    total_cost: Decimal = field(metadata=MONEY)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class MarketDifference:
    market: str
    cost: Decimal = field(metadata=MONEY)
    compare_cost: Decimal = field(metadata=MONEY)
    difference: Decimal = field(metadata=MONEY)


@dataclass(frozen=True, kw_only=True)
class CategoryDifference:
    category: str
    cost: Decimal = field(metadata=MONEY)
    compare_cost: Decimal = field(metadata=MONEY)
    difference: Decimal = field(metadata=MONEY)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """The same campaign on the card in effect on another date."""

    date: dt.date
    rate_card: RateCardInfo
    cost: Decimal = field(metadata=MONEY)
    difference: Decimal = field(metadata=MONEY)
    by_market: tuple[MarketDifference, ...] = ()
    by_category: tuple[CategoryDifference, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LimitResult:
    """One spending limit of a policy, and how much of it the campaign uses."""

    scope: str  # total, category or market
    name: str
    limit: Decimal = field(metadata=MONEY)
    used: Decimal = field(metadata=MONEY)
    remaining: Decimal = field(metadata=MONEY)
    percent: Decimal | None = field(metadata=NUMBER)  # None for a limit of 0
    warn_at: Decimal | None = field(metadata=NUMBER)
    status: str  # ok, warning or broken
    source: str | None = None

    @property
    def label(self) -> str:
        return "total" if self.scope == "total" else f"{self.scope} {self.name}"


@dataclass(frozen=True, kw_only=True)
class PolicyResult:
    """A budget policy checked against the estimate (see `wacost.policy`)."""

    source: str | None = None
    warn_at: Decimal = field(metadata=NUMBER)
    status: str
    exceeded: bool
    broken: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()
    limits: tuple[LimitResult, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A priced campaign: the one canonical result (`wacost.estimate/1`)."""

    schema: str = SCHEMA
    currency: str
    date: dt.date
    rate_card: RateCardInfo
    totals: Totals
    by_category: tuple[CategoryRow, ...]
    by_market: tuple[MarketRow, ...]
    by_template: tuple[TemplateRow, ...]
    lines: tuple[Line, ...]
    recategorization_risk: RecategorizationRisk | None = field(default=None, metadata=OMIT)
    warnings: tuple[Warning, ...] = ()
    budget: Budget = field(default_factory=Budget)
    inputs: tuple[str, ...] | None = field(default=None, metadata=OMIT)
    fx: Fx | None = field(default=None, metadata=OMIT)
    service_free_tier: dict[str, Any] | None = field(default=None, metadata=OMIT)
    volume_tiers: dict[str, Any] | None = field(default=None, metadata=OMIT)
    fees: Fees | None = field(default=None, metadata=OMIT)
    comparison: Comparison | None = field(default=None, metadata=OMIT)
    notices: tuple[Warning, ...] | None = field(default=None, metadata=OMIT)
    policy: PolicyResult | None = field(default=None, metadata=OMIT)
    # Fields of a saved report this version does not know (a newer wacost's), kept as written.
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def over_limit(self) -> bool:
        """Whether the estimate breaks its budget or a limit of its policy (exit code 1)."""
        return self.budget.exceeded or (self.policy is not None and self.policy.exceeded)


__all__ = [
    "SCHEMA",
    "Budget",
    "CategoryDifference",
    "CategoryRow",
    "Comparison",
    "Estimate",
    "Fees",
    "Fx",
    "LimitResult",
    "Line",
    "MarketDifference",
    "MarketRow",
    "PolicyResult",
    "RateCardInfo",
    "RecategorizationRisk",
    "RiskTemplate",
    "TemplateRow",
    "Totals",
]
