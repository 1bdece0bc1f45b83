"""A compressed campaign cut into chunks as it is decompressed and counted on every core
(counting.chunks) gives the serial reader's counts, examples and errors: small chunks
(monkeypatched) cut each file into many."""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import write
from tests.test_inputs import WRITERS, _bytes, _generated_campaign
from wacost.campaign import inspect_campaign
from wacost.counting import chunks, ledger, pipeline, ranges
from wacost.counting.pipeline import count_campaign
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book
from wacost.sources import inspect_input

RESOLVER = NumberResolver(load_price_book().numbering)


def _same(a, b) -> None:
    """The same counts, and the same first duplicate's line (in files of other names)."""
    assert a.table == b.table
    assert (a.rows, a.duplicates.messages) == (b.rows, b.duplicates.messages)
    lines = [str(t.duplicates.example).rsplit(":", 1)[-1] for t in (a, b)]
    assert lines[0] == lines[1]


@pytest.fixture
def chunked(monkeypatch):
    """Every compressed file cut into chunks of about 20 kB; the chunks counted, as a list."""
    monkeypatch.setattr(pipeline, "_CHUNKED_BYTES", 0)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 20_000)
    cut: list[tuple[int, int]] = []
    real = chunks.chunks

    def spy(source, start):
        for begin, end, data in real(source, start):
            cut.append((begin, end))
            yield begin, end, data

    monkeypatch.setattr(chunks, "chunks", spy)
    return cut


def _unquoted(path, rows=30_000, crlf=False):
    """A generated campaign without quotes (pyarrow's writer quotes every string)."""
    _generated_campaign(path, rows)
    text = path.read_text().replace('"', "")
    return write(path, text.replace("\n", "\r\n") if crlf else text)


@pytest.mark.parametrize("fmt", ["gz", "bz2", "xz", "zst"])
@pytest.mark.parametrize("form", ["quoted", "unquoted", "crlf"])
def test_a_compressed_campaign_counts_as_its_csv(tmp_path, chunked, fmt, form):
    csv_path = tmp_path / "gen.csv"
    if form == "quoted":
        _generated_campaign(csv_path, 30_000)
    else:
        _unquoted(csv_path, crlf=form == "crlf")
    serial = count_campaign([csv_path], RESOLVER, workers=0)
    (tmp_path / fmt).mkdir()
    compressed = WRITERS[fmt](csv_path, tmp_path / fmt)
    _same(count_campaign([compressed], RESOLVER, workers=2), serial)
    assert len(chunked) > 20
    begins = [begin for begin, _ in chunked]
    assert all(end == nxt for (_, end), nxt in zip(chunked, begins[1:]))  # back to back


def test_notes_over_several_lines_and_a_bom_in_a_row(tmp_path, chunked):
    """A quoted note over two lines (its chunk read serially from there) and a row starting
    with a byte order mark (no chunk starts there)."""
    lines = [f"+9198765{i:05d},spring_sale,note {i}" for i in range(8000)]
    lines[3000] = '+919876512345,spring_sale,"a note\nover two lines"'
    for i in range(100, 8000, 700):
        lines[i] = "\ufeff" + lines[i]
    csv_path = write(tmp_path / "c.csv", "phone,template,note\n" + "\n".join(lines) + "\n")
    serial = count_campaign([csv_path], RESOLVER, workers=0)
    compressed = _bytes(tmp_path / "c.csv.gz", gzip.compress(csv_path.read_bytes()))
    _same(count_campaign([compressed], RESOLVER, workers=2), serial)
    assert len(chunked) >= 2


def test_an_error_in_a_later_chunk_names_its_line(tmp_path, chunked):
    rows = [f"+9198765{i:05d},spring_sale,marketing" for i in range(20_000)]
    rows[15_000] = "+919876512345,spring_sale,promo"
    csv_path = write(tmp_path / "c.csv", "phone,template,category\n" + "\n".join(rows) + "\n")
    compressed = _bytes(tmp_path / "c.csv.gz", gzip.compress(csv_path.read_bytes()))
    with pytest.raises(InputFileError) as serial:
        count_campaign([csv_path], RESOLVER, workers=0)
    with pytest.raises(InputFileError) as parallel:
        count_campaign([compressed], RESOLVER, workers=2)
    assert str(parallel.value) == str(serial.value).replace(str(csv_path), str(compressed))
    assert ":15002: category 'promo'" in str(parallel.value)


