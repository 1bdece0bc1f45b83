"""Regressions found in review: each test is one defect that once existed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.conftest import write
from wacost.errors import InputFileError


def run_json(wacost, *args):
    run = wacost("estimate", *args, "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    return run.json()


def test_territory_planning_rows_bill_as_the_calling_code_owner(wacost, tmp_path):
    path = write(
        tmp_path / "p.csv", "country,category,count\nJE,utility,1\nGG,utility,1\nAX,marketing,1\n"
    )
    report = run_json(wacost, path, "--date", "2026-11-25")
    # Jersey and Guernsey dial +44: United Kingdom 2 x 0.0220; Åland dials +358: Rest of Western Europe
    assert report["totals"]["cost"] == str(2 * D("0.0220") + D("0.0592"))


def test_usage_with_a_market_the_comparison_card_lacks(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,category,count\nKZ,utility,10\n")
    usage = write(tmp_path / "u.csv", "market,category,messages\nKazakhstan,utility,5000\n")
    report = run_json(
        wacost, campaign, "--date", "2026-11-25", "--usage", usage, "--compare-date", "2026-09-15"
    )
    assert report["totals"]["cost"] == "0.1800"  # 10 x 0.0180
    assert report["comparison"]["cost"] == "0.0770"  # Other before October: 10 x 0.0077


def test_breakdowns_add_up_with_conversion_and_markup(wacost, tmp_path):
    campaign = write(
        tmp_path / "c.csv",
        "country,category,count\nIN,marketing,7\nBR,utility,13\nDE,marketing,3\n",
    )
    profile = write(
        tmp_path / "f.yaml",
        "schema: wacost.fees/1\nper_message: 0.00003\nmarkup_percent: 3.33\n"
        "failed_message_fee: 0.001\n",
    )
    report = run_json(
        wacost,
        campaign,
        "--date",
        "2026-11-25",
        "--currency",
        "EUR",
        "--fx-rate",
        "0.923456789",
        "--fees",
        profile,
        "--failure-rate",
        "0.1",
    )
    for key in ("cost", "fees", "total_cost"):
        total = D(report["totals"][key])
        for view in ("by_category", "by_market", "by_template"):
            assert sum(D(row[key]) for row in report[view]) == total, (key, view)
    assert sum(D(line["cost"]) for line in report["lines"]) == D(report["totals"]["cost"])
    assert D(report["fees"]["message_fees"]) + D(report["fees"]["failed_message_fees"]) == D(
        report["totals"]["fees"]
    )


def test_counts_too_large_are_refused_not_wrapped(wacost, tmp_path):
    path = write(tmp_path / "p.csv", "country,category,count\n" + "IN,marketing,9999999999999\n")
    run = wacost("estimate", path, "--date", "2026-11-25")
    assert run.exit_code == 2 and "at most 12 digits" in run.stderr


def test_blank_lines_before_the_header(wacost, tmp_path):
    path = write(tmp_path / "c.csv", "\n\nphone,category\n+919876543210,marketing\n")
    report = run_json(wacost, path, "--date", "2026-11-25")
    assert report["totals"]["messages"] == 1 and report["warnings"] == []


def test_spaced_numbers_are_masked_in_errors(wacost, tmp_path):
    for text in (
        "phone,template\n+46 70 123 45 67,a,extra\n",
        "+46701234567,spring_sale\n",
        "phone,count\n+919876543210,+46 70-123-45-67\n",
    ):
        run = wacost("estimate", write(tmp_path / "c.csv", text), "--date", "2026-11-25")
        assert run.exit_code == 2
        digits = "".join(ch for ch in run.stderr if ch.isdigit())
        assert "701234" not in digits and "2345" not in digits.replace("2026", "")


def test_numbers_as_exports_write_them(wacost, tmp_path):
    path = write(
        tmp_path / "c.csv",
        "to,category\nwhatsapp:+919876543210,marketing\n(+91) 98765 43210,marketing\n"
        "919876543210.0,marketing\n",
    )
    report = run_json(wacost, path, "--date", "2026-11-25")
    assert report["totals"]["cost"] == str(3 * D("0.0118"))


def test_output_through_a_symlink(wacost, tmp_path):
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(real)
    path = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,1\n")
    assert (
        wacost("estimate", path, "--date", "2026-11-25", "--format", "json", "-o", link).exit_code
        == 0
    )
    assert link.is_symlink() and real.read_text().startswith("{")


def test_inline_auth_intl_to_the_business_country_bills_authentication(wacost, tmp_path):
    path = write(tmp_path / "c.csv", "phone,category\n+919876543210,authentication_international\n")
    report = run_json(wacost, path, "--date", "2026-11-25", "--business-country", "IN")
    assert report["totals"]["cost"] == "0.0014"


def test_an_empty_date_is_refused_not_read_as_today(wacost, tmp_path):
    """`--date "$UNSET"` once priced today's card, and `--compare-date ""` dropped the comparison."""
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,utility,10\n")
    for args in (
        ("estimate", campaign, "--date", ""),
        ("estimate", campaign, "--date", "2026-11-25", "--compare-date", " "),
        ("rates", "--date", ""),
        ("rates", "--date", "2026-11-25", "--compare-date", ""),
    ):
        run = wacost(*args)
        assert run.exit_code == 2, args
        flag = args[-2]
        assert run.stderr.strip().splitlines() == [
            f"wacost: error: {flag} is empty "
            "(write YYYY-MM-DD, e.g. 2026-11-25, or leave it out for today)"
        ], run.stderr


