"""Amounts people write (budgets, policy limits, fees, rates, exchange rates): the one rule.

A point is the decimal separator. A comma is read only as a thousands separator in its exact
form (`2,000`, `1,250,000.50`); anything else with a comma (`2,5`, `1.500,00`, `0,005`) is
ambiguous and refused, never guessed (25? 2.5?). Underscores group digits (`1_000`). Numbers from YAML or JSON
(int, Decimal) are taken as they are. An amount is finite, 0 or more, and at most 10^15.

Callers turn an `AmountError` into their own error, naming the flag or the file and key.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Final

MAX_AMOUNT: Final = Decimal(10) ** 15
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(,\d{3})+(\.\d+)?")  # 0,005 is not five
_HINT = "write a number, e.g. 250 or 99.50"


class AmountError(ValueError):
    """Why a value is not an amount (`problem`), and what to write instead (`hint`)."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint

    def describe(self, value: object) -> str:
        """`'2,5': a comma is ambiguous here`, `'abc' is not an amount`."""
        if "comma" in self.problem:
            return f"{value!r}: {self.problem}"
        return f"{value!r} is {self.problem}"


def parse_amount(value: object, maximum: Decimal | None = MAX_AMOUNT) -> Decimal:
    """`value` as an exact Decimal under the one comma rule, or an AmountError saying why not."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise AmountError("not an amount", _HINT)
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if "," in text:
            if not _THOUSANDS.fullmatch(text):
                raise AmountError(
                    "a comma is ambiguous here", "write the amount with a point, e.g. 1500 or 1.5"
                )
            text = text.replace(",", "")
        if len(text) > 64:
            raise AmountError("not an amount", _HINT)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise AmountError("not an amount", _HINT) from None
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise AmountError("not an amount", _HINT)
    if amount < 0:
        raise AmountError("not an amount of 0 or more", "write a number >= 0")
    if maximum is not None and amount > maximum:
        raise AmountError("not an amount", "write a number from 0 to 10^15")
    return amount


__all__ = ["MAX_AMOUNT", "AmountError", "parse_amount"]
