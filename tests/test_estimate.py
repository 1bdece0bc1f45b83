"""Estimates of small campaigns of every kind, against sums worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, write

TEMPLATES = SAMPLES / "templates.json"


def estimate(wacost, path: Path, *args: str) -> dict:
    run = wacost("estimate", path, "--format", "json", *args)
    assert run.exit_code in (0, 1), run.stderr
    return run.json()


def warning(report: dict, code: str) -> dict | None:
    return next((w for w in report["warnings"] if w["code"] == code), None)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        # utility in CSW free and service free until 2026-09-30: only 3 utility outside the window
        ("2026-09-30", D(3) * D("0.0014")),
        # from 2026-10-01: 3 + 2 utility (in CSW) + 4 service, all at India's 0.0014
        ("2026-10-01", D(9) * D("0.0014")),
    ],
)
def test_windows_before_and_after_october(wacost, tmp_path, date, expected):
    csv = write(
        tmp_path / "c.csv",
        "phone,template,window\n"
        + "+919876543210,order_shipped,\n" * 3
        + "+919876543211,order_shipped,csw\n" * 2
        + "+919876543212,,csw\n" * 4
        + "+919876543213,spring_sale,fep\n" * 5,
    )
    report = estimate(wacost, csv, "--templates", str(TEMPLATES), "--date", date)
    assert D(report["totals"]["cost"]) == expected
    fep = [line for line in report["lines"] if line["pricing_type"] == "free_entry_point"]
    assert fep == [
        {
            "market": "India",
            "category": "marketing",
            "pricing_type": "free_entry_point",
            "tier": None,
            "messages": 5,
            "rate": "0.0000",
            "cost": "0.0000",
        }
    ]


def test_swedish_excel_export_with_semicolons_and_national_numbers(wacost, tmp_path):
    text = (
        "sep=;\r\nNamn;Mobil;Template_Name;Language\r\n"
        "Åsa;070-123 45 67;spring_sale;en_US\r\n"
        "Björn;073-987 65 43;order_shipped;en_US\r\n"
        "Örjan;+47 412 34 567;spring_sale;en_US\r\n"
    )
    path = write(tmp_path / "export.csv", text.encode("cp1252"))
    report = estimate(
        wacost,
        path,
        "--templates",
        str(TEMPLATES),
        "--date",
        "2026-11-25",
        "--default-country",
        "SE",
    )
    # Sweden and Norway are both Rest of Western Europe: 2 x 0.0592 + 1 x 0.0171
    assert report["totals"]["cost"] == "0.1355"
    assert report["totals"]["billable_messages"] == 3
    assert warning(report, "invalid_phone") is None


def test_utf8_bom_tabs_and_aliases_any_case(wacost, tmp_path):
    path = write(
        tmp_path / "c.tsv",
        "\ufeffWA_ID\tTEMPLATE_NAME\tCategory\n919876543210\tpromo\tMARKETING\n"
        "5511987654321\tpromo\tmarketing\n".encode(),
    )
    report = estimate(wacost, path, "--date", "2026-11-25")
    assert report["totals"]["cost"] == str(D("0.0118") + D("0.0625"))
    assert warning(report, "unknown_template") is None  # inline category, no definition needed


def test_utf16_excel_unicode_text(wacost, tmp_path):
    path = write(
        tmp_path / "u.txt", "phone\ttemplate\r\n+919876543210\tspring_sale\r\n".encode("utf-16")
    )
    report = estimate(wacost, path, "--templates", str(TEMPLATES), "--date", "2026-11-25")
    assert report["totals"]["cost"] == "0.0118"


def test_unknown_template_priced_as_marketing_with_warning(wacost, tmp_path):
    path = write(
        tmp_path / "c.csv", "phone,template\n+919876543210,mystery\n+919876543211,mystery\n"
    )
    report = estimate(wacost, path, "--templates", str(TEMPLATES), "--date", "2026-11-25")
    assert report["totals"]["cost"] == "0.0236"
    w = warning(report, "unknown_template")
    assert w["count"] == 2 and w["example"].endswith("c.csv:2")


def test_language_picks_the_definition(wacost, tmp_path):
    tpl = write(
        tmp_path / "t.yaml",
        "- {name: hello, language: en_US, category: UTILITY}\n"
        "- {name: hello, language: es, category: MARKETING}\n",
    )
    path = write(
        tmp_path / "c.csv",
        "phone,template,language\n+919876543210,hello,en_US\n"
        "+919876543211,hello,es\n+919876543212,hello,\n",
    )
    report = estimate(wacost, path, "--templates", str(tpl), "--date", "2026-11-25")
    # en_US utility 0.0014; es marketing 0.0118; no language: both exist -> the dearest, marketing
    assert report["totals"]["cost"] == "0.0250"
    assert warning(report, "ambiguous_template")["count"] == 1


def test_authentication_international(wacost, tmp_path):
    path = write(
        tmp_path / "otp.csv",
        "phone,template\n"
        + "+919876543210,login_code\n" * 10
        + "+447400123456,login_code\n" * 4
        + "+9647901234567,login_code\n" * 2,
    )
    plain = estimate(wacost, path, "--templates", str(TEMPLATES), "--date", "2026-11-25")
    # India 10 x 0.0014 + UK 4 x 0.0220 + Iraq 2 x 0.0079
    assert plain["totals"]["cost"] == "0.1178"
    intl = estimate(
        wacost,
        path,
        "--templates",
        str(TEMPLATES),
        "--date",
        "2026-11-25",
        "--business-country",
        "GB",
        "--auth-intl-eligible",
    )
    # India becomes auth-intl 10 x 0.0304; the UK is the business's own country; Iraq's
    # auth-intl rate, read in Meta's October file, is 0.1280
    assert intl["totals"]["cost"] == str(D(10) * D("0.0304") + 4 * D("0.0220") + 2 * D("0.1280"))
    assert {c["category"] for c in intl["by_category"]} == {
        "authentication",
        "authentication_international",
    }
    assert not [w for w in intl["warnings"] if w["code"] == "unknown_rate"]
    jan = estimate(
        wacost,
        path,
        "--templates",
        str(TEMPLATES),
        "--date",
        "2026-02-01",
        "--business-country",
        "GB",
        "--auth-intl-eligible",
    )
    # January: India auth-intl 0.0280; Iraq is Rest of Middle East (no auth-intl): 2 x 0.0091
    assert jan["totals"]["cost"] == str(D(10) * D("0.0280") + 4 * D("0.0220") + 2 * D("0.0091"))


def test_auth_intl_eligible_needs_business_country(wacost, tmp_path):
    path = write(tmp_path / "c.csv", "phone,template\n+919876543210,login_code\n")
    run = wacost("estimate", path, "--auth-intl-eligible")
    assert run.exit_code == 2
    assert "--business-country" in run.stderr


def test_budget_exit_codes(wacost):
    args = (
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        "2026-11-25",
        "--format",
        "json",
    )
    under = wacost(*args, "--budget", "8.5753")
    assert under.exit_code == 0 and under.json()["budget"] == {"limit": "8.5753", "exceeded": False}
    over = wacost(*args, "--budget", "8.5752")
    assert over.exit_code == 1 and over.json()["budget"]["exceeded"] is True
    assert over.json()["totals"]["cost"] == "8.5753"  # the report is still printed


def test_us_marketing_and_stale_card_warnings(wacost, tmp_path):
    path = write(
        tmp_path / "c.csv", "phone,template\n+12125551234,spring_sale\n+14165550123,spring_sale\n"
    )
    report = estimate(wacost, path, "--templates", str(TEMPLATES), "--date", "2027-01-15")
    assert warning(report, "us_marketing_paused")["count"] == 1  # Canada is not paused
    assert warning(report, "stale_rate_card") is not None
    assert report["rate_card"]["effective_from"] == "2026-10-01"
    fresh = estimate(wacost, path, "--templates", str(TEMPLATES), "--date", "2026-12-31")
    assert warning(fresh, "stale_rate_card") is None


def test_planning_rows_and_namibia(wacost, tmp_path):
    path = write(
        tmp_path / "plan.csv",
        "country,category,count\nNA,marketing,1000\nin,utility,2500\nuk,marketing,10\n",
    )
    report = estimate(wacost, path, "--date", "2026-11-25")
    assert report["totals"]["cost"] == str(
        1000 * D("0.0225") + 2500 * D("0.0014") + 10 * D("0.0635")
    )
    assert report["totals"]["messages"] == 3510


def test_several_files_are_one_campaign(wacost, tmp_path):
    a = write(tmp_path / "a.csv", "phone,category\n+919876543210,marketing\n")
    b = write(tmp_path / "b.csv", "country,category,count\nIN,marketing,9\n")
    report = estimate(wacost, a, str(b), "--date", "2026-11-25")
    assert report["totals"]["cost"] == "0.1180"
    assert report["by_market"] == [
        {"market": "India", "messages": 10, "billable_messages": 10, "cost": "0.1180"}
    ]


def test_date_before_first_card_is_an_error(wacost):
    run = wacost("estimate", SAMPLES / "campaign.csv", "--date", "2025-06-01")
    assert run.exit_code == 2
    assert "2026-01-01" in run.stderr


def test_json_shape_follows_the_contract(wacost):
    report = estimate(
        wacost, SAMPLES / "campaign.csv", "--templates", str(TEMPLATES), "--date", "2026-11-25"
    )
    assert report["schema"] == "wacost.estimate/1"
    assert set(report) >= {
        "schema",
        "currency",
        "date",
        "rate_card",
        "totals",
        "by_category",
        "by_market",
        "by_template",
        "lines",
        "warnings",
        "budget",
    }
    assert set(report["totals"]) >= {"messages", "billable_messages", "cost"}
    for line in report["lines"]:
        assert set(line) == {
            "market",
            "category",
            "pricing_type",
            "tier",
            "messages",
            "rate",
            "cost",
        }
    for w in report["warnings"]:
        assert isinstance(w["count"], int) and w["code"].replace("_", "").isalpha()
    # the total is the sum of its lines, and of its categories
    assert sum(D(line["cost"]) for line in report["lines"] if line["cost"]) == D(
        report["totals"]["cost"]
    )
    assert sum(D(c["cost"]) for c in report["by_category"]) == D(report["totals"]["cost"])
    json.dumps(report)


def test_inline_auth_intl_where_the_market_has_no_such_rate(wacost, tmp_path):
    path = write(
        tmp_path / "c.csv",
        "phone,category\n+919876543210,authentication-international\n"
        "+447400123456,AUTHENTICATION_INTERNATIONAL\n",
    )
    report = estimate(wacost, path, "--date", "2026-11-25")
    # India has an auth-intl rate (0.0304); the UK has none, so it bills authentication (0.0220)
    assert report["totals"]["cost"] == str(D("0.0304") + D("0.0220"))


def test_spreadsheet_digit_groups_and_window_words(wacost, tmp_path):
    path = write(
        tmp_path / "plan.csv",
        "country;category;count;window\nSE;marketing;12 500;\n"
        "SE;utility;1\u00a0000;CSW\nIN;utility;3;customer_service_window\nIN;marketing;7;free_entry_point\n",
    )
    report = estimate(wacost, path, "--date", "2026-09-30")
    # 12,500 x 0.0592; utility in an open window and the entry-point messages are free until 2026-09-30
    assert report["totals"]["cost"] == str(12500 * D("0.0592"))
    assert report["totals"]["messages"] == 13510
    run = wacost(
        "estimate",
        write(tmp_path / "bad.csv", 'country,count\nSE,"1,500"\n'),
        "--date",
        "2026-11-25",
    )
    assert run.exit_code == 2 and "count '1,500'" in run.stderr  # ambiguous across locales: refused
