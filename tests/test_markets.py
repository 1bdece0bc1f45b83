"""Numbers -> country -> market, by Meta's rule: calling code, NANP area code, longest prefix."""

from __future__ import annotations

import phonenumbers
import pyarrow as pa
import pytest
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from wacost.campaign import mask_digits
from wacost.numbers.lookup import lookup_numbers
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

BOOK = load_price_book()
OCT = BOOK.card_for(__import__("datetime").date(2026, 11, 25))
JUL = BOOK.card_for(__import__("datetime").date(2026, 8, 1))


def billing_owner(region: str) -> str:
    """The country whose calling code (or NANP area code / +7 prefix) a region's numbers bill under."""
    code = phonenumbers.country_code_for_region(region)
    if code in (1, 7):
        return region
    return COUNTRY_CODE_TO_REGION_CODE[code][0]


@pytest.mark.parametrize("region", sorted(SUPPORTED_REGIONS))
def test_example_number_of_every_region_lands_in_its_market(region):
    example = phonenumbers.example_number(region)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    [result] = lookup_numbers([e164], BOOK, OCT)
    assert result["valid"] is True
    assert result["e164"] == e164
    assert result["country"] == phonenumbers.region_code_for_number(example)
    assert result["market"] == OCT.market_for_country(billing_owner(region))
    assert result["market"] is not None


@pytest.mark.parametrize(
    ("number", "market_oct", "market_jul"),
    [
        ("+12125551234", "North America", "North America"),
        ("+14165550123", "North America", "North America"),  # Toronto
        ("+17875550123", "Rest of Latin America", "Rest of Latin America"),  # Puerto Rico
        ("+18095550123", "Rest of Latin America", "Rest of Latin America"),  # Dominican Republic
        ("+18765550123", "Rest of Latin America", "Rest of Latin America"),  # Jamaica
        ("+12423571234", "Other", "Other"),  # Bahamas: not on Meta's table
        ("+16715550123", "Other", "Other"),  # Guam
        ("+77012345678", "Kazakhstan", "Other"),  # Kazakhstan inside +7
        ("+79123456789", "Russia", "Russia"),
        ("+85251234567", "Hong Kong", "Hong Kong"),
        ("+8801812345678", "Bangladesh", "Rest of Asia Pacific"),
        ("+380501234567", "Ukraine", "Rest of Central & Eastern Europe"),
        ("+212650123456", "Morocco", "Rest of Africa"),
        ("+263771234567", "Rest of Africa", "Rest of Africa"),  # Zimbabwe
        ("+46701234567", "Rest of Western Europe", "Rest of Western Europe"),
        ("+447400123456", "United Kingdom", "United Kingdom"),
        ("+3725123456", "Other", "Other"),  # Estonia
    ],
)
def test_markets_by_prefix_and_card(number, market_oct, market_jul):
    assert lookup_numbers([number], BOOK, OCT)[0]["market"] == market_oct
    assert lookup_numbers([number], BOOK, JUL)[0]["market"] == market_jul


@pytest.mark.parametrize(
    ("written", "default", "e164"),
    [
        ("070-123 45 67", "SE", "+46701234567"),
        ("0701234567", "SE", "+46701234567"),
        ("46701234567", "SE", "+46701234567"),  # wa_id style with a default country
        ("+46 (0)70 123 45 67", None, "+46701234567"),
        ("0046701234567", None, "+46701234567"),
        ("46701234567", None, "+46701234567"),  # wa_id: E.164 without '+'
        ("(212) 555-1234", "US", "+12125551234"),
        ("098765 43210", "IN", "+919876543210"),
    ],
)
def test_number_formats(written, default, e164):
    [result] = lookup_numbers([written], BOOK, OCT, default)
    assert result["e164"] == e164


@pytest.mark.parametrize(
    "bad",
    [
        "12345",
        "+1 555 01",
        "not a number",
        "",
        "+999 1234567",
        "+46 70 12",
        "+1 000 555 1234x",
        "4.67012E+10",
    ],
)
def test_numbers_that_cannot_be_real_are_invalid(bad):
    [result] = lookup_numbers([bad], BOOK, OCT)
    assert result["valid"] is False
    assert result["market"] is None


def test_resolver_works_on_whole_columns():
    resolver = NumberResolver(BOOK.numbering)
    resolved = resolver.resolve(pa.array(["+46701234567", None, "+77012345678"]))
    assert resolved.country.to_pylist() == ["SE", None, "KZ"]
    assert resolved.valid.to_pylist() == [True, False, True]


def test_mask_digits_hides_the_middle():
    assert mask_digits("+46701234567") == "+467******67"
    assert "1234" not in mask_digits("+46701234567")


def test_lookup_cli_json(wacost):
    run = wacost("lookup", "+46701234567", "12345", "--format", "json", "--date", "2026-11-25")
    assert run.exit_code == 0
    assert run.json() == [
        {
            "input": "+46701234567",
            "e164": "+46701234567",
            "country": "SE",
            "market": "Rest of Western Europe",
            "valid": True,
        },
        {"input": "12345", "e164": None, "country": None, "market": None, "valid": False},
    ]
