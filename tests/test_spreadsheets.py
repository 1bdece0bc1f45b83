"""Campaign files as campaign managers export them from spreadsheets (issue 13).

National numbers with a country column, blank rows, template names and languages as people
write them, and the rejects file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SAMPLES, write

TEMPLATES = SAMPLES / "templates.json"
DATE = "2026-11-25"


def test_national_numbers_price_in_their_rows_country(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;country\n"
        "(21) 98765-4321;spring_sale;BR\n"
        "0151 23456789;spring_sale;DE\n"
        "098765 12345;spring_sale;IN\n",
    )
    run = wacost("estimate", campaign, "--templates", TEMPLATES, "--date", DATE, "--format", "json")
    assert run.exit_code == 0, run.stderr
    report = run.json()
    markets = {m["market"]: m["messages"] for m in report["by_market"]}
    assert markets == {"Brazil": 1, "Germany": 1, "India": 1}
    assert not [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    # --default-country is the fallback only: the row's own country wins
    run = wacost(
        "estimate",
        campaign,
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--format",
        "json",
        "--default-country",
        "BR",
    )
    assert {m["market"]: m["messages"] for m in run.json()["by_market"]} == markets


def test_default_country_does_not_take_another_countrys_number(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone,template\n(21) 98765-4321,spring_sale\n0151 23456789,spring_sale\n",
    )
    run = wacost(
        "estimate",
        campaign,
        "--templates",
        TEMPLATES,
        "--date",
        DATE,
        "--format",
        "json",
        "--default-country",
        "BR",
    )
    report = run.json()
    assert [(m["market"], m["messages"]) for m in report["by_market"]] == [("Brazil", 1)]
    invalid = [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    assert invalid[0]["count"] == 1 and invalid[0]["example"].endswith(":3")


def test_lookup_checks_national_numbers_against_the_country(wacost: Any) -> None:
    run = wacost(
        "lookup", "0151 23456789", "(21) 98765-4321", "--default-country", "BR", "--format", "json"
    )
    assert run.exit_code == 0
    german, brazilian = run.json()
    assert german["valid"] is False and german["e164"] is None
    assert brazilian["e164"] == "+5521987654321" and brazilian["market"] == "Brazil"
    run = wacost("lookup", "0151 23456789", "--default-country", "DE", "--format", "json")
    assert run.json()[0]["e164"] == "+4915123456789"


def test_number_of_another_country_than_its_row_is_warned(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;country\n+4915123456789;spring_sale;BR\n(21) 98765-4321;spring_sale;BR\n",
    )
    run = wacost("estimate", campaign, "--templates", TEMPLATES, "--date", DATE, "--format", "json")
    report = run.json()
    # billed by the number, as Meta bills; warned
    assert {m["market"] for m in report["by_market"]} == {"Germany", "Brazil"}
    mismatch = [w for w in report["warnings"] if w["code"] == "country_mismatch"]
    assert mismatch and mismatch[0]["count"] == 1 and mismatch[0]["example"].endswith(":2")


def test_invalid_national_number_says_how_to_fix_it(wacost: Any, tmp_path: Path) -> None:
    campaign = write(tmp_path / "export.csv", "phone,template\n070-123 45 67,spring_sale\n")
    run = wacost("estimate", campaign, "--templates", TEMPLATES, "--date", DATE, "--format", "json")
    invalid = next(w for w in run.json()["warnings"] if w["code"] == "invalid_phone")
    assert "--default-country" in invalid["message"] and "country column" in invalid["message"]
    assert "070" not in run.stdout.replace("070-123 45 67", "")  # sanity: no number echoed


def test_excel_blank_rows_are_skipped_not_invalid(wacost: Any, tmp_path: Path) -> None:
    campaign = write(
        tmp_path / "export.csv",
        "phone;template;language;name\n+46701234567;spring_sale;;Ann\n;;;\n;;;\n"
        "+46701234568;spring_sale;;Bo\n",
    )
    run = wacost("estimate", campaign, "--templates", TEMPLATES, "--date", DATE, "--format", "json")
    report = run.json()
    assert report["totals"]["messages"] == 2
    assert not [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    notice = next(n for n in report["notices"] if n["code"] == "empty_row")
    assert notice["count"] == 2