@pytest.mark.parametrize("bad_row", [None, 100, 25_000])
def test_a_damaged_tail_is_the_serial_readers_error(tmp_path, chunked, bad_row):
    """A .gz cut short: one line, 'not a readable gzip file', or a bad row before the damage:
    whichever the serial reader names (which reads a few MB ahead)."""
    rng = np.random.default_rng(3)
    rows = [f"+91987{rng.integers(10**6, 10**7)},spring_sale,marketing" for _ in range(120_000)]
    if bad_row is not None:
        rows[bad_row] = "+919876512345,spring_sale,promo"
    data = gzip.compress(("phone,template,category\n" + "\n".join(rows) + "\n").encode())
    compressed = _bytes(tmp_path / "c.csv.gz", data[: len(data) * 3 // 4])
    errors = []
    for workers in (0, 2):  # serial; in chunks
        with pytest.raises(InputFileError) as error:
            count_campaign([compressed], RESOLVER, workers=workers, block_size=64 * 1024)
        errors.append(str(error.value))
    assert errors[0] == errors[1] and "\n" not in errors[1]
    if bad_row is None:
        assert "not a readable gzip file" in errors[1]
    if bad_row == 100:  # read in 64 kB blocks, the serial reader meets the row first
        assert f"{compressed}:102: category 'promo'" in errors[1]
    assert chunked  # chunks were cut before the damage


def test_what_is_not_cut(tmp_path):
    """A file whose header does not end in its first bytes, or ends in \\r alone, or whose first
    row starts with a byte order mark (or may: the bytes read end before it), or not UTF-8, is
    read as one stream."""
    first_row = ranges.first_row
    assert first_row(b"phone,template\n+1,a\n", 1, whole=True) == 15
    assert first_row(b"\xef\xbb\xbfphone,template\r\n+1,a\n", 1, whole=True) == 19
    assert first_row(b"phone,template", 1, whole=True) is None
    assert first_row(b"phone,template\n\xef\xbb\xbf+1,a\n", 1, whole=True) is None
    assert first_row(b"phone,template\r+1,a\r", 1, whole=True) is None
    assert first_row(b"phone,template\n+1", 1, whole=True) == 15
    assert first_row(b"phone,template\n+1", 1, whole=False) is None
    utf16 = _bytes(tmp_path / "c.csv.gz", gzip.compress("phone,template\n+1,a\n".encode("utf-16")))
    assert chunks.data_start(inspect_input(utf16)) is None
    plain = write(tmp_path / "p.csv", "phone,template\n+1,a\n")
    assert chunks.data_start(inspect_campaign(plain)) is None
    gz = _bytes(tmp_path / "g.csv.gz", gzip.compress(b"phone,template\n+1,a\n"))
    assert chunks.data_start(inspect_input(gz)) == 15


def _left_behind(path) -> list[str]:
    """Threads of wacost's still running, and descriptors still open on `path`."""
    threads = [t.name for t in threading.enumerate() if t.name.startswith("wacost-")]
    fds = Path("/proc/self/fd")
    open_files = []
    for fd in fds.iterdir() if fds.is_dir() else []:
        try:
            if os.readlink(fd) == str(path):
                open_files.append(fd.name)
        except OSError:
            continue
    return threads + open_files


def test_no_thread_or_file_left_while_an_error_is_held(tmp_path, chunked, monkeypatch):
    """A bad row, or an interrupt (^C) while the counts are merged: the decompressing thread,
    the workers and the file end with the count, not when the error's traceback is let go."""
    rows = [f"+9198765{i:05d},spring_sale,marketing" for i in range(20_000)]
    rows[15_000] = "+919876512345,spring_sale,promo"
    text = "phone,template,category\n" + "\n".join(rows) + "\n"
    compressed = _bytes(tmp_path / "c.csv.gz", gzip.compress(text.encode()))
    with pytest.raises(InputFileError) as bad_row:
        count_campaign([compressed], RESOLVER, workers=2)
    assert ":15002: category 'promo'" in str(bad_row.value)
    assert _left_behind(compressed) == []

    good = _bytes(tmp_path / "g.csv.gz", gzip.compress(text.replace("promo", "utility").encode()))
    calls = []
    real = ledger.RecipientLedger.add_batch

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ledger.RecipientLedger, "add_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        count_campaign([good], RESOLVER, workers=2)
    assert _left_behind(good) == []


@pytest.mark.parametrize("form", ["lone_cr", "long_line"])
def test_a_line_longer_than_a_chunk_is_not_held_whole(tmp_path, chunked, form):
    """Lines ending in \\r alone (no \\n at all: not cut), or one line longer than a chunk: the
    serial reader reads on from there, a block at a time, instead of one chunk of all that follows
    (memory as the file's size); the counts and the error as the serial reader's."""
    rows = [f"+9198765{i:05d},spring_sale,marketing,note {i}" for i in range(30_000)]
    rows[20_000] = "+919876512345,spring_sale,promo,note"
    end = "\n"
    if form == "lone_cr":
        end = "\r"
    else:
        rows[500] = rows[500].replace("note", "x" * 100_000)
    text = end.join(["phone,template,category,note", *rows]) + end
    csv_path = write(tmp_path / "c.csv", text)
    compressed = _bytes(tmp_path / "c.csv.gz", gzip.compress(text.encode()))
    errors = []
    for path, workers in ((csv_path, 0), (compressed, 2)):
        with pytest.raises(InputFileError) as error:
            count_campaign([path], RESOLVER, workers=workers)
        errors.append(str(error.value).replace(str(path), "c"))
    assert errors[0] == errors[1]
    assert "c:20002: category 'promo'" in errors[1]
    if form == "lone_cr":  # not cut at all (ranges.first_row): read serially from the start
        assert chunked == []
    else:
        assert chunked and chunked[-1][1] == chunks.DAMAGED  # read serially from there
    assert max((end - begin for begin, end in chunked[:-1]), default=0) <= 2 * ranges.RANGE_BYTES
    good = text.replace("promo", "utility")
    csv_path = write(tmp_path / "c.csv", good)
    compressed = _bytes(tmp_path / "c.csv.gz", gzip.compress(good.encode()))
    _same(
        count_campaign([compressed], RESOLVER, workers=2),
        count_campaign([csv_path], workers=0, resolver=RESOLVER),
    )


def test_a_bad_row_before_the_damage_is_named_on_its_true_line(tmp_path, chunked):
    """Blank lines and a quoted note over two lines before a bad row of a damaged .gz: its
    true line, serially and in chunks. Finding it read the file again in 4 MB reads, the one
    that met the damage gave nothing, and the row was named on its line as counted (102)."""
    rng = np.random.default_rng(3)
    rows = [f"+91987{rng.integers(10**6, 10**7)},spring_sale,marketing," for _ in range(120_000)]
    rows[100] = "+919876512345,spring_sale,promo,"
    rows[20] += '"a note\nover two lines"'
    for i in range(10, 100, 10):
        rows[i] += "\n"  # a blank line after it
    text = "phone,template,category,note\n" + "\n".join(rows) + "\n"
    line = text.split("\n").index("+919876512345,spring_sale,promo,") + 1
    assert line == 112
    data = gzip.compress(text.encode())
    compressed = _bytes(tmp_path / "c.csv.gz", data[: len(data) * 3 // 4])
    for workers in (0, 2):  # serial; in chunks
        with pytest.raises(InputFileError) as error:
            count_campaign([compressed], RESOLVER, workers=workers, block_size=64 * 1024)
        assert f"{compressed}:{line}: category 'promo'" in str(error.value)
