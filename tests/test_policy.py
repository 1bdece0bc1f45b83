"""Budget policies: the file, the evaluation, and what the CLI does with them (exit codes, env budget)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import ROOT, SAMPLES, write
from wacost.errors import InputFileError, OptionError
from wacost.policy import (
    Policy,
    Scope,
    check_markets,
    load_policy,
    over_limit,
    parse_policy,
)
from wacost.policy import evaluate as evaluate_typed
from wacost.report.codec import encode
from wacost.report.document import from_dict

PLAN = [SAMPLES / "plan.csv", "--templates", SAMPLES / "templates.json", "--date", "2026-11-25"]
# samples/plan.csv on 2026-11-25: total 1385.83; marketing 1087.28, authentication 182.50;
# Brazil 750.00, India 295.00, North America 27.20.


def _report(total: str = "100.0000", **categories: str) -> dict:
    """The JSON of a small estimate (what a saved report holds): its lines, categories and
    market add up to `total`, as the loader checks."""
    costs = categories or {"marketing": total}
    lines = [
        {
            "market": "India",
            "category": c,
            "pricing_type": "regular",
            "tier": None,
            "messages": 1,
            "rate": v,
            "cost": v,
        }
        for c, v in costs.items()
    ]
    return {
        "schema": "wacost.estimate/1",
        "currency": "USD",
        "date": "2026-11-25",
        "rate_card": {"effective_from": "2026-10-01", "source": "test"},
        "by_template": [],
        "lines": lines,
        "warnings": [],
        "totals": {"messages": 1, "billable_messages": 1, "cost": total},
        "by_category": [
            {"category": c, "messages": 1, "billable_messages": 1, "cost": v}
            for c, v in categories.items()
        ],
        "by_market": [{"market": "India", "messages": 1, "billable_messages": 1, "cost": total}],
        "budget": {"limit": None, "exceeded": False},
    }


def evaluate(report: dict, policy: Policy) -> dict:
    """The policy block of `report` (its JSON form, as a saved report shows it)."""
    result: dict = encode(evaluate_typed(from_dict(report), policy))
    return result


@pytest.fixture(autouse=True)
def _no_ci_budget(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def test_sample_policy_loads():
    policy = load_policy(SAMPLES / "policy.yaml")
    assert policy.total == Decimal(1500)
    assert policy.warn_at == Decimal(80)
    assert policy.currency == "USD"
    by_label = {limit.label: limit for limit in policy.limits}
    assert by_label["category authentication"].warn_at == Decimal(95)
    assert by_label["market North America"].amount == Decimal(100)


@pytest.mark.parametrize(
    ("used", "status"),
    [
        ("79.9999", "ok"),
        ("80.0000", "warning"),
        ("100.0000", "warning"),
        ("100.0001", "broken"),
    ],
)
def test_status_at_the_edges(used, status):
    policy = parse_policy({"total": 100}, "p.yaml")
    block = evaluate(_report(used), policy)
    assert block["limits"][0]["status"] == status
    assert block["status"] == status
    assert block["exceeded"] is (status == "broken")


def test_block_lists_every_limit_with_use_and_percent():
    policy = parse_policy(
        {
            "warn_at": "50%",
            "total": 400,
            "categories": {"marketing": 50, "utility": 200},
            "markets": {"India": {"limit": 1000, "warn_at": 5}},
        },
        "p.yaml",
    )
    block = evaluate(_report("100.0000", marketing="60.0000", utility="40.0000"), policy)
    rows = {(r["scope"], r["name"]): r for r in block["limits"]}
    assert rows[("total", "total")] == {
        "scope": "total",
        "name": "total",
        "limit": "400.0000",
        "used": "100.0000",
        "remaining": "300.0000",
        "percent": "25.0",
        "warn_at": "50",
        "status": "ok",
        "source": "p.yaml",
    }
    assert rows[("category", "marketing")]["status"] == "broken"
    assert rows[("category", "marketing")]["remaining"] == "-10.0000"
    assert rows[("category", "marketing")]["percent"] == "120.0"
    assert rows[("category", "utility")]["status"] == "ok"
    assert rows[("market", "India")]["status"] == "warning"  # 10% used, its own threshold is 5%
    assert block["broken"] == ["category marketing"]
    assert block["warned"] == ["market India"]
    assert block["status"] == "broken"


def test_percent_rounds_half_up_and_a_zero_limit_has_none():
    block = evaluate(
        _report("0.1000", marketing="0.0000", utility="0.1000"),
        parse_policy({"total": 3, "categories": {"marketing": 0, "service": 0}}, "p.yaml"),
    )
    rows = {r["name"]: r for r in block["limits"]}
    assert rows["total"]["percent"] == "3.3"  # 3.333...
    assert rows["marketing"]["percent"] is None
    assert rows["marketing"]["status"] == "ok"  # 0 spent of 0: nothing broken
    assert rows["service"]["used"] == "0.0000"  # a category the campaign lacks


def test_fees_count_in_the_limits_as_in_the_budget():
    report = _report("100.0000", marketing="100.0000")
    for block in (report["totals"], report["by_category"][0], report["by_market"][0]):
        block["fees"] = "30.0000"
        block["total_cost"] = "130.0000"
    block = evaluate(
        report, parse_policy({"total": 120, "categories": {"marketing": 120}}, "p.yaml")
    )
    assert [r["used"] for r in block["limits"]] == ["130.0000", "130.0000"]
    assert block["exceeded"]


def test_budget_replaces_the_policy_total():
    policy = parse_policy({"total": 100, "markets": {"India": 50}}, "p.yaml").with_total(
        Decimal(7), "--budget"
    )
    assert policy.total == Decimal(7)
    assert [(limit.scope, limit.source) for limit in policy.limits] == [
        (Scope.TOTAL, "--budget"),
        (Scope.MARKET, "p.yaml"),
    ]


def test_market_names_are_checked_and_spelled_as_on_the_card():
    policy = parse_policy({"markets": {"india": 10, "rest of western europe": 5}}, "p.yaml")
    fixed = check_markets(policy, ["India", "Rest of Western Europe"])
    assert [limit.name for limit in fixed.limits] == ["India", "Rest of Western Europe"]
    with pytest.raises(InputFileError, match=r"markets\.Inida: not a market on the rate card"):
        check_markets(parse_policy({"markets": {"Inida": 10}}, "p.yaml"), ["India"])


def test_currency_must_match_the_report():
    with pytest.raises(OptionError, match="currency EUR, but the report is in USD"):
        evaluate(_report(), parse_policy({"currency": "eur", "total": 1}, "p.yaml"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "the policy is empty"),
        ([1, 2], "a policy is a mapping"),
        ({"totl": 5}, "unknown key 'totl'"),
        ({"total": "lots"}, "total: 'lots' is not an amount"),
        ({"total": -1}, "is not an amount of 0 or more"),
        ({"total": True}, "is not an amount"),
        ({"categories": {"promo": 5}}, "categories.promo: unknown category"),
        ({"categories": ["marketing"]}, "expected a mapping"),
        ({"categories": {"marketing": 1, "Marketing": 2}}, "limited twice"),
        ({"markets": {False: 5}}, "False is not a market name"),
        (
            {"markets": {"India": {"limit": 5, "warn": 1}}},
            "expected an amount, or a mapping with limit and warn_at",
        ),
        ({"warn_at": "0.8", "total": 1}, "not a percentage from 1% to 100%"),
        ({"warn_at": "150%", "total": 1}, "not a percentage from 1% to 100%"),
        ({"warn_at": "high", "total": 1}, "not a percentage"),
        ({"currency": 5, "total": 1}, "is not a currency code"),
        ({"warn_at": 80}, "the policy sets no limit"),
    ],
)
def test_bad_policies_say_where(data, message):
    with pytest.raises(InputFileError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_policy(data, "p.yaml")


def test_percent_forms():
    assert parse_policy({"warn_at": "90%", "total": 1}, "p").warn_at == Decimal(90)
    assert parse_policy({"warn_at": 90, "total": 1}, "p").warn_at == Decimal(90)
    assert parse_policy({"warn_at": Decimal("92.5"), "total": 1}, "p").warn_at == Decimal("92.5")


def test_over_limit_reads_budget_and_policy():
    within = _report()
    assert not over_limit(from_dict(within))
    assert over_limit(from_dict({**within, "budget": {"limit": "1.0000", "exceeded": True}}))
    broken = evaluate_typed(from_dict(within), parse_policy({"total": 1}, "p.yaml"))
    assert broken.exceeded
    assert over_limit(from_dict({**within, "policy": encode(broken)}))


# The CLI ------------------------------------------------------------------------------------------


def test_sample_policy_warns_but_passes(wacost):
    run = wacost("estimate", *PLAN, "--policy", SAMPLES / "policy.yaml", "--format", "json")
    assert run.exit_code == 0, run.stderr
    block = run.json()["policy"]
    assert block["status"] == "warning"
    assert block["warned"] == ["total", "category marketing", "market India", "market Brazil"]
    assert block["broken"] == []
    assert run.json()["budget"] == {"limit": "1500.0000", "exceeded": False}


def test_a_broken_limit_exits_1_and_still_prints_the_report(wacost, tmp_path):
    policy = write(tmp_path / "p.yaml", "markets:\n  Brazil: 700\n")
    run = wacost("estimate", *PLAN, "--policy", policy, "--format", "json")
    assert run.exit_code == 1
    assert run.json()["policy"]["broken"] == ["market Brazil"]
    assert run.json()["budget"] == {"limit": None, "exceeded": False}


def test_warning_never_fails_even_at_100_percent(wacost, tmp_path):
    policy = write(tmp_path / "p.yaml", "total: 1385.83\nwarn_at: 1%\n")
    run = wacost("estimate", *PLAN, "--policy", policy, "--quiet")
    assert (run.exit_code, run.stdout) == (0, "1385.8300 USD\n")


@pytest.mark.parametrize(
    ("env", "flag", "code", "limit"),
    [
        ("1000", None, 1, "1000.0000"),  # the CI variable alone
        ("1000", "2000", 0, "2000.0000"),  # an explicit --budget wins
        ("", None, 0, None),  # an empty variable (an unset CI variable) is no budget
        ("2,000", None, 0, "2000.0000"),
    ],
)
def test_budget_from_the_environment(wacost, monkeypatch, env, flag, code, limit):
    monkeypatch.setenv("WACOST_BUDGET", env)
    run = wacost("estimate", *PLAN, "--format", "json", *(["--budget", flag] if flag else []))
    assert run.exit_code == code, run.stderr
    assert run.json()["budget"]["limit"] == limit


def test_environment_budget_replaces_the_policy_total(wacost, monkeypatch):
    monkeypatch.setenv("WACOST_BUDGET", "1000")
    run = wacost("estimate", *PLAN, "--policy", SAMPLES / "policy.yaml", "--format", "json")
    assert run.exit_code == 1
    total = run.json()["policy"]["limits"][0]
    assert (total["limit"], total["source"], total["status"]) == (
        "1000.0000",
        "WACOST_BUDGET",
        "broken",
    )


def test_bad_environment_budget_is_exit_2(wacost, monkeypatch):
    monkeypatch.setenv("WACOST_BUDGET", "a lot")
    run = wacost("estimate", *PLAN)
    assert run.exit_code == 2
    assert (
        run.stderr
        == "wacost: error: WACOST_BUDGET 'a lot': not an amount (write a number, e.g. 250 or 99.50)\n"
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("total: [1, 2\n", "not valid YAML"),
        ("categories:\n  promo: 5\n", "categories.promo: unknown category"),
        ("markets:\n  Inida: 5\n", "markets.Inida: not a market on the rate card"),
        ("currency: EUR\ntotal: 5\n", "currency EUR, but the report is in USD"),
        ("", "the policy is empty"),
    ],
)
def test_bad_policy_file_is_one_line_and_exit_2(wacost, tmp_path, text, needle):
    policy = write(tmp_path / "budget.yaml", text)
    out = tmp_path / "report.md"
    run = wacost("estimate", *PLAN, "--policy", policy, "--output", out)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("wacost: error: ")
    assert needle in run.stderr
    assert not out.exists()


def test_missing_policy_file_is_exit_2(wacost, tmp_path):
    run = wacost("estimate", *PLAN, "--policy", tmp_path / "nope.yaml")
    assert run.exit_code == 2
    assert "nope.yaml: no such file" in run.stderr


def test_saved_report_keeps_its_policy_exit_code(wacost, tmp_path):
    saved = tmp_path / "saved.json"
    policy = write(tmp_path / "p.yaml", "categories:\n  marketing: 1000\n")
    assert (
        wacost("estimate", *PLAN, "--policy", policy, "--format", "json", "-o", saved).exit_code
        == 1
    )
    run = wacost("report", saved, "--format", "markdown")
    assert run.exit_code == 1
    assert "❌ **1 over limit** (category marketing)" in run.stdout


def test_policy_readme_example_is_the_sample():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = (SAMPLES / "policy.yaml").read_text(encoding="utf-8")
    for line in sample.splitlines():
        key = line.split("#")[0].rstrip()
        if key:
            assert key in readme, f"README's policy example lacks {key!r} from samples/policy.yaml"


def test_policy_is_a_frozen_value():
    policy = Policy()
    with pytest.raises(AttributeError):
        policy.warn_at = Decimal(1)  # type: ignore[misc]


def test_a_limit_above_the_amount_cap_is_refused_by_the_cli(wacost, tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text("total: 1e30\n")
    run = wacost("estimate", *PLAN, "--policy", policy, "-q")
    assert run.exit_code == 2
    assert "p.yaml: total:" in run.stderr
    assert "write a number from 0 to 10^15" in run.stderr
    assert "internal error" not in run.stderr
    assert run.stderr.count("\n") == 1


def test_the_library_refuses_a_policy_market_not_on_the_card_as_the_cli_does(wacost, tmp_path):
    from wacost.estimate import EstimateOptions, estimate_campaign
    from wacost.prices.loading import load_price_book
    from wacost.templates.definitions import load_templates

    policy = parse_policy({"markets": {"Atlantis": 10}}, "p.yaml")
    options = EstimateOptions(date=dt.date(2026, 11, 25), policy=policy)
    with pytest.raises(InputFileError, match=r"^p\.yaml: markets\.Atlantis: not a market"):
        estimate_campaign(
            [SAMPLES / "plan.csv"],
            load_price_book(),
            load_templates([SAMPLES / "templates.json"]),
            options,
        )
    path = write(tmp_path / "p.yaml", "markets:\n  Atlantis: 10\n")
    run = wacost("estimate", *PLAN, "--policy", path, "-q")
    assert run.exit_code == 2
    assert "markets.Atlantis: not a market on the rate card" in run.stderr
    assert run.stderr.count("\n") == 1
