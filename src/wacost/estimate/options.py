"""What changes an estimate besides its files (`EstimateOptions`), and the warnings it gathers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from wacost.amounts import MAX_AMOUNT
from wacost.campaign import DEFAULT_BLOCK_SIZE
from wacost.counting.batch import Progress
from wacost.errors import FieldError, literal
from wacost.models import Warning
from wacost.policy import Policy
from wacost.prices.fees import FeeProfile


@dataclass(frozen=True)
class EstimateOptions:
    """Everything besides the files that changes an estimate."""

    date: dt.date
    currency: str = "USD"
    default_country: str | None = None
    business_country: str | None = None
    auth_intl_eligible: bool = False
    budget: Decimal | None = None
    encoding: str | None = None
    block_size: int = DEFAULT_BLOCK_SIZE
    assume_recategorized: bool = False
    sender_numbers: int | None = None
    service_exempt: bool = False  # an eligible government or non-profit (see SERVICE_EXEMPT_UNTIL)
    service_free_used: int | None = None
    fees: FeeProfile | None = None
    failure_rate: Decimal = Decimal(0)
    fx_rate: Decimal | None = None
    fx_base: str = "USD"
    compare_date: dt.date | None = None
    exclude: tuple[Path, ...] = ()  # opt-out lists: their numbers are not sent nor billed
    policy: Policy | None = None  # spending limits, checked against the estimate
    progress: Progress | None = field(
        default=None, compare=False
    )  # told bytes read of the campaign

    def __post_init__(self) -> None:
        if self.auth_intl_eligible and not self.business_country:
            raise FieldError(
                ("auth_intl_eligible", "business_country"),
                "{0} needs {1}",
                "say where the business is based, e.g. {1} GB",
            )
        for name in ("budget", "failure_rate", "fx_rate"):
            value = getattr(self, name)
            if isinstance(value, Decimal) and (not value.is_finite() or value > MAX_AMOUNT):
                raise FieldError(
                    name,
                    f"{{}} {literal(value)}: not a number wacost can use",
                    "give a finite number from 0 to 10^15",
                )
        if self.budget is not None and self.budget < 0:
            raise FieldError(
                "budget",
                f"{{}} {literal(self.budget)}: a budget cannot be negative",
                "give an amount >= 0",
            )
        if self.sender_numbers is not None and self.sender_numbers < 1:
            raise FieldError(
                "sender_numbers",
                f"{{}} {literal(self.sender_numbers)}: at least one number sends",
                "give a whole number >= 1",
            )
        if self.service_free_used is not None and self.service_free_used < 0:
            raise FieldError(
                "service_free_used", "{}: cannot be negative", "give a whole number >= 0"
            )
        if not Decimal(0) <= self.failure_rate <= Decimal(1):
            raise FieldError(
                "failure_rate",
                f"{{}} {literal(self.failure_rate)}: not a share",
                "give a number from 0 to 1",
            )
        if self.fx_rate is not None and self.fx_rate <= 0:
            raise FieldError(
                "fx_rate", f"{{}} {literal(self.fx_rate)}: must be above 0", "give e.g. 0.92"
            )


INVALID_PHONE_MESSAGE = "numbers that cannot be real phone numbers; not billed"
NATIONAL_HINT = (
    " (a number written without its country code needs --default-country, or a country "
    "column with each row's ISO code)"
)


@dataclass
class _WarningTally:
    message: str
    count: int = 0
    example: str | None = None


@dataclass
class _Warnings:
    """Warnings by code and subject, summed over keys, with the earliest example."""

    items: dict[tuple[str, str], _WarningTally] = field(default_factory=dict)

    def add(
        self, code: str, message: str, count: int, example: str | None, subject: str = ""
    ) -> None:
        tally = self.items.setdefault((code, subject), _WarningTally(message))
        tally.count += count
        if tally.example is None:
            tally.example = example

    def result(self) -> list[Warning]:
        return [Warning(code, t.message, t.count, t.example) for (code, _), t in self.items.items()]
