"""The errors wacost raises: each one a message saying where and what, and a hint saying what to do.

The core raises these; only the CLI turns them into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping


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


class FieldError(OptionError):
    """A value of the core's options (a date, a currency, an `EstimateOptions` field) it cannot use.

    The core speaks in fields: the message names them as the library does (`fx_rate 0: must be
    above 0`). `template` and `hint` hold `{0}`, `{1}`, ... for `fields`; `named` gives the same
    error with the fields named another way: the CLI names its flags (`--fx-rate 0: ...`).
    """

    def __init__(
        self, fields: str | tuple[str, ...], template: str, hint: str | None = None
    ) -> None:
        self.fields = (fields,) if isinstance(fields, str) else fields
        self.template = template
        self.hint_template = hint
        super().__init__(*self._texts(self.fields))

    def _texts(self, names: tuple[str, ...]) -> tuple[str, str | None]:
        hint = self.hint_template.format(*names) if self.hint_template is not None else None
        return self.template.format(*names), hint

    def named(self, names: Mapping[str, str]) -> OptionError:
        """This error with each field called by its name in `names` (fields not there keep theirs)."""
        return OptionError(*self._texts(tuple(names.get(f, f) for f in self.fields)))


def literal(value: object) -> str:
    """`value` as text to put into a FieldError template or hint (its braces are not placeholders)."""
    return str(value).replace("{", "{{").replace("}", "}}")
