"""Damaged and unusual campaign inputs at their edges: the end of the file, the boundaries of
byte ranges, several bad rows. Each is refused as one line naming the file and line (exit 2,
no phone number), in every form it can come in, or priced like its clean equivalent."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import itertools
import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import write
from tests.test_inputs import COMMON, _estimate
from wacost.counting import ranges
from wacost.counting.pipeline import count_campaign
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book
from wacost.prices.usage import load_usage
from wacost.reconcile.billed import load_actuals
from wacost.reconcile.expected import load_delivery_rates

RESOLVER = NumberResolver(load_price_book().numbering)
OPEN_AT_END = "a quote opened in this row is never closed (the file ends inside it)"
PHONE = re.compile(r"\d{7,}")


def _refused(code: int, err: str, where: str, line: int) -> None:
    assert code == 2, err
    assert err.startswith(f"wacost: error: {where}:{line}: ") and err.count("\n") == 1, err
    assert "close the quote" in err and not PHONE.search(err.replace(where, "")), err


def _open_quote_at_end(column: str, newline: bool) -> bytes:
    """Rows with a note over two lines, then a last row whose `column` field (the last of the
    row) is quoted and never closed."""
    row = (
        "+44770090{i:04d},welcome,{note}"
        if column == "notes"
        else "+44770090{i:04d},{note},welcome"
    )
    rows = [row.format(i=i, note='"note\nover two"') for i in range(3)]
    rows.append('+447700900123,welcome,"open' if column == "notes" else '+447700900123,x,"welcome')
    header = "phone,template,notes" if column == "notes" else "phone,notes,template"
    return ("\n".join([header, *rows]) + ("\n" if newline else "")).encode()


@pytest.mark.parametrize("newline", [False, True], ids=["no-final-newline", "final-newline"])
@pytest.mark.parametrize("column", ["template", "notes"])
@pytest.mark.parametrize("form", ["csv", "gz", "stdin"])
def test_a_quote_left_open_on_the_last_row_is_refused(tmp_path, form, column, newline):
    """The CSV reader takes a quote never closed for a field that runs to the end of the file:
    the last row was priced (with its template cut or its note holding the line end)."""
    data = _open_quote_at_end(column, newline)
    path = write(tmp_path / "open.csv", data)
    if form == "gz":
        path = write(tmp_path / "open.csv.gz", gzip.compress(data))
    code, _, err = _estimate("-", data) if form == "stdin" else _estimate(path)
    _refused(code, err, "-" if form == "stdin" else str(path), 8)  # 3 rows of two lines
    if column == "notes" or not newline:  # (a template over two lines has its own words)
        assert OPEN_AT_END in err


@pytest.mark.parametrize("quoted_notes", [False, True])
def test_a_quote_left_open_on_the_last_row_of_a_file_in_ranges(tmp_path, monkeypatch, quoted_notes):
    """Cut into byte ranges reduced on several threads: the last range ends inside the quote."""
    note = '"a\nb"' if quoted_notes else "plain"
    rows = [f"+9198765{i:05d},spring_sale,{note if i % 50 == 0 else 'x'}" for i in range(20_000)]
    text = "phone,template,notes\n" + "\n".join(rows) + '\n+919876549999,spring_sale,"open'
    path = write(tmp_path / "c.csv", text)
    line = 1 + 20_000 + (400 if quoted_notes else 0) + 1
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    assert len(ranges.cut(str(path), 0, path.stat().st_size)) > 20
    for workers in (0, 1, 3):
        with pytest.raises(InputFileError) as error:
            count_campaign([path], RESOLVER, workers=workers, block_size=8192)
        assert str(error.value).startswith(f"{path}:{line}: {OPEN_AT_END}"), workers
    closed = write(tmp_path / "closed.csv", text + '"')
    assert count_campaign([closed], RESOLVER, workers=3, block_size=8192).rows == 20_001


def test_quotes_that_close_at_the_end_are_priced(tmp_path):
    """An escaped quote at the end, a quote inside an unquoted field (5" screen), a closed
    quote without a line end: no quote is left open."""
    for last in ('"welcome ""x"""', 'say 5" screen', '"welcome"', '"a,""b"""\r\n'):
        path = write(tmp_path / "ok.csv", f"phone,notes\n+447700900123,{last}")
        code, _, err = _estimate(path)
        assert code == 0, (last, err)
    path = write(tmp_path / "bad.csv", 'phone,notes\n+447700900123,"welcome ""x""')
    code, _, err = _estimate(path)
    _refused(code, err, str(path), 2)


# --- several bad rows: the earliest is named, whatever the threads ----------------------------

BAD_ROWS = {
    "category": "+9198765{i:05d},spring_sale,promo,none,x",
    "window": "+9198765{i:05d},spring_sale,marketing,open,x",
    "ragged": "+9198765{i:05d},spring_sale,marketing,none,x,extra",
    "template": '+9198765{i:05d},"spring\nsale",marketing,none,x',
    "note": '+9198765{i:05d},spring_sale,marketing,none,"open\n+9198765{i:05d},b,marketing,none,x',
    "utf8": "+9198765{i:05d},caf\udce9,marketing,none,x",  # a byte 0xE9 alone: not UTF-8
}


def _two_bad_rows(first: str, second: str, at: tuple[int, int], rows: int = 6000) -> bytes:
    note = '"a\nb"'  # a note over two lines every 97 rows: true lines are not counted ones
    lines = [
        f"+9198765{i:05d},spring_sale,marketing,none,{note if i % 97 == 0 else 'x'}"
        for i in range(rows)
    ]
    for where, kind in zip(at, (first, second)):
        lines[where] = BAD_ROWS[kind].format(i=where)
    text = "phone,template,category,window,notes\n" + "\n".join(lines) + "\n"
    return text.encode("utf-8", "surrogateescape")


def _errors(path, monkeypatch, stdin: bool = False) -> set[str]:
    """The error of every way of reading `path`: threads, byte ranges and blocks of any size."""
    seen = set()
    for range_bytes, workers, block_size in [
        (10**9, 0, 4096),
        (10**9, 3, 4096),
        (10**9, 2, 1 << 20),
        (10_000, 3, 4096),
        (10_000, 1, 1 << 20),
    ]:
        monkeypatch.setattr(ranges, "RANGE_BYTES", range_bytes)
        if stdin:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
        with pytest.raises(InputFileError) as error:
            source = Path("-") if stdin else path
            count_campaign([source], RESOLVER, workers=workers, block_size=block_size)
        seen.add(str(error.value).split(" (")[0].replace("-:", f"{path}:"))
    return seen


@pytest.mark.parametrize(("first", "second"), list(itertools.permutations(BAD_ROWS, 2)))
def test_two_bad_rows_name_the_earliest(tmp_path, monkeypatch, first, second):
    """Two bad rows, near (one block) or far apart (other blocks, ranges): the first is named,
    by every reader (it was the one a block or range met first, or the one whose column was
    checked first)."""
    for at in ((300, 400), (300, 5000)):
        path = write(tmp_path / "two.csv", _two_bad_rows(first, second, at))
        line = 1 + at[0] + 1 + (at[0] + 96) // 97  # the notes over two lines before it
        seen = _errors(path, monkeypatch) | _errors(path, monkeypatch, stdin=True)
        assert len(seen) == 1 and next(iter(seen)).startswith(f"{path}:{line}: "), seen


# --- the small CSVs (usage, bill, delivery rates): delimiters as a campaign's -----------------

DAY = dt.date(2026, 11, 25)
CARD = load_price_book().card_for(DAY)
USAGE = [
    ["market", "category", "messages"],
    ["India", "utility", "24999990"],
    ["BR", "marketing", "5"],
]
DIALECTS = {
    "semicolon": lambda rows: "\n".join(";".join(row) for row in rows),
    "tab": lambda rows: "\n".join("\t".join(row) for row in rows),
    "pipe": lambda rows: "\n".join("|".join(row) for row in rows),  # database exports
    "excel-hint": lambda rows: "sep=;\r\n" + "\r\n".join(";".join(row) for row in rows),
    "bom-crlf": lambda rows: "\ufeff" + "\r\n".join(",".join(row) for row in rows) + "\r\n",
}


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_a_usage_file_in_any_campaign_dialect(tmp_path, dialect, wacost):
    """A European spreadsheet's export (semicolons, maybe Excel's 'sep=;' line) is read as a
    campaign in that form is: `--usage` refused it ('needs the columns market,category,messages')."""
    comma = write(tmp_path / "comma.csv", "\n".join(",".join(row) for row in USAGE) + "\n")
    other = write(tmp_path / f"{dialect}.csv", DIALECTS[dialect](USAGE))
    expected = load_usage(comma, CARD, DAY)
    assert expected.charged and load_usage(other, CARD, DAY).charged == expected.charged
    campaign = write(tmp_path / "c.csv", "country,template,count\nIN,order_shipped,30\n")
    runs = [wacost("estimate", campaign, *COMMON, "--usage", usage) for usage in (comma, other)]
    assert runs[0].exit_code == runs[1].exit_code == 0, runs[1].stderr
    assert runs[1].stdout.replace(str(other), str(comma)) == runs[0].stdout
    bad = write(tmp_path / "bad.csv", DIALECTS[dialect]([*USAGE, ["India", "utility", "x"]]))
    with pytest.raises(InputFileError, match=re.escape(f"{bad}:{4 + (dialect == 'excel-hint')}:")):
        load_usage(bad, CARD, DAY)


def test_a_bill_and_delivery_rates_with_semicolons(tmp_path):
    bill = [["market", "category", "messages", "cost"], ["IN", "marketing", "900", "10.62"]]
    rates = [["market", "rate"], ["IN", "0.5"], ["Brazil", "1"]]
    for name, rows, load in (
        ("bill", bill, lambda path: load_actuals([path], CARD).points),
        ("rates", rates, lambda path: load_delivery_rates(path, CARD)),
    ):
        comma = write(tmp_path / f"{name}.csv", "\n".join(",".join(row) for row in rows))
        semicolon = write(tmp_path / f"{name}-eu.csv", DIALECTS["excel-hint"](rows))
        assert load(semicolon) == load(comma) and load(comma), name


# --- a row longer than a read block: named on its line --------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize("before", [10, 20_000])
def test_a_row_longer_than_a_block_is_named_on_its_line(tmp_path, monkeypatch, quoted, before):
    """The reader cannot hold a row longer than its block: the error named no line. Rows before
    it (notes over two lines, a blank line) in one block or many; every way of reading."""
    note = '"two\nlines"'
    rows = [f"+9198765{i:05d},spring_sale,{note if i % 7 == 0 else 'x'}" for i in range(before)]
    rows.insert(5, "")  # a blank line
    huge = '"' + "y" * 200_000 + '"' if quoted else "y" * 200_000
    rows.append(f"+919876599999,spring_sale,{huge}")
    rows += [f"+9198766{i:05d},spring_sale,x" for i in range(50)]
    text = "phone,template,notes\n" + "\n".join(rows) + "\n"
    line = text.split("+919876599999")[0].count("\n") + 1
    path = write(tmp_path / "long.csv", text)
    packed = write(tmp_path / "long.csv.gz", gzip.compress(text.encode()))
    for source in (path, packed, Path("-")):
        for range_bytes, workers in ((10**9, 0), (10**9, 2), (40_000, 3)):
            monkeypatch.setattr(ranges, "RANGE_BYTES", range_bytes)
            if source == Path("-"):
                monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
            with pytest.raises(InputFileError) as error:
                count_campaign([source], RESOLVER, workers=workers, block_size=64 * 1024)
            assert str(error.value).startswith(
                f"{source}:{line}: a row is longer than wacost's read block"
            ), (source, range_bytes, workers, str(error.value))


def test_a_row_of_9_mb_is_named_on_its_line(tmp_path):
    """In the default 4 MiB blocks, through the command line (one line on stderr, exit 2)."""
    rows = [f"+9198765{i:05d},spring_sale,x" for i in range(1000)]
    rows.insert(500, "+919876540000,spring_sale," + "y" * 9_000_000)
    path = write(tmp_path / "huge.csv", "phone,template,notes\n" + "\n".join(rows) + "\n")
    code, _, err = _estimate(path)
    assert code == 2 and err.startswith(f"wacost: error: {path}:502: a row is longer"), err


# --- Parquet columns of a type that is not one value a row ------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            pa.array([["+447700900123"], []]),
            "p.parquet: column 'phone' holds list<element: string> values, not one phone a row",
        ),
        (
            pa.array([{"n": "a"}, {"n": "b"}]),
            "p.parquet: column 'phone' holds struct<n: string> values, not one phone a row",
        ),
        (
            pa.array([b"+447700900123", b"+4477\xff00900124"], pa.binary()),
            "p.parquet:3: column 'phone' holds bytes that are not UTF-8 text",
        ),
    ],
    ids=["list", "struct", "bytes"],
)
def test_a_parquet_column_of_the_wrong_type_is_named(tmp_path, column, expected):
    """It was 'cannot read it as Parquet (Unsupported cast from list<element: string> to utf8
    using function cast_string)' (or 'Invalid UTF8 payload'): the file is Parquet, its column is
    not what wacost reads."""
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"phone": column, "template": ["welcome", "welcome"]}), path)
    code, _, err = _estimate(path)
    assert code == 2 and err.startswith(f"wacost: error: {tmp_path}/{expected}"), err
    assert err.count("\n") == 1 and "4477" not in err


@pytest.mark.parametrize("form", ["csv", "gz", "stdin", "ranges"])
def test_a_value_that_is_not_utf8_is_named_on_its_line(tmp_path, monkeypatch, form):
    """It was 'FILE: text that is not utf-8', without a line (pyarrow's conversion failed on a
    whole block); the columns wacost reads are now made text by wacost, which finds the row."""
    note = '"a\nb"'
    rows = [f"+9198765{i:05d},spring_sale,{note if i % 9 == 0 else 'x'}" for i in range(3000)]
    rows[2500] = "+919876599999,caf\udce9,x"
    data = ("phone,template,notes\n" + "\n".join(rows) + "\n").encode("utf-8", "surrogateescape")
    line = 1 + 2500 + 278 + 1  # the header, 2500 rows of which 278 over two lines
    path = write(tmp_path / "latin.csv", data)
    if form == "gz":
        path = write(tmp_path / "latin.csv.gz", gzip.compress(data))
    if form == "ranges":
        monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    if form == "stdin":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        path = Path("-")
    with pytest.raises(InputFileError) as error:
        count_campaign([path], RESOLVER, workers=2, block_size=8192)
    assert str(error.value).startswith(f"{path}:{line}: the template field is not UTF-8 text")
    code, _, err = _estimate(path, data if form == "stdin" else None)
    assert code == 2 and "pass --encoding (e.g. --encoding cp1252)" in err, err
