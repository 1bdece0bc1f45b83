"""The typed estimate and its JSON doors: round trips, validation, re-checks, CLI == library."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from tests.conftest import SAMPLES, write
from wacost.errors import InputFileError
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.policy import load_policy
from wacost.prices.loading import load_price_book
from wacost.report.document import from_dict, from_json, to_dict, to_json
from wacost.report.model import Estimate
from wacost.templates.definitions import load_templates

CAMPAIGN = [SAMPLES / "campaign.csv", "--templates", SAMPLES / "templates.json"]
PLAN = [SAMPLES / "plan.csv", "--templates", SAMPLES / "templates.json"]
DATE = ["--date", "2026-11-25"]
FORMATS = ("table", "json", "csv", "markdown", "html")


@pytest.fixture(autouse=True)
def _no_ci_budget(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)


@pytest.fixture(scope="module")
def saved_json() -> str:
    from typer.testing import CliRunner

    from wacost.cli import app

    args = [*map(str, PLAN), *DATE, "--format", "json", "--budget", "2000"]
    result = CliRunner().invoke(app, ["estimate", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_json_round_trips_byte_for_byte(saved_json):
    estimate = from_json(saved_json, "saved.json")
    assert isinstance(estimate, Estimate)
    assert to_json(estimate) == saved_json
    assert estimate.totals.cost == Decimal("1385.8300")
    assert estimate.budget.limit == Decimal(2000)


def test_the_total_is_the_sum_of_the_lines_and_of_every_breakdown(saved_json):
    estimate = from_json(saved_json, "saved.json")
    lines = sum((line.cost or Decimal(0) for line in estimate.lines), Decimal(0))
    assert lines == estimate.totals.cost
    for rows in (estimate.by_category, estimate.by_market, estimate.by_template):
        assert sum((row.cost for row in rows), Decimal(0)) == estimate.totals.cost


def test_unknown_fields_of_a_newer_report_are_kept(saved_json):
    data = json.loads(saved_json)
    data["from_the_future"] = {"x": 1}
    assert to_dict(from_dict(data, "saved.json"))["from_the_future"] == {"x": 1}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("totals"), "saved.json: totals: missing"),
        (lambda d: d["totals"].__setitem__("cost", "lots"), "totals.cost: 'lots' is not an amount"),
        (lambda d: d["totals"].__setitem__("cost", 12.5), "totals.cost: not an amount"),
        (lambda d: d["totals"].__setitem__("cost", "NaN"), "totals.cost: 'NaN' is not an amount"),
        (lambda d: d["totals"].__setitem__("messages", -1), "totals.messages: not a whole number"),
        (lambda d: d["lines"][0].__setitem__("category", "promo"), "lines[0].category: 'promo'"),
        (lambda d: d.__setitem__("date", "25/11/2026"), "date: '25/11/2026' is not a date"),
        (lambda d: d["budget"].__setitem__("exceeded", "no"), "budget.exceeded: not true or false"),
        (lambda d: d.__setitem__("schema", "wacost.estimate/2"), "schema: not a wacost.estimate/1"),
    ],
)
def test_a_bad_report_names_the_field(saved_json, edit, message):
    data = json.loads(saved_json)
    edit(data)
    with pytest.raises(InputFileError, match=message.replace("[", r"\[").replace("(", r"\(")):
        from_dict(data, "saved.json")


def test_an_edited_budget_below_the_total_fails_the_report(wacost, saved_json, tmp_path):
    data = json.loads(saved_json)
    data["budget"]["limit"] = "1000.0000"  # the total is 1385.83; `exceeded` still says false
    assert data["budget"]["exceeded"] is False
    path = write(tmp_path / "edited.json", json.dumps(data))
    for fmt in FORMATS:
        run = wacost("report", path, "--format", fmt)
        assert run.exit_code == 1, (fmt, run.stderr)
    assert wacost("report", path, "--format", "json").json()["budget"]["exceeded"] is True


def test_an_edited_policy_verdict_is_judged_again(wacost, tmp_path):
    run = wacost("estimate", *PLAN, *DATE, "--format", "json", "--policy", SAMPLES / "policy.yaml")
    data = run.json()
    data["policy"]["limits"][0]["limit"] = "100.0000"
    data["policy"]["exceeded"] = False
    data["policy"]["limits"][0]["status"] = "ok"
    path = write(tmp_path / "edited.json", json.dumps(data))
    again = wacost("report", path, "--format", "json")
    assert again.exit_code == 1
    assert again.json()["policy"]["limits"][0]["used"] == "1385.8300"
    assert again.json()["policy"]["limits"][0]["status"] == "broken"


def test_an_untouched_report_renders_as_saved(wacost, saved_json, tmp_path):
    path = write(tmp_path / "saved.json", saved_json)
    run = wacost("report", path, "--format", "json")
    assert run.exit_code == 0
    assert run.stdout == saved_json


def test_a_report_without_totals_is_one_line_and_exit_2_in_every_format(
    wacost, saved_json, tmp_path
):
    data = json.loads(saved_json)
    del data["totals"]
    path = write(tmp_path / "no-totals.json", json.dumps(data))
    for fmt in FORMATS:
        run = wacost("report", path, "--format", fmt)
        assert run.exit_code == 2, fmt
        assert run.stdout == ""
        assert run.stderr.count("\n") == 1, run.stderr
        assert "totals: missing" in run.stderr


def test_the_library_gives_the_cli_report(wacost):
    """CLI JSON == to_json of the library's estimate, default classifier and policy included."""
    cli = wacost(
        "estimate", *CAMPAIGN, *DATE, "--format", "json", "--policy", SAMPLES / "policy.yaml"
    )
    assert cli.exit_code == 0, cli.stderr
    book = load_price_book()
    templates = load_templates([SAMPLES / "templates.json"])
    policy = load_policy(SAMPLES / "policy.yaml")
    options = EstimateOptions(date=dt.date(2026, 11, 25), budget=policy.total, policy=policy)
    estimate = estimate_campaign([SAMPLES / "campaign.csv"], book, templates, options)
    assert any(w.code == "recategorization_risk" for w in estimate.warnings)  # the classifier ran
    assert to_json(estimate) == cli.stdout