def test_a_template_defined_twice_in_one_file_with_two_categories_is_refused(wacost, tmp_path):
    """The second definition silently replaced the first: `a` (en_US) defined MARKETING then
    UTILITY was priced as utility, the cheaper, without a word (exit 0)."""
    templates = write(
        tmp_path / "t.json",
        '{"data": [{"name": "a", "language": "en_US", "category": "MARKETING"},'
        ' {"name": "b", "language": "en_US", "category": "UTILITY"},'
        ' {"name": "a", "language": "en-US", "category": "UTILITY"}]}',
    )
    campaign = write(tmp_path / "c.csv", "phone,template,language\n+919876543210,a,en_US\n")
    run = wacost("estimate", campaign, "--templates", templates, "--date", "2026-11-25")
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {templates}: data[0] and data[2] both define template 'a' (en_US), "
        "as MARKETING and as UTILITY (keep the one Meta has)"
    ], run.stderr
    same = write(
        tmp_path / "same.json",
        '{"data": [{"name": "a", "language": "en_US", "category": "MARKETING"},'
        ' {"name": "a", "language": "en_US", "category": "marketing"}]}',
    )
    report = run_json(wacost, campaign, "--templates", same, "--date", "2026-11-25")
    assert report["totals"]["cost"] == "0.0118" and report["warnings"] == []


@pytest.mark.parametrize("kind", ["csv", "gz", "ranges"])
def test_a_row_with_too_many_fields_names_its_line(wacost, tmp_path, monkeypatch, kind):
    """'a row has 3 fields where the header has 2' named no line, only the row's text with its
    number masked: in a long list the row could not be found."""
    import gzip

    from wacost.counting import ranges

    rows = [
        f'+9198765{i:05d},"note\nof two lines"' if i % 3 else f"+9198765{i:05d},x"
        for i in range(3000)
    ]
    rows.insert(2500, "+919876512345,x,extra")
    text = "phone,notes\n\n" + "\n".join(rows) + "\n"
    line = text.splitlines().index("+919876512345,x,extra") + 1
    path = write(tmp_path / "c.csv", text)
    if kind == "gz":
        path = write(tmp_path / "c.csv.gz", gzip.compress(text.encode()))
    said = f"{path}:{line}: a row has 3 fields where the header has 2: "
    if kind == "ranges":  # cut in byte ranges read on two threads
        from wacost.counting.pipeline import count_campaign
        from wacost.errors import InputFileError
        from wacost.numbers.resolver import NumberResolver
        from wacost.prices.loading import load_price_book

        monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
        resolver = NumberResolver(load_price_book().numbering)
        with pytest.raises(InputFileError) as caught:
            count_campaign([path], resolver, workers=2, block_size=8192)
        assert str(caught.value).startswith(said), str(caught.value)
        return
    run = wacost("estimate", path, "--date", "2026-11-25")
    assert run.exit_code == 2
    assert run.stderr.startswith(f"wacost: error: {said}"), run.stderr


