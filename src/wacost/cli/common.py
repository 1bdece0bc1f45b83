"""The Typer app and what every command shares: errors as one line, option parsing, output."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

import wacost.cli.usage  # noqa: F401  (help text: usage lines as Unix tools write them)
from wacost.amounts import AmountError
from wacost.amounts import parse_amount as read_amount
from wacost.cli.streams import signals_deferred, stage_output, write_stderr, write_stdout
from wacost.currencies import CURRENCY_HINT, currency_code
from wacost.errors import OptionError, WacostError
from wacost.masking import mask_phone_numbers
from wacost.models import MONEY_CONTEXT, ExitCode

if TYPE_CHECKING:
    from wacost.report.model import Estimate

app = typer.Typer(
    name="wacost",
    help="Estimate what a WhatsApp Business Platform campaign will cost before it is sent.\n\n"
    "Example: wacost estimate samples/campaign.csv --templates samples/templates.json",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

T = TypeVar("T")
_DEBUG = False
REPORT_FORMATS = ("table", "json", "csv", "markdown", "html", "xlsx")
# The report format a file name asks for, when --format is not given.
SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".xlsx": "xlsx",
    ".txt": "table",
}


def report_format(value: str | None, output: Path | None) -> str:
    """--format, checked; without it, the format -o's suffix names (`report.html`), else table."""
    if value is not None:
        return check_format(value, REPORT_FORMATS)
    if output is not None:
        return SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    return "table"


BUDGET_ENV = "WACOST_BUDGET"  # a total budget for CI; an explicit --budget wins


def _stderr(message: str) -> None:
    write_stderr(message)


# The core names the fields of its options; the CLI names its flags.
FLAGS: dict[str, str] = {
    "date": "--date",
    "compare_date": "--compare-date",
    "currency": "--currency",
    "fx_rate": "--fx-rate",
    "default_country": "--default-country",
    "business_country": "--business-country",
    "auth_intl_eligible": "--auth-intl-eligible",
    "budget": "--budget",
    "sender_numbers": "--sender-numbers",
    "service_free_used": "--service-free-used",
    "failure_rate": "--failure-rate",
    "fees": "--fees",
    "pricing": "--pricing",
    "encoding": "--encoding",
    "exclude": "--exclude",
    "usage": "--usage",
}


def fail(error: WacostError) -> NoReturn:
    """Print one line for `error` on stderr and exit 2 (or re-raise it under --debug)."""
    error = error.named(FLAGS)
    if _DEBUG:
        raise error
    _stderr(f"wacost: error: {mask_phone_numbers(str(error))}")
    raise typer.Exit(ExitCode.ERROR)


def run(work: Callable[[], int], debug: bool) -> NoReturn:
    """End a command: run its `work` (tracebacks only with --debug) and exit with its code."""
    set_debug(debug)
    raise typer.Exit(int(guarded(work)))


def guarded(work: Callable[[], T]) -> T:
    """Run `work`, turning wacost's errors (and any surprise) into one line and exit 2."""
    try:
        with localcontext(MONEY_CONTEXT):
            return work()
    except WacostError as error:
        fail(error)
    except (typer.Exit, typer.Abort, BrokenPipeError, KeyboardInterrupt):
        raise
    except MemoryError:
        fail(WacostError("out of memory", "the input is larger than this machine can hold"))
    except ArithmeticError:
        if _DEBUG:
            raise
        fail(
            WacostError(
                "an amount is too large to compute exactly",
                "check the counts, the rate card, the fees and --fx-rate",
            )
        )
    except Exception as error:
        if _DEBUG:
            raise
        if "bad_alloc" in str(error) or "Failed to launch worker thread" in str(error):
            fail(  # pyarrow's memory or thread creation, under a low ulimit -v or ulimit -u
                WacostError(
                    "out of memory or threads", "raise the memory limit (ulimit -v) for this run"
                )
            )
        fail(
            WacostError(
                f"internal error: {type(error).__name__}: {error}",
                "rerun with --debug and report it",
            )
        )


