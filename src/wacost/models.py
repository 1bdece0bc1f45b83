"""Values shared by the core and the renderers: closed choices as enums, results as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

MONEY_PLACES = Decimal("0.0001")


def format_money(value: Decimal) -> str:
    """Money as text: the one rounding rule of wacost, half up to 4 decimal places.

    Meta's rates have 4 decimal places, so list-price costs are exact at 4 places; only
    converted or marked-up amounts are ever rounded, and only here, when rendering.
    """
    return str(value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP))


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
        for member in cls:
            if member.value == key:
                return member
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
