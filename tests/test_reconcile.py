"""`wacost reconcile`: a saved estimate against Meta's bill, with sums worked out by hand.

Rates (USD card effective 2026-10-01): India marketing 0.0118, utility 0.0014; Brazil marketing
0.0625, utility 0.0068; Germany utility 0.0550.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES, write

TEMPLATES = SAMPLES / "templates.json"
DAY = int(dt.datetime(2026, 11, 16, tzinfo=dt.UTC).timestamp())

# spring_sale is marketing; order_shipped and cart_reminder are utility (cart_reminder reads as
# marketing: the estimate flags it as a recategorization risk).
CAMPAIGN = """\
country,template,count
IN,spring_sale,10000
IN,order_shipped,4000
IN,cart_reminder,2000
BR,spring_sale,1000
BR,cart_reminder,500
DE,order_shipped,100
"""


def point(country: str, category: str, volume: int, cost: str, **extra: Any) -> dict[str, Any]:
    return {
        "start": DAY,
        "end": DAY + 86400,
        "country": country,
        "pricing_category": category,
        "pricing_type": extra.pop("pricing_type", "REGULAR"),
        "volume": volume,
        "cost": float(cost),  # as Meta sends it: a JSON number
        **extra,
    }


def analytics(path: Path, *points: dict[str, Any]) -> Path:
    body = {"pricing_analytics": {"data": [{"data_points": list(points)}]}, "id": "1234567890"}
    return write(path, json.dumps(body))


def saved_estimate(wacost, tmp_path: Path, campaign: str = CAMPAIGN) -> Path:
    csv = write(tmp_path / "campaign.csv", campaign)
    out = tmp_path / "estimate.json"
    run = wacost(
        "estimate", csv, "--templates", TEMPLATES, "--date", "2026-11-16", "--format", "json",
        "-o", out,
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    return out


def reconcile_json(wacost, *args: Any, code: int = 0) -> dict[str, Any]:
    run = wacost("reconcile", *args, "--format", "json")
    assert run.exit_code == code, run.stderr
    return run.json()


@pytest.fixture
def delivered_90_with_recategorized(wacost, tmp_path):
    """90% of every market delivered except Germany (absent); cart_reminder billed as marketing.

    India: marketing 9,000 spring_sale + 1,800 cart_reminder = 10,800 x 0.0118 = 127.4400;
           utility 3,600 order_shipped x 0.0014 = 5.0400.
    Brazil: marketing 900 + 450 = 1,350 x 0.0625 = 84.3750; no utility billed.
    """
    estimate = saved_estimate(wacost, tmp_path)
    bill = analytics(
        tmp_path / "analytics.json",
        point("IN", "MARKETING", 10800, "127.44", tier="0:MAX"),
        point("IN", "UTILITY", 3600, "5.04", tier="0:100000"),
        point("BR", "MARKETING", 1350, "84.375", tier="0:MAX"),
    )
    return estimate, bill


def test_fewer_deliveries_and_a_recategorized_template(wacost, delivered_90_with_recategorized):
    estimate, bill = delivered_90_with_recategorized
    report = reconcile_json(wacost, estimate, bill)
    assert report["schema"] == "wacost.reconcile/1"
    assert report["currency"] == "USD"
    # estimate: 118.0000 + 8.4000 (6,000 x 0.0014) + 62.5000 + 3.4000 + 5.5000 = 197.8000
    assert report["estimate"]["date"] == "2026-11-16"
    assert report["estimate"]["cost"] == "197.8000"
    assert report["actual"] == {
        "start": "2026-11-16",
        "end": "2026-11-17",
        "cost": "216.8550",
        "messages": 15750,
        "sources": [str(bill)],
    }
    # 216.8550 - 197.8000 = 19.0550, 9.633% of the estimate
    assert report["totals"] == {
        "estimated_cost": "197.8000",
        "actual_cost": "216.8550",
        "difference": "19.0550",
        "difference_percent": "9.6",
    }
    rows = [
        (r["market"], r["category"], r["estimated_messages"], r["actual_messages"],
         r["estimated_cost"], r["actual_cost"], r["difference"])
        for r in report["rows"]
    ]  # fmt: skip
    assert rows == [
        ("Brazil", "marketing", 1000, 1350, "62.5000", "84.3750", "21.8750"),
        ("Brazil", "utility", 500, 0, "3.4000", "0.0000", "-3.4000"),
        ("Germany", "utility", 100, 0, "5.5000", "0.0000", "-5.5000"),
        ("India", "marketing", 10000, 10800, "118.0000", "127.4400", "9.4400"),
        ("India", "utility", 6000, 3600, "8.4000", "5.0400", "-3.3600"),
    ]
    # Brazil: 900 + 450 (cart_reminder, recategorized but delivered) of 1,500; India 14,400 of 16,000
    assert report["delivery_rates"] == [
        {"market": "Brazil", "rate": "0.9000"},
        {"market": "Germany", "rate": "0.0000"},
        {"market": "India", "rate": "0.9000"},
    ]
    findings = {f["code"]: f for f in report["findings"]}
    assert list(findings) == ["not_delivered", "recategorized", "market_only_in_estimate"]
    # 1,800 x (0.0118 - 0.0014) = 18.7200 in India; 450 x (0.0625 - 0.0068) = 25.0650 in Brazil
    assert findings["recategorized"]["cost"] == "43.7850"
    assert findings["recategorized"]["messages"] == 2250
    assert findings["recategorized"]["markets"] == ["Brazil", "India"]
    assert "cart_reminder" in findings["recategorized"]["message"]
    # India 1,000 x 0.0118 + 600 x 0.0014; Brazil 100 x 0.0625 + 50 x 0.0068
    assert findings["not_delivered"]["cost"] == "-19.2300"
    assert findings["not_delivered"]["messages"] == 1750
    assert findings["market_only_in_estimate"]["cost"] == "-5.5000"
    assert findings["market_only_in_estimate"]["markets"] == ["Germany"]
    assert sum(D(f["cost"]) for f in report["findings"]) == D(report["totals"]["difference"])


def test_free_tier_volume_tier_rate_change_and_a_market_only_billed(wacost, tmp_path):
    campaign = (
        "country,template,count\nIN,spring_sale,1000\nIN,order_shipped,2000\nBR,spring_sale,100\n"
    )
    estimate = saved_estimate(wacost, tmp_path, campaign)  # 11.8000 + 2.8000 + 6.2500 = 20.8500
    page1 = analytics(
        tmp_path / "page1.json",
        point("IN", "MARKETING", 1000, "11.8", tier="0:MAX"),
        point("IN", "UTILITY", 1000, "1.4", tier="0:100000"),
    )
    page2 = analytics(
        tmp_path / "page2.json",
        # 800 in the second band at 0.001316: 1.0528, a saving of 800 x 0.0014 - 1.0528 = 0.0672
        point("IN", "UTILITY", 800, "1.0528", tier="100001:1000000"),
        point("IN", "UTILITY", 200, "0", pricing_type="FREE_CUSTOMER_SERVICE"),
        point("BR", "MARKETING", 100, "6.5", tier="0:MAX"),  # 0.0650 a message, not 0.0625
        point("GB", "MARKETING", 10, "0.5", tier="0:MAX"),
    )
    report = reconcile_json(wacost, estimate, page1, page2)
    assert report["totals"]["actual_cost"] == "21.2528"
    assert report["totals"]["difference"] == "0.4028"
    findings = {f["code"]: (f["cost"], f["messages"]) for f in report["findings"]}
    assert findings == {
        "free_messages": ("-0.2800", 200),  # 200 x 0.0014 not charged
        "volume_tier": ("-0.0672", None),
        "rate_changed": ("0.2500", None),  # 100 x (0.0650 - 0.0625)
        "market_only_in_actual": ("0.5000", 10),
    }
    assert report["delivery_rates"] == [
        {"market": "Brazil", "rate": "1.0000"},
        {"market": "India", "rate": "1.0000"},
    ]
    assert [r["market"] for r in report["rows"]][-1] == "United Kingdom"


def test_invoice_csv_and_tolerance(wacost, tmp_path):
    campaign = (
        "country,template,count\nIN,spring_sale,1000\nIN,order_shipped,2000\nBR,spring_sale,100\n"
    )
    estimate = saved_estimate(wacost, tmp_path, campaign)  # 20.8500
    invoice = write(
        tmp_path / "invoice.csv",
        "market,category,messages,cost\nIN,marketing,900,10.62\nIndia,utility,2000,2.80\n"
        "Brazil,marketing,100,6.25\n",
    )
    # 19.6700 - 20.8500 = -1.1800 (100 India marketing messages not delivered), -5.659%
    report = reconcile_json(wacost, estimate, invoice, "--tolerance", "5%", code=1)
    assert report["totals"]["difference"] == "-1.1800"
    assert report["totals"]["difference_percent"] == "-5.7"
    assert report["tolerance"] == {"percent": "5", "exceeded": True}
    assert report["findings"][0]["code"] == "not_delivered"
    assert report["findings"][0]["cost"] == "-1.1800"
    assert reconcile_json(wacost, estimate, invoice, "--tolerance", "6")["tolerance"] == {
        "percent": "6",
        "exceeded": False,
    }


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_human_formats_show_totals_and_findings(wacost, delivered_90_with_recategorized, fmt):
    estimate, bill = delivered_90_with_recategorized
    run = wacost("reconcile", estimate, bill, "--format", fmt)
    assert run.exit_code == 0, run.stderr
    for text in ("197.8000", "216.8550", "+19.0550", "recategorized", "+43.7850", "0.9000"):
        assert text in run.stdout


def test_html_and_markdown_escape_what_the_inputs_say(wacost, delivered_90_with_recategorized):
    estimate, bill = delivered_90_with_recategorized
    data = json.loads(estimate.read_text())
    data["recategorization_risk"]["templates"][0]["template"] = "<script>alert(1)</script>|x"
    estimate.write_text(json.dumps(data))
    html = wacost("reconcile", estimate, bill, "--format", "html").stdout
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = wacost("reconcile", estimate, bill, "--format", "markdown").stdout
    assert "<script>" not in markdown and "\\|x" in markdown


def test_output_file(wacost, delivered_90_with_recategorized, tmp_path):
    estimate, bill = delivered_90_with_recategorized
    out = tmp_path / "rec.json"
    run = wacost("reconcile", estimate, bill, "--format", "json", "-o", out)
    assert run.exit_code == 0 and run.stdout == ""
    assert json.loads(out.read_text())["totals"]["difference"] == "19.0550"


def test_an_output_that_is_an_input_is_refused(wacost, delivered_90_with_recategorized, tmp_path):
    """reconcile -o replaced the estimate or the bill it read with its report (estimate and
    report refuse an --output that names an input: by any path, symlink or hard link)."""
    estimate, bill = delivered_90_with_recategorized
    link = tmp_path / "bill-link.json"
    link.symlink_to(bill)
    for target in (estimate, bill, link):
        before = Path(target).read_bytes()
        run = wacost("reconcile", estimate, bill, "--format", "json", "-o", target)
        assert run.exit_code == 2, target
        assert "it would be replaced by the report" in run.stderr
        assert Path(target).read_bytes() == before


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p.update(pricing_type=""), "PRICING_TYPE"),
        (lambda p: p.pop("country"), "COUNTRY"),
        (lambda p: p.pop("cost"), "COST"),
        (lambda p: p.update(volume="many"), "volume"),
        (lambda p: p.update(cost=-1), "cost"),
        (lambda p: p.update(country="ZZ9"), "ZZ9"),
    ],
)
def test_bad_data_points_are_one_line_and_exit_2(wacost, tmp_path, mutate, expected):
    estimate = saved_estimate(wacost, tmp_path)
    bad = point("IN", "MARKETING", 10, "0.118")
    mutate(bad)
    run = wacost("reconcile", estimate, analytics(tmp_path / "bad.json", bad))
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and expected in run.stderr and "bad.json" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("broken.json", '{"pricing_analytics": ', "not valid JSON"),
        ("other.json", '{"data": 3}', "pricing_analytics"),
        ("cols.csv", "market,messages\nIN,3\n", "market,category,messages,cost"),
        ("market.csv", "market,category,messages,cost\nAtlantis,marketing,3,1\n", "Atlantis"),
        ("cat.csv", "market,category,messages,cost\nIN,promo,3,1\n", "promo"),
        ("cost.csv", "market,category,messages,cost\nIN,marketing,3,1.2.3\n", "cost.csv:2"),
    ],
)
def test_bad_billed_files_are_one_line_and_exit_2(wacost, tmp_path, name, text, expected):
    estimate = saved_estimate(wacost, tmp_path)
    run = wacost("reconcile", estimate, write(tmp_path / name, text))
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and expected in run.stderr


def test_the_same_page_twice_is_refused(wacost, delivered_90_with_recategorized):
    estimate, bill = delivered_90_with_recategorized
    run = wacost("reconcile", estimate, bill, bill)
    assert run.exit_code == 2 and "twice" in run.stderr


def test_bad_estimate_and_bad_tolerance(wacost, delivered_90_with_recategorized, tmp_path):
    estimate, bill = delivered_90_with_recategorized
    run = wacost("reconcile", bill, bill)
    assert run.exit_code == 2 and "wacost.estimate/1" in run.stderr
    data = json.loads(estimate.read_text())
    data["totals"]["cost"] = "1.0000"
    edited = write(tmp_path / "edited.json", json.dumps(data))
    run = wacost("reconcile", edited, bill)
    assert run.exit_code == 2 and "add up" in run.stderr
    run = wacost("reconcile", estimate, bill, "--tolerance", "ten")
    assert run.exit_code == 2 and "--tolerance" in run.stderr


def test_the_sample_month_as_the_readme_tells_it(wacost, tmp_path):
    """samples/analytics.json: 95% of samples/plan.csv delivered, cart_reminder billed as marketing
    in the UK, and Meta's free tier covering 1,000 of Mexico's service messages."""
    out = tmp_path / "estimate.json"
    made = wacost(
        "estimate", SAMPLES / "plan.csv", "--templates", TEMPLATES, "--date", "2026-11-16",
        "--format", "json", "-o", out,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    report = reconcile_json(wacost, out, SAMPLES / "analytics.json", "--tolerance", "10%")
    assert report["totals"] == {
        "estimated_cost": "1385.8300",
        "actual_cost": "1426.3135",
        "difference": "40.4835",
        "difference_percent": "2.9",
    }
    findings = {f["code"]: f["cost"] for f in report["findings"]}
    assert findings == {
        # 5% of every charged planned message: 0.05 x 1385.8300
        "not_delivered": "-69.2915",
        # 2,850 UK messages at 0.0635 instead of 0.0220
        "recategorized": "118.2750",
        # 1,000 Mexico service messages at 0.0085, free (the estimate had no --sender-numbers)
        "free_messages": "-8.5000",
    }
    assert {d["rate"] for d in report["delivery_rates"]} == {"0.9500"}
    rates = write(tmp_path / "reconcile.json", json.dumps(report))
    run = wacost(
        "estimate", SAMPLES / "plan.csv", "--templates", TEMPLATES, "--delivery-rates", rates,
        "--date", "2026-11-16", "--format", "json",
    )  # fmt: skip
    assert run.json()["totals"]["expected_cost"] == "1316.5385"  # 1385.8300 x 0.95


def test_a_bill_in_another_currency_is_refused(wacost, delivered_90_with_recategorized, tmp_path):
    estimate, bill = delivered_90_with_recategorized
    data = json.loads(bill.read_text())
    data["currency"] = "EUR"
    run = wacost("reconcile", estimate, write(tmp_path / "eur.json", json.dumps(data)))
    assert run.exit_code == 2 and "the bill is in EUR, the estimate in USD" in run.stderr


def test_reports_match_the_published_schema(wacost, delivered_90_with_recategorized, tmp_path):
    import jsonschema

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "schema" / "wacost.reconcile-1.schema.json").read_text())
    estimate, bill = delivered_90_with_recategorized
    jsonschema.validate(reconcile_json(wacost, estimate, bill, "--tolerance", "1", code=1), schema)
    made = tmp_path / "plan.json"
    wacost("estimate", SAMPLES / "plan.csv", "--templates", TEMPLATES, "--date", "2026-11-16",
           "--format", "json", "-o", made)  # fmt: skip
    jsonschema.validate(reconcile_json(wacost, made, SAMPLES / "analytics.json"), schema)


def test_estimate_with_the_delivery_rates_of_a_reconcile_report(
    wacost, delivered_90_with_recategorized, tmp_path
):
    estimate, bill = delivered_90_with_recategorized
    rates = tmp_path / "reconcile.json"
    assert wacost("reconcile", estimate, bill, "--format", "json", "-o", rates).exit_code == 0
    campaign = tmp_path / "campaign.csv"
    run = wacost(
        "estimate", campaign, "--templates", TEMPLATES, "--date", "2026-11-16",
        "--delivery-rates", rates, "--format", "json",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    report = run.json()
    # India 126.4000 x 0.9 = 113.7600; Brazil 65.9000 x 0.9 = 59.3100; Germany 5.5000 x 0
    assert [
        (m["market"], m["cost"], m["delivery_rate"], m["expected_cost"])
        for m in report["by_market"]
    ] == [
        ("India", "126.4000", "0.9000", "113.7600"),
        ("Brazil", "65.9000", "0.9000", "59.3100"),
        ("Germany", "5.5000", "0.0000", "0.0000"),
    ]
    assert report["totals"]["expected_cost"] == "173.0700"
    assert report["totals"]["cost"] == "197.8000"  # still the upper bound
    assert report["delivery_rates"] == {"source": str(rates), "markets_with_rate": 3}
    import jsonschema

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "schema" / "wacost.estimate-1.schema.json").read_text())
    jsonschema.validate(report, schema)
    saved = tmp_path / "with-rates.json"
    saved.write_text(run.stdout)
    again = wacost("report", saved, "--format", "json")  # a saved report keeps what to expect
    assert again.exit_code == 0 and again.json() == report
    # the budget checks the upper bound, not the expected cost
    over = wacost(
        "estimate", campaign, "--templates", TEMPLATES, "--date", "2026-11-16",
        "--delivery-rates", rates, "--budget", "180", "-q",
    )  # fmt: skip
    assert over.exit_code == 1 and over.stdout == "197.8000 USD\n"
    for fmt in ("table", "markdown", "html"):
        shown = wacost(
            "estimate", campaign, "--templates", TEMPLATES, "--date", "2026-11-16",
            "--delivery-rates", rates, "--format", fmt,
        ).stdout  # fmt: skip
        assert "Expected cost: 173.0700 USD" in " ".join(shown.split())
        assert "at most 197.8000 USD" in " ".join(shown.split())


def test_delivery_rates_from_a_csv(wacost, tmp_path):
    estimate = saved_estimate(wacost, tmp_path)
    rates = write(tmp_path / "rates.csv", "market,rate\nIN,0.5\nBrazil,1\n")
    run = wacost(
        "estimate", tmp_path / "campaign.csv", "--templates", TEMPLATES, "--date", "2026-11-16",
        "--delivery-rates", rates, "--format", "json",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    # India 126.4000 x 0.5 + Brazil 65.9000 x 1 + Germany 5.5000 (no rate: 1) = 134.6000
    assert run.json()["totals"]["expected_cost"] == "134.6000"
    assert json.loads(estimate.read_text())["totals"].get("expected_cost") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("market,rate\nIN,1.5\n", "from 0 to 1"),
        ("market,rate\nIN,lots\n", "lots"),
        ("market,rate\nAtlantis,0.9\n", "Atlantis"),
        ("market,rate\nIN,0.9\nIndia,0.8\n", "second rate"),
        ("market,share\nIN,0.9\n", "market,rate"),
        ('{"schema": "wacost.estimate/1"}', "wacost.reconcile/1"),
    ],
)
def test_bad_delivery_rates_are_one_line_and_exit_2(wacost, tmp_path, text, expected):
    saved_estimate(wacost, tmp_path)
    run = wacost(
        "estimate", tmp_path / "campaign.csv", "--templates", TEMPLATES, "--date", "2026-11-16",
        "--delivery-rates", write(tmp_path / "rates.txt", text),
    )  # fmt: skip
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1 and expected in run.stderr


def test_unplanned_messages_and_a_category_without_a_rate(wacost, tmp_path):
    estimate = saved_estimate(wacost, tmp_path, "country,template,count\nIN,spring_sale,1000\n")
    bill = analytics(
        tmp_path / "bill.json",
        point("IN", "MARKETING", 1100, "12.98", tier="0:MAX"),  # 100 more than planned
        point("IN", "MARKETING_LITE", 50, "0.5"),  # sent through the Marketing Messages API
    )
    report = reconcile_json(wacost, estimate, bill)
    # 12.9800 + 0.5000 - 11.8000 = 1.6800 = 100 x 0.0118 + 0.5000
    assert report["totals"]["difference"] == "1.6800"
    assert {f["code"]: (f["cost"], f["messages"]) for f in report["findings"]} == {
        "unplanned_messages": ("1.1800", 100),
        "unpriced": ("0.5000", 50),
    }
    assert [(r["category"], r["actual_messages"]) for r in report["rows"]] == [
        ("marketing", 1100),
        ("marketing_lite", 50),
    ]
    assert report["delivery_rates"] == [{"market": "India", "rate": "1.0000"}]


def test_without_the_pricing_type_dimension_free_points_are_those_that_cost_nothing(
    wacost, tmp_path
):
    campaign = "country,template,count\nIN,spring_sale,1000\nIN,order_shipped,2000\n"
    estimate = saved_estimate(wacost, tmp_path, campaign)  # 11.8000 + 2.8000
    points = [
        point("IN", "MARKETING", 1000, "11.8"),
        point("IN", "UTILITY", 2000, "2.8"),
        point("IN", "SERVICE", 300, "0"),  # replies in the free tier, not in the campaign
    ]
    for p in points:
        p.pop("pricing_type")
    report = reconcile_json(wacost, estimate, analytics(tmp_path / "b.json", *points))
    assert report["totals"]["difference"] == "0.0000"
    # 300 service messages at India's 0.0014 that the estimate did not plan, and that were free
    assert {f["code"]: (f["cost"], f["messages"]) for f in report["findings"]} == {
        "unplanned_messages": ("0.4200", 300),
        "free_messages": ("-0.4200", 300),
    }


def test_a_rate_card_that_changed_between_the_estimate_and_the_send(wacost, tmp_path):
    """A card effective 2026-11-20 raises India marketing to 0.0120; the estimate was made on the
    2026-10-01 card (0.0118) and the campaign sent on 2026-11-21."""
    from tests.conftest import ROOT

    cards = tmp_path / "pricing"
    cards.mkdir()
    october = (ROOT / "pricing" / "rate-card-2026-10-01-USD.yaml").read_text()
    (cards / "october.yaml").write_text(october)
    newer = october.replace('effective_from: "2026-10-01"', 'effective_from: "2026-11-20"')
    newer = newer.replace("effective_from: 2026-10-01", "effective_from: 2026-11-20")
    assert newer != october
    india = newer.index("India:")
    marketing = newer.index("marketing: 0.0118", india)
    newer = newer[:marketing] + "marketing: 0.0120" + newer[marketing + len("marketing: 0.0118") :]
    (cards / "november.yaml").write_text(newer)
    csv = write(tmp_path / "c.csv", "country,template,count\nIN,spring_sale,1000\n")
    out = tmp_path / "est.json"
    made = wacost(
        "estimate", csv, "--templates", TEMPLATES, "--date", "2026-11-16", "--pricing", cards,
        "--format", "json", "-o", out,
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    bill = analytics(tmp_path / "bill.json", point("IN", "MARKETING", 1000, "12.0"))
    bill.write_text(bill.read_text().replace(str(DAY), str(DAY + 5 * 86400)))
    report = reconcile_json(wacost, out, bill, "--pricing", cards)
    [finding] = report["findings"]
    assert (finding["code"], finding["cost"]) == ("rate_changed", "0.2000")  # 1,000 x 0.0002
    assert (
        "the 2026-11-20 card took effect after the estimate's 2026-10-01 card" in finding["message"]
    )


def test_the_table_fits_100_columns(wacost, delivered_90_with_recategorized):
    estimate, bill = delivered_90_with_recategorized
    text = wacost("reconcile", estimate, bill).stdout
    assert max(len(line) for line in text.splitlines()) <= 100


def test_the_library_returns_exact_amounts_and_rounds_only_in_the_report(wacost, tmp_path):
    """`reconcile` is typed and exact; `to_dict` (the JSON) rounds each amount once, half up."""
    from wacost.prices.loading import load_price_book
    from wacost.reconcile import Reconciliation, load_actuals, load_estimate, mapping_card
    from wacost.reconcile import reconcile as reconcile_report

    saved = load_estimate(
        saved_estimate(wacost, tmp_path, "country,template,count\nIN,spring_sale,3\n")
    )
    bill = analytics(tmp_path / "a.json", point("IN", "MARKETING", 3, "0.03541"))
    book = load_price_book(None)
    result = reconcile_report(saved, load_actuals([bill], mapping_card(saved, book)), book, D(1))
    assert isinstance(result, Reconciliation)
    assert result.estimated_cost == D("0.0354")  # 3 x 0.0118
    assert result.actual_cost == D("0.03541")  # exact, as billed
    assert result.difference == D("0.00001")
    assert result.over_tolerance is False  # 0.03 % of the estimate
    report = result.to_dict()
    assert report["totals"] == {
        "estimated_cost": "0.0354",
        "actual_cost": "0.0354",
        "difference": "0.0000",
        "difference_percent": "0.0",
    }
    assert [f.code for f in result.findings] == ["rate_changed"]
    assert result.findings[0].cost == D("0.00001")
