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


def test_a_later_error_after_a_quoted_cut_names_its_line(tmp_path, monkeypatch):
    note = '"a\nb"'
    rows = [f"+9198765{i:05d},spring_sale,marketing,{note}" for i in range(8000)]
    rows[7000] = f"+919876512345,spring_sale,promo,{note}"
    path = write(tmp_path / "c.csv", "phone,template,category,notes\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputFileError) as serial:
        count_campaign([path], RESOLVER, workers=0, block_size=4096)
    monkeypatch.setattr(ranges, "RANGE_BYTES", 10_000)
    with pytest.raises(InputFileError) as parallel:
        count_campaign([path], RESOLVER, workers=2, block_size=4096)
    assert str(parallel.value) == str(serial.value)
