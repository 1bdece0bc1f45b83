"""`wacost report`, `lookup`, `rates` and `classify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wacost.cli.common import (
    REPORT_FORMATS,
    ByOpt,
    DebugOpt,
    GithubSummaryOpt,
    PricingOpt,
    QuietOpt,
    app,
    check_format,
    check_view,
    deliver,
    guarded,
    parse_currency,
    parse_date,
    set_debug,
    write_output,
)
from wacost.errors import InputFileError, OptionError
from wacost.models import ExitCode


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
    set_debug(debug)

    def work() -> int:
        from wacost.files import read_text_file
        from wacost.policy import recheck
        from wacost.report.document import from_json

        report_format = check_format(fmt, REPORT_FORMATS)
        view = check_view(by, report_format)
        # Validated on load, and judged again by its own figures: an edited total is caught.
        estimate = recheck(from_json(read_text_file(saved, "saved report"), str(saved)))
        return deliver(estimate, report_format, output, view, quiet, github_summary)

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
    set_debug(debug)

    def work() -> int:
        from wacost.numbers.lookup import lookup_numbers, read_number_file, render_lookup
        from wacost.prices.loading import load_price_book

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
    set_debug(debug)

    def work() -> int:
        from wacost.prices.loading import load_price_book
        from wacost.render.rates import render_rates

        out_format = check_format(fmt, ("table", "json", "csv"))
        book = load_price_book(pricing)
        card = book.card_for(parse_date(date), parse_currency(currency))
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
    set_debug(debug)

    def work() -> int:
        from wacost.classify import classify_template, load_classifier_rules
        from wacost.render.classification import render_classifications
        from wacost.templates.definitions import load_templates

        out_format = check_format(fmt, ("table", "json"))
        book = load_templates(template_files)
        if not len(book):
            raise InputFileError("no templates found", "give Meta's message_templates export")
        rules = load_classifier_rules()
        results = [classify_template(t.raw, rules) for t in book.all()]
        write_output(render_classifications(results, out_format), None)
        return ExitCode.OK

    raise typer.Exit(int(guarded(work)))
