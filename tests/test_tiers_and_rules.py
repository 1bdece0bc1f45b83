"""Meta's October 2026 bands in several markets, authentication-international, reactions, the
government/non-profit service exemption, and budgets that cannot pass on an incomplete total.

Expected amounts are worked out by hand from Meta's printed bands and rates (facts file,
section 8, and the October card), not read back from wacost.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import write


def run_json(wacost, *args):
    result = wacost("estimate", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return result.json()


OTP = """\
- name: otp
  language: en
  category: AUTHENTICATION
  status: APPROVED
- name: order_update
  language: en
  category: UTILITY
  status: APPROVED
"""


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return write(tmp_path / "t.yaml", OTP)


def test_campaign_crossing_bands_in_several_markets(wacost, tmp_path, templates):
    campaign = write(
        tmp_path / "c.csv",
        "country,template,count\n"
        "IN,order_update,30\n"  # India utility: 24,999,990 already -> 10 at list, 20 at -6 %
        "BR,order_update,1000\n"  # Brazil utility: 249,500 already -> 500 at list, 500 at -5 %
        "MX,otp,400\n"  # Mexico authentication: 999,800 already -> 200 at -5 %, 200 at -10 %
        "NG,order_update,100\n",  # Nigeria utility: 80,000,000 already -> all 100 at -25 %
    )
    usage = write(
        tmp_path / "u.csv",
        "market,category,messages\n"
        "India,utility,24999990\n"
        "Brazil,utility,249500\n"
        "Mexico,authentication,999800\n"
        "Nigeria,utility,80000000\n",
    )
    report = run_json(
        wacost, campaign, "--templates", templates, "--date", "2026-11-10", "--usage", usage
    )
    lines = {
        (line["market"], line["category"], line["tier"]): (line["messages"], line["rate"])
        for line in report["lines"]
    }
    assert lines[("India", "utility", "0:25000000")] == (10, "0.0014")
    assert lines[("India", "utility", "25000001:50000000")] == (20, "0.0013")
    assert lines[("Brazil", "utility", "0:250000")] == (500, "0.0068")
    assert lines[("Brazil", "utility", "250001:2000000")] == (500, "0.0065")
    assert lines[("Mexico", "authentication", "250001:1000000")] == (200, "0.0081")
    assert lines[("Mexico", "authentication", "1000001:3000000")] == (200, "0.0077")
    assert lines[("Nigeria", "utility", "80000001:MAX")] == (100, "0.0050")
    expected = (
        10 * D("0.0014") + 20 * D("0.0013")
        + 500 * D("0.0068") + 500 * D("0.0065")
        + 200 * D("0.0081") + 200 * D("0.0077")
        + 100 * D("0.0050")
    )  # fmt: skip
    assert D(report["totals"]["cost"]) == expected
    assert not [w for w in report["warnings"] if w["code"] == "volume_tiers_unknown"]


SEVEN = {
    "IQ": ("Iraq", "0.1280"),
    "KW": ("Kuwait", "0.1200"),
    "MA": ("Morocco", "0.0811"),
    "NP": ("Nepal", "0.1120"),
    "OM": ("Oman", "0.0600"),
    "LK": ("Sri Lanka", "0.1440"),
    "UA": ("Ukraine", "0.0746"),
}


def test_authentication_international_to_the_seven_markets(wacost, tmp_path, templates):
    rows = "".join(f"{cc},otp,{i + 1}\n" for i, cc in enumerate(SEVEN))
    campaign = write(tmp_path / "c.csv", "country,template,count\n" + rows)
    report = run_json(
        wacost, campaign, "--templates", templates, "--date", "2026-11-10",
        "--auth-intl-eligible", "--business-country", "IN",
    )  # fmt: skip
    expected = D(0)
    for i, (market, rate) in enumerate(SEVEN.values()):
        line = next(line for line in report["lines"] if line["market"] == market)
        assert line["category"] == "authentication_international"
        assert (line["rate"], line["messages"]) == (rate, i + 1)
        expected += D(rate) * (i + 1)
    assert D(report["totals"]["cost"]) == expected
    assert not [w for w in report["warnings"] if w["code"] == "unknown_rate"]
    assert "unpriced" not in report


def test_authentication_and_auth_intl_accrue_together(wacost, tmp_path, templates):
    # Meta's Example 2: the month's authentication count carries on into auth-intl.
    # Iraq: 299,990 authentication already this month; 20 auth-intl messages:
    # 10 at the list rate 0.1280, 10 in the second band at 0.1216.
    campaign = write(tmp_path / "c.csv", "country,template,count\nIQ,otp,20\n")
    usage = write(tmp_path / "u.csv", "market,category,messages\nIraq,authentication,299990\n")
    report = run_json(
        wacost, campaign, "--templates", templates, "--date", "2026-11-10", "--usage", usage,
        "--auth-intl-eligible", "--business-country", "IN",
    )  # fmt: skip
    assert D(report["totals"]["cost"]) == 10 * D("0.1280") + 10 * D("0.1216")
    # within one campaign: authentication first, then auth-intl on the same count
    both = write(
        tmp_path / "c3.csv",
        "country,template,category,count\nIQ,otp,authentication,299995\nIQ,otp,authentication_international,10\n",
    )
    report = run_json(wacost, both, "--templates", templates, "--date", "2026-11-10")
    intl = [line for line in report["lines"] if line["category"] == "authentication_international"]
    assert [(line["tier"], line["messages"]) for line in intl] == [
        ("0:300000", 5),
        ("300001:2000000", 5),
    ]


def test_a_card_without_bands_still_warns(wacost, tmp_path, templates):
    campaign = write(tmp_path / "c.csv", "country,template,count\nIQ,otp,150000\n")
    report = run_json(wacost, campaign, "--templates", templates, "--date", "2026-08-10")
    codes = [w["code"] for w in report["warnings"]]
    assert "volume_tiers_unknown" in codes


def test_reactions_are_never_charged_and_use_no_free_tier(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv",
        "phone,template,type,window\n"
        "+919876543210,,reaction,csw\n"
        "+919876543211,,Reaction,csw\n"
        "+919876543212,,text,csw\n"
        "+919876543213,,,csw\n",
    )
    report = run_json(wacost, campaign, "--date", "2026-11-10", "--sender-numbers", "1",
                      "--service-free-used", "999")  # fmt: skip
    lines = {line["pricing_type"]: line for line in report["lines"]}
    assert lines["free_reaction"]["messages"] == 2
    assert lines["free_reaction"]["cost"] == "0.0000"
    # the one free service message left goes to a text message, not to a reaction
    assert lines["free_customer_service"]["messages"] == 1
    assert lines["regular"]["messages"] == 1
    assert report["totals"]["cost"] == "0.0014"
    assert report["service_free_tier"]["absorbed"] == 1


def test_a_reaction_with_a_template_is_refused(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "phone,template,type\n+919876543210,promo,reaction\n")
    run = wacost("estimate", campaign, "--date", "2026-11-10")
    assert run.exit_code == 2
    assert "c.csv:2" in run.stderr and "reaction" in run.stderr


def test_a_reaction_with_a_template_category_is_refused(wacost, tmp_path):
    """A reaction row with a template's category (a planning row: country, category marketing,
    count) was priced as a free reaction, 0.0000, without a word; a template name was refused."""
    campaign = write(
        tmp_path / "c.csv",
        "country,category,count,type\nIN,service,10,reaction\nIN,marketing,10,reaction\n",
    )
    run = wacost("estimate", campaign, "--date", "2026-11-10")
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {campaign}:3: type reaction with category marketing (a reaction is a "
        "non-template message: clear the category or the type)"
    ], run.stderr


def test_government_and_non_profit_service_messages_past_the_free_tier(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,window,count\nIN,csw,1500\n")
    args = (campaign, "--sender-numbers", "1")
    plain = run_json(wacost, *args, "--date", "2026-11-10")
    assert plain["totals"]["cost"] == str(500 * D("0.0014"))
    exempt = run_json(wacost, *args, "--date", "2026-11-10", "--service-exempt")
    kinds = {line["pricing_type"]: line["messages"] for line in exempt["lines"]}
    assert kinds == {"free_customer_service": 1000, "paid_exempt": 500}
    assert exempt["totals"]["cost"] == "0.0000"
    ended = run_json(wacost, *args, "--date", "2028-01-05", "--service-exempt")
    assert "service_exemption_ended" in [w["code"] for w in ended["warnings"]]
    assert ended["totals"]["cost"] != "0.0000"


def test_a_budget_far_above_the_priced_part_does_not_pass_with_unpriced_messages(wacost, tmp_path):
    # --currency INR: the INR card prices India only; the US messages have no price
    campaign = write(
        tmp_path / "c.csv", "country,category,count\nIN,marketing,100\nUS,utility,40\n"
    )
    run = wacost("estimate", campaign, "--date", "2026-11-10", "--currency", "INR",
                 "--budget", "1000000", "--format", "json")  # fmt: skip
    assert run.exit_code == 1
    report = run.json()
    assert report["budget"]["exceeded"] is False
    assert report["budget"]["incomplete"] is True
    assert report["totals"]["unpriced_messages"] == 40
    assert report["unpriced"]["markets"] == [{"market": "US", "messages": 40}]
    assert "40 billable messages have no price" in run.stderr
    assert "US" in run.stderr and "wacost rates import" in run.stderr
    # without a budget the run passes, and still reports what is missing
    plain = wacost("estimate", campaign, "--date", "2026-11-10", "--currency", "INR",
                   "--format", "json")  # fmt: skip
    assert plain.exit_code == 0
    assert plain.json()["unpriced"]["messages"] == 40


def test_an_unknown_rate_fails_a_policy_too(wacost, tmp_path):
    card = write(
        tmp_path / "card.yaml",
        """\
