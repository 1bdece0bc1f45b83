"""Hide phone numbers wherever text from an input file could reach a message or a report.

A number may be written with any separator people type or spreadsheets produce: spaces
(also no-break, narrow, thin and figure spaces), hyphens and dashes, points, commas,
underscores, middle dots, slashes and brackets. Masking keeps the first three and the last
two digits, so a reader can still tell which value is meant: `+91 987**-***35`.
"""

from __future__ import annotations

import re
from typing import Final

# Separators that may sit between the digits of one written number.
_SEPARATOR: Final = (
    r"[\s\-\.\(\)/_,\u00b7\u2027\u30fb\u2010-\u2015\u2212\ufe63\uff0d"
    r"\u200b-\u200d\u2060\ufeff]"
)
# A run of five or more digits, possibly written with the separators of a phone number.
_DIGIT_RUN: Final = re.compile(rf"\d(?:{_SEPARATOR}*\d){{4,}}")
# Names (templates, languages, markets) are masked only where a run looks like a phone
# number: nine digits or more (a date such as 2026_11_25 has eight), or seven after a '+'.
_PHONE_DIGITS: Final = 9
_PHONE_DIGITS_AFTER_PLUS: Final = 7


def _hide(run: str) -> str:
    positions = [i for i, ch in enumerate(run) if ch.isdigit()]
    hidden = set(positions[3:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(run))


def mask_digits(text: str) -> str:
    """Hide the middle digits of every number-like run (five digits or more), for error messages."""
    return _DIGIT_RUN.sub(lambda match: _hide(match.group(0)), text)


def mask_phone_numbers(text: str) -> str:
    """Hide the middle digits of every run that looks like a phone number; other text is kept."""
    if not any(ch.isdigit() for ch in text):
        return text

    def hide(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = sum(ch.isdigit() for ch in run)
        plus = text[: match.start()].rstrip(" \u00a0\u202f").endswith("+")
        if digits >= _PHONE_DIGITS or (plus and digits >= _PHONE_DIGITS_AFTER_PLUS):
            return _hide(run)
        return run

    return _DIGIT_RUN.sub(hide, text)
