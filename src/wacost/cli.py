"""The wacost command line: options -> core calls -> renderer -> exit code. No business logic.

Results go to stdout (or --output), problems to stderr as one line; tracebacks only with --debug.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from typer.exceptions import TyperException

from wacost.errors import InputFileError, OptionError, StrictModeError, WacostError
from wacost.models import ExitCode

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
REPORT_FORMATS = ("table", "json", "csv", "markdown", "html")
BUDGET_ENV = "WACOST_BUDGET"  # a total budget for CI; an explicit --budget wins


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def fail(error: WacostError) -> NoReturn:
    """Print one line for `error` on stderr and exit 2 (or re-raise it under --debug)."""
    if _DEBUG:
        raise error
    _stderr(f"wacost: error: {error}")
    raise typer.Exit(ExitCode.ERROR)


def guarded(work: Callable[[], T]) -> T:
    """Run `work`, turning wacost's errors (and any surprise) into one line and exit 2."""
    try:
        return work()
    except WacostError as error:
        fail(error)
    except (typer.Exit, typer.Abort, BrokenPipeError, KeyboardInterrupt):
        raise
    except MemoryError:
        fail(WacostError("out of memory", "the input is larger than this machine can hold"))
    except Exception as error:
        if _DEBUG:
            raise
        fail(
            WacostError(
                f"internal error: {type(error).__name__}: {error}",
                "rerun with --debug and report it",
            )
        )


def parse_date(value: str | None, option: str = "--date") -> dt.date:
    if value is None or value == "":
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise OptionError(
            f"{option} {value!r}: not a real date", "write YYYY-MM-DD, e.g. 2026-11-25"
        ) from None


_MAX_AMOUNT = Decimal(10) ** 15


