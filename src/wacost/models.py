"""Values shared by the core and the renderers: closed choices as enums, results as frozen dataclasses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import Enum
from typing import ParamSpec, TypeVar

MONEY_PLACES = Decimal("0.0001")
# Money arithmetic runs with 120 significant digits: Python's default 28 would round (or fail
# to quantize) a total past 10^24, which a count of 10^19 messages times a converted rate
# reaches. Inputs are bounded (rates, fees, --fx-rate), so 120 digits are always exact.
MONEY_CONTEXT = Context(
    prec=120, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def exact_money(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run `function` under MONEY_CONTEXT (a decorator for entry points that price or render)."""

    @functools.wraps(function)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with localcontext(MONEY_CONTEXT):
            return function(*args, **kwargs)

    return run


def round_money(value: Decimal) -> Decimal:
    """`value` by the one rounding rule of wacost: half up to 4 decimal places.

    Meta's rates have 4 decimal places, so list-price costs are exact at 4 places; only
    converted or marked-up amounts are ever rounded: once per priced piece, and when a report
    shows or writes an amount (every format, JSON included, rounds through here).
    """
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    """Money as text, rounded by the one rule (`round_money`): `12.5000`."""
    return str(round_money(value))


class Category(str, Enum):
    """Meta's billing categories, spelled as in its webhooks."""

    MARKETING = "marketing"
    UTILITY = "utility"
    AUTHENTICATION = "authentication"
    AUTHENTICATION_INTERNATIONAL = "authentication_international"
    SERVICE = "service"

    @classmethod
    def parse(cls, text: str) -> Category | None:
        """The category named by `text` (any case, '-' or '_'), or None."""
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(key)  # by value
        except ValueError:
            return None


# Rank used when one template name carries several categories: bill the dearest.
CATEGORY_ORDER = (
    Category.MARKETING,
    Category.UTILITY,
    Category.AUTHENTICATION,
    Category.AUTHENTICATION_INTERNATIONAL,
    Category.SERVICE,
)


class PricingType(str, Enum):
    """Whether a message is charged, as in Meta's webhooks and pricing_analytics."""

    REGULAR = "regular"
    FREE_CUSTOMER_SERVICE = "free_customer_service"
    FREE_ENTRY_POINT = "free_entry_point"
    # Beyond Meta's three types: a reaction, never charged and outside the free tier (from
    # 2026-10-01); and a service message an eligible government or non-profit sends past the
    # free tier, free until 2027-12-31 (Meta's status webhooks: pricing.subtype "paid_exempt").
    FREE_REACTION = "free_reaction"
    PAID_EXEMPT = "paid_exempt"


class Window(str, Enum):
    """The conversation window open when a message is sent (campaign column `window`)."""

    NONE = "none"
    CSW = "csw"
    FEP = "fep"


class ExitCode(int, Enum):
    """Exit codes are an API: see the README."""

    OK = 0
    OVER_BUDGET = 1
    ERROR = 2


@dataclass(frozen=True)
class Warning:
    """Something counted but not billed as asked, or a risk: `count` messages, one example place."""

    code: str
    message: str
    count: int
    example: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "count": self.count,
            "example": self.example,
        }