def _fee_free(report: dict) -> dict:
    report["totals"]["total_cost"] = "900.0000"  # no fees: total_cost must equal cost
    return report


@pytest.mark.parametrize(
    "edit",
    [lambda d: d["totals"].__setitem__("cost", "900.0000"), _fee_free],
    ids=["cost", "total_cost"],
)
def test_a_lowered_total_with_untouched_lines_is_refused(wacost, tmp_path, edit):
    run = wacost(
        "estimate",
        *PLAN,
        *DATE,
        "--policy",
        SAMPLES / "policy.yaml",
        "--budget",
        "1000",
        "--format",
        "json",
    )
    assert run.exit_code == 1
    data = run.json()
    edit(data)
    path = write(tmp_path / "over.json", json.dumps(data))
    again = wacost("report", path)
    assert again.exit_code == 2
    assert again.stdout == ""
    assert again.stderr.count("\n") == 1
    assert f"{path}: totals." in again.stderr
    assert "add up to 1385.8300" in again.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["totals"].__setitem__("cost", "1e400"),
            "totals.cost: '1e400' is not an amount",
        ),
        (lambda d: d["totals"].__setitem__("cost", "9" * 60), "totals.cost: '9999"),
        (lambda d: d["totals"].__setitem__("cost", "1" + "0" * 20), "from -10^15 to 10^15"),
        (lambda d: d["policy"]["limits"][0].__setitem__("limit", "1e30"), "policy.limits[0].limit"),
        (
            lambda d: d.__setitem__("volume_tiers", {"bands": 5}),
            "volume_tiers.bands: not an object",
        ),
        (
            lambda d: d.__setitem__("service_free_tier", {"applied": "maybe", "absorbed": "x"}),
            "service_free_tier.applied: not true or false",
        ),
        (lambda d: d["totals"].__setitem__("cost", " 12 "), "totals.cost: ' 12 ' is not"),
        (lambda d: d["totals"].__setitem__("cost", "1_000"), "totals.cost: '1_000' is not"),
        (lambda d: d["totals"].__setitem__("cost", "1E+3"), "totals.cost: '1E+3' is not"),
        (lambda d: d["lines"][0].__setitem__("cost", "-1.0000"), "lines[0].cost: -1.0000 is neg"),
        (lambda d: d["policy"]["limits"][0].__setitem__("limit", "-5"), "limits[0].limit: -5 is"),
        (lambda d: d.__setitem__("currency", "dollars"), "currency: 'dollars' is not a currency"),
        (
            lambda d: d.__setitem__("fx", {"from": "USD", "to": "EUR", "rate": "0"}),
            "fx.rate: 0 is not above 0",
        ),
        (lambda d: d["policy"].__setitem__("warn_at", "0"), "policy.warn_at: 0 is not a perc"),
        (lambda d: d["policy"].__setitem__("warn_at", "5000"), "policy.warn_at: 5000 is not"),
        (
            lambda d: d["policy"]["limits"][0].__setitem__("scope", "planet"),
            "saved.json: policy.limits[0].scope: 'planet' is not total, category or market",
        ),
    ],
)
def test_a_tampered_report_is_refused_naming_the_field(edit, message):
    from typer.testing import CliRunner

    from wacost.cli import app

    args = [*map(str, PLAN), *DATE, "--policy", str(SAMPLES / "policy.yaml"), "--format", "json"]
    data = json.loads(CliRunner().invoke(app, ["estimate", *args]).stdout)
    edit(data)
    with pytest.raises(InputFileError, match=re.escape(message)):
        from_dict(data, "saved.json")