def parse_date(value: str | None, option: str = "--date") -> dt.date:
    if value is None:
        return dt.datetime.now(dt.UTC).date()
    if not value.strip():  # `--date "$UNSET"` must not quietly price another day
        raise OptionError(
            f"{option} is empty", "write YYYY-MM-DD, e.g. 2026-11-25, or leave it out for today"
        )
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise OptionError(
            f"{option} {value!r}: not a real date", "write YYYY-MM-DD, e.g. 2026-11-25"
        ) from None


def parse_amount(value: str | None, option: str) -> Decimal | None:
    """The amount given with `option` (the one rule of `wacost.amounts`), or None."""
    if value is None:
        return None
    try:
        return read_amount(value)
    except AmountError as error:
        raise OptionError(f"{option} {value!r}: {error.problem}", error.hint) from None


def parse_share(value: str | None, option: str) -> Decimal | None:
    """A share from 0 to 1: `0.02`, or a percentage `2%`."""
    if value is None:
        return None
    text = value.strip()
    percent = text.endswith("%")
    try:
        share = Decimal(text.removesuffix("%").strip().replace(",", "."))
    except InvalidOperation:
        share = Decimal(-1)
    if percent:
        share /= 100
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise OptionError(
            f"{option} {value!r}: not a share from 0 to 1",
            "write e.g. 0.02 or 2% for two messages in a hundred",
        )
    return share


def parse_currency(value: str, option: str = "--currency") -> str:
    code = currency_code(value)
    if code is None:
        raise OptionError(f"{option} {value!r}: not an ISO 4217 code", CURRENCY_HINT)
    return code


