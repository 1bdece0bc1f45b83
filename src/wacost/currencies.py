"""Currency codes: the one rule (ISO 4217: three ASCII letters, any case, read upper-cased)."""

from __future__ import annotations

CURRENCY_HINT = "write three letters, e.g. USD, INR, EUR"


def currency_code(value: object) -> str | None:
    """`value` as an upper-case ISO 4217 code (` usd ` -> `USD`), or None if it is not one."""
    if isinstance(value, str):
        code = value.strip().upper()
        if len(code) == 3 and code.isascii() and code.isalpha():
            return code
    return None


__all__ = ["CURRENCY_HINT", "currency_code"]
