"""`wacost estimate`: flags -> EstimateOptions -> the core -> a renderer -> the exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from wacost.cli.common import (
    _stderr,
    app,
    budget_policy,
    deliver,
    delivery,
    parse_amount,
    parse_count,
    parse_currency,
    parse_date,
    parse_share,
    run,
)
from wacost.cli.options import (
    ByOpt,
    DebugOpt,
    GithubSummaryOpt,
    PolicyOpt,
    PricingOpt,
    QuietOpt,
    currency_option,
    date_option,
    default_country_option,
    format_option,
    output_option,
)
from wacost.cli.streams import check_output
from wacost.errors import OptionError, StrictModeError

if TYPE_CHECKING:
    from wacost.estimate import EstimateOptions
    from wacost.prices.cards import PriceBook
    from wacost.templates.definitions import TemplateBook


@app.command()
def estimate(
    campaign: Annotated[
        list[Path],
        typer.Argument(
            metavar="CAMPAIGN...",
            help="Campaign file(s), priced together as one campaign: CSV (also .gz, .bz2, "
            ".zst, .xz), Parquet (a file or a folder), or - for standard input.",
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
        date_option(
            "--date",
            "Send date YYYY-MM-DD: picks the rate card "
            "and free-message rules in effect (default: today, UTC).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        format_option(
            "Report format: table, json, csv, markdown, html or xlsx (default: the one "
            "-o's suffix names, e.g. report.html; else table).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        output_option(
            "Write the report to this file (only when the run succeeds) instead of stdout."
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
        default_country_option("ISO country (e.g. SE) for numbers written without a country code."),
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
            help="Expected share of failed messages (0-1, or a percentage such as 2%), for a fee "
            "profile's failed-message fee.",
        ),
    ] = None,
    currency: Annotated[
        str,
        currency_option(
            "Report currency: a published card in that currency, or USD converted with --fx-rate."
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
        date_option(
            "--compare-date",
            "Also price the campaign on the card in effect on this date and show the difference.",
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
    service_exempt: Annotated[
        bool,
        typer.Option(
            "--service-exempt",
            help="The sender is an eligible government or non-profit: service messages past "
            "the free tier stay free until 2027-12-31 (pricing_type paid_exempt).",
        ),
    ] = False,
    delivery_rates: Annotated[
        Path | None,
        typer.Option(
            "--delivery-rates",
            metavar="FILE",
            help="Delivery rates per market (a reconcile --format json report, or CSV "
            "market,rate): the report adds the expected cost, each market's cost times its rate.",
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
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            metavar="ENGINE",
            help='local, or spark: count the rows on Spark (pip install "wacost[spark]"; the '
            "active session's cluster, or all local cores).",
        ),
    ] = "local",
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
    """Price one or more campaign files.

    Example: wacost estimate samples/campaign.csv --templates samples/templates.json --date 2026-11-25

    In CI: wacost estimate plan.csv --templates templates.json --policy budget.yaml --format markdown --github-summary

    Exit codes: 0 done (within budget), 1 total above --budget or a --policy limit broken (or billable messages left unpriced under a budget or policy), 2 bad input or options.
    """

    def work() -> int:
        from wacost.counting.allocator import own_process

        own_process()  # before pyarrow and numpy are imported
        from wacost.estimate import EstimateOptions, estimate_campaign
        from wacost.prices.fees import load_fee_profile
        from wacost.prices.loading import load_price_book
        from wacost.templates.definitions import load_templates

        how = delivery(fmt, output, by, quiet, github_summary)
        inputs = [
            *campaign,
            *(templates or []),
            *(exclude or []),
            pricing,
            policy,
            usage,
            fees,
            delivery_rates,
        ]
        check_output(output, inputs)
        check_output(rejects, inputs, "--rejects")
        if rejects is not None:
            _rejects_readable(campaign)
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
            service_exempt=service_exempt,
            fees=load_fee_profile(fees) if fees is not None else None,
            failure_rate=parse_share(failure_rate, "--failure-rate") or Decimal(0),
            currency=parse_currency(currency),
            fx_rate=parse_amount(fx_rate, "--fx-rate"),
            compare_date=(
                None if compare_date is None else parse_date(compare_date, "--compare-date")
            ),
            exclude=tuple(exclude or ()),
        )
        book = load_price_book(pricing)
        if rules is not None:  # the core checks its markets against the card
            options = replace(options, policy=rules)
        definitions = load_templates(templates or [])
        if engine.strip().lower() not in ("local", "spark"):
            raise OptionError(f"--engine {engine!r}: unknown engine", "use local or spark")
        if engine.strip().lower() == "spark":
            from wacost.estimate.spark import estimate_spark

            report = estimate_spark(campaign, book, definitions, options, usage_path=usage)
        else:
            with _progress_bar(campaign) as progress:
                report = estimate_campaign(
                    campaign,
                    book,
                    definitions,
                    replace(options, progress=progress),
                    usage_path=usage,
                )
        if rejects is not None:
            _write_rejects(rejects, campaign, book, definitions, options)
        if strict and report.warnings:
            codes = ", ".join(f"{w.code} ({w.count})" for w in report.warnings)
            raise StrictModeError(
                f"--strict: the estimate has warnings: {codes}", "fix the inputs or drop --strict"
            )
        if delivery_rates is not None:
            from wacost.reconcile import apply_delivery_rates, load_delivery_rates, mapping_card

            rates = load_delivery_rates(delivery_rates, mapping_card(report, book))
            report = apply_delivery_rates(report, rates, str(delivery_rates))
        return deliver(report, how)

    run(work, debug)


def _rejects_readable(campaign: list[Path]) -> None:
    """--rejects lists rows as written in a plain CSV file, read a second time: say so before
    the run for an input it cannot list (nothing is written then)."""
    from wacost.sources import compression_of, is_parquet, is_stdin

    for path in campaign:
        kind = (
            "standard input (read once)"
            if is_stdin(path)
            else "Parquet"
            if is_parquet(path)
            else "compressed"
            if compression_of(path)
            else None
        )
        if kind:
            raise OptionError(
                f"--rejects lists the rows of plain CSV files; {path} is {kind}",
                "run --rejects on the campaign as a plain CSV file, or drop --rejects",
            )


def _write_rejects(
    target: Path,
    campaign: list[Path],
    book: PriceBook,
    templates: TemplateBook,
    options: EstimateOptions,
) -> None:
    """--rejects: the rows not priced as written, to a file; how many on stderr (no row data)."""
    from wacost.numbers.resolver import NumberResolver
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
