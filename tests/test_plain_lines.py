"""The compiled splitter of plain CSV lines (counting.plain_lines, `split` in _plain.c) gives
the columns pyarrow's reader gives for a range without quotes, or leaves the range to it; and
a campaign counted in ranges is the same with it and without it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import write
from tests.test_inputs import _generated_campaign
from wacost.campaign import CampaignFile, inspect_campaign
from wacost.counting import ranges
from wacost.counting.pipeline import count_campaign
from wacost.counting.plain_lines import split_range
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

RESOLVER = NumberResolver(load_price_book().numbering)


def _source(header: tuple[str, ...], columns: dict[str, int], delimiter: str) -> CampaignFile:
    return CampaignFile(
        path="x.csv",
        encoding="utf-8",
        delimiter=delimiter,
        skip_rows=0,
        header=header,
        columns=columns,
    )


def _pyarrow(data: bytes, source: CampaignFile, block_size: int) -> pa.Table:
    """What read_batches asks of pyarrow for a range (quoting on where it holds a quote)."""
    quoted = b'"' in data
    names = [f"c{i}" for i in range(len(source.header))]
    wanted = [f"c{i}" for i in sorted(source.columns.values())]
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            delimiter=source.delimiter,
            quote_char='"' if quoted else False,
            newlines_in_values=quoted,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.binary() for name in wanted},
            include_columns=wanted,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _compare(data: bytes, source: CampaignFile, block_size: int) -> bool:
    """Split `data`; where it is split, pyarrow reads the same columns. Whether it was."""
    batches = split_range(data, source, block_size)
    if batches is None:
        return False
    expected = _pyarrow(data, source, block_size)
    assert sum(batch.num_rows for batch in batches) == expected.num_rows
    for name in expected.column_names:
        got = pa.chunked_array([batch.column(name) for batch in batches], pa.binary())
        assert got.combine_chunks().equals(expected.column(name).combine_chunks())
    for batch in batches:  # each batch's own buffers: offsets from 0, values in bounds
        for column in batch.columns:
            column.validate(full=True)
    return True


FIELD = st.binary(max_size=12).map(lambda b: b.replace(b'"', b"q"))


@settings(max_examples=300, deadline=None)
@given(
    ncols=st.integers(1, 5),
    rows=st.lists(st.lists(FIELD, min_size=0, max_size=6), min_size=0, max_size=40),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    wanted=st.sets(st.integers(0, 4), min_size=1),
    final_newline=st.booleans(),
    block_size=st.sampled_from([16, 64, 1 << 20]),
)
def test_any_quote_free_lines_split_as_pyarrow_reads_them(
    ncols, rows, delimiter, wanted, final_newline, block_size
):
    """Fields of any bytes (newlines, carriage returns and delimiters among them, which make
    other lines and fields), any number of fields a line, empty lines: split as pyarrow reads
    them, or left to it."""
    columns = {f"n{i}": i for i in sorted(wanted) if i < ncols} or {"n0": 0}
    source = _source(tuple(f"h{i}" for i in range(ncols)), columns, delimiter)
    sep = delimiter.encode()
    data = b"\n".join(sep.join(row) for row in rows) + (b"\n" if final_newline and rows else b"")
    _compare(data, source, block_size)


PLAIN = st.binary(max_size=8).map(lambda b: bytes(c for c in b if c not in b'",\r\n\x00'))
QUOTED = (
    PLAIN
    | PLAIN.map(lambda b: b'"' + b + b'"')
    | st.binary(max_size=8).map(lambda b: b'"' + b.replace(b'"', b"") + b'"')  # , and \n inside
    | st.sampled_from([b'""', b'"a""b"', b'"a"b', b'a"b', b'"x\ny"', b'"', b'" "', b' "a"'])
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), ncols=st.integers(1, 4), block_size=st.sampled_from([64, 1 << 20]))
def test_quoted_fields_split_as_pyarrow_reads_them(data, ncols, block_size):
    """A range with quotes: fields quoted whole, quotes written twice, inside a field, left
    open, delimiters and line breaks inside quotes: split as pyarrow reads it with quoting on,
    or left to it."""
    row = st.lists(QUOTED, min_size=ncols, max_size=ncols) | st.lists(QUOTED, max_size=5)
    rows = data.draw(st.lists(row, min_size=1, max_size=30))
    wanted = data.draw(st.sets(st.integers(0, ncols - 1), min_size=1))
    source = _source(tuple(f"h{i}" for i in range(ncols)), {f"n{i}": i for i in wanted}, ",")
    text = b"\n".join(b",".join(fields) for fields in rows) + b"\n"
    try:
        _compare(text, source, block_size)
    except pa.ArrowInvalid:  # pyarrow refuses what was split here
        pytest.fail(f"split, but pyarrow refuses it: {text!r}")


def test_a_quoted_export_is_split_here():
    """An export that quotes every field ("+9198...","spring_sale") is split here."""
    lines = [f'"+91987654{i:04d}","tmpl_{i % 7}","",""' for i in range(3000)]
    source = _source(("phone", "template", "language", "note"), {"phone": 0, "template": 1}, ",")
    data = ("\n".join(lines) + "\n").encode()
    assert _compare(data, source, 4096)
    assert split_range(b'"+1","a","","x\ny"\n', source, 4096) is None  # a line break quoted
    assert split_range(b'"+1","a""b","",""\n', source, 4096) is None  # a quote written twice
    assert split_range(b'+1,a"b,\n', source, 4096) is None  # an inch mark: no quote (3 fields)
    assert split_range(b"\xef\xbb\xbf+1,a,,\n", source, 4096) is None  # pyarrow drops a BOM
    assert split_range(b'+1,a,5" screen,x\n', source, 4096) is None  # (left to pyarrow)


@pytest.mark.parametrize("block_size", [100, 4096, 1 << 20])
def test_plain_lines_are_split_here(block_size):
    """Lines of the header's number of fields, without carriage returns or empty lines, and
    shorter than half a block, are split here (not left to pyarrow), in batches of about
    block_size bytes."""
    rng = np.random.default_rng(1)
    lines = [
        f"+{rng.integers(10**10, 10**12)},tmpl_{rng.integers(0, 9)},,x{'y' * int(rng.integers(0, 20))}"
        for _ in range(2000)
    ]
    source = _source(("phone", "template", "language", "note"), {"phone": 0, "template": 1}, ",")
    for data in ("\n".join(lines).encode(), ("\n".join(lines) + "\n").encode()):
        assert _compare(data, source, block_size)
        batches = split_range(data, source, block_size)
        assert batches is not None
        # a batch: whole lines, the last one past the block's end (lines of at most 50 bytes)
        assert len(data) // (block_size + 50) <= len(batches) <= len(data) // block_size + 1
    assert split_range(b"", source, block_size) is None  # (pyarrow: "Empty CSV file")


@pytest.mark.parametrize(
    "data",
    [
        b"+1,a,,x\r\n+2,b,,y\r\n",  # carriage returns
        b"+1,a,,x\n\n+2,b,,y\n",  # an empty line (pyarrow skips it)
        b"+1,a,,x\n+2,b,y\n",  # a line short of a field (pyarrow's error)
        b"+1,a,,x\n+2,b,,y,z\n",  # a line with a field more
        b"+1,a,,x\n+2,b,," + b"y" * 600_000 + b"\n",  # a line longer than half a block
    ],
    ids=["carriage-returns", "empty-line", "short-line", "long-line", "longer-than-a-block"],
)
def test_what_pyarrow_reads_otherwise_is_left_to_it(data):
    source = _source(("phone", "template", "language", "note"), {"phone": 0, "template": 1}, ",")
    assert split_range(data, source, 1 << 20) is None
    assert split_range(b"+1,a,,x\n+2,b,,y\n", source, 1 << 20) is not None


def test_ranges_count_the_same_split_here_or_by_pyarrow(tmp_path, monkeypatch):
    """(The generated campaign written without quotes: a range holding a quote is never split
    here, and pyarrow's writer quotes every string.)"""
    path = tmp_path / "gen.csv"
    table = _generated_campaign(path, rows=30_000)
    with open(path, "wb") as handle:
        handle.write((",".join(table.column_names) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, handle, options)
    assert b'"' not in path.read_bytes()
    serial = count_campaign([path], RESOLVER, workers=0)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 20_000)
    splits: list[bool] = []

    def spied(*args: object) -> list[pa.RecordBatch] | None:
        batches = split_range(*args)  # type: ignore[arg-type]
        splits.append(batches is not None)
        return batches

    monkeypatch.setattr(ranges, "split_range", spied)
    split = count_campaign([path], RESOLVER, workers=2, block_size=8192)
    assert len(splits) > 10 and all(splits)
    monkeypatch.setattr(ranges, "split_range", lambda *args: None)
    by_pyarrow = count_campaign([path], RESOLVER, workers=2, block_size=8192)
    for counts in (split, by_pyarrow):
        assert counts.table == serial.table
        assert (counts.rows, counts.duplicates) == (serial.rows, serial.duplicates)


def test_an_error_in_a_split_range_names_its_line(tmp_path, monkeypatch):
    """A value wacost refuses in a range split here is named on its true line, as before."""
    rows = [f"+9198765{i:05d},spring_sale,marketing" for i in range(20_000)]
    rows[15_000] = "+919876512345,spring_sale,promo"
    path = write(tmp_path / "c.csv", "phone,template,category\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    with pytest.raises(InputFileError) as parallel:
        count_campaign([path], RESOLVER, workers=2, block_size=4096)
    assert f"{path}:15002: category 'promo'" in str(parallel.value)
    source = inspect_campaign(path)
    start = ranges.data_offset(source)
    assert start is not None
    with open(path, "rb") as handle:
        handle.seek(start)
        head = handle.read(10_000)
    head = head[: head.rfind(b"\n") + 1]
    assert split_range(head, dataclasses.replace(source, skip_rows=0), 4096) is not None


@pytest.mark.parametrize("marked", ["first-row", "later-rows"])
def test_a_range_starting_with_a_byte_order_mark_counts_as_the_serial_reader(
    tmp_path, monkeypatch, marked
):
    """A row whose first field starts with U+FEFF (a byte order mark pasted into a value, or a
    second export appended): pyarrow's reader drops one at the start of what it reads, so a
    range starting with it lost it there and kept it when split in C (and in the serial
    reader): its phone number was valid read by pyarrow, invalid otherwise."""
    rows = [f"+9198765{i:05d},spring_sale,{'n' * (i % 13)}" for i in range(4000)]
    if marked == "first-row":
        rows[0] = "\ufeff" + rows[0]
    else:  # every third row: some range cuts fall before one
        rows = ["\ufeff" + row if i % 3 == 1 else row for i, row in enumerate(rows)]
    path = write(tmp_path / "c.csv", "phone,template,note\n" + "\n".join(rows) + "\n")
    serial = count_campaign([path], RESOLVER, workers=0)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 5000)
    if marked == "later-rows":
        assert len(ranges.cut(str(path), 0, path.stat().st_size)) > 10
    split = count_campaign([path], RESOLVER, workers=2, block_size=4096)
    monkeypatch.setattr(ranges, "split_range", lambda *args: None)
    by_pyarrow = count_campaign([path], RESOLVER, workers=2, block_size=4096)
    for counts in (split, by_pyarrow):
        assert counts.table == serial.table
        assert (counts.rows, counts.duplicates) == (serial.rows, serial.duplicates)


def test_sizes_that_overflow_are_refused():
    """split checks its buffers' sizes; sizes computed from a huge ncols or max_rows wrapped
    around (ncols 2**62: slot_of's 4 * ncols bytes -> 0, then slot_of read far past its end;
    max_rows 2**62 with two slots: 8 bytes of offsets passed for 2**65 + 8) and let it write
    and read outside them (exit 139)."""
    from wacost.numbers import _plain as kernel  # built by the install, whatever the environment

    data = b"a\n" * 1000
    values = np.zeros(2 * (len(data) + 8), np.uint8)
    with pytest.raises(ValueError, match="out of range"):
        kernel.split(data, 2**62, ord(","), np.zeros(1, np.int32), 10, 100, values, values, 2)
    with pytest.raises(ValueError, match="out of range"):
        slot_of = np.array([1], np.int32)  # two slots
        kernel.split(data, 1, ord(","), slot_of, 2**62, 100, np.zeros(2, np.int32), values, 2000)
    with pytest.raises(ValueError, match="out of range"):  # 4 * (2**30 + 1) * (2**31 + 1) wraps
        slot_of = np.array([2**30], np.int32)
        kernel.split(data, 1, ord(","), slot_of, 2**31, 100, np.zeros(2, np.int32), values, 2000)
    # (the sizes it needs, given: split as before)
    offsets = np.zeros((1, 1002), np.int32)
    assert (
        kernel.split(data, 1, ord(","), np.zeros(1, np.int32), 1001, 100, offsets, values, 2000)
        == 1000
    )


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_a_campaign_in_another_dialect_counts_as_its_comma_form(tmp_path, monkeypatch, delimiter):
    """Semicolons, tabs, pipes (a database's export): detected, split here in ranges, and the
    same counts as the comma file's."""
    rng = np.random.default_rng(4)
    rows = [
        (f"+91987{rng.integers(10**6, 10**7)}", f"t{rng.integers(0, 5)}") for _ in range(20_000)
    ]
    comma = write(
        tmp_path / "comma.csv", "phone,template\n" + "".join(f"{p},{t}\n" for p, t in rows)
    )
    other = write(
        tmp_path / "other.csv",
        f"phone{delimiter}template\n" + "".join(f"{p}{delimiter}{t}\n" for p, t in rows),
    )
    assert inspect_campaign(other).delimiter == delimiter
    monkeypatch.setattr(ranges, "RANGE_BYTES", 30_000)
    calls = []
    real = ranges.split_range
    monkeypatch.setattr(ranges, "split_range", lambda *args: calls.append(1) or real(*args))
    counts = [count_campaign([path], RESOLVER, workers=2) for path in (comma, other)]
    assert counts[0].table == counts[1].table and counts[0].rows == counts[1].rows == 20_000
    assert len(calls) > 10


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("phone,status (sent|read|failed)", ","),  # a comma file whose header names pipes
        ("phone;template;tags a|b|c|d", ";"),
        ("phone\tnote|x|y", "\t"),
        ("phone|template|name, surname", "|"),  # (a pipe file with a comma in a name)
        ("phone|template", "|"),
        ("country,count|x|y", ","),  # a planning file
    ],
)
def test_pipes_in_a_header_name_do_not_make_it_pipe_delimited(tmp_path, header, delimiter):
    """The most frequent of comma, semicolon, tab and pipe (de66eb2) took a comma file whose
    header has more pipes than commas (phone,status (sent|read|failed)) for a pipe file: one
    'phone,status (sent' column, refused (no phone column), where it was read before. The
    delimiter under which the header names a phone (or country) column is taken."""
    row = delimiter.join(["+919876543210", "x", "y", "z"][: len(header.split(delimiter))])
    path = write(tmp_path / "c.csv", header + "\n" + row + "\n")
    source = inspect_campaign(path)
    assert source.delimiter == delimiter
    assert ("phone" in source.columns) or ("country" in source.columns)
