"""wacost.numbers.regions: one rule for country codes, aliases and territories; field errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import SAMPLES, write
from wacost.errors import FieldError
from wacost.estimate import EstimateOptions
from wacost.models import Category
from wacost.numbers.regions import billing_country, check_region, country_code
from wacost.prices.loading import load_price_book
from wacost.prices.usage import load_usage

DAY = dt.date(2026, 11, 25)
CARD = load_price_book().card_for(DAY)


@pytest.mark.parametrize(
    ("text", "code"), [("uk", "GB"), (" UK ", "GB"), ("el", "GR"), ("se", "SE"), ("JE", "JE")]
)
def test_country_codes_and_aliases(text, code):
    assert country_code(text) == code


@pytest.mark.parametrize("value", ["GBR", "G", "1A", "", None, 44])
def test_not_country_codes(value):
    assert country_code(value) is None


def test_territories_bill_as_their_country():
    assert billing_country("JE") == "GB"
    assert billing_country("GB") == "GB"


@pytest.mark.parametrize("market", ["UK", "uk", "GB", "JE", "United Kingdom"])
def test_usage_for_uk_is_the_united_kingdom(tmp_path, market):
    """`--usage` with market UK landed in Other: tiers applied to the wrong market, silently."""
    path = write(tmp_path / "usage.csv", f"market,category,messages\n{market},utility,1000\n")
    usage = load_usage(path, CARD, DAY)
    assert usage.before("United Kingdom", Category.UTILITY) == 1000
    assert usage.before("Other", Category.UTILITY) == 0


def test_the_core_names_fields_and_the_cli_names_flags(wacost):
    with pytest.raises(FieldError, match=r"^fx_rate 0: must be above 0") as caught:
        EstimateOptions(date=DAY, fx_rate=Decimal(0))
    assert caught.value.fields == ("fx_rate",)
    with pytest.raises(FieldError, match=r"^business_country 'XX': not an ISO 3166"):
        check_region("XX", "business_country")
    with pytest.raises(FieldError, match=r"auth_intl_eligible needs business_country"):
        EstimateOptions(date=DAY, auth_intl_eligible=True)
    run = wacost(
        "estimate", SAMPLES / "campaign.csv", "--date", "2026-11-25", "--auth-intl-eligible"
    )
    assert run.exit_code == 2
    assert run.stderr == (
        "wacost: error: --auth-intl-eligible needs --business-country (say where the business "
        "is based, e.g. --business-country GB)\n"
    )
    run = wacost("estimate", SAMPLES / "campaign.csv", "--date", "2025-01-01")
    assert run.exit_code == 2
    assert "--date 2025-01-01: no USD rate card is in effect yet" in run.stderr
    assert "add an older card with --pricing" in run.stderr
