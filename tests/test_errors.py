"""wacost.errors: the core names fields, the CLI names flags, for every kind of error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from wacost.errors import FieldError, InputFileError, PricingTableError, WacostError, literal
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.prices.loading import load_price_book
from wacost.templates.definitions import TemplateBook

BOOK = load_price_book()
DAY = dt.date(2026, 11, 25)


def test_library_errors_name_fields():
    with pytest.raises(
        InputFileError, match=r"^encoding 'no-such-codec': unknown encoding"
    ) as caught:
        estimate_campaign(
            [SAMPLES / "campaign.csv"],
            BOOK,
            TemplateBook(),
            EstimateOptions(date=DAY, encoding="no-such-codec"),
        )
    assert caught.value.fields == ("encoding",)
    with pytest.raises(PricingTableError, match=r"no such file or folder \(check pricing\)"):
        load_price_book(Path("/no/such/folder"))
    with pytest.raises(InputFileError, match=r"^exclude /no/such\.csv: no such file"):
        estimate_campaign(
            [SAMPLES / "campaign.csv"],
            BOOK,
            TemplateBook(),
            EstimateOptions(date=DAY, exclude=(Path("/no/such.csv"),)),
        )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--encoding", "no-such-codec"], "--encoding 'no-such-codec': unknown encoding"),
        (["--pricing", "/no/such/folder"], "no such file or folder (check --pricing)"),
        (["--exclude", "/no/such.csv"], "--exclude /no/such.csv: no such file"),
        (["--fx-rate", "0", "--currency", "EUR"], "--fx-rate 0: must be above 0"),
    ],
)
def test_the_cli_names_flags(wacost, args, line):
    run = wacost("estimate", SAMPLES / "campaign.csv", "--date", "2026-11-25", *args)
    assert run.exit_code == 2
    assert line in run.stderr
    assert run.stderr.count("\n") == 1


def test_braces_in_values_stay_text():
    error = WacostError(f"{{0}} {literal('{x}')}: bad", "fix {0}", "encoding")
    assert str(error) == "encoding {x}: bad (fix encoding)"
    assert str(error.named({"encoding": "--encoding"})) == "--encoding {x}: bad (fix --encoding)"
    plain = WacostError("no fields {here}")
    assert plain.named({"x": "y"}) is plain


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("budget", Decimal("NaN")),
        ("failure_rate", Decimal("NaN")),
        ("fx_rate", Decimal("Infinity")),
        ("fx_rate", Decimal("1e30")),
        ("budget", Decimal("1e30")),
    ],
)
def test_options_refuse_numbers_that_are_not_finite_or_too_large(field, value):
    with pytest.raises(FieldError) as caught:
        EstimateOptions(date=DAY, **{field: value})
    assert caught.value.fields == (field,)
    assert str(caught.value).startswith(f"{field} ")


def test_an_unreadable_opt_out_list_names_the_field_in_the_library(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"+4915112345678\n\xff\xfe\x80\n")  # one number per line, then not UTF-8
    with pytest.raises(InputFileError) as caught:
        estimate_campaign(
            [SAMPLES / "campaign.csv"],
            BOOK,
            TemplateBook(),
            EstimateOptions(date=DAY, exclude=(bad,)),
        )
    assert caught.value.fields == ("exclude",)
    assert str(caught.value).startswith(f"exclude {bad}: cannot read the opt-out list")
    assert "--exclude" not in str(caught.value)
