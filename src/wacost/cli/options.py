"""The options that several wacost commands share, each declared once: flag, short flag, metavar, help.

An option that reads the same in every command is an alias (`PricingOpt`). One whose help says
what it means to its command (`--date`, `--format`, `--output`, `--currency`) is made here by a
function that takes that help, so its flag, short flag and metavar have one home. A default is
written in each signature (`fmt: TableOrJsonOpt = "table"`): Typer takes no default inside
`Annotated`. Most options only one command takes are declared in that command's signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

DATE_METAVAR = "YYYY-MM-DD"


def date_option(flag: str, help: str, *, show_default: bool = True) -> Any:
    """A date flag (`--date`, `--compare-date`, `--start`, ...) written YYYY-MM-DD."""
    return typer.Option(flag, metavar=DATE_METAVAR, help=help, show_default=show_default)


def format_option(help: str, *, show_default: bool = True) -> Any:
    """--format FORMAT, with the formats this command writes in its help."""
    return typer.Option("--format", metavar="FORMAT", help=help, show_default=show_default)


def output_option(help: str, metavar: str = "FILE") -> Any:
    """--output/-o: where this command writes what it makes instead of stdout."""
    return typer.Option("--output", "-o", metavar=metavar, help=help)


def currency_option(help: str) -> Any:
    """--currency CUR: an ISO 4217 code."""
    return typer.Option("--currency", metavar="CUR", help=help)


def default_country_option(help: str) -> Any:
    """--default-country CC: the country of numbers written without a country code."""
    return typer.Option("--default-country", metavar="CC", help=help)


DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
PricingOpt = Annotated[
    Path | None,
    typer.Option(
        "--pricing",
        metavar="PATH",
        help="A price-table file or folder (default: the tables shipped with wacost).",
    ),
]
OutputOpt = Annotated[Path | None, output_option("Write to this file.")]
TABLE_OR_JSON = ("table", "json")  # what `lookup` and `classify` write
TableOrJsonOpt = Annotated[str, format_option("table or json.")]

# What `estimate` is told of its budget, and how it and `report` show an estimate.
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

# Meta's Graph API: `pull templates` and `pull analytics`.
WabaOpt = Annotated[
    str,
    typer.Option(
        "--waba-id", metavar="ID", help="The WhatsApp Business Account id.", show_default=False
    ),
]
PullOutputOpt = Annotated[
    Path | None,
    output_option(
        "Write the response to this file (only when the pull succeeds) instead of stdout."
    ),
]
ApiVersionOpt = Annotated[
    str | None,
    typer.Option("--api-version", metavar="VERSION", help="Graph API version (default v26.0)."),
]
GraphUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--graph-url",
        metavar="URL",
        help="Graph API base URL (default: WACOST_GRAPH_URL, else https://graph.facebook.com).",
    ),
]
# Their defaults, as the signatures write them (`retries: RetriesOpt = RETRIES`).
RETRIES, MAX_WAIT, TIMEOUT = "5", "60", "30"
RetriesOpt = Annotated[
    str, typer.Option("--retries", metavar="N", help="Tries after the first, on rate limits.")
]
MaxWaitOpt = Annotated[
    str,
    typer.Option(
        "--max-wait", metavar="SECONDS", help="The longest wait between tries (backoff doubles)."
    ),
]
TimeoutOpt = Annotated[
    str, typer.Option("--timeout", metavar="SECONDS", help="How long to wait for an answer.")
]