def parse_amount(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    text = value.strip().replace("_", "")
    if "," in text:
        # 2,000 is a thousands separator; 1,5 might be one and a half: wacost does not guess.
        if not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
            raise OptionError(
                f"{option} {value!r}: a comma is ambiguous here",
                "write the amount with a point, e.g. 1500 or 1.5",
            )
        text = text.replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise OptionError(
            f"{option} {value!r}: not an amount", "write a number, e.g. 250 or 99.50"
        ) from None
    if not amount.is_finite() or amount < 0 or amount > _MAX_AMOUNT:
        raise OptionError(f"{option} {value!r}: not an amount", "write a number from 0 to 10^15")
    return amount


def parse_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise OptionError(
            f"--currency {value!r}: not an ISO 4217 code", "write three letters, e.g. USD, INR, EUR"
        )
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


def write_output(text: str, output: Path | None) -> None:
    """Write the report to stdout, or atomically to `output` (temp file, then rename)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if output.is_dir():
        raise InputFileError(f"--output {output}: is a directory", "name a file")
    if output.exists() and not output.is_file():
        # A FIFO or a device (/dev/stdout): written as it is; there is nothing to replace.
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputFileError(
                f"--output {output}: cannot write ({exc.strerror})", "check the path"
            ) from None
        return
    target = Path(os.path.realpath(output))  # write through a symlink, not over it
    directory = target.parent
    if not directory.is_dir():
        raise InputFileError(
            f"--output {output}: folder {directory} does not exist", "create it first"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputFileError(
            f"--output {output}: cannot write in {directory} ({exc.strerror})",
            "choose a folder you can write to",
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # mkstemp makes the file private; a report gets the permissions any new file would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputFileError(
            f"--output {target}: cannot write ({exc.strerror})", "check the path"
        ) from None


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


DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
PricingOpt = Annotated[
    Path | None,
    typer.Option(
        "--pricing",
        metavar="PATH",
        help="A price-table file or folder (default: the tables shipped with wacost).",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        metavar="FILE",
        help="A budget policy (YAML): limits per category and market, a total, and a warn_at "
        "threshold; a broken limit exits 1, a warning never fails.",
    ),
]
ByOpt = Annotated[
    str | None,
    typer.Option(
        "--by",
        metavar="VIEW",
        help="Show only one breakdown: category, market or template (table, markdown, html).",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only the total cost (e.g. 8.5753 USD); --output still gets the report.",
    ),
]
GithubSummaryOpt = Annotated[
    bool,
    typer.Option(
        "--github-summary",
        help="Also append the Markdown report to $GITHUB_STEP_SUMMARY (GitHub Actions).",
    ),
]


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
    from wacost.render import VIEW_RENDERERS, VIEWS

    if by is None:
        return None
    view = by.strip().lower()
    if view not in VIEWS:
        raise OptionError(f"--by {by!r}: unknown breakdown", f"use one of {', '.join(VIEWS)}")
    if report_format not in VIEW_RENDERERS:
        raise OptionError(
            f"--by {view}: --format {report_format} always holds every breakdown",
            f"use --by with --format {', '.join(VIEW_RENDERERS)}",
        )
    return view


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


def deliver(
    report: dict[str, Any],
    report_format: str,
    output: Path | None,
    view: str | None,
    quiet: bool,
    github_summary: bool,
) -> int:
    """Render and write a finished report (stdout or --output, step summary); its exit code."""
    from wacost.policy import over_limit
    from wacost.render import render_markdown, render_report, render_total

    text = render_report(report, report_format, view)
    summary = render_markdown(report) if github_summary else None
    total = render_total(report) if quiet else None
    if total is None or output is not None:
        write_output(text, output)
    if total is not None:
        write_output(total, None)
    if summary is not None:
        append_step_summary(summary)
    return ExitCode.OVER_BUDGET if over_limit(report) else ExitCode.OK


def _set_debug(debug: bool) -> None:
    global _DEBUG
    _DEBUG = debug


@app.command()
def estimate(
    campaign: Annotated[
        list[Path],
        typer.Argument(
            metavar="CAMPAIGN...",
            help="Campaign CSV file(s), priced together as one campaign.",
            show_default=False,
        ),
    ],
    templates: Annotated[
        list[Path] | None,
        typer.Option(
            "--templates",
            metavar="FILE",
            help="Template definitions: Meta's message_templates JSON export, or a YAML "
            "list of the same objects. Repeatable.",
        ),
    ] = None,
    pricing: PricingOpt = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Send date YYYY-MM-DD: picks the rate card "
            "and free-message rules in effect (default: today, UTC).",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", metavar="FORMAT", help="Report format: table, json, csv, markdown or html."
        ),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the report to this file (only when the run succeeds) instead of stdout.",
        ),
    ] = None,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget",
            metavar="AMOUNT",
            help="Exit 1 when the total cost is above this "
            "amount (in the report's currency). Default: the "
            "WACOST_BUDGET environment variable.",
        ),
    ] = None,
    policy: PolicyOpt = None,
    by: ByOpt = None,
    quiet: QuietOpt = False,
    github_summary: GithubSummaryOpt = False,
    default_country: Annotated[
        str | None,
        typer.Option(
            "--default-country",
            metavar="CC",
            help="ISO country (e.g. SE) for numbers written without a country code.",
        ),
    ] = None,
    business_country: Annotated[
        str | None,
        typer.Option(
            "--business-country",
            metavar="CC",
            help="Where the sending business is based (for authentication-international).",
        ),
    ] = None,
    auth_intl_eligible: Annotated[
        bool,
        typer.Option(
            "--auth-intl-eligible",
            help="The business is eligible for authentication-international rates.",
        ),
    ] = False,
    assume_recategorized: Annotated[
        bool,
        typer.Option(
            "--assume-recategorized",
            help="Price utility templates that read as marketing as marketing.",
        ),
    ] = False,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            metavar="NAME",
            help="Text encoding of the campaign files when not UTF-8/UTF-16 (e.g. cp1252).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Any warning (invalid number, unknown template, ...) "
            "makes the run fail with exit 2.",
        ),
    ] = False,
    usage: Annotated[
        Path | None,
        typer.Option(
            "--usage",
            metavar="FILE",
            help="Month-to-date charged volumes for volume tiers: CSV market,category,messages, or "
            "Meta's pricing_analytics JSON response.",
        ),
    ] = None,
    fees: Annotated[
        str | None,
        typer.Option(
            "--fees",
            metavar="PROFILE|FILE",
            help="A BSP fee profile added on top of Meta's price: a shipped name (twilio, 360dialog, "
            "example-bsp) or a YAML file.",
        ),
    ] = None,
    failure_rate: Annotated[
        str | None,
        typer.Option(
            "--failure-rate",
            metavar="SHARE",
            help="Expected share of failed messages (0-1), for a fee profile's failed-message fee.",
        ),
    ] = None,
    currency: Annotated[
        str,
        typer.Option(
            "--currency",
            metavar="CUR",
            help="Report currency: a published card in that "
            "currency, or USD converted with --fx-rate.",
        ),
    ] = "USD",
    fx_rate: Annotated[
        str | None,
        typer.Option(
            "--fx-rate",
            metavar="RATE",
            help="Convert Meta's USD card: how many units of --currency one USD buys.",
        ),
    ] = None,
    compare_date: Annotated[
        str | None,
        typer.Option(
            "--compare-date",
            metavar="YYYY-MM-DD",
            help="Also price the campaign on the card in effect on this date and show the "
            "difference.",
        ),
    ] = None,
    sender_numbers: Annotated[
        str | None,
        typer.Option(
            "--sender-numbers",
            metavar="N",
            help="Business phone numbers sending service messages (each has 1,000 free "
            "service messages a month from 2026-10-01).",
        ),
    ] = None,
    service_free_used: Annotated[
        str | None,
        typer.Option(
            "--service-free-used",
            metavar="N",
            help="Free service messages already used this month, across those numbers.",
        ),
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(
            "--exclude",
            metavar="FILE",
            help="An opt-out list: a CSV file with a phone column, or one number per line. Its "
            "numbers are not sent nor billed, and counted in the report. Repeatable.",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            metavar="FILE",
            help="Write every row not priced as written (invalid number, unknown template or "
            "language, ...) to this CSV file, with its line and the reason, to fix and re-run.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Price one or more campaign CSV files.

    Example: wacost estimate samples/campaign.csv --templates samples/templates.json --date 2026-11-25

    In CI: wacost estimate plan.csv --templates templates.json --policy budget.yaml --format markdown --github-summary

    Exit codes: 0 done (within budget), 1 total above --budget or a --policy limit broken, 2 bad input or options.
    """
    _set_debug(debug)

    def work() -> int:
        from wacost.estimate import EstimateOptions, estimate_campaign
        from wacost.fees import load_fee_profile
        from wacost.policy import check_markets, evaluate
        from wacost.pricing import load_price_book
        from wacost.templates import load_templates

        report_format = check_format(fmt, REPORT_FORMATS)
        view = check_view(by, report_format)
        total_budget, rules = budget_policy(budget, policy)
        options = EstimateOptions(
            date=parse_date(date),
            default_country=default_country,
            business_country=business_country,
            auth_intl_eligible=auth_intl_eligible,
            budget=total_budget,
            encoding=encoding,
            assume_recategorized=assume_recategorized,
            sender_numbers=parse_count(sender_numbers, "--sender-numbers"),
            service_free_used=parse_count(service_free_used, "--service-free-used"),
            fees=load_fee_profile(fees) if fees else None,
            failure_rate=parse_amount(failure_rate, "--failure-rate") or Decimal(0),
            currency=parse_currency(currency),
            fx_rate=parse_amount(fx_rate, "--fx-rate"),
            compare_date=parse_date(compare_date, "--compare-date") if compare_date else None,
            exclude=tuple(exclude or ()),
        )
        book = load_price_book(pricing)
        if rules is not None:  # a misspelt market would never be used, so its limit never broken
            rules = check_markets(rules, {name for card in book.cards for name in card.markets})
        definitions = load_templates(templates or [])
        classifier = _classifier()
        with _progress_bar(campaign) as progress:
            report = estimate_campaign(
                campaign, book, definitions, replace(options, progress=progress), classifier, usage
            )
        if rejects is not None:
            _write_rejects(rejects, campaign, book, definitions, options)
        if strict and report["warnings"]:
            codes = ", ".join(f"{w['code']} ({w['count']})" for w in report["warnings"])
            raise StrictModeError(
                f"--strict: the estimate has warnings: {codes}", "fix the inputs or drop --strict"
            )
        if rules is not None:
            report["policy"] = evaluate(report, rules)
        return deliver(report, report_format, output, view, quiet, github_summary)

    code = guarded(work)
    raise typer.Exit(int(code))


def _write_rejects(
    target: Path, campaign: list[Path], book: Any, templates: Any, options: Any
) -> None:
    """--rejects: the rows not priced as written, to a file; how many on stderr (no row data)."""
    from wacost.markets import NumberResolver
    from wacost.rejects import find_rejects, write_rejects

    resolver = NumberResolver(book.numbering, options.default_country)
    card = book.card_for(options.date)
    found = find_rejects(campaign, resolver, templates, card, options.encoding)
    count = write_rejects(target, found)
    _stderr(
        f"wacost: note: {count} row{'s' if count != 1 else ''} not priced as written: see {target}"
    )


@contextmanager
def _progress_bar(paths: list[Path]) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr while a large campaign is read, only where stderr is a terminal
    (never in a pipe, a CI log or a redirected report)."""
    try:
        size = sum(path.stat().st_size for path in paths)
    except OSError:
        size = 0
    if size < 64 * 1024 * 1024 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("reading the campaign"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("read", total=size)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _classifier() -> Any:
    try:
        from wacost.classify import classify_template, load_classifier_rules
    except ImportError:  # the classifier ships with the package; this only guards partial checkouts
        return None
    rules: list[Any] = []

    def classify(template: Any) -> Any:
        # Loading the word lists takes a moment: only campaigns that need a verdict pay for it.
        if not rules:
            rules.append(load_classifier_rules())
        return classify_template(template.raw, rules[0])

    return classify


@app.command()
def report(
    saved: Annotated[
        Path,
        typer.Argument(metavar="SAVED.json", help="A report saved with `estimate --format json`."),
    ],
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table, json, csv, markdown or html.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="FILE", help="Write to this file.")
    ] = None,
    by: ByOpt = None,
    quiet: QuietOpt = False,
    github_summary: GithubSummaryOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Render a saved JSON report again, in any format.

    Example: wacost estimate samples/campaign.csv --format json -o est.json && wacost report est.json --format markdown

    Exit codes: 0 done, 1 the saved report is over its budget or breaks a policy limit, 2 bad input.
    """
    _set_debug(debug)

    def work() -> int:
        from wacost.estimate import SCHEMA
        from wacost.yamlsafe import read_text_file

        report_format = check_format(fmt, REPORT_FORMATS)
        view = check_view(by, report_format)
        text = read_text_file(saved, "saved report")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                f"{saved}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
                "give a file written by estimate --format json",
            ) from None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise InputFileError(
                f"{saved}: schema: not a {SCHEMA} report",
                "give a file written by estimate --format json",
            )
        try:  # deliver renders every output before it writes any
            return deliver(data, report_format, output, view, quiet, github_summary)
        except (
            KeyError,
            TypeError,
            ValueError,
            ArithmeticError,
            AttributeError,
            IndexError,
        ) as exc:
            raise InputFileError(
                f"{saved}: the report is incomplete ({type(exc).__name__}: {exc})",
                "save it again with estimate --format json",
            ) from None

    raise typer.Exit(int(guarded(work)))


