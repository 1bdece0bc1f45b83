"""The errors wacost raises: each one a message saying where and what, and a hint saying what to do.

The core raises these; only the CLI turns them into one line on stderr and exit code 2.
"""

from __future__ import annotations

from collections.abc import Mapping


class WacostError(Exception):
    """Base error: nothing trustworthy can be reported.

    The core speaks in fields: where an error is about a value of the core's options, `fields`
    names them (`fx_rate`, `encoding`) and `message` and `hint` hold `{0}`, `{1}`, ... in their
    place (any other brace doubled: see `literal`). `named` gives the same error with the fields
    named another way: the CLI names its flags (`--fx-rate 0: must be above 0`).
    """

    def __init__(
        self, message: str, hint: str | None = None, fields: str | tuple[str, ...] = ()
    ) -> None:
        self.fields = (fields,) if isinstance(fields, str) else fields
        self.message_template = message
        self.hint_template = hint
        if self.fields:
            message, hint = self._texts(self.fields)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def _texts(self, names: tuple[str, ...]) -> tuple[str, str | None]:
        hint = self.hint_template.format(*names) if self.hint_template is not None else None
        return self.message_template.format(*names), hint

    def named(self, names: Mapping[str, str]) -> WacostError:
        """This error with each field called by its name in `names` (fields not there keep theirs)."""
        if not self.fields:
            return self
        renamed = type(self).__new__(type(self))
        renamed.__dict__.update(self.__dict__)
        renamed.message, renamed.hint = self._texts(tuple(names.get(f, f) for f in self.fields))
        renamed.args = (renamed.message,)
        return renamed

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class InputFileError(WacostError):
    """A campaign, template, usage or exclude file cannot be read or is malformed.

    One about a row of a campaign read in batches is made by `at_line`, which keeps its place
    (`path`, `line`: a row counted as one line) and `problem` apart from the message, so that the
    reader can name the file's true line instead (a note over several lines is several lines).
    """

    path: str | None = None
    line: int | None = None
    problem: str = ""

    @classmethod
    def at_line(
        cls,
        path: str,
        line: int,
        problem: str,
        hint: str | None,
        fields: str | tuple[str, ...] = (),
    ) -> InputFileError:
        """The error `path:line: problem (hint)`, its place kept (`fields`: named in `problem`
        and `hint` as in any WacostError)."""
        error = cls(f"{literal(path) if fields else path}:{line}: {problem}", hint, fields)
        error.path, error.line, error.problem = path, line, problem
        return error

    def on_line(self, line: int) -> InputFileError:
        """This error (made by `at_line`) on another line of its file."""
        assert self.path is not None
        hint = self.hint_template if self.fields else self.hint
        return type(self).at_line(self.path, line, self.problem, hint, self.fields)


class PricingTableError(WacostError):
    """A price table is missing, malformed or inconsistent."""


class OptionError(WacostError):
    """A command-line option has a value wacost cannot use."""


class StrictModeError(WacostError):
    """--strict was given and the estimate carries warnings."""


class FieldError(OptionError):
    """A value of the core's options (a date, a currency, an `EstimateOptions` field) it cannot use;
    `fields` come first: FieldError("fx_rate", "{0} 0: must be above 0", hint)."""

    def __init__(
        self, fields: str | tuple[str, ...], template: str, hint: str | None = None
    ) -> None:
        super().__init__(template, hint, fields)


def literal(value: object) -> str:
    """`value` as text to put into a FieldError template or hint (its braces are not placeholders)."""
    return str(value).replace("{", "{{").replace("}", "}}")
