"""`wacost report`, `lookup`, `rates` and `classify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wacost.cli.common import (
    app,
    check_format,
    deliver,
    delivery,
    parse_currency,
    parse_date,
    run,
    terminal_shape,
    write_output,
)
from wacost.cli.options import (
    TABLE_OR_JSON,
    ByOpt,
    DebugOpt,
    GithubSummaryOpt,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    TableOrJsonOpt,
    currency_option,
    date_option,
    default_country_option,
    format_option,
    output_option,
)
from wacost.cli.streams import check_output
from wacost.errors import InputFileError, OptionError
from wacost.models import ExitCode


@app.command()
def report(
    saved: Annotated[
        Path,
        typer.Argument(metavar="SAVED.json", help="A report saved with `estimate --format json`."),
    ],
    fmt: Annotated[
        str | None,
        format_option(
            "table, json, csv, markdown, html or xlsx (default: the one -o's suffix "
            "names; else table).",
            show_default=False,
        ),
    ] = None,
    output: OutputOpt = None,
    by: ByOpt = None,
    quiet: QuietOpt = False,
    github_summary: GithubSummaryOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Render a saved JSON report again, in any format.

    Example: wacost estimate samples/campaign.csv --format json -o est.json && wacost report est.json --format markdown

    Exit codes: 0 done, 1 the saved report is over its budget or breaks a policy limit, 2 bad input.
    """

    def work() -> int:
        from wacost.files import read_text_file
        from wacost.policy import recheck
        from wacost.report.document import from_json

        how = delivery(fmt, output, by, quiet, github_summary)
        check_output(output, [saved])
        # Validated on load, and judged again by its own figures: an edited total is caught.
        estimate = recheck(from_json(read_text_file(saved, "saved report"), str(saved)))
        return deliver(estimate, how)

    run(work, debug)


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
            help="A file of numbers: a campaign (CSV, compressed CSV, Parquet, - for standard "
            "input), or one number per line.",
        ),
    ] = None,
    fmt: TableOrJsonOpt = "table",
    date: Annotated[
        str | None, date_option("--date", "Which rate card's markets (default today).")
    ] = None,
    default_country: Annotated[
        str | None, default_country_option("ISO country for national numbers.")
    ] = None,
    pricing: PricingOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show the country and pricing market each recipient number is billed in.

    Example: wacost lookup +46701234567 +12425551234 "070-123 45 67" --default-country SE
    """

    def work() -> int:
        from wacost.numbers.lookup import lookup_numbers, read_number_file, render_lookup
        from wacost.prices.loading import load_price_book

        out_format = check_format(fmt, TABLE_OR_JSON)
        items = list(numbers or [])
        if file is not None:
            items += read_number_file(file)
        if not items:
            raise OptionError("no numbers given", "pass numbers as arguments or --file FILE")
        book = load_price_book(pricing)
        card = book.card_for(parse_date(date))
        results = lookup_numbers(items, book, card, default_country)
        write_output(render_lookup(results, out_format, *terminal_shape()), None)
        return ExitCode.OK

    run(work, debug)


rates_app = typer.Typer(
    name="rates",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(rates_app)


@rates_app.callback(invoke_without_command=True)
def rates(
    ctx: typer.Context,
    date: Annotated[
        str | None, date_option("--date", "Show the card in effect on this date (default today).")
    ] = None,
    market: Annotated[
        str | None,
        typer.Option(
            "--market", metavar="MARKET", help="Only this market (name or ISO country code)."
        ),
    ] = None,
    fmt: Annotated[str, format_option("table, json or csv.")] = "table",
    pricing: PricingOpt = None,
    currency: Annotated[str, currency_option("Currency of the card.")] = "USD",
    compare_date: Annotated[
        str | None,
        date_option(
            "--compare-date",
            "Show what changed between the card in effect on this date and the one of "
            "--date, market by market (new minus old).",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Show the rate card in effect on a date, or what changed between two; import Meta's files.

    Example: wacost rates --date 2026-10-01 --market India
    """
    if ctx.invoked_subcommand is not None:
        return

    def work() -> int:
        from wacost.prices.compare import compare_cards
        from wacost.prices.loading import load_price_book
        from wacost.render.rates import render_comparison, render_rates

        out_format = check_format(fmt, ("table", "json", "csv"))
        book = load_price_book(pricing)
        card = book.card_for(parse_date(date), parse_currency(currency))
        if compare_date is None:
            write_output(render_rates(card, market, out_format, *terminal_shape()), None)
            return ExitCode.OK
        other = book.card_for(
            parse_date(compare_date, "--compare-date"), parse_currency(currency), "compare_date"
        )
        comparison = compare_cards(other, card).only(market)
        write_output(render_comparison(comparison, out_format), None)
        return ExitCode.OK

    run(work, debug)


@rates_app.command("import")
def rates_import(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Meta's rate-card file and, optionally, its volume-tier file for the same "
            "currency and date (CSV or XLSX, exactly as downloaded).",
        ),
    ],
    effective_from: Annotated[
        str | None,
        date_option(
            "--effective-from",
            "The date the card takes effect (default: the date in the file's title).",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        output_option(
            "Write the card here (default: standard output); use it with --pricing.", "CARD.yaml"
        ),
    ] = None,
    currency: Annotated[
        str | None, currency_option("The currency, where the files do not say it (e.g. a bare $).")
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Turn Meta's rate-card and volume-tier files into a wacost rate card.

    Example: wacost rates import rates.xlsx volume_tiers.xlsx -o pricing/rate-card-2027-01-01-USD.yaml
    """

    def work() -> int:
        from wacost.prices.importer import import_meta_files
        from wacost.prices.loading import load_price_book

        check_output(output, files)
        date = None if effective_from is None else parse_date(effective_from, "--effective-from")
        imported = import_meta_files(files, load_price_book(), date, currency)
        write_output(imported.text, output)
        return ExitCode.OK

    run(work, debug)


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
    fmt: TableOrJsonOpt = "table",
    debug: DebugOpt = False,
) -> None:
    """Put each template in a category, with reasons and a recategorization risk.

    Example: wacost classify samples/templates.json
    """

    def work() -> int:
        from wacost.classify import classify_template, load_classifier_rules
        from wacost.render.classification import render_classifications
        from wacost.templates.definitions import load_templates

        out_format = check_format(fmt, TABLE_OR_JSON)
        book = load_templates(template_files)
        if not len(book):
            raise InputFileError("no templates found", "give Meta's message_templates export")
        rules = load_classifier_rules()
        results = [classify_template(t.raw, rules) for t in book.all()]
        write_output(render_classifications(results, out_format, *terminal_shape()), None)
        return ExitCode.OK

    run(work, debug)
