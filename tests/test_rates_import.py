"""`wacost rates import`: Meta's files, laid out cell for cell as Meta publishes them, to a card.

The fixtures are written in the test with openpyxl (XLSX) and csv (CSV) from `meta_layout`,
which holds the cells of Meta's October 2026 USD rate file and the band edges of its tier file.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from meta_layout import rates_sheet, tiers_sheet, write_csv, write_xlsx

from wacost.errors import InputFileError
from wacost.models import Category
from wacost.prices.importer import currency_of, import_meta_files, parse_amount
from wacost.prices.loading import load_price_book

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def book():
    return load_price_book()


@pytest.fixture
def meta_xlsx(tmp_path: Path) -> tuple[Path, Path]:
    rates = write_xlsx(tmp_path / "meta-usd-rates-2026-10-01.xlsx", rates_sheet())
    tiers = write_xlsx(tmp_path / "meta-usd-volume_tiers-2026-10-01.xlsx", tiers_sheet())
    return rates, tiers


def _same_card(imported, shipped) -> None:
    assert imported.currency == shipped.currency
    assert imported.effective_from == shipped.effective_from
    assert imported.service_free == shipped.service_free
    assert imported.utility_free_in_csw == shipped.utility_free_in_csw
    assert set(imported.markets) == set(shipped.markets)
    for name, market in shipped.markets.items():
        other = imported.markets[name]
        assert other.countries == market.countries, name
        assert other.default == market.default, name
        for category in Category:
            assert other.rate(category) == market.rate(category), (name, category)
        assert set(other.tiers) == set(market.tiers), name
        for category, tiers in market.tiers.items():
            assert other.tiers[category].bands == tiers.bands, (name, category)


def test_meta_october_xlsx_files_give_the_shipped_card(book, meta_xlsx):
    imported = import_meta_files(meta_xlsx, book, today=dt.date(2026, 11, 29))
    _same_card(imported.card, book.card_for(dt.date(2026, 10, 1)))
    rates, tiers = meta_xlsx
    import hashlib

    assert imported.card.source["rates_file"] == rates.name
    assert imported.card.source["rates_sha256"] == hashlib.sha256(rates.read_bytes()).hexdigest()
    assert imported.card.source["tiers_file"] == tiers.name
    assert imported.card.source["tiers_sha256"] == hashlib.sha256(tiers.read_bytes()).hexdigest()
    assert imported.card.effective_from == dt.date(2026, 10, 1)  # from the title row


def test_meta_october_csv_files_give_the_shipped_card(book, tmp_path):
    rates = write_csv(tmp_path / "rates.csv", rates_sheet())
    tiers = write_csv(tmp_path / "tiers.csv", tiers_sheet(), delimiter=";")
    imported = import_meta_files([tiers, rates], book)
    _same_card(imported.card, book.card_for(dt.date(2026, 10, 1)))


def test_the_imported_card_prices_the_sample_exactly_like_the_shipped_one(
    wacost, meta_xlsx, tmp_path
):
    card = tmp_path / "cards" / "rate-card-2026-10-01-USD.yaml"
    card.parent.mkdir()
    made = wacost("rates", "import", *meta_xlsx, "-o", card)
    assert made.exit_code == 0, made.stderr
    assert made.stdout == ""
    common = [SAMPLES / "campaign.csv", "--templates", SAMPLES / "templates.json"]
    common += ["--date", "2026-11-16", "--format", "json"]
    shipped = wacost("estimate", *common)
    imported = wacost("estimate", *common, "--pricing", card)
    assert shipped.exit_code == imported.exit_code == 0, imported.stderr
    a, b = shipped.json(), imported.json()
    assert Decimal(a["totals"]["cost"]) > 0
    for key in ("totals", "by_category", "by_market", "by_template", "lines", "warnings"):
        assert a[key] == b[key], key
    # with volume bands crossed (month-to-date usage just below a band edge in two markets)
    usage = tmp_path / "usage.csv"
    usage.write_text(
        "market,category,messages\nIndia,utility,24999990\nUnited Arab Emirates,utility,99995\n",
        encoding="utf-8",
    )
    shipped = wacost("estimate", *common, "--usage", usage).json()
    imported = wacost("estimate", *common, "--usage", usage, "--pricing", card).json()
    assert any(line["tier"] == "25000001:50000000" for line in imported["lines"])
    assert shipped["lines"] == imported["lines"]
    assert shipped["totals"] == imported["totals"]


def test_import_writes_to_stdout_without_output_and_rates_still_shows_cards(wacost, meta_xlsx):
    made = wacost("rates", "import", *meta_xlsx)
    assert made.exit_code == 0
    assert made.stdout.startswith("# wacost rate card")
    assert "schema: wacost.rate_card/1" in made.stdout
    # the `rates` command keeps its own options (CONTRACT), with and without a subcommand
    shown = wacost("rates", "--date", "2026-10-01", "--market", "IN", "--format", "json")
    assert shown.exit_code == 0
    assert shown.json()["markets"][0]["market"] == "India"
    plain = wacost("rates")
    assert plain.exit_code == 0
    assert "rate card effective" in plain.stdout


def test_effective_from_overrides_the_title_and_headerless_csv_uses_meta_column_order(
    book, tmp_path
):
    rows = rates_sheet()[4:]  # no title, no header: Meta's column order
    rates = write_csv(tmp_path / "plain.csv", rows)
    with pytest.raises(InputFileError, match="no effective date"):
        import_meta_files([rates], book)
    imported = import_meta_files([rates], book, effective_from=dt.date(2027, 1, 1))
    assert imported.card.effective_from == dt.date(2027, 1, 1)
    assert imported.card.markets["Iraq"].rate(Category.AUTHENTICATION_INTERNATIONAL) == Decimal(
        "0.128"
    )
    assert "No volume-tier file" in imported.card.tiers_note
    assert not any(m.tiers for m in imported.card.markets.values())


@pytest.mark.parametrize(
    ("token", "code"),
    [("USD", "USD"), ("$US", "USD"), ("US$", "USD"), ("₹", "INR"), ("R$", "BRL"), ("€", "EUR")],
)
def test_currency_tokens_in_the_currency_column(book, tmp_path, token, code):
    rows = rates_sheet(currency_cell=token)
    rows[0][0] = rows[0][0].replace("in USD ", "")  # the title then names no currency
    imported = import_meta_files(
        [write_xlsx(tmp_path / "r.xlsx", rows)], book, effective_from=dt.date(2027, 1, 1)
    )
    assert imported.card.currency == code


def test_a_bare_dollar_needs_currency(book, tmp_path, wacost):
    rows = rates_sheet(currency_cell="$")
    rows[0][0] = "Cost per message on the WhatsApp Business Platform, effective January 1, 2027"
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    run = wacost("rates", "import", path)
    assert run.exit_code == 2
    assert "r.xlsx" in run.stderr and "currency" in run.stderr
    assert "Traceback" not in run.stderr
    run = wacost("rates", "import", path, "--currency", "MXN")
    assert run.exit_code == 0, run.stderr
    assert "currency: MXN" in run.stdout


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0.0260", "0.0260"),
        ("$US 0.0260", "0.0260"),
        ("₹0.8631", "0.8631"),
        ("COP 269.5087", "269.5087"),
        ("1,234.5678", "1234.5678"),
        ("8.0E-4", "0.0008"),
        ("n/a", None),
        ("N/A", None),
        ("--", None),
        ("", None),
    ],
)
def test_cells_as_meta_and_spreadsheets_write_them(cell, value):
    parsed = parse_amount(cell, "row 1", "f.csv")
    assert parsed == (None if value is None else Decimal(value))


# 1e308: 'an amount is too large to compute exactly', naming no file, row or column
@pytest.mark.parametrize(
    "cell", ["0,0260", "1.234,5678", "soon", "-0.05", "1e308", Decimal("1e308"), Decimal(-1)]
)
def test_cells_that_are_not_amounts_are_refused_not_guessed(cell):
    with pytest.raises(InputFileError, match=r"f.csv: row 1"):
        parse_amount(cell, "row 1", "f.csv")


def test_every_one_of_the_16_currencies_is_known():
    for code in "USD AUD EUR GBP IDR INR MXN AED ARS CLP COP MYR PEN SAR SGD BRL".split():
        assert currency_of(code) == code
    assert currency_of("$") is None


def test_bad_cells_name_the_file_row_and_column(book, tmp_path, wacost):
    rows = rates_sheet()
    rows[6][3] = "soon"  # Brazil's utility
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    run = wacost("rates", "import", path, "-o", tmp_path / "out.yaml")
    assert run.exit_code == 2
    assert "bad.xlsx: row 7, column D: 'soon' is not an amount" in run.stderr
    assert not (tmp_path / "out.yaml").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.xlsx"]


def test_a_gap_between_bands_is_refused(book, tmp_path):
    rows = tiers_sheet()
    rows[7][2] = 100002.0  # Argentina's second utility band no longer follows the first
    rates = write_xlsx(tmp_path / "r.xlsx", rates_sheet())
    tiers = write_xlsx(tmp_path / "t.xlsx", rows)
    with pytest.raises(InputFileError, match=r"t.xlsx: row 8, column C: Argentina utility"):
        import_meta_files([rates, tiers], book)


def test_tier_file_of_another_card_is_refused(book, tmp_path):
    rows = rates_sheet()
    rows[4][3] = 0.03  # Argentina's utility list rate differs from the tier file's first band
    rates = write_xlsx(tmp_path / "r.xlsx", rows)
    tiers = write_xlsx(tmp_path / "t.xlsx", tiers_sheet())
    with pytest.raises(InputFileError, match="not the list rate"):
        import_meta_files([rates, tiers], book)


def test_a_market_wacost_does_not_know_is_refused(book, tmp_path):
    rows = rates_sheet()
    rows[4][0] = "Atlantis"
    with pytest.raises(InputFileError, match="Atlantis"):
        import_meta_files([write_xlsx(tmp_path / "r.xlsx", rows)], book)


def test_a_market_missing_from_the_file_is_refused(book, tmp_path, wacost):
    """A rate file without its Bangladesh row gave a card where Bangladesh's numbers fell to
    Other and were priced at its rate (0.0604 where Meta bills 0.0732), without a word."""
    rows = [row for row in rates_sheet() if row[0] != "Bangladesh"]
    path = write_xlsx(tmp_path / "meta-usd-rates-2026-10-01.xlsx", rows)
    with pytest.raises(InputFileError, match="market 'Bangladesh': not in the file"):
        import_meta_files([path], book)
    run = wacost("rates", "import", path, "-o", tmp_path / "card.yaml")
    assert run.exit_code == 2 and "billed as the default market" in run.stderr
    assert not (tmp_path / "card.yaml").exists()


def test_rates_compare_date_says_which_card_is_which(wacost):
    run = wacost(
        "rates", "--date", "2026-11-01", "--compare-date", "2026-08-01", "--format", "json"
    )
    assert run.exit_code == 0
    data = run.json()
    assert data["old"]["effective_from"] == "2026-07-01"
    assert data["new"]["effective_from"] == "2026-10-01"
    assert data["difference"] == "new minus old"
    markets = {m["market"]: m for m in data["markets"]}
    mexico = {r["category"]: r for r in markets["Mexico"]["rates"]}
    assert mexico["marketing"] == {
        "category": "marketing",
        "old": "0.0305",
        "new": "0.0397",
        "difference": "+0.0092",
    }
    assert markets["Iraq"]["status"] == "added"
    assert "MA" in markets["Rest of Africa"]["countries_removed"]
    # the same comparison the other way round is the same (old is always the earlier card)
    again = wacost(
        "rates", "--date", "2026-08-01", "--compare-date", "2026-11-01", "--format", "json"
    )
    assert again.json() == data
    table = wacost("rates", "--date", "2026-11-01", "--compare-date", "2026-08-01")
    assert "old = card of 2026-07-01, new = card of 2026-10-01" in table.stdout
    csv_run = wacost(
        "rates", "--compare-date", "2026-08-01", "--date", "2026-11-01", "--market", "MX",
        "--format", "csv",
    )  # fmt: skip
    assert csv_run.stdout.splitlines()[1] == "Mexico,changed,marketing,0.0305,0.0397,+0.0092"
    same = wacost("rates", "--date", "2026-11-01", "--compare-date", "2026-10-05")
    assert "No change" in same.stdout
    assert (
        json.loads(
            wacost(
                "rates", "--date", "2026-11-01", "--compare-date", "2026-10-05", "--format", "json"
            ).stdout
        )["markets"]
        == []
    )


def test_rates_shows_a_markets_bands_and_what_is_known_about_tiers(wacost):
    run = wacost("rates", "--date", "2026-11-01", "--market", "KW", "--format", "json")
    data = run.json()
    assert "all 47 markets" in data["volume_tiers_note"]
    bands = data["markets"][0]["tiers"]["authentication_international"]
    assert bands[0] == {"from": 0, "to": 300000, "rate": "0.1200"}
    assert bands[-1] == {"from": 40000001, "to": None, "rate": "0.0900"}
    table = wacost("rates", "--date", "2026-11-01", "--market", "Kuwait").stdout
    assert "40,000,001-MAX: 0.0900" in " ".join(table.split())
    july = wacost("rates", "--date", "2026-08-01", "--format", "json").json()
    assert "tier sheet was not found" in july["volume_tiers_note"]


def test_a_july_csv_without_header_gives_the_july_markets_and_members(book, tmp_path):
    # Meta's July 2026 USD CSV as preserved: one row per market, Meta's column order, service n/a
    july = book.card_for(dt.date(2026, 7, 1))

    def cell(rate: object) -> str:
        return "n/a" if rate is None else str(rate)

    rows = [[m.name, "USD", *(cell(m.rate(c)) for c in Category)] for m in july.markets.values()]
    path = write_csv(tmp_path / "meta-usd-rates-2026-07-01.csv", rows)
    imported = import_meta_files([path], book, effective_from=dt.date(2026, 7, 1)).card
    assert imported.service_free and imported.utility_free_in_csw
    assert set(imported.markets) == set(july.markets)
    for name, market in july.markets.items():
        assert imported.markets[name].countries == market.countries, name
        assert dict(imported.markets[name].rates) == dict(market.rates), name


def test_rates_comparison_prints_names_as_data():
    """A market name from an imported card is data: Rich markup in it is printed, not applied."""
    import dataclasses

    from wacost.prices.compare import compare_cards
    from wacost.render.rates import render_comparison

    book = load_price_book()
    comparison = compare_cards(
        book.card_for(dt.date(2026, 8, 1), "USD"), book.card_for(dt.date(2026, 11, 1), "USD")
    )
    first = dataclasses.replace(comparison.markets[0], market="[bold]Atlantis[/bold]")
    marked = dataclasses.replace(comparison, markets=(first,))
    table = render_comparison(marked, "table")
    assert "[bold]Atlantis[/bold]" in table
    assert "\x1b[" not in table