def test_an_empty_fee_profile_is_refused_not_dropped(wacost, tmp_path):
    """`--fees "$UNSET"` priced without any fee (the all-in total, and a budget checked on
    it, below the provider's bill), exit 0, as an empty --date once priced today's card."""
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,1000\n")
    for value in ("", " "):
        run = wacost("estimate", campaign, "--date", "2026-11-25", "--fees", value, "-q")
        assert run.exit_code == 2, value
        assert run.stderr.strip().splitlines() == [
            "wacost: error: --fees is empty (name a shipped profile (360dialog, example-bsp, "
            "twilio) or a YAML file, or leave it out for Meta's price alone)"
        ], run.stderr


def test_an_output_that_cannot_be_written_is_refused_before_the_run(wacost, tmp_path):
    """-q printed the total, then refused an --output that is a folder or in a missing one
    (exit 2 with a total on stdout, after the whole run)."""
    campaign = write(tmp_path / "c.csv", "country,category,count\nIN,marketing,1000\n")
    for target, said in (
        (tmp_path, "is a directory"),
        (tmp_path / "missing" / "r.html", "does not exist"),
    ):
        run = wacost("estimate", campaign, "--date", "2026-11-25", "-q", "-o", target)
        assert run.exit_code == 2 and said in run.stderr
        assert run.stdout == "", run.stdout


def test_a_full_disk_under_the_duplicate_ledger_is_one_line(wacost, tmp_path, monkeypatch):
    """The ledger's spill file on a full disk (or past ulimit -f) ended as 'internal error:
    OSError: [Errno 27] File too large (rerun with --debug and report it)'."""
    import errno
    import tempfile

    from wacost.counting import ledger

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ledger, "LEDGER_MEMORY_RECORDS", 4)
    monkeypatch.setattr(ledger.os, "pwrite", full)
    monkeypatch.setattr(ledger.os, "pwritev", full)  # (the spill is written by pwritev)
    rows = "".join(f"+9198765{i:05d},marketing\n" for i in range(50))
    campaign = write(tmp_path / "c.csv", "phone,category\n" + rows)
    run = wacost("estimate", campaign, "--date", "2026-11-25", "-q")
    assert run.exit_code == 2
    folder = tempfile.gettempdir()
    assert run.stderr.strip().splitlines() == [
        "wacost: error: cannot write wacost's temporary file of recipients "
        f"(No space left on device) (free space in {folder}, or point TMPDIR at a folder with room)"
    ], run.stderr


def test_a_sep_line_naming_a_delimiter_wacost_cannot_read(wacost, tmp_path):
    """Excel's 'sep=' line with a non-ASCII delimiter ended as 'internal error: ValueError:
    Expecting an ASCII character (rerun with --debug and report it)'."""
    campaign = write(tmp_path / "c.csv", "sep=é\nphoneétemplate\n+919876543210éspring_sale\n")
    run = wacost("estimate", campaign, "--date", "2026-11-25")
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        f"wacost: error: {campaign}: line 1: sep=é: the delimiter must be one ASCII character "
        "(save the file with a comma, semicolon or tab between fields)"
    ], run.stderr


def test_an_error_naming_a_file_with_a_line_break_is_one_line(wacost, tmp_path):
    """A file name with a line break split the error over two lines of stderr (control
    characters were written out, the line break was not)."""
    campaign = write(tmp_path / "a\nb.csv", "phone,template\n+919876543210,a,extra\n")
    run = wacost("estimate", campaign, "--date", "2026-11-25")
    assert run.exit_code == 2
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "a\\u000ab.csv:2: a row has 3 fields" in run.stderr


