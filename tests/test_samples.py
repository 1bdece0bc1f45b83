"""The sample campaign priced on four cards, against sums worked out by hand from the rate cards.

The model below is independent of wacost's code and data: the sample's composition as
written in scripts/make_samples.py, the rates copied from Meta's cards (facts file, section 4),
and the free-message rules before and after 2026-10-01. The literal totals were then checked
line by line (see the closing note of issue 2).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.conftest import SAMPLES

# (country, category, window, messages): the sample campaign (311 rows, 4 of them invalid).
COMPOSITION = [
    ("IN", "marketing", "", 40),
    ("IN", "utility", "", 12),
    ("IN", "utility", "csw", 8),
    ("IN", "authentication", "", 10),
    ("IN", "service", "csw", 10),
    ("BR", "marketing", "", 20),
    ("BR", "utility", "", 15),
    ("BR", "service", "csw", 5),
    ("DE", "marketing", "", 10),
    ("DE", "authentication", "", 5),
    ("GB", "marketing", "", 12),
    ("GB", "utility", "", 8),
    ("SE", "marketing", "", 10),
    ("SE", "utility", "", 3),
    ("SE", "utility", "csw", 3),
    ("US", "marketing", "", 5),
    ("US", "utility", "", 10),
    ("CA", "marketing", "", 6),
    ("PR", "utility", "", 4),
    ("DO", "marketing", "", 3),
    ("JM", "authentication", "", 2),
    ("BS", "marketing", "", 2),
    ("RU", "marketing", "", 6),
    ("KZ", "marketing", "", 4),
    ("KZ", "authentication", "", 3),
    ("ID", "authentication", "", 12),
    ("ID", "utility", "", 10),
    ("MX", "marketing", "", 15),
    ("MX", "service", "csw", 10),
    ("SA", "utility", "", 7),
    ("ZA", "utility", "", 9),
    ("NG", "authentication", "", 6),
    ("AE", "marketing", "fep", 8),
    ("EE", "marketing", "", 3),
    ("IT", "utility", "", 6),
    ("ES", "utility", "", 5),
]
INVALID = 4

MARKET = {
    "IN": "India",
    "BR": "Brazil",
    "DE": "Germany",
    "GB": "United Kingdom",
    "SE": "Rest of Western Europe",
    "US": "North America",
    "CA": "North America",
    "PR": "Rest of Latin America",
    "DO": "Rest of Latin America",
    "JM": "Rest of Latin America",
    "BS": "Other",
    "EE": "Other",
    "RU": "Russia",
    "KZ": "Other",
    "ID": "Indonesia",
    "MX": "Mexico",
    "SA": "Saudi Arabia",
    "ZA": "South Africa",
    "NG": "Nigeria",
    "AE": "United Arab Emirates",
    "IT": "Italy",
    "ES": "Spain",
}

# (marketing, utility = authentication = service) per market, from Meta's USD cards.
JAN = {
    "India": ("0.0118", "0.0014"),
    "Brazil": ("0.0625", "0.0068"),
    "Germany": ("0.1365", "0.0550"),
    "United Kingdom": ("0.0529", "0.0220"),
    "Rest of Western Europe": ("0.0592", "0.0171"),
    "North America": ("0.0250", "0.0034"),
    "Rest of Latin America": ("0.0740", "0.0113"),
    "Other": ("0.0604", "0.0077"),
    "Russia": ("0.0802", "0.0400"),
    "Indonesia": ("0.0411", "0.0250"),
    "Mexico": ("0.0305", "0.0085"),
    "Saudi Arabia": ("0.0455", "0.0107"),
    "South Africa": ("0.0379", "0.0076"),
    "Nigeria": ("0.0516", "0.0067"),
    "United Arab Emirates": ("0.0499", "0.0157"),
    "Italy": ("0.0691", "0.0300"),
    "Spain": ("0.0615", "0.0200"),
}
APR = {**JAN, "Saudi Arabia": ("0.0501", "0.0107")}
JUL = {
    **APR,
    "Italy": ("0.0795", "0.0300"),
    "Spain": ("0.0707", "0.0200"),
    "United Kingdom": ("0.0635", "0.0220"),
}
OCT = {
    **JUL,
    "Mexico": ("0.0397", "0.0085"),
    "Saudi Arabia": ("0.0576", "0.0107"),
    "United Arab Emirates": ("0.0576", "0.0157"),
    "South Africa": ("0.0379", "0.0095"),
    "Kazakhstan": ("0.0604", "0.0180"),
}


def hand_total(rates: dict[str, tuple[str, str]], after_october: bool) -> tuple[D, int]:
    total, billable = D(0), 0
    for country, category, window, n in COMPOSITION:
        market = "Kazakhstan" if country == "KZ" and after_october else MARKET[country]
        if window == "fep":
            continue  # free entry point: free on every card
        if category == "service" and not after_october:
            continue  # service free until 2026-09-30
        if category == "utility" and window == "csw" and not after_october:
            continue  # utility in an open customer service window free until 2026-09-30
        marketing, other = rates[market]
        total += D(marketing if category == "marketing" else other) * n
        billable += n
    return total, billable


@pytest.mark.parametrize(
    ("date", "rates", "after_october", "expected"),
    [
        ("2026-02-10", JAN, False, "8.0666"),
        ("2026-06-30", APR, False, "8.0666"),
        ("2026-07-01", JUL, False, "8.1938"),
        ("2026-09-30", JUL, False, "8.1938"),
        ("2026-10-01", OCT, True, "8.5753"),
        ("2026-11-25", OCT, True, "8.5753"),
    ],
)
def test_sample_total_matches_hand_sum(wacost, date, rates, after_october, expected):
    hand, billable = hand_total(rates, after_october)
    assert str(hand.quantize(D("0.0001"))) == expected
    run = wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        SAMPLES / "templates.json",
        "--date",
        date,
        "--format",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    report = run.json()
    assert report["totals"]["cost"] == expected
    assert report["totals"]["billable_messages"] == billable
    assert report["totals"]["messages"] == sum(n for *_, n in COMPOSITION) + INVALID
    invalid = [w for w in report["warnings"] if w["code"] == "invalid_phone"]
    assert invalid and invalid[0]["count"] == INVALID


def test_sample_by_market_on_october_card(wacost):
    run = wacost(
        "estimate",
        SAMPLES / "campaign.csv",
        "--templates",
        SAMPLES / "templates.json",
        "--date",
        "2026-11-25",
        "--format",
        "json",
    )
    markets = {m["market"]: m["cost"] for m in run.json()["by_market"]}
    # India: 40 x 0.0118 + (20 utility + 10 authentication + 10 service) x 0.0014
    assert markets["India"] == "0.5280"
    # Kazakhstan is its own market from 2026-10-01: 4 x 0.0604 + 3 x 0.0180
    assert markets["Kazakhstan"] == "0.2956"
    # NANP area codes: PR 4 x 0.0113 + DO 3 x 0.0740 + JM 2 x 0.0113
    assert markets["Rest of Latin America"] == "0.2898"
    # Bahamas (+1 242) and Estonia are not on Meta's table: Other, 5 x 0.0604
    assert markets["Other"] == "0.3020"
    assert markets["United Arab Emirates"] == "0.0000"  # 8 messages in a free entry point window
    assert len(markets) >= 12


def test_plan_sample_prices_planning_rows(wacost):
    run = wacost(
        "estimate",
        SAMPLES / "plan.csv",
        "--templates",
        SAMPLES / "templates.json",
        "--date",
        "2026-11-25",
        "--format",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    report = run.json()
    # 25000 x 0.0118 + 12000 x 0.0625 + 8000 x 0.0034 + 3000 x 0.0220 + 1500 x 0.0550
    # + 4000 x 0.0250 + 2500 x 0.0085 (service) + 700 x 0.0604 (KZ) + 400 x 0.0040 (Namibia)
    expected = (
        D("25000") * D("0.0118")
        + 12000 * D("0.0625")
        + 8000 * D("0.0034")
        + 3000 * D("0.0220")
        + 1500 * D("0.0550")
        + 4000 * D("0.0250")
        + 2500 * D("0.0085")
        + 700 * D("0.0604")
        + 400 * D("0.0040")
    )
    assert report["totals"]["cost"] == str(expected.quantize(D("0.0001"))) == "1385.8300"
    assert report["totals"]["messages"] == 58100
    assert {m["market"] for m in report["by_market"]} >= {"Kazakhstan", "Rest of Africa"}