@app.command()
def lookup(
    numbers: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NUMBER...", help="Phone numbers, E.164 preferred.", show_default=False
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="FILE",
            help="A file of numbers: a campaign CSV, or one number per line.",
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table or json.")
    ] = "table",
    date: Annotated[
        str | None,
        typer.Option(
            "--date", metavar="YYYY-MM-DD", help="Which rate card's markets (default today)."
        ),
    ] = None,
    default_country: Annotated[
        str | None,
        typer.Option("--default-country", metavar="CC", help="ISO country for national numbers."),
    ] = None,
    pricing: PricingOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show the country and pricing market each recipient number is billed in.

    Example: wacost lookup +46701234567 +12425551234 "070-123 45 67" --default-country SE
    """
    _set_debug(debug)

    def work() -> int:
        from wacost.lookup import lookup_numbers, read_number_file, render_lookup
        from wacost.pricing import load_price_book

        out_format = check_format(fmt, ("table", "json"))
        items = list(numbers or [])
        if file is not None:
            items += read_number_file(file)
        if not items:
            raise OptionError("no numbers given", "pass numbers as arguments or --file FILE")
        book = load_price_book(pricing)
        card = book.card_for(parse_date(date))
        results = lookup_numbers(items, book, card, default_country)
        write_output(render_lookup(results, out_format), None)
        return ExitCode.OK

    raise typer.Exit(int(guarded(work)))


@app.command()
def rates(
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Show the card in effect on this date (default today).",
        ),
    ] = None,
    market: Annotated[
        str | None,
        typer.Option(
            "--market", metavar="MARKET", help="Only this market (name or ISO country code)."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table, json or csv.")
    ] = "table",
    pricing: PricingOpt = None,
    currency: Annotated[
        str, typer.Option("--currency", metavar="CUR", help="Currency of the card.")
    ] = "USD",
    debug: DebugOpt = False,
) -> None:
    """Show the rate card in effect on a date.

    Example: wacost rates --date 2026-10-01 --market India
    """
    _set_debug(debug)

    def work() -> int:
        from wacost.pricing import load_price_book
        from wacost.render.rates import render_rates

        out_format = check_format(fmt, ("table", "json", "csv"))
        book = load_price_book(pricing)
        card = book.card_for(parse_date(date), currency.upper())
        write_output(render_rates(card, market, out_format), None)
        return ExitCode.OK

    raise typer.Exit(int(guarded(work)))


@app.command()
def classify(
    template_files: Annotated[
        list[Path],
        typer.Argument(
            metavar="TEMPLATES...",
            help="Template definitions: Meta's export JSON or YAML.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table or json.")
    ] = "table",
    debug: DebugOpt = False,
) -> None:
    """Put each template in a category, with reasons and a recategorization risk.

    Example: wacost classify samples/templates.json
    """
    _set_debug(debug)

    def work() -> int:
        from wacost.classify import classify_template, load_classifier_rules
        from wacost.render.classification import render_classifications
        from wacost.templates import load_templates

        out_format = check_format(fmt, ("table", "json"))
        book = load_templates(template_files)
        if not len(book):
            raise InputFileError("no templates found", "give Meta's message_templates export")
        rules = load_classifier_rules()
        results = [classify_template(t.raw, rules) for t in book.all()]
        write_output(render_classifications(results, out_format), None)
        return ExitCode.OK

    raise typer.Exit(int(guarded(work)))


def _quiet_unraisable(info: Any) -> None:
    if _DEBUG:
        sys.__unraisablehook__(info)


def main() -> None:
    """Console-script entry point: run the app, and end quietly on a closed pipe."""
    # pyarrow reports a row it cannot decode for our invalid-row handler as an "unraisable"
    # exception; the parse error that follows is what we report, so keep stderr to one line.
    sys.unraisablehook = _quiet_unraisable
    try:
        code = app(standalone_mode=False)
    except BrokenPipeError:
        # `wacost ... | head`: the reader left; say nothing and stop.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain `wacost`: show the help
            sys.stdout.write(error.format_message() + "\n")
            sys.exit(0)
        # A usage error (unknown option, missing argument): one line, like every other error.
        ctx = getattr(error, "ctx", None)
        command = ctx.command_path if ctx is not None else "wacost"
        _stderr(f"wacost: error: {error.format_message()} (see {command} --help)")
        sys.exit(ExitCode.ERROR)
    except (KeyboardInterrupt, typer.Abort):
        _stderr("wacost: interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
