"""Byte ranges parsed and reduced in parallel give the serial reader's counts, examples and
errors: small ranges (monkeypatched) cut a generated campaign into many."""

from __future__ import annotations

import pytest

from tests.conftest import write
from tests.test_inputs import _generated_campaign
from wacost.campaign import inspect_campaign
from wacost.counting import ranges
from wacost.counting.pipeline import count_campaign
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

RESOLVER = NumberResolver(load_price_book().numbering)


def _same(a, b) -> None:
    assert a.table == b.table
    assert (a.rows, a.duplicates, a.files) == (b.rows, b.duplicates, b.files)


@pytest.mark.parametrize("range_bytes", [4096, 50_000, 10**9])
def test_ranges_count_like_the_serial_reader(tmp_path, monkeypatch, range_bytes):
    path = tmp_path / "gen.csv"
    _generated_campaign(path, rows=30_000)
    serial = count_campaign([path], RESOLVER, workers=0, block_size=64 * 1024)
    monkeypatch.setattr(ranges, "RANGE_BYTES", range_bytes)
    for workers in (1, 3):
        _same(count_campaign([path], RESOLVER, workers=workers, block_size=16 * 1024), serial)
    assert serial.duplicates.messages > 0


def test_ranges_after_blank_lines_a_bom_and_crlf(tmp_path, monkeypatch):
    rows = "".join(f"+9198765{i:05d},spring_sale\r\n" for i in range(5000))
    path = write(tmp_path / "c.csv", b"\xef\xbb\xbf\r\n\r\nphone,template\r\n" + rows.encode())
    serial = count_campaign([path], RESOLVER, workers=0)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 3000)
    assert ranges.data_offset(inspect_campaign(path)) == len(
        "\ufeff\r\n\r\nphone,template\r\n".encode()
    )
    _same(count_campaign([path], RESOLVER, workers=2, block_size=8192), serial)
    assert serial.table.column("first_line") == [4]


