"""wacost.amounts and wacost.currencies: one rule for amounts and currency codes, everywhere."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SAMPLES, write
from wacost.amounts import AmountError, parse_amount
from wacost.currencies import currency_code
from wacost.errors import InputFileError
from wacost.policy import load_policy, parse_policy

PLAN = [SAMPLES / "plan.csv", "--templates", SAMPLES / "templates.json", "--date", "2026-11-25"]


@pytest.fixture(autouse=True)
def _no_ci_budget(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("2,500", "2500"), ("1,250,000.50", "1250000.50"), ("1_000", "1000"), (" 99.5 ", "99.5")],
)
def test_thousands_separators_and_underscores(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["2,5", "1.500,00", "1,50", "12,34,567", ",5", "0,005"])
def test_an_ambiguous_comma_is_refused(text):
    with pytest.raises(AmountError, match="a comma is ambiguous"):
        parse_amount(text)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", "-1", True, None, 1.5, "1e16"])
def test_not_an_amount(value):
    with pytest.raises(AmountError):
        parse_amount(value)


@given(st.decimals(min_value=0, max_value=10**15, places=4, allow_nan=False))
def test_every_written_amount_reads_back(amount):
    assert parse_amount(f"{amount:,}") == amount
    assert parse_amount(str(amount)) == amount


@pytest.mark.parametrize("limit", ["2,5", "1.500,00"])
def test_a_policy_limit_follows_the_budget_rule(wacost, tmp_path, limit):
    """A policy limit "2,5" was read as 25 (and `1.500,00` as 1.5); --budget 2,5 was refused."""
    with pytest.raises(InputFileError, match="a comma is ambiguous"):
        parse_policy({"total": limit}, "p.yaml")
    policy = write(tmp_path / "p.yaml", f"total: {limit}\ncategories:\n  marketing: '{limit}'\n")
    by_policy = wacost("estimate", *PLAN, "--policy", policy)
    by_flag = wacost("estimate", *PLAN, "--budget", limit)
    assert by_policy.exit_code == by_flag.exit_code == 2
    assert "a comma is ambiguous here" in by_policy.stderr
    assert "a comma is ambiguous here" in by_flag.stderr
    assert by_policy.stdout == by_flag.stdout == ""


def test_a_thousands_limit_reads_as_the_budget_does(tmp_path):
    policy = load_policy(write(tmp_path / "p.yaml", "total: '2,500'\n"))
    assert policy.total == parse_amount("2,500") == Decimal(2500)


def test_fee_amounts_follow_the_rule(wacost, tmp_path):
    profile = write(
        tmp_path / "bsp.yaml", "schema: wacost.fees/1\nname: Mine\nper_message: '0,005'\n"
    )
    run = wacost("estimate", *PLAN, "--fees", profile)
    assert run.exit_code == 2
    assert "per_message: '0,005': a comma is ambiguous here" in run.stderr


@pytest.mark.parametrize(("text", "code"), [("usd", "USD"), (" Eur ", "EUR"), ("INR", "INR")])
def test_currency_codes(text, code):
    assert currency_code(text) == code


@pytest.mark.parametrize("value", ["US", "USDX", "U$D", "ÜSD", 5, None])
def test_not_currency_codes(value):
    assert currency_code(value) is None


def test_currency_codes_are_one_rule_in_the_cli_policy_and_fees(wacost, tmp_path):
    assert wacost("estimate", *PLAN, "--currency", "U$D").exit_code == 2
    assert wacost("rates", "--currency", "usd", "--date", "2026-11-25").exit_code == 0
    with pytest.raises(InputFileError, match="is not a currency code"):
        parse_policy({"currency": "dollars", "total": 1}, "p.yaml")
    assert parse_policy({"currency": " usd ", "total": 1}, "p.yaml").currency == "USD"
