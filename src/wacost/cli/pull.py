"""`wacost pull templates` and `wacost pull analytics`: fetch from Meta's Graph API into a file."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from wacost.cli.common import (
    app,
    parse_amount,
    parse_count,
    parse_date,
    run,
    write_output,
)
from wacost.cli.options import (
    MAX_WAIT,
    RETRIES,
    TIMEOUT,
    ApiVersionOpt,
    DebugOpt,
    GraphUrlOpt,
    MaxWaitOpt,
    PullOutputOpt,
    RetriesOpt,
    TimeoutOpt,
    WabaOpt,
    date_option,
)
from wacost.cli.streams import write_stderr
from wacost.errors import OptionError
from wacost.models import ExitCode

if TYPE_CHECKING:
    from wacost.graph import GraphClient

pull_app = typer.Typer(
    help="Fetch templates or pricing analytics from Meta's Graph API into a file "
    "(token: the WHATSAPP_ACCESS_TOKEN environment variable).\n\n"
    "Example: wacost pull analytics --waba-id 1234567890 --start 2026-11-01 --end 2026-11-30 "
    "-o bill.json",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(pull_app, name="pull")


def _client(
    api_version: str | None,
    graph_url: str | None,
    retries: str,
    max_wait: str,
    timeout: str,
) -> GraphClient:
    from wacost.graph import (
        DEFAULT_API_VERSION,
        DEFAULT_GRAPH_URL,
        GRAPH_URL_ENV,
        TOKEN_ENV,
        GraphClient,
    )

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise OptionError(
            f"{TOKEN_ENV} is not set", "export a system-user access token with whatsapp permissions"
        )
    wait = parse_amount(max_wait, "--max-wait")
    seconds = parse_amount(timeout, "--timeout")
    tries = parse_count(retries, "--retries")
    assert wait is not None and seconds is not None and tries is not None
    if seconds == 0:
        raise OptionError("--timeout 0: no time to answer", "give a number of seconds, e.g. 30")
    return GraphClient(
        token=token,
        graph_url=graph_url or os.environ.get(GRAPH_URL_ENV, "").strip() or DEFAULT_GRAPH_URL,
        api_version=(api_version or DEFAULT_API_VERSION).strip(),
        retries=min(tries, 20),
        first_wait=min(1.0, float(wait)),
        max_wait=float(wait),
        timeout=float(seconds),
    )


@pull_app.command("templates")
def pull_templates_command(
    waba_id: WabaOpt,
    output: PullOutputOpt = None,
    api_version: ApiVersionOpt = None,
    graph_url: GraphUrlOpt = None,
    retries: RetriesOpt = RETRIES,
    max_wait: MaxWaitOpt = MAX_WAIT,
    timeout: TimeoutOpt = TIMEOUT,
    debug: DebugOpt = False,
) -> None:
    """Every message template of a WhatsApp Business Account (all pages), for --templates.

    Example: WHATSAPP_ACCESS_TOKEN=... wacost pull templates --waba-id 1234567890 -o templates.json
    """

    def work() -> int:
        from wacost.graph import pull_templates, to_json

        client = _client(api_version, graph_url, retries, max_wait, timeout)
        response = pull_templates(client, waba_id)
        write_output(to_json(response), output)
        unlabelled = [t["name"] for t in response["data"] if t.get("category") in (None, "")]
        if unlabelled:  # (Meta gives every template a category: counted, as estimate reports it)
            write_stderr(
                f"wacost: warning: {len(unlabelled)} of {len(response['data'])} templates have no "
                f"category (the first: {unlabelled[0][:60]!r}); estimate classifies them and says so"
            )
        return ExitCode.OK

    run(work, debug)


@pull_app.command("analytics")
def pull_analytics_command(
    waba_id: WabaOpt,
    start: Annotated[str, date_option("--start", "First day (UTC).", show_default=False)],
    end: Annotated[str, date_option("--end", "Last day (UTC), included.", show_default=False)],
    granularity: Annotated[
        str, typer.Option("--granularity", metavar="G", help="DAILY, MONTHLY or HALF_HOUR.")
    ] = "DAILY",
    output: PullOutputOpt = None,
    api_version: ApiVersionOpt = None,
    graph_url: GraphUrlOpt = None,
    retries: RetriesOpt = RETRIES,
    max_wait: MaxWaitOpt = MAX_WAIT,
    timeout: TimeoutOpt = TIMEOUT,
    debug: DebugOpt = False,
) -> None:
    """What Meta billed: pricing_analytics by country, category, pricing type and tier (all pages),
    for reconcile and --usage.

    Example: wacost pull analytics --waba-id 1234567890 --start 2026-11-01 --end 2026-11-30 -o bill.json
    """

    def work() -> int:
        from wacost.graph import pull_analytics, to_json

        first, last = parse_date(start, "--start"), parse_date(end, "--end")
        client = _client(api_version, graph_url, retries, max_wait, timeout)
        response = pull_analytics(client, waba_id, first, last, granularity.strip().upper())
        write_output(to_json(response), output)
        return ExitCode.OK

    run(work, debug)