def test_the_fuzz_modules_leave_no_folder_in_tmp(tmp_path):
    """tests/test_fuzz.py and test_fuzz_adversarial.py made a folder in $TMPDIR when imported
    and never removed it: 167 wacost-fuzz-* folders had piled up in this machine's /tmp."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    code = "import tests.test_fuzz, tests.test_fuzz_adversarial"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("wacost-fuzz")] == []


def test_a_seven_bit_encoding_is_not_taken_for_open_quotes(wacost, tmp_path):
    """ISO-2022-JP writes a kana as two bytes of ASCII: 'が◆' is the bytes $,"! in which the
    scanner saw a quote opening a field after a comma; with --encoding, the campaign was
    refused ('a quote opened in this row is never closed') though pyarrow reads it whole."""
    text = "phone,template,name\n" + "".join(
        f"+9198765{i:05d},spring_sale,山田が◆\n" for i in range(3)
    )
    assert b',"' in text.encode("iso2022_jp")  # a quote after a comma, inside a kana
    twin = run_json(wacost, write(tmp_path / "utf8.csv", text), "--date", "2026-11-25")
    path = write(tmp_path / "jis.csv", text.encode("iso2022_jp"))
    report = run_json(wacost, path, "--date", "2026-11-25", "--encoding", "iso2022_jp")
    assert report["totals"] == twin["totals"] and report["totals"]["messages"] == 3


def test_the_small_csvs_name_a_row_on_its_line_after_blank_lines(tmp_path):
    """A usage file, a bill and a delivery-rates CSV named a bad row by its place among the
    rows (csv skips blank lines): 'bill.csv:3' for the row on line 4 after 'sep=,', a header
    and a blank line."""
    from wacost.prices.loading import load_price_book
    from wacost.prices.usage import load_usage
    from wacost.reconcile.billed import load_actuals
    from wacost.reconcile.expected import load_delivery_rates

    day = dt.date(2026, 11, 25)
    card = load_price_book().card_for(day)
    cases = {
        "usage": ("market,category,messages\n\nIndia,utility,5\n\nIndia,utility,x\n", 5),
        "bill": ("sep=,\nmarket,category,messages,cost\n\nIndia,marketing,100,x\n", 4),
        "rates": ("market;rate\r\n\r\n\r\nIndia;0,5\r\n", 4),
    }
    loads = {
        "usage": lambda path: load_usage(path, card, day),
        "bill": lambda path: load_actuals([path], card),
        "rates": lambda path: load_delivery_rates(path, card),
    }
    for name, (text, line) in cases.items():
        path = write(tmp_path / f"{name}.csv", text)
        with pytest.raises(InputFileError) as error:
            loads[name](path)
        assert str(error.value).startswith(f"{path}:{line}: "), (name, str(error.value))


def test_a_dictionary_parquet_column_that_is_not_utf8_is_named_on_its_row(wacost, tmp_path):
    """A dictionary-encoded bytes column (as pandas' categoricals are stored) said 'cannot read
    it as Parquet (Invalid UTF8 payload)'; a plain bytes column was named on its row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    phones = pa.array([b"+447700900123", b"+447700900124", b"+4477\xff00900125"], pa.binary())
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"phone": phones.dictionary_encode(), "template": ["w"] * 3}), path)
    run = wacost("estimate", path, "--date", "2026-11-25")
    assert run.exit_code == 2, run.stderr
    expected = f"wacost: error: {path}:4: column 'phone' holds bytes that are not UTF-8 text"
    assert run.stderr.startswith(expected) and "4477" not in run.stderr.replace(str(path), "")


@pytest.mark.parametrize(
    "last", ['+447700900124,welcome,"open', "+447700900124,welcome,x,extra"], ids=["open", "ragged"]
)
def test_lookup_names_a_bad_row_on_its_line(wacost, tmp_path, last):
    """lookup --file named the row after a note over two lines by its place among the rows
    ('c.csv:3: a quote opened in this row is never closed') where estimate names its line (4)."""
    path = write(tmp_path / "c.csv", f'phone,template,notes\n+447700900123,welcome,"a\nb"\n{last}')
    for command in (("lookup", "--file", path), ("estimate", path)):
        run = wacost(*command)
        assert run.exit_code == 2 and run.stderr.startswith(f"wacost: error: {path}:4: "), (
            command,
            run.stderr,
        )


def test_an_opt_out_list_names_a_bad_row_on_its_line(wacost, tmp_path):
    """--exclude named the row after a note over two lines by its place among the rows
    ('ex.csv:3: a quote opened in this row is never closed', new in 566344d) for line 4."""
    campaign = write(tmp_path / "c.csv", "phone,template\n+447700900123,welcome\n")
    for last in ('+447700900124,"open', "+447700900124,x,extra"):
        opt_out = write(tmp_path / "ex.csv", f'phone,name\n+447700900125,"a\nb"\n{last}')
        run = wacost("estimate", campaign, "--exclude", opt_out)
        assert run.exit_code == 2 and run.stderr.startswith(f"wacost: error: {opt_out}:4: "), (
            run.stderr
        )
