"""The human formats read the typed Estimate, and every format rounds an amount by the one rule.

The renderers take the `Estimate` itself (no trip through its JSON dict), so these tests build
estimates whose amounts have more places than a report shows and check what each format says.
"""

from __future__ import annotations

import dataclasses
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import SAMPLES
from wacost.models import format_money, round_money
from wacost.render import render_report
from wacost.render.common import printable_estimate
from wacost.report.document import from_dict, to_dict, to_json
from wacost.report.model import Estimate

PLAN = [
    str(SAMPLES / "plan.csv"),
    "--templates",
    str(SAMPLES / "templates.json"),
    "--date",
    "2026-11-25",
]


@pytest.fixture(scope="module")
def full_estimate() -> Estimate:
    """The plan with fees, a converted currency, a policy and a compare date: most blocks a report has."""
    from typer.testing import CliRunner

    from wacost.cli import app

    args = [*PLAN, "--fees", "example-bsp", "--currency", "EUR", "--fx-rate", "0.9137"]
    args += ["--compare-date", "2026-07-01", "--format", "json"]
    result = CliRunner().invoke(app, ["estimate", *args], catch_exceptions=False)
    return from_dict(json.loads(result.stdout))


def _with_cost(estimate: Estimate, cost: Decimal) -> Estimate:
    """`estimate` whose total Meta cost (and all-in total) is `cost`, exactly."""
    totals = dataclasses.replace(estimate.totals, cost=cost, fees=None, total_cost=None)
    return dataclasses.replace(estimate, totals=totals, fees=None)


def _xlsx_summary_amount(book_bytes: bytes, item: str) -> Any:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(book_bytes))["Summary"]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] == item:
            return row[2]
    raise AssertionError(f"no {item} row")


@pytest.mark.parametrize("fmt", ["table", "markdown", "html", "xlsx"])
def test_human_formats_do_not_go_through_the_json_dict(full_estimate, monkeypatch, fmt):
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a human format converted the estimate to its JSON dict")

    # the names to_dict and from_dict call, however a renderer imported those two
    monkeypatch.setattr("wacost.report.document.encode", refuse)
    monkeypatch.setattr("wacost.report.document.decode", refuse)
    monkeypatch.setattr("wacost.report.codec.encode", refuse)
    out = render_report(full_estimate, fmt)
    assert out  # rendered without touching the JSON codec
    for view in ("category", "market", "template") if fmt != "xlsx" else ():
        assert render_report(full_estimate, fmt, by=view)


@pytest.mark.parametrize(
    ("exact", "shown"),
    [
        ("1234.56785", "1234.5679"),  # half up, where half to even would say ...78
        ("1234.56784999", "1234.5678"),
        ("0.00005", "0.0001"),
    ],
)
def test_every_format_rounds_an_amount_by_the_one_rule(full_estimate, exact, shown):
    estimate = _with_cost(full_estimate, Decimal(exact))
    assert format_money(Decimal(exact)) == shown
    grouped = f"{Decimal(shown):,}"
    assert json.loads(to_json(estimate))["totals"]["cost"] == shown
    table = render_report(estimate, "table")
    assert isinstance(table, str) and f"Estimated cost: {grouped} EUR" in table
    markdown = render_report(estimate, "markdown")
    assert isinstance(markdown, str) and f"**Total: {grouped} EUR**" in markdown
    html = render_report(estimate, "html")
    assert isinstance(html, str) and f"<title>WhatsApp campaign cost estimate: {shown} EUR" in html
    csv_text = render_report(estimate, "csv")
    assert isinstance(csv_text, str)
    total_row = next(line for line in csv_text.splitlines() if line.startswith("total,"))
    assert f",{shown}," in total_row
    book = render_report(estimate, "xlsx")
    assert isinstance(book, bytes)
    cell = _xlsx_summary_amount(book, "cost")
    assert Decimal(str(cell)) == Decimal(shown)


def test_a_report_shows_what_its_saved_json_shows(full_estimate):
    """Rendering an estimate with exact amounts, or the same report saved and read back
    (amounts rounded as written), gives the same bytes in every format."""
    # half a unit more than the lines add up to: still a consistent report, shown one unit up
    odd = _with_cost(full_estimate, full_estimate.totals.cost + Decimal("0.00005"))
    again = from_dict(json.loads(to_json(odd)))
    assert again.totals.cost == round_money(odd.totals.cost) != odd.totals.cost
    for fmt in ("table", "markdown", "html", "csv", "json"):
        assert render_report(odd, fmt) == render_report(again, fmt), fmt


def test_printable_estimate_keeps_a_clean_estimate_and_cleans_every_string(full_estimate):
    assert printable_estimate(full_estimate) is full_estimate
    row = dataclasses.replace(full_estimate.by_market[0], market="Evil\x1b[2J\u202eland")
    dirty = dataclasses.replace(
        full_estimate,
        by_market=(row, *full_estimate.by_market[1:]),
        extra={"future\x07": {"note": ["a\x1bb"]}},
    )
    clean = printable_estimate(dirty)
    data = to_dict(clean)
    assert data["by_market"][0]["market"] == "Evil\\x1b[2J\\u202eland"
    assert data["future\\x07"] == {"note": ["a\\x1bb"]}
    # everything else is the very same object, amounts exact
    assert clean.by_market[1:] == dirty.by_market[1:]
    assert clean.totals is dirty.totals
