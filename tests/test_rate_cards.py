"""The shipped rate cards: every volume band as Meta prints it, and the rates read in Meta's files.

Meta's volume-tier file gives six bands per market and category: the first from 0 at list rate,
each next one from the previous upper bound + 1 (bounds inclusive), the last open-ended; the
band rates are the list rate less 5, 10, 15, 20 and 25 % (India 6, 12, 18, 24 and 30 %),
rounded half up to 4 decimal places. These tests read the YAML itself, not the loader, so a
band the loader would quietly normalise still fails here.
"""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from wacost.models import Category
from wacost.prices.cards import UNKNOWN
from wacost.prices.loading import load_price_book, shipped_pricing_dir

CARDS = sorted(shipped_pricing_dir().glob("rate-card-*.yaml"))
TIERED = ("utility", "authentication", "authentication_international")
STEP_PERCENT = {"India": 6}  # every other market: 5 % per band


def _card(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _bands() -> list[tuple[str, str, str, dict, list[dict]]]:
    found = []
    for path in CARDS:
        card = _card(path)
        for market, body in card["markets"].items():
            for category, tier in (body.get("tiers") or {}).items():
                found.append((path.name, market, category, body["rates"], tier["bands"]))
    return found


BANDS = _bands()


def test_the_october_card_has_bands_for_every_market_and_tiered_category():
    card = _card(shipped_pricing_dir() / "rate-card-2026-10-01-USD.yaml")
    assert len(card["markets"]) == 47
    for market, body in card["markets"].items():
        tiers = body.get("tiers") or {}
        for category in TIERED:
            has_rate = body["rates"].get(category) is not None
            assert (category in tiers) == has_rate, f"{market} {category}"
    assert card["source"]["tiers_file"] == "meta-usd-volume_tiers-2026-10-01.xlsx"
    assert len(card["source"]["tiers_sha256"]) == 64


@pytest.mark.parametrize(
    ("card", "market", "category", "rates", "bands"),
    BANDS,
    ids=[f"{c}:{m}:{k}" for c, m, k, _, _ in BANDS],
)
def test_every_band_is_contiguous_from_zero_and_the_list_rate_less_its_discount(
    card, market, category, rates, bands
):
    assert bands[0]["from"] == 0
    for before, after in itertools.pairwise(bands):
        assert before["to"] is not None
        assert after["from"] == before["to"] + 1
    assert bands[-1]["to"] is None
    assert all(b["to"] is None or b["to"] >= b["from"] for b in bands)
    list_rate = Decimal(str(rates[category]))
    step = STEP_PERCENT.get(market, 5)
    for index, band in enumerate(bands):
        discount = Decimal(step * index) / 100
        expected = (list_rate * (1 - discount)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert Decimal(str(band["rate"])) == expected, f"band {index} of {market} {category}"


def test_the_seven_authentication_international_rates_are_known_on_the_october_card():
    book = load_price_book()
    import datetime as dt

    card = book.card_for(dt.date(2026, 10, 1))
    expected = {
        "Iraq": "0.1280",
        "Kuwait": "0.1200",
        "Morocco": "0.0811",
        "Nepal": "0.1120",
        "Oman": "0.0600",
        "Sri Lanka": "0.1440",
        "Ukraine": "0.0746",
        "Bangladesh": "0.0960",
    }
    for market, rate in expected.items():
        assert card.markets[market].rate(Category.AUTHENTICATION_INTERNATIONAL) == Decimal(rate)
    unknown = [
        (m.name, c.value) for m in card.markets.values() for c in Category if m.rate(c) is UNKNOWN
    ]
    assert unknown == []


def test_india_inr_authentication_international_on_the_july_card_only():
    import datetime as dt

    book = load_price_book()
    july = book.card_for(dt.date(2026, 8, 15), "INR")
    assert july.effective_from == dt.date(2026, 7, 1)
    assert july.markets["India"].rate(Category.AUTHENTICATION_INTERNATIONAL) == Decimal("2.4971")
    october = book.card_for(dt.date(2026, 10, 15), "INR")
    assert october.markets["India"].rate(Category.AUTHENTICATION_INTERNATIONAL) is UNKNOWN


@pytest.mark.parametrize("path", CARDS, ids=[p.name for p in CARDS])
def test_every_card_says_what_is_known_about_its_tiers(path):
    assert _card(path).get("volume_tiers_note")
