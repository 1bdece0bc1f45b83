"""The real bill: volume tiers, month-to-date usage, the service free tier, BSP fees,
currencies and rate-card comparison, each against sums worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

import pytest

from tests.conftest import SAMPLES, write

TEMPLATES = SAMPLES / "templates.json"

CARD = """\
schema: wacost.rate_card/1
currency: USD
effective_from: "2026-10-01"
source: {url: "https://example.com/tiered-test-card"}
confidence: low
markets:
  India:
    countries: ["IN"]
    rates: {marketing: 0.0500, utility: 0.0100, authentication: 0.0100, service: 0.0100}
    tiers:
      utility:
        source: test bands
        bands:
          - {from: 1, to: 100, rate: 0.0100}
          - {from: 101, to: 200, rate: 0.0080}
          - {from: 201, to: null, rate: 0.0050}
  Other:
    countries: []
    default: true
    rates: {marketing: 0.0600, utility: 0.0200, authentication: 0.0200, service: 0.0200}
"""


def run_json(wacost, *args):
    result = wacost("estimate", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.json()


@pytest.fixture
def tiered(tmp_path):
    card = write(tmp_path / "card.yaml", CARD)
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,utility,250\n")
    return card, campaign


def test_tiers_across_band_boundaries_from_the_start_of_the_month(wacost, tiered):
    card, campaign = tiered
    report = run_json(wacost, campaign, "--pricing", card, "--date", "2026-11-25")
    # 100 x 0.0100 + 100 x 0.0080 + 50 x 0.0050 = 1.0000 + 0.8000 + 0.2500
    assert report["totals"]["cost"] == "2.0500"
    assert [(line["tier"], line["messages"], line["rate"]) for line in report["lines"]] == [
        ("0:100", 100, "0.0100"),
        ("101:200", 100, "0.0080"),
        ("201:MAX", 50, "0.0050"),
    ]


def test_tiers_with_month_to_date_usage_csv(wacost, tiered, tmp_path):
    card, campaign = tiered
    usage = write(
        tmp_path / "usage.csv", "market,category,messages\nIndia,utility,150\nIN,marketing,999\n"
    )
    report = run_json(wacost, campaign, "--pricing", card, "--date", "2026-11-25", "--usage", usage)
    # messages 151..200 at 0.0080 (50), 201..400 at 0.0050 (200) = 0.4000 + 1.0000
    assert report["totals"]["cost"] == "1.4000"
    assert [(line["tier"], line["messages"]) for line in report["lines"]] == [
        ("101:200", 50),
        ("201:MAX", 200),
    ]


def test_a_usage_row_given_twice_is_refused(wacost, tiered, tmp_path):
    """The same market and category twice (a row pasted twice, or India and IN) was added up:
    the month's usage doubled, and cheaper bands priced the campaign below its cost, exit 0."""
    card, campaign = tiered
    usage = write(
        tmp_path / "usage.csv", "market,category,messages\nIndia,utility,150\nIN,Utility,150\n"
    )
    run = wacost("estimate", campaign, "--pricing", card, "--date", "2026-11-25", "--usage", usage)
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {usage}:3: India utility has a second row "
        "(give each market and category once, with the month's messages added up)"
    ], run.stderr
    for text in ("DE,utility,5\nde,utility,5\n", "Other,utility,5\nDE,utility,5\n"):
        write(usage, "market,category,messages\n" + text)
        run = wacost(
            "estimate", campaign, "--pricing", card, "--date", "2026-11-25", "--usage", usage
        )
        assert run.exit_code == 2 and "Other utility has a second row" in run.stderr
    # a market's countries, one row each, are added up (Meta's analytics are by country)
    write(usage, "market,category,messages\nDE,utility,100\nFR,utility,50\n")
    other = write(tmp_path / "o.csv", "country,category,count\nSE,utility,10\n")
    report = run_json(wacost, other, "--pricing", card, "--date", "2026-11-25", "--usage", usage)
    assert report["totals"]["cost"] == "0.2000"  # Other has no bands: 10 x 0.0200


