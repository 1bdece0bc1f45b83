"""`wacost reconcile`: a saved estimate against what Meta billed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from wacost.cli.common import (
    app,
    check_format,
    parse_amount,
    run,
    write_output,
)
from wacost.cli.options import DebugOpt, OutputOpt, PricingOpt, format_option
from wacost.cli.streams import check_output
from wacost.errors import OptionError
from wacost.models import ExitCode


def parse_percent(value: str | None, option: str) -> Decimal | None:
    """`10%` or `10` (percent) as Decimal("10")."""
    if value is None:
        return None
    try:
        return parse_amount(value.strip().removesuffix("%"), option)
    except OptionError:
        raise OptionError(
            f"{option} {value!r}: not a percentage", "write e.g. 10% or 2.5"
        ) from None


@app.command(name="reconcile")
def reconcile_command(
    estimate_file: Annotated[
        Path,
        typer.Argument(
            metavar="ESTIMATE.json", help="A report saved with `estimate --format json`."
        ),
    ],
    actual: Annotated[
        list[Path],
        typer.Argument(
            metavar="ACTUAL...",
            help="What Meta billed: pricing_analytics JSON responses (pages or files), or CSV "
            "market,category,messages,cost; added together.",
            show_default=False,
        ),
    ],
    fmt: Annotated[str, format_option("table, json, markdown or html.")] = "table",
    output: OutputOpt = None,
    tolerance: Annotated[
        str | None,
        typer.Option(
            "--tolerance",
            metavar="PCT",
            help="Exit 1 when the bill differs from the estimate by more than this percentage "
            "(e.g. 10%).",
        ),
    ] = None,
    pricing: PricingOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Compare a saved estimate with what Meta billed, and explain the difference.

    Example: wacost reconcile est.json analytics.json --tolerance 10%

    Exit codes: 0 done, 1 the bill differs by more than --tolerance, 2 bad input.
    """

    def work() -> int:
        from wacost.prices.loading import load_price_book
        from wacost.reconcile import load_actuals, load_estimate, mapping_card
        from wacost.reconcile import reconcile as reconcile_report
        from wacost.render.reconcile import FORMATS, render_reconcile

        out_format = check_format(fmt, FORMATS)
        check_output(output, [estimate_file, *actual, pricing])
        limit = parse_percent(tolerance, "--tolerance")
        book = load_price_book(pricing)
        saved = load_estimate(estimate_file)
        billed = load_actuals(actual, mapping_card(saved, book))
        result = reconcile_report(saved, billed, book, limit)
        write_output(render_reconcile(result, out_format), output)
        return ExitCode.OVER_BUDGET if result.over_tolerance else ExitCode.OK

    run(work, debug)