def test_a_failure_rate_above_one_is_refused(saved_json):
    data = json.loads(saved_json)
    data["fees"] = {
        "profile": "x",
        "source": None,
        "confidence": None,
        "applies_to": "all",
        "meta_cost": "1.0000",
        "message_fees": "0.0000",
        "failed_message_fees": "0.0000",
        "failure_rate": "1.5",
        "total_fees": "0.0000",
        "total_cost": "1.0000",
    }
    with pytest.raises(InputFileError, match=r"fees\.failure_rate: 1\.5 is not from 0 to 1"):
        from_dict(data, "saved.json")


def test_a_tampered_report_is_one_line_and_exit_2_not_an_internal_error(
    wacost, saved_json, tmp_path
):
    data = json.loads(saved_json)
    data["totals"]["cost"] = "9" * 60
    path = write(tmp_path / "t.json", json.dumps(data))
    run = wacost("report", path)
    assert run.exit_code == 2
    assert "internal error" not in run.stderr
    assert run.stderr.count("\n") == 1
    assert f"{path}: totals.cost:" in run.stderr


def test_a_phone_number_in_a_saved_warning_is_masked_in_every_format(wacost, saved_json, tmp_path):
    """A hand-edited saved report whose warning message holds a phone number renders it
    masked, as wacost masks numbers everywhere else."""
    data = json.loads(saved_json)
    data["warnings"] = [
        *data.get("warnings", []),
        {
            "code": "edited",
            "message": "call +919876543210 about this campaign",
            "count": 1,
            "example": None,
        },
    ]
    path = write(tmp_path / "edited.json", json.dumps(data))
    for fmt in FORMATS:
        run = wacost("report", path, "--format", fmt)
        assert run.exit_code == 0, (fmt, run.stderr)
        assert "9876543210" not in run.stdout + run.stderr, fmt
        if fmt != "csv":  # the CSV holds the tables, not the warnings
            assert "+919*******10" in run.stdout, (fmt, run.stdout)