def _ts(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


def _first_band_point() -> dict[str, object]:
    """Meta's data point for 100 Indian utility messages in the first band, on 1 November."""
    return {
        "start": _ts("2026-11-01"),
        "end": _ts("2026-11-02"),
        "country": "IN",
        "pricing_category": "UTILITY",
        "pricing_type": "REGULAR",
        "tier": "0:100",
        "volume": 100,
        "cost": 1.0,
    }


def test_tiers_with_pricing_analytics_json(wacost, tiered, tmp_path):
    card, campaign = tiered
    points = [
        _first_band_point(),
        {
            "start": _ts("2026-11-02"),
            "end": _ts("2026-11-03"),
            "country": "IN",
            "pricing_category": "UTILITY",
            "pricing_type": "REGULAR",
            "tier": "101:200",
            "volume": 50,
            "cost": 0.4,
        },
        # another month, a free message and a category without tiers: none move the utility count
        {
            "start": _ts("2026-10-30"),
            "end": _ts("2026-10-31"),
            "country": "IN",
            "pricing_category": "UTILITY",
            "pricing_type": "REGULAR",
            "volume": 5000,
            "cost": 25.0,
        },
        {
            "start": _ts("2026-11-03"),
            "end": _ts("2026-11-04"),
            "country": "IN",
            "pricing_category": "UTILITY",
            "pricing_type": "FREE_ENTRY_POINT",
            "volume": 70,
            "cost": 0,
        },
        {
            "start": _ts("2026-11-03"),
            "end": _ts("2026-11-04"),
            "country": "IN",
            "pricing_category": "MARKETING_LITE",
            "pricing_type": "REGULAR",
            "tier": "0:MAX",
            "volume": 9,
            "cost": 0.1,
        },
    ]
    analytics = write(
        tmp_path / "analytics.json",
        json.dumps({"pricing_analytics": {"data": [{"data_points": points}]}, "id": "1234567890"}),
    )
    report = run_json(
        wacost, campaign, "--pricing", card, "--date", "2026-11-25", "--usage", analytics
    )
    assert report["totals"]["cost"] == "1.4000"  # as with 150 utility messages already charged


def test_the_same_usage_data_point_twice_is_refused(wacost, tiered, tmp_path):
    """A pricing_analytics page given twice (or a point repeated) doubled the month's usage,
    so later, cheaper bands priced the campaign below what it costs, without a word
    (reconcile refuses the same repeat)."""
    card, campaign = tiered
    point = _first_band_point()
    analytics = write(
        tmp_path / "analytics.json",
        json.dumps(
            {"pricing_analytics": {"data": [{"data_points": [point]}, {"data_points": [point]}]}}
        ),
    )
    run = wacost(
        "estimate", campaign, "--pricing", card, "--date", "2026-11-25", "--usage", analytics
    )
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {analytics}: the same data point appears twice (give each page once)"
    ], run.stderr


