"""Every hint fits its error, and help reads as Unix help does (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SAMPLES, write

CAMPAIGN = SAMPLES / "campaign.csv"
TEMPLATES = SAMPLES / "templates.json"
DATE = "2026-11-25"


def test_failure_rate_takes_a_percentage_and_says_so(wacost: Any) -> None:
    args = ("estimate", CAMPAIGN, "--templates", TEMPLATES, "--date", DATE, "--fees", "twilio")
    share = wacost(*args, "--failure-rate", "0.02", "--format", "json")
    percent = wacost(*args, "--failure-rate", "2%", "--format", "json")
    assert share.exit_code == percent.exit_code == 0
    assert share.json()["totals"] == percent.json()["totals"]
    bad = wacost(*args, "--failure-rate", "250%")
    assert bad.exit_code == 2
    assert "not a share from 0 to 1" in bad.stderr and "2%" in bad.stderr
    assert "99.50" not in bad.stderr


def test_policy_warn_at_error_shows_the_value_as_written(wacost: Any, tmp_path: Path) -> None:
    policy = write(tmp_path / "p.yaml", "total: 100\nwarn_at: 0.5\n")
    run = wacost("estimate", CAMPAIGN, "--policy", policy, "--date", DATE)
    assert run.exit_code == 2
    assert "warn_at: 0.5 is not a percentage" in run.stderr
    assert "Decimal" not in run.stderr


def test_policy_markets_take_iso_codes_as_rates_does(wacost: Any, tmp_path: Path) -> None:
    policy = write(tmp_path / "p.yaml", "markets:\n  BR: 1\n  in: 100\n")
    run = wacost(
        "estimate",
        CAMPAIGN,
        "--templates",
        TEMPLATES,
        "--policy",
        policy,
        "--date",
        DATE,
        "--format",
        "json",
    )
    assert run.exit_code == 1, run.stderr  # Brazil's 1 USD limit is broken
    limits = {row["name"]: row["status"] for row in run.json()["policy"]["limits"]}
    assert limits == {"Brazil": "broken", "India": "ok"}
    twice = write(tmp_path / "twice.yaml", "markets:\n  BR: 1\n  Brazil: 2\n")
    run = wacost("estimate", CAMPAIGN, "--policy", twice, "--date", DATE)
    assert run.exit_code == 2 and "the same market" in run.stderr
    unknown = write(tmp_path / "unknown.yaml", "markets:\n  XX: 1\n")
    run = wacost("estimate", CAMPAIGN, "--policy", unknown, "--date", DATE)
    assert run.exit_code == 2 and "ISO country code" in run.stderr


def test_converted_currency_names_the_card_it_came_from(wacost: Any) -> None:
    args = (
        "estimate",
        CAMPAIGN,
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--currency",
        "EUR",
        "--fx-rate",
        "0.92",
    )
    for fmt in ("table", "markdown", "html"):
        run = wacost(*args, "--format", fmt)
        assert run.exit_code == 0, run.stderr
        text = " ".join(run.stdout.split())
        assert "Rate card EUR" not in text and "Rate card: EUR" not in text, fmt
        assert "converted to EUR at 0.92 per USD" in text, fmt


def test_help_usage_lines_read_as_unix_help(wacost: Any) -> None:
    for command, usage in [
        ("estimate", "Usage: wacost estimate [OPTIONS] CAMPAIGN..."),
        ("classify", "Usage: wacost classify [OPTIONS] TEMPLATES..."),
        ("lookup", "Usage: wacost lookup [OPTIONS] [NUMBER...]"),
        ("report", "Usage: wacost report [OPTIONS] SAVED.json"),
    ]:
        run = wacost(command, "--help")
        assert run.exit_code == 0
        assert run.stdout.splitlines()[0] == usage
        assert "<list[" not in run.stdout and "{" not in run.stdout.splitlines()[0]
