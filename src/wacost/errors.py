"""The errors wacost raises: each one a message saying where and what, and a hint saying what to do.

The core raises these; only the CLI turns them into one line on stderr and exit code 2.
"""

from __future__ import annotations


class WacostError(Exception):
    """Base error: nothing trustworthy can be reported."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class InputFileError(WacostError):
    """A campaign, template, usage or exclude file cannot be read or is malformed."""


class PricingTableError(WacostError):
    """A price table is missing, malformed or inconsistent."""


class OptionError(WacostError):
    """A command-line option has a value wacost cannot use."""


class StrictModeError(WacostError):
    """--strict was given and the estimate carries warnings."""