def test_an_error_in_a_later_range_names_its_line(tmp_path, monkeypatch):
    rows = [f"+9198765{i:05d},spring_sale,marketing" for i in range(20_000)]
    rows[15_000] = "+919876512345,spring_sale,promo"
    path = write(tmp_path / "c.csv", "phone,template,category\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputFileError) as serial:
        count_campaign([path], RESOLVER, workers=0)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    with pytest.raises(InputFileError) as parallel:
        count_campaign([path], RESOLVER, workers=2, block_size=4096)
    assert str(parallel.value) == str(serial.value)
    assert f"{path}:15002: category 'promo'" in str(serial.value)


def test_quoted_line_breaks_in_a_column_not_read_in_any_range(tmp_path, monkeypatch):
    """A quoted field of a column wacost does not read may hold line breaks: read blocks and
    range cuts falling inside it must not break the file (they did: 'unbalanced quotes')."""
    note = '"first line\nsecond line\nthird, with ""quotes""\nlast line"'
    rows = [f"+9198765{i:05d},spring_sale,{note if i % 3 else 'plain'}" for i in range(6000)]
    path = write(tmp_path / "c.csv", "phone,template,notes\n" + "\n".join(rows) + "\n")
    serial = count_campaign([path], RESOLVER, workers=0, block_size=8192)
    assert serial.rows == 6000
    monkeypatch.setattr(ranges, "RANGE_BYTES", 20_000)
    assert len(ranges.cut(str(path), 0, path.stat().st_size)) > 10
    for workers in (1, 2):
        _same(count_campaign([path], RESOLVER, workers=workers, block_size=8192), serial)


def _same_error(path, monkeypatch, block_size: int) -> str:
    """The error of the serial reader and of small ranges on two workers: the same; its text."""
    with pytest.raises(InputFileError) as serial:
        count_campaign([path], RESOLVER, workers=0, block_size=block_size)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    with pytest.raises(InputFileError) as parallel:
        count_campaign([path], RESOLVER, workers=2, block_size=block_size)
    assert str(parallel.value) == str(serial.value)
    return str(serial.value)


def test_a_later_error_after_a_quoted_cut_names_its_line(tmp_path, monkeypatch):
    note = '"a\nb"'
    rows = [f"+9198765{i:05d},spring_sale,marketing,{note}" for i in range(8000)]
    rows[7000] = f"+919876512345,spring_sale,promo,{note}"
    path = write(tmp_path / "c.csv", "phone,template,category,notes\n" + "\n".join(rows) + "\n")
    assert f"{path}:14002: category 'promo'" in _same_error(
        path, monkeypatch, 4096
    )  # 2 lines a row


OPEN_QUOTE = (
    "phone,template,notes\n"
    '+46701234567,spring_sale,"a\nb"\n'
    "+46701234568,spring_sale,plain\n"
    '+46701234569,spring_sale,"open\n'  # left open: the next quote closes it two rows on
    "+46701234570,spring_sale,x\n"
    '+46701234571,spring_sale,"y"\n'
)


def test_a_quote_left_open_in_a_column_not_read_is_refused(tmp_path):
    """The rows a quote left open takes into its field would be neither priced nor reported:
    five recipients used to count as three messages."""
    path = write(tmp_path / "c.csv", OPEN_QUOTE)
    with pytest.raises(InputFileError) as caught:
        count_campaign([path], RESOLVER, workers=0)
    message = str(caught.value)
    assert f"{path}:5: a quote left open in the 'notes' field" in message  # its own line
    assert "close the quote" in message
    assert "4670123457" not in message  # no phone number printed


@pytest.mark.parametrize(
    ("opened", "closed", "said"),
    [
        # odd quotes in the range: the serial reader reads on from its start
        ('+919876515000,spring_sale,"open', '+919876515003,spring_sale,"closed"', "'notes' field"),
        # even quotes, the open one in a column wacost does not read: refused inside the range
        ('+919876515000,spring_sale,"open', '+919876515003,spring_sale,"closed', "'notes' field"),
        # even quotes, the open one in a column wacost reads: refused inside the range
        ('"+919876515000,spring_sale,x', '+919876515003",spring_sale,x', "phone field"),
    ],
)
def test_a_quote_left_open_is_refused_in_a_later_range(tmp_path, monkeypatch, opened, closed, said):
    rows = [f"+9198765{i:05d},spring_sale,plain" for i in range(20_000)]
    rows[15_000], rows[15_003] = opened, closed
    path = write(tmp_path / "c.csv", "phone,template,notes\n" + "\n".join(rows) + "\n")
    message = _same_error(path, monkeypatch, 8192)
    assert f"{path}:15002: " in message
    assert said in message


def test_a_quote_left_open_in_a_compressed_file_is_refused(tmp_path):
    import gzip

    path = tmp_path / "c.csv.gz"
    path.write_bytes(gzip.compress(OPEN_QUOTE.encode()))
    with pytest.raises(InputFileError, match="a quote left open in the 'notes' field"):
        count_campaign([path], RESOLVER, workers=0)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_notes_over_several_lines_that_are_not_rows_are_read(tmp_path, delimiter):
    """An address or a list in a note has delimiters on its lines, but no phone number where
    a row has one: the file is read, every row counted."""
    d = delimiter
    notes = [
        '"Main St 1,\nCity, 12345, Sweden"',
        '"call after 5pm;\n2 kids; 1 dog\n"',
        '"order 12345678\n999 - paid"',
    ]
    rows = [f"+46701234{i:03d}{d}spring_sale{d}{notes[i % 3]}" for i in range(30)]
    path = write(tmp_path / "c.csv", f"phone{d}template{d}notes\n" + "\n".join(rows) + "\n")
    assert count_campaign([path], RESOLVER, workers=0).rows == 30


@pytest.mark.parametrize("workers", [0, 2])
def test_an_error_after_quoted_line_breaks_names_the_files_own_line(tmp_path, monkeypatch, workers):
    """Rows are counted a line each; an error names the line an editor shows, past the notes
    that run over several lines before it."""
    rows = [f'+9198765{i:05d},spring_sale,marketing,"note\nof two lines"' for i in range(3000)]
    rows[2500] = '+919876512345,spring_sale,promo,"x"'
    path = write(tmp_path / "c.csv", "phone,template,category,notes\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    with pytest.raises(InputFileError) as caught:
        count_campaign([path], RESOLVER, workers=workers, block_size=8192)
    line = 2 + 2 * 2500  # the header, then two lines a row
    assert str(caught.value).startswith(f"{path}:{line}: category 'promo'")
    assert path.read_text().splitlines()[line - 1].startswith("+919876512345,")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_quote_inside_an_unquoted_field_does_not_mislead_a_cut(tmp_path, monkeypatch, workers):
    """A quote inside an unquoted field (5" screen) is a character of it, not a quote: counted
    as one, a range that ended inside a quoted note had an even count and was read alone, and
    the next range, starting inside the note, was refused ('a row has 1 field where the header
    has 3: 'line'') although the file is valid (its .gz was priced)."""
    note = '"' + "\n".join(["line"] * 400) + '"'
    rows = [f"+9198765{i:05d},spring_sale,plain" for i in range(3000)]
    rows[10] = '+919876510010,spring_sale,5" screen'
    rows[1000] = f"+919876511000,spring_sale,{note}"
    rows[1001] = '+919876511001,spring_sale,7" tablet'
    path = write(tmp_path / "c.csv", "phone,template,notes\n" + "\n".join(rows) + "\n")
    serial = count_campaign([path], RESOLVER, workers=0)
    assert serial.rows == 3000
    monkeypatch.setattr(ranges, "RANGE_BYTES", 1000 * 32 + 800)  # a cut inside the note
    _same(count_campaign([path], RESOLVER, workers=workers, block_size=8192), serial)


def test_a_range_that_starts_with_a_quote_knows_it_ends_inside_one() -> None:
    """The quote at a range's first byte counts (positions are counted, not their values)."""
    from wacost.lines import ends_inside_quotes

    assert ends_inside_quotes(b'"a note\nstill the note')
    assert not ends_inside_quotes(b'"a note\nits end",+919800000001\n')
    assert not ends_inside_quotes(b'5" screen,+919800000001\n')  # an inch mark is no quote
    assert ends_inside_quotes(b'x,"open\n')


def test_text_beyond_ascii_in_unquoted_ranges(tmp_path, monkeypatch):
    """Ranges without a quote read their columns as bytes and make them text (ASCII as it is,
    anything else decoded): names and numbers beyond ASCII count as the serial reader's."""
    rows = [f"+9198765{i:05d},spring_sale" for i in range(9000)]
    rows[7000] = "+91\u00a098765\u00a012345,promoción"  # a no-break space, an accent
    rows[8000] = "+٩١٩٨٧٦٥١٢٣٤٥,spring_sale"  # Arabic-Indic digits: not a valid number
    path = write(tmp_path / "c.csv", "phone,template\n" + "\n".join(rows) + "\n")
    serial = count_campaign([path], RESOLVER, workers=0, block_size=8192)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    _same(count_campaign([path], RESOLVER, workers=2, block_size=8192), serial)
    assert "promoción" in serial.table.column("template")


@pytest.mark.parametrize("column", [0, 1])
def test_bytes_not_utf8_in_a_later_unquoted_range(tmp_path, monkeypatch, column):
    rows = [[f"+9198765{i:05d}".encode(), b"spring_sale"] for i in range(9000)]
    rows[7000][column] = b"+9198765\xff1234" if column == 0 else b"promoci\xf3n"
    data = b"phone,template\n" + b"".join(b",".join(row) + b"\n" for row in rows)
    path = write(tmp_path / "c.csv", data)
    assert "UTF-8" in _same_error(path, monkeypatch, 8192)


@pytest.mark.parametrize("cut", range(1, 26))
def test_stream_lines_after_a_literal_quote_at_a_read_boundary(cut):
    """A quote inside an unquoted field (b"q"") is a character: one that ends a read and the
    quote that begins the next are not an escaped quote opening a field. The stream's rows are
    on the lines its file's scan finds, wherever the reads are cut (a row was put a line up)."""
    import numpy as np

    from wacost.lines import StreamLines

    data = b'h1,h2\nx,b"q""\n\n"a\nb"\nz,1\n'  # rows on lines 2, 4 (over two lines) and 6
    lines = StreamLines("utf-8", 1, ",")
    for chunk in (data[:cut], data[cut:], b""):
        lines.feed(chunk)
    assert lines.true_lines(np.array([2, 3, 4])).tolist() == [2, 4, 6]


def test_a_file_whose_lines_end_in_cr_alone_is_not_cut(tmp_path, monkeypatch):
    """Ranges end at \\n: a file of \\r line ends (an old Mac's) would be one range held whole
    in memory. It is read serially, with the same counts."""
    rows = "".join(f"+9198765{i:05d},spring_sale\r" for i in range(5000))
    path = write(tmp_path / "c.csv", "phone,template\r" + rows)
    assert ranges.data_offset(inspect_campaign(path)) is None
    monkeypatch.setattr(ranges, "RANGE_BYTES", 3000)
    serial = count_campaign([path], RESOLVER, workers=0)
    _same(count_campaign([path], RESOLVER, workers=2), serial)
    assert serial.rows == 5000


@pytest.mark.parametrize("stream_rows", [500, 20_000])
def test_a_fifo_beside_a_large_file_is_read_once(tmp_path, stream_rows):
    """A FIFO (or <(...)) given with a file larger than a block: the counting runs on threads,
    and data_offset opened the FIFO by its name again to find where its rows start. While its
    writer writes (20,000 rows: more than the pipe holds) it took up to 64 KiB of the stream
    and failed to seek (an internal error, exit 2); once the writer was gone (500 rows), the
    second open waited for a writer for ever. A stream is never cut into ranges."""
    import os
    import threading

    big = write(
        tmp_path / "big.csv",
        "phone,template\n" + "".join(f"+9198765{i % 99_991:05d},a\n" for i in range(3000)),
    )
    body = "phone,template\n" + "".join(f"+9198766{i:05d},b\n" for i in range(stream_rows))
    fifo = tmp_path / "more.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as handle:
            handle.write(body)

    threading.Thread(target=feed, daemon=True).start()
    result: list[object] = []

    def count() -> None:
        try:
            result.append(count_campaign([big, fifo], RESOLVER, workers=2, block_size=4096))
        except BaseException as exc:  # handed to the test's thread
            result.append(exc)

    counting = threading.Thread(target=count, daemon=True)
    counting.start()
    counting.join(20)
    waited = counting.is_alive()
    if waited:  # waiting in open() for a writer: one lets it go
        open(fifo, "wb").close()
        counting.join(10)
    assert not waited, "the FIFO was opened again, and waited for a writer"
    counts = result[0]
    assert not isinstance(counts, BaseException), repr(counts)
    assert counts.rows == 3000 + stream_rows
    assert sum(row.messages for row in counts.table.rows) == 3000 + stream_rows