def test_shipped_uae_utility_bands(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,category,count\nAE,utility,30\n")
    usage = write(
        tmp_path / "u.csv", "market,category,messages\nUnited Arab Emirates,utility,99990\n"
    )
    report = run_json(wacost, campaign, "--date", "2026-08-15", "--usage", usage)
    # 99,991..100,000 at the list rate 0.0157 (10), 100,001.. at 0.0149 (20)
    assert report["totals"]["cost"] == str(10 * D("0.0157") + 20 * D("0.0149")) == "0.4550"
    assert "United Arab Emirates/utility" in report["volume_tiers"]["bands"]


def test_unknown_bands_priced_at_list_rate_and_said_so(wacost, tmp_path):
    # Meta's July tier sheet was not found: Brazil utility on the July card has no bands
    campaign = write(tmp_path / "c.csv", "country,category,count\nBR,utility,200000\n")
    report = run_json(wacost, campaign, "--date", "2026-08-25")
    assert report["totals"]["cost"] == str(200000 * D("0.0068"))
    notice = [w for w in report["warnings"] if w["code"] == "volume_tiers_unknown"]
    assert notice and notice[0]["count"] == 200000
    # on the October card the same messages sit in Meta's first Brazil band: no warning
    october = run_json(wacost, campaign, "--date", "2026-11-25")
    assert october["totals"]["cost"] == str(200000 * D("0.0068"))
    assert not [w for w in october["warnings"] if w["code"] == "volume_tiers_unknown"]
    assert {line["tier"] for line in october["lines"]} == {"0:250000"}


@pytest.mark.parametrize(
    ("args", "expected", "absorbed"),
    [
        # no free-tier options: every service message charged (upper bound)
        ((), 800 * D("0.0014"), None),
        # one number, nothing used: 1,000 free cover all 800
        (("--sender-numbers", "1"), D(0), 800),
        # two numbers, 1,500 of 2,000 used: 500 free, 300 x 0.0014
        (("--sender-numbers", "2", "--service-free-used", "1500"), 300 * D("0.0014"), 500),
    ],
)
def test_service_free_tier(wacost, tmp_path, args, expected, absorbed):
    campaign = write(tmp_path / "c.csv", "country,template,count,window\nIN,,800,csw\n")
    report = run_json(wacost, campaign, "--date", "2026-11-25", *args)
    assert D(report["totals"]["cost"]) == expected
    tier = report["service_free_tier"]
    assert tier["applied"] is (absorbed is not None)
    if absorbed is not None:
        assert tier["absorbed"] == absorbed


def test_free_tier_absorbs_the_cheapest_first(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,count\nIN,700\nDE,700\n")
    report = run_json(wacost, campaign, "--date", "2026-11-25", "--sender-numbers", "1")
    # 700 India (0.0014) + 300 Germany free; 400 Germany x 0.0550 charged
    assert report["totals"]["cost"] == "22.0000"


def test_fee_profile_per_category_markup_and_failed_fee(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv",
        "country,category,count\nIN,marketing,1000\nIN,utility,500\nIN,service,100\n",
    )
    report = run_json(
        wacost, campaign, "--date", "2026-11-25", "--fees", "example-bsp", "--failure-rate", "0.02"
    )
    meta = 1000 * D("0.0118") + 500 * D("0.0014") + 100 * D("0.0014")  # 11.80 + 0.70 + 0.14
    marketing_fee = 1000 * D("0.003") + 1000 * D("0.0118") * 7 / 100  # 3.00 + 0.826
    utility_fee = 500 * D("0.002") + 500 * D("0.0014") * 5 / 100  # 1.00 + 0.035
    service_fee = D(0)  # overridden to 0
    failed = 1600 * D("0.02") * D("0.0005")  # 0.016
    fees = marketing_fee + utility_fee + service_fee + failed
    assert report["totals"]["cost"] == str(meta) == "12.6400"
    assert report["totals"]["fees"] == str(fees.quantize(D("0.0001"))) == "4.8770"
    assert report["totals"]["total_cost"] == "17.5170"
    assert report["fees"]["meta_cost"] == "12.6400"
    assert report["fees"]["failed_message_fees"] == "0.0160"
    # the budget is checked against the all-in total
    over = wacost(
        "estimate",
        campaign,
        "--date",
        "2026-11-25",
        "--fees",
        "example-bsp",
        "--failure-rate",
        "0.02",
        "--budget",
        "15",
        "--format",
        "json",
    )
    assert over.exit_code == 1


def test_twilio_profile_charges_every_message(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv",
        "country,category,count,window\nIN,marketing,100,\nIN,marketing,50,fep\n",
    )
    report = run_json(wacost, campaign, "--date", "2026-11-25", "--fees", "twilio")
    assert report["totals"]["cost"] == "1.1800"  # 100 x 0.0118; 50 free in the FEP window
    assert report["totals"]["fees"] == "0.7500"  # 150 x 0.005, free messages too


def test_fee_profile_from_a_file_and_bad_profiles(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,10\n")
    profile = write(tmp_path / "bsp.yaml", "schema: wacost.fees/1\nname: Mine\nper_message: 0.01\n")
    report = run_json(wacost, campaign, "--date", "2026-11-25", "--fees", profile)
    assert report["totals"]["fees"] == "0.1000"
    bad = write(tmp_path / "bad.yaml", "schema: wacost.fees/1\nper_message: -1\n")
    run = wacost("estimate", campaign, "--fees", bad)
    assert run.exit_code == 2 and "per_message: negative" in run.stderr
    run = wacost("estimate", campaign, "--fees", "nosuchbsp")
    assert run.exit_code == 2 and "twilio" in run.stderr


def test_published_inr_card(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv", "country,category,count\nIN,marketing,1000\nIN,utility,100\n"
    )
    report = run_json(wacost, campaign, "--date", "2026-11-25", "--currency", "INR")
    assert report["currency"] == "INR"
    assert report["totals"]["cost"] == str(1000 * D("0.8631") + 100 * D("0.1150")) == "874.6000"
    assert "fx" not in report


def test_explicit_fx_conversion_is_reported(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,1000\n")
    report = run_json(
        wacost, campaign, "--date", "2026-11-25", "--currency", "EUR", "--fx-rate", "0.92"
    )
    assert report["currency"] == "EUR"
    assert D(report["totals"]["cost"]) == 1000 * D("0.0118") * D("0.92") == D("10.856")
    assert report["fx"]["rate"] == "0.92" and report["fx"]["from"] == "USD"
    assert any(w["code"] == "currency_converted" for w in report["warnings"])
    missing = wacost("estimate", campaign, "--date", "2026-11-25", "--currency", "EUR")
    assert missing.exit_code == 2 and "--fx-rate" in missing.stderr  # never a silent conversion


def test_compare_date_shows_the_october_changes(wacost):
    report = run_json(
        wacost,
        SAMPLES / "campaign.csv",
        "--templates",
        TEMPLATES,
        "--date",
        "2026-11-25",
        "--compare-date",
        "2026-09-15",
    )
    comparison = report["comparison"]
    assert comparison["rate_card"]["effective_from"] == "2026-07-01"
    # 8.5753 on the October card, 8.1938 on the July card (tests/test_samples.py)
    assert comparison["cost"] == "8.1938"
    assert comparison["difference"] == "-0.3815"
    service = next(c for c in comparison["by_category"] if c["category"] == "service")
    # service was free before October: 10 x 0.0014 + 5 x 0.0068 + 10 x 0.0085
    assert service == {
        "category": "service",
        "cost": "0.1330",
        "compare_cost": "0.0000",
        "difference": "-0.1330",
    }
    markets = {m["market"]: m for m in comparison["by_market"]}
    assert markets["Kazakhstan"]["compare_cost"] == "0.0000"  # billed as Other before October