def parse_count(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    text = value.strip().replace(",", "").replace("_", "")
    if not text.isdigit():
        raise OptionError(f"{option} {value!r}: not a whole number", "write e.g. 3")
    return int(text)


def check_format(value: str, allowed: tuple[str, ...]) -> str:
    fmt = value.strip().lower()
    if fmt not in allowed:
        raise OptionError(f"--format {value!r}: unknown format", f"use one of {', '.join(allowed)}")
    return fmt


REPORT_WIDTH = 100  # a human format's width where no terminal says otherwise (a pipe, a file)


def terminal_shape(output: Path | None = None) -> tuple[int, bool]:
    """(width, colour) for a human format: the terminal's own, as Rich detects them.

    A terminal gets its width (or COLUMNS) and colour, unless NO_COLOR is set or TERM is
    dumb; a pipe or a file gets plain text, 100 columns wide unless COLUMNS says otherwise.
    """
    from rich.console import Console

    if output is not None:
        return REPORT_WIDTH, False
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        columns = os.environ.get("COLUMNS", "").strip()
        return (console.width if columns.isdigit() else REPORT_WIDTH), False
    color = not console.no_color and console.color_system is not None
    return max(console.width, 40), color


def write_output(text: str | bytes, output: Path | None) -> None:
    """Write the report to stdout, or atomically to `output` (temp file, then rename).

    Bytes (an xlsx workbook) go to a file, or to stdout when it is not a terminal (a pipe).
    """
    if output is None:
        write_stdout(text)
        return
    with signals_deferred():
        staged = stage_output(text, output)
        try:
            staged.commit()
        finally:
            staged.discard()


def _version(value: bool) -> None:
    if value:
        from wacost import __version__

        sys.stdout.write(f"wacost {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Estimate what a WhatsApp Business Platform campaign will cost before it is sent."""


def budget_policy(budget: str | None, policy_path: Path | None) -> tuple[Decimal | None, Any]:
    """The total budget and the policy of an estimate.

    The total comes from --budget, else the WACOST_BUDGET variable, else the policy's `total`;
    an explicit --budget or the variable replaces the policy's total.
    """
    from wacost.policy import load_policy

    rules = load_policy(policy_path) if policy_path is not None else None
    env_value = os.environ.get(BUDGET_ENV, "").strip()
    if budget is not None:
        total, source = parse_amount(budget, "--budget"), "--budget"
    elif env_value:
        total, source = parse_amount(env_value, BUDGET_ENV), BUDGET_ENV
    else:
        return (rules.total if rules is not None else None), rules
    assert total is not None
    return total, (rules.with_total(total, source) if rules is not None else None)


def check_view(by: str | None, report_format: str) -> str | None:
    from wacost.render import VIEW_FORMATS, VIEWS

    if by is None:
        return None
    view = by.strip().lower()
    if view not in VIEWS:
        raise OptionError(f"--by {by!r}: unknown breakdown", f"use one of {', '.join(VIEWS)}")
    if report_format not in VIEW_FORMATS:
        raise OptionError(
            f"--by {view}: --format {report_format} always holds every breakdown",
            f"use --by with --format {', '.join(VIEW_FORMATS)}",
        )
    return view


@dataclass(frozen=True)
class Delivery:
    """Where and how a finished estimate goes: the --format, --output, --by, --quiet and
    --github-summary of `estimate` and `report`, checked together."""

    report_format: str
    output: Path | None
    view: str | None
    quiet: bool
    github_summary: bool


def delivery(
    fmt: str | None, output: Path | None, by: str | None, quiet: bool, github_summary: bool
) -> Delivery:
    """The flags, checked: --format (else -o's suffix, else table), and --by against it."""
    chosen = report_format(fmt, output)
    return Delivery(chosen, output, check_view(by, chosen), quiet, github_summary)


def append_step_summary(markdown: str) -> None:
    """Append `markdown` to the GitHub Actions step summary; a note on stderr when there is none."""
    target = os.environ.get("GITHUB_STEP_SUMMARY", "").strip()
    if not target:
        _stderr(
            "wacost: note: --github-summary: GITHUB_STEP_SUMMARY is not set (not in GitHub Actions?); "
            "no summary written"
        )
        return
    try:
        with open(target, "a", encoding="utf-8", newline="") as handle:
            handle.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:  # the report itself is done; a missing summary must not hide it
        _stderr(f"wacost: warning: --github-summary: cannot write {target} ({exc.strerror})")


def deliver(report: Estimate, how: Delivery) -> int:
    """Render and write a finished report (stdout or --output, step summary); its exit code."""
    from wacost.render import render_report
    from wacost.render.common import printable_estimate

    report_format, output, view = how.report_format, how.output, how.view
    shown = printable_estimate(report)  # names from input files, control characters written out
    if report_format == "table":
        from wacost.render.table import render_table

        width, color = terminal_shape(output)
        with localcontext(MONEY_CONTEXT):  # money exact, as render_report
            text: str | bytes = render_table(
                shown, width=width, color=color, views=(view,) if view else None
            )
    else:
        text = render_report(shown, report_format, view)
    summary = str(render_report(shown, "markdown")) if how.github_summary else None
    total = None
    if how.quiet:
        from wacost.render.table import render_total

        total = render_total(shown)
    # stdout first: a failing stdout leaves --output as it was
    if output is None and total is None:
        write_stdout(text)
    if total is not None:
        write_stdout(total)
    if output is not None:
        write_output(text, output)
    if summary is not None:
        append_step_summary(summary)
    reason = report.incomplete_check
    if reason is not None:
        _stderr(f"wacost: {reason}")
    elif total is not None and report.over_limit:  # --quiet still says why the run fails
        from wacost.render.common import verdict

        judged = verdict(report)
        if judged is not None:
            _stderr(f"wacost: {judged[1]}")
    return ExitCode.OVER_BUDGET if report.over_limit else ExitCode.OK


def set_debug(debug: bool) -> None:
    global _DEBUG
    _DEBUG = debug


def debugging() -> bool:
    """Whether --debug was given (tracebacks are shown)."""
    return _DEBUG
