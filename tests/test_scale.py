"""Streaming at scale: the batch size never changes the report; duplicates and --exclude against
sums worked out by hand; the fast number resolver agrees with the plain regular-expression one."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import SUPPORTED_REGIONS

from tests.conftest import SAMPLES, write
from wacost.counting import ledger
from wacost.counting.ledger import RecipientLedger
from wacost.counting.pipeline import count_campaign
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.numbers.plan import _validity_pattern
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book
from wacost.report.document import to_dict
from wacost.templates.definitions import load_templates

BOOK = load_price_book()
TEMPLATES = load_templates([SAMPLES / "templates.json"])
DATE = dt.date(2026, 11, 25)


def price(paths: list[Path], **options: object) -> dict:
    """The JSON form of the campaign's estimate."""
    estimate = estimate_campaign(paths, BOOK, TEMPLATES, EstimateOptions(date=DATE, **options))  # type: ignore[arg-type]
    return to_dict(estimate)


def warning(report: dict, code: str) -> dict | None:
    return next((w for w in report["warnings"] if w["code"] == code), None)


# --- the batch size never changes any figure ------------------------------------------------

PHONES = [
    "+46701234567",
    "0046701234567",
    "46701234567",
    "+46 70 123 45 67",
    "+447400123456",
    "+12125551234",
    "+14165550123",
    "+919876543210",
    "+919876543211",
    "+77012345678",
    "+8801812345678",
    "12345",
    "",
    "not a number",
    " +5511987654321 ",
    "+1 (212) 555-1234",
]
ROW = st.tuples(
    st.sampled_from(PHONES),
    st.sampled_from(["spring_sale", "order_shipped", "login_code", "", "mystery"]),
    st.sampled_from(["", "csw", "fep", "none"]),
    st.sampled_from(["", "IN", "xx", "uk"]),
    st.sampled_from(["", "1", "3"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(ROW, min_size=1, max_size=250),
    block_size=st.integers(200, 3000),
    with_counts=st.booleans(),
    spill=st.booleans(),
    excluded=st.lists(st.sampled_from(PHONES), max_size=4),
)
def test_block_size_never_changes_the_report(
    tmp_path_factory, monkeypatch, rows, block_size, with_counts, spill, excluded
):
    folder = tmp_path_factory.mktemp("campaign")
    header = "phone,template,window,country,count\n" if with_counts else "phone,template,window\n"
    lines = [",".join(row if with_counts else row[:3]) for row in rows]
    path = write(folder / "c.csv", header + "\n".join(lines) + "\n")
    # a phone header: a first line that is not a number ("not a number") would otherwise be a
    # header without a phone column, which is an error (issue 14)
    optout = write(folder / "optout.csv", "phone\n" + "\n".join(excluded) + "\n")
    whole = price([path], block_size=1 << 24, exclude=(optout,))
    if spill:  # the ledger spills to disk after a handful of recipients
        monkeypatch.setattr(ledger, "LEDGER_MEMORY_RECORDS", 3)
    batched = price([path], block_size=block_size, exclude=(optout,))
    assert json.dumps(batched, sort_keys=True) == json.dumps(whole, sort_keys=True)


def test_several_files_and_batches_equal_one_batch(tmp_path):
    rng = np.random.default_rng(7)
    phones = np.array(PHONES)
    paths = []
    for name in ("a.csv", "b.csv"):
        picks = rng.integers(0, len(phones), 3000)
        templates = np.array(["spring_sale", "order_shipped", "login_code"])[
            rng.integers(0, 3, 3000)
        ]
        body = "\n".join(f"{p},{t}" for p, t in zip(phones[picks], templates))
        paths.append(write(tmp_path / name, "phone,template\n" + body + "\n"))
    assert price(paths, block_size=1000) == price(paths, block_size=1 << 24)


# --- duplicates, by hand ---------------------------------------------------------------------


def test_duplicate_recipients_are_counted_and_still_billed(tmp_path):
    path = write(
        tmp_path / "c.csv",
        "phone,template\n"
        "+46701234567,spring_sale\n"  # line 2
        "0046701234567,spring_sale\n"  # line 3: the same number written otherwise
        "+46 70 123 45 67,order_shipped\n"  # line 4: same number, other template
        "+46701234567,spring_sale\n"  # line 5: again
        "+447400123456,spring_sale\n"  # line 6
        "070-123 45 67,spring_sale\n",
    )  # line 7: national; a duplicate only with SE
    report = price([path])
    dup = warning(report, "duplicate_recipient")
    assert dup is not None and dup["count"] == 2 and dup["example"].endswith("c.csv:3")
    assert "46701234567" not in json.dumps(dup)
    # line 7 is invalid without a default country; everything valid is billed, duplicates too:
    # Sweden 3 x 0.0592 marketing + 1 x 0.0171 utility, UK 1 x 0.0635
    assert report["totals"]["billable_messages"] == 5
    assert report["totals"]["cost"] == "0.2582"
    national = price([path], default_country="SE")
    assert warning(national, "duplicate_recipient")["count"] == 3
    assert national["totals"]["cost"] == "0.3174"  # one more Swedish marketing message


def test_no_duplicates_no_warning(tmp_path):
    path = write(
        tmp_path / "c.csv", "phone,template\n+46701234567,spring_sale\n+46701234567,order_shipped\n"
    )
    assert warning(price([path]), "duplicate_recipient") is None


def test_duplicates_across_files(tmp_path):
    a = write(tmp_path / "a.csv", "phone,template\n+919876543210,login_code\n")
    b = write(
        tmp_path / "b.csv",
        "wa_id,template_name\n919876543210,login_code\n919876543211,login_code\n",
    )
    dup = warning(price([a, b]), "duplicate_recipient")
    assert dup["count"] == 1 and dup["example"] == f"{b}:2"


# --- --exclude, by hand ----------------------------------------------------------------------

CAMPAIGN = (
    "phone,template\n"
    "+12125551234,spring_sale\n"  # 2: US marketing, opted out
    "+12125550000,spring_sale\n"  # 3: US marketing
    "+46701234567,spring_sale\n"  # 4: opted out (listed as a national number)
    "+46701234567,spring_sale\n"  # 5: opted out, and a repeat: not a duplicate warning
    "+447400123456,order_shipped\n"  # 6
    "+447400123456,order_shipped\n"
)  # 7: a duplicate, billed


def test_exclude_list_of_numbers(tmp_path):
    path = write(tmp_path / "c.csv", CAMPAIGN)
    optout = write(
        tmp_path / "optout.txt", "+1 212 555 1234\n\n070-123 45 67\nnot a number\n+4915112345678\n"
    )
    report = price([path], exclude=(optout,), default_country="SE")
    assert report["totals"]["excluded_messages"] == 3
    assert report["totals"]["messages"] == 3
    # US 1 x 0.0250 marketing, UK 2 x 0.0220 utility
    assert report["totals"]["cost"] == str(0.0250 + 2 * 0.0220).ljust(6, "0")
    [notice] = report["notices"]
    assert notice["code"] == "excluded_recipient" and notice["count"] == 3
    assert notice["example"].endswith("c.csv:2")
    assert warning(report, "duplicate_recipient")["count"] == 1
    # the example of a warning is a row that is sent, not an excluded one
    assert warning(report, "us_marketing_paused")["example"].endswith("c.csv:3")
    assert warning(report, "us_marketing_paused")["count"] == 1


def test_exclude_csv_with_a_phone_column_any_alias(tmp_path):
    path = write(tmp_path / "c.csv", CAMPAIGN)
    optout = write(tmp_path / "optout.csv", "name;MSISDN\nAda;+44 7400 123456\n")
    report = price([path], exclude=(optout,))
    assert report["totals"]["excluded_messages"] == 2
    assert warning(report, "duplicate_recipient")["example"].endswith("c.csv:5")  # not line 7
    assert [n["count"] for n in report["notices"]] == [2]


def test_exclude_given_but_nobody_on_it(tmp_path):
    path = write(tmp_path / "c.csv", CAMPAIGN)
    optout = write(tmp_path / "optout.txt", "+4915112345678\n")
    report = price([path], exclude=(optout,))
    assert report["totals"]["excluded_messages"] == 0
    assert "notices" not in report
    assert "excluded_messages" not in price([path])["totals"]


def test_exclude_cli(wacost, tmp_path):
    path = write(tmp_path / "c.csv", CAMPAIGN)
    optout = write(tmp_path / "optout.txt", "+12125551234\n")
    run = wacost("estimate", path, "--exclude", optout, "--format", "json", "--date", "2026-11-25")
    assert run.exit_code == 0, run.stderr
    assert run.json()["totals"]["excluded_messages"] == 1
    assert run.stderr == ""  # no progress bar outside a terminal
    missing = wacost("estimate", path, "--exclude", tmp_path / "nope.txt")
    assert missing.exit_code == 2 and "nope.txt" in missing.stderr


# --- the ledger spills to disk and cleans up -------------------------------------------------


def test_ledger_spills_and_removes_its_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    numbers = np.array([46701234567, 447400123456, 46701234567, 12125551234] * 50, dtype=np.int64)
    with RecipientLedger(False, expected_records=10_000_000, memory_records=16) as ledger:
        ledger.add(numbers, np.zeros(len(numbers), dtype=np.int64), np.arange(len(numbers)))
        assert ledger.spilled and ledger.partitions >= 8
        # one spill file, open in the temporary directory but with no name there
        spill = ledger._spill
        assert spill is not None and not spill.closed
        assert os.fstat(spill.fileno()).st_size == len(numbers) * 3 * 8  # every record, on disk
        assert not any(tmp_path.iterdir())
        settled = ledger.settle(np.zeros(1, dtype=np.int64), 1)
    assert settled.duplicate_messages == len(numbers) - 3
    assert settled.duplicate_first == 2
    assert spill.closed and not ledger.spilled
    assert not any(tmp_path.iterdir())


def test_progress_is_told_the_bytes_read(tmp_path):
    path = write(tmp_path / "c.csv", "phone,template\n" + "+919876543210,login_code\n" * 2000)
    seen: list[tuple[int, int]] = []
    count_campaign(
        [path],
        NumberResolver(BOOK.numbering),
        block_size=4096,
        progress=lambda done, total: seen.append((done, total)),
    )
    size = path.stat().st_size
    assert len(seen) > 5 and all(total == size for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == size


# --- the fast resolver against the plain regular-expression one ------------------------------


def _reference_pattern() -> str:
    # The same libphonenumber patterns, as one plain RE2 expression: the slow, obvious resolver.
    return _validity_pattern()


REFERENCE_PATTERN = _reference_pattern()
STRICT_PATTERN = _validity_pattern(strict=True)  # calling code + a number of one of its types
PLAUSIBLE = r"^\+?[0-9 \-\.\(\)/\x{00A0}]*[0-9][0-9 \-\.\(\)/\x{00A0}]*$"


def reference_resolve(
    phones: list[str], default_country: str | None
) -> list[tuple[bool, str | None, str | None]]:
    """wacost's first resolver, string by string in regular expressions: (valid, e164, country)."""
    text = pc.fill_null(pc.utf8_trim_whitespace(pa.array(phones, pa.string())), "")

    def is_valid(digits: pa.Array, pattern: str = REFERENCE_PATTERN) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(digits, pattern), False)

    plausible = pc.fill_null(pc.match_substring_regex(text, PLAUSIBLE), False)
    digits = pc.replace_substring_regex(pc.replace_substring(text, "(0)", ""), r"[^0-9]", "")
    plus = pc.starts_with(text, "+")
    idd = pc.and_(pc.invert(plus), pc.starts_with(digits, "00"))
    international = pc.if_else(idd, pc.utf8_slice_codeunits(digits, 2), digits)
    chosen = international
    if default_country is not None:
        cc = str(phonenumbers.country_code_for_region(default_country))
        trunk = PhoneMetadata.metadata_for_region(default_country).national_prefix
        national = digits
        if trunk:
            national = pc.if_else(
                pc.starts_with(digits, trunk), pc.utf8_slice_codeunits(digits, len(trunk)), digits
            )
        as_national = pc.binary_join_element_wise(cc, national, "")
        # read in the default country only if it is a real number there: one of the country's
        # number types (fixed line, mobile, ...), as phonenumbers.is_valid_number checks;
        # else as written, if that is valid; else the national reading, which is invalid
        national_ok = is_valid(as_national, STRICT_PATTERN)
        written_ok = is_valid(international)
        local = pc.if_else(
            national_ok, as_national, pc.if_else(written_ok, international, as_national)
        )
        local_ok = pc.or_(national_ok, written_ok)
        written = pc.or_(plus, idd)
        chosen = pc.if_else(written, international, local)
        chosen_ok = pc.if_else(written, is_valid(international), local_ok)
    else:
        chosen_ok = is_valid(chosen)
    valid = pc.and_(plausible, chosen_ok).to_pylist()
    prefixes = BOOK.numbering.prefixes
    out = []
    for ok, number in zip(valid, chosen.to_pylist()):
        country = next((prefixes[number[:n]] for n in (4, 3, 2, 1) if number[:n] in prefixes), None)
        ok = bool(ok) and country is not None
        out.append((ok, number if ok else None, country if ok else None))
    return out


EXAMPLES = sorted(
    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    for region in SUPPORTED_REGIONS
    for kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    )
    if (number := phonenumbers.example_number_for_type(region, kind)) is not None
)


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    digits = draw(st.sampled_from(EXAMPLES))
    edit = draw(st.sampled_from(["keep", "change", "add", "drop", "random"]))
    if edit == "change":
        i = draw(st.integers(0, len(digits) - 1))
        digits = digits[:i] + draw(st.sampled_from("0123456789")) + digits[i + 1 :]
    elif edit == "add":
        digits += draw(st.text("0123456789", min_size=1, max_size=3))
    elif edit == "drop":
        digits = digits[: draw(st.integers(0, len(digits)))]
    elif edit == "random":
        digits = draw(st.text("0123456789", max_size=23))
    style = draw(
        st.sampled_from(
            [
                "+{}",
                "{}",
                "00{}",
                "0{}",
                "+00{}",
                "++{}",
                " {} ",
                "+{} x",
                "({}) ",
                "{}-{}",
                "+\u00a0{}",
                "{}{}",
            ]
        )
    )
    return style.format(digits, digits)


@settings(max_examples=30, deadline=None)
@given(
    numbers=st.lists(written_numbers(), min_size=1, max_size=400),
    default=st.sampled_from(
        [None, "SE", "US", "IN", "HU", "RU", "ID", "JP", "DE", "IT", "GB", "BR"]
    ),
)
def test_resolver_agrees_with_the_regular_expressions(numbers, default):
    resolved = NumberResolver(BOOK.numbering, default).resolve(pa.array(numbers, pa.string()))
    fast = list(
        zip(resolved.valid.to_pylist(), resolved.digits.to_pylist(), resolved.country.to_pylist())
    )
    assert fast == reference_resolve(numbers, default)


@pytest.mark.parametrize("default", [None, "SE"])
def test_resolver_agrees_on_every_example_number_and_its_neighbours(default):
    numbers = []
    for digits in EXAMPLES:
        numbers += [
            "+" + digits,
            digits,
            "00" + digits,
            digits[:-1],
            digits + "0",
            "+" + digits[:-2] + "99",
        ]
    resolved = NumberResolver(BOOK.numbering, default).resolve(pa.array(numbers, pa.string()))
    fast = list(
        zip(resolved.valid.to_pylist(), resolved.digits.to_pylist(), resolved.country.to_pylist())
    )
    assert fast == reference_resolve(numbers, default)