schema: wacost.rate_card/1
currency: USD
effective_from: "2026-10-01"
source: {url: "https://example.org"}
confidence: low
markets:
  India:
    countries: ["IN"]
    rates: {marketing: 0.0118, utility: unknown, authentication: 0.0014, service: 0.0014}
""",
    )
    policy = write(tmp_path / "p.yaml", "currency: USD\ntotal: 1000000\n")
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,10\nIN,utility,7\n")
    run = wacost("estimate", campaign, "--pricing", card, "--date", "2026-11-10",
                 "--policy", policy, "--format", "json")  # fmt: skip
    assert run.exit_code == 1, run.stderr
    report = run.json()
    assert report["policy"]["incomplete"] is True
    assert report["policy"]["exceeded"] is False
    assert report["unpriced"]["markets"] == [{"market": "India utility", "messages": 7}]
    assert "7 billable messages have no price" in run.stderr


def test_a_saved_incomplete_report_still_fails_its_budget(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv", "country,category,count\nIN,marketing,100\nUS,utility,40\n"
    )
    saved = tmp_path / "saved.json"
    run = wacost("estimate", campaign, "--date", "2026-11-10", "--currency", "INR",
                 "--budget", "1000000", "--format", "json", "--output", saved)  # fmt: skip
    assert run.exit_code == 1
    again = wacost("report", saved)
    assert again.exit_code == 1
    assert "NOT CHECKED" in again.stdout
    assert "40 billable messages have no price" in again.stderr


def test_a_reaction_with_a_template_category_is_named_on_its_true_line(wacost, tmp_path):
    """After a note over two lines the refused row is on line 4, not on the counted line 3."""
    campaign = write(
        tmp_path / "c.csv",
        'country,category,count,type,note\nIN,service,10,reaction,"two\nlines"\n'
        "IN,marketing,10,reaction,x\n",
    )
    run = wacost("estimate", campaign, "--date", "2026-11-10")
    assert run.exit_code == 2
    assert f"{campaign}:4: type reaction with category marketing" in run.stderr, run.stderr
