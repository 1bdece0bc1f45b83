"""Parquet (file and folder), compressed CSV and standard input price a campaign exactly like its
CSV: the JSON reports are byte-identical once the input's name is replaced. Damaged inputs are
one line on stderr with exit 2."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import lzma
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SAMPLES
from wacost.cli import app

COMMON = [
    "--templates",
    str(SAMPLES / "templates.json"),
    "--date",
    "2026-11-25",
    "--format",
    "json",
]


def _estimate(path: str | Path, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["estimate", str(path), *COMMON], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def _as_text_table(csv_path: Path) -> pa.Table:
    """The CSV's columns as strings, empty fields as missing values (nulls), as a warehouse has them."""
    names = pacsv.read_csv(csv_path).column_names
    return pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],  # only blanks: "NA" is Namibia
            strings_can_be_null=True,
        ),
    )


def _zstd(data: bytes, path: Path) -> None:
    with pa.CompressedOutputStream(str(path), "zstd") as out:
        out.write(data)


WRITERS: dict[str, Callable[[Path, Path], Path]] = {
    "gz": lambda src, d: _bytes(d / "c.csv.gz", gzip.compress(src.read_bytes())),
    "bz2": lambda src, d: _bytes(d / "c.csv.bz2", bz2.compress(src.read_bytes())),
    "xz": lambda src, d: _bytes(d / "c.csv.xz", lzma.compress(src.read_bytes())),
    "zst": lambda src, d: (_zstd(src.read_bytes(), d / "c.csv.zst"), d / "c.csv.zst")[1],
    "parquet": lambda src, d: _parquet(_as_text_table(src), d / "c.parquet"),
    "folder": lambda src, d: _folder(_as_text_table(src), d / "parts"),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, row_group_size=97)  # several row groups
    return path


def _folder(table: pa.Table, folder: Path) -> Path:
    """A Spark-style output folder: parts in name order, and a _SUCCESS marker to be ignored."""
    folder.mkdir()
    third = table.num_rows // 3
    for i, start in enumerate((0, third, 2 * third)):
        stop = table.num_rows if i == 2 else start + third
        pq.write_table(table.slice(start, stop - start), folder / f"part-{i:05d}.parquet")
    (folder / "_SUCCESS").write_bytes(b"")
    return folder


def _same_report(csv_path: Path, other: Path | str, stdin: bytes | None = None) -> None:
    code, expected, err = _estimate(csv_path)
    assert code == 0, err
    code, got, err = _estimate(other, stdin)
    assert code == 0, err
    assert str(csv_path) in expected
    assert got.replace(f'"{other}', f'"{csv_path}') == expected  # in inputs and examples


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("sample", ["campaign.csv", "plan.csv"])
def test_each_format_prices_like_the_csv(tmp_path, fmt, sample):
    _same_report(SAMPLES / sample, WRITERS[fmt](SAMPLES / sample, tmp_path))


def test_standard_input_prices_like_the_csv():
    csv_path = SAMPLES / "campaign.csv"
    _same_report(csv_path, "-", csv_path.read_bytes())


def test_standard_input_named_twice_is_refused():
    """`estimate - -` took the second '-''s header from the middle of the first's rows
    ("no phone column; found '02047', 'spring_sale', ...") or called standard input empty."""
    data = (SAMPLES / "campaign.csv").read_bytes()
    result = CliRunner().invoke(app, ["estimate", "-", "-", *COMMON], input=data)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "wacost: error: -: standard input is named twice (name it once)"
    ], result.stderr


def test_standard_input_from_a_pipe_in_a_real_process():
    """Through a real pipe (not a test double): zcat-style, as a user would."""
    csv_path = SAMPLES / "campaign.csv"
    args = [sys.executable, "-m", "wacost", "estimate", "-", *COMMON]
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    piped = subprocess.run(
        args, input=csv_path.read_bytes(), capture_output=True, env=env, check=True
    )
    _, expected, _ = _estimate(csv_path)
    assert piped.stdout.decode().replace('"-', f'"{csv_path}') == expected


def _generated_campaign(path: Path, rows: int = 60_000) -> pa.Table:
    """Numbers of many countries (some invalid, some repeated), planning rows with count and
    country, categories and windows, blanks: every column the contract names."""
    rng = np.random.default_rng(15)
    heads = np.array(["+9198", "+4915", "+5511 9", "+1212", "+23480", "+447", "0049151", "+3312"])
    phone = np.char.add(
        heads[rng.integers(0, len(heads), rows)], rng.integers(10**7, 10**8, rows).astype(str)
    ).astype(object)
    phone[rng.random(rows) < 0.02] = "+91 98765 12335"  # repeats of one valid number
    planned = rng.random(rows) < 0.05
    phone[planned] = ""
    country = np.where(planned, rng.choice(["IN", "br", "UK", "ZZ", "JE"], rows), "")
    count = np.where(planned, rng.integers(1, 5000, rows).astype(str), "")
    templates = ["spring_sale", "order_shipped", "login_code", "nope_template", ""]
    table = pa.table(
        {
            "Mobile": pa.array(phone.tolist(), pa.string()),
            "Template_Name": rng.choice(templates, rows),
            "COUNTRY": country,
            "count": count,
            "category": rng.choice(["", "marketing", "utility"], rows),
            "window": rng.choice(["", "none", "csw", "fep"], rows),
        }
    )
    pacsv.write_csv(table, path)
    return table


def test_a_generated_campaign_with_planning_rows_in_every_format(tmp_path):
    csv_path = tmp_path / "gen.csv"
    _generated_campaign(csv_path)
    code, expected, err = _estimate(csv_path)
    assert code == 0, err
    report = expected
    assert '"duplicate_recipient"' in report and '"unknown_template"' in report
    for fmt, writer in WRITERS.items():
        (tmp_path / fmt).mkdir()
        _same_report(csv_path, writer(csv_path, tmp_path / fmt))
    # typed Parquet, as a warehouse writes it: counts as integers, missing values as nulls
    typed = _as_text_table(csv_path)
    counts = pa.compute.cast(typed.column("count"), pa.int64())
    typed = typed.set_column(typed.column_names.index("count"), "count", counts)
    _same_report(csv_path, _parquet(typed, tmp_path / "typed.parquet"))


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("bad.csv.gz", b"phone,template\n+919876512335,x\n", "not a readable gzip file"),
        (
            "cut.csv.gz",
            gzip.compress(
                b"phone,template\n" + b"".join(b"+9198765%05d,x\n" % i for i in range(50_000))
            )[:20_000],
            "not a readable gzip file",
        ),
        ("bad.csv.xz", b"not xz at all", "not a readable xz file"),
        ("bad.csv.zst", b"not zstd at all", "not a readable zstd file"),
        ("bad.parquet", b"phone,template\n+919876512335,x\n", "cannot read it as Parquet"),
    ],
    ids=["gz", "cut-gz", "xz", "zst", "parquet"],
)
def test_damaged_inputs_are_one_line(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = _estimate(path)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err, err
    assert "9876512335" not in err


def test_parquet_numbers_as_floats_price_like_their_csv_export(tmp_path):
    """A phone column with a gap is float64 in pandas, and so in its Parquet file: its values
    were read as '1.416258533e+10' (every number invalid, nothing billed), where the CSV export
    (14162585330.0) is priced."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "phone": [14162585330.0, 2348035301205.0, None, 919876543210.0],
            "template": ["spring_sale", "login_code", "spring_sale", "spring_sale"],
        }
    )
    csv_path = tmp_path / "floats.csv"
    frame.to_csv(csv_path, index=False)
    assert "14162585330.0," in csv_path.read_text()
    parquet = tmp_path / "floats.parquet"
    frame.to_parquet(parquet)
    assert pq.read_schema(parquet).field("phone").type == pa.float64()
    _same_report(csv_path, parquet)
    assert '"billable_messages": 3' in _estimate(parquet)[1]


def test_a_hive_partitioned_parquet_folder_prices_like_its_csv(tmp_path):
    """Spark's partitionBy("template") keeps the template in the folder names
    (template=spring_sale/part-0.parquet), not in the files: it was lost, and every message
    was priced as a service message (0.0096 for the sample's 0.0861), without a word."""
    import pyarrow.dataset as pads

    table = pa.table(
        {
            "phone": ["+919876543210", "+919876543211", "+5511987654321", "+919876543212"],
            "template": ["spring_sale", "spring_sale", "spring_sale", "order_shipped"],
        }
    )
    csv_path = tmp_path / "c.csv"
    pacsv.write_csv(table, csv_path)
    folder = tmp_path / "export"
    partitioning = pads.partitioning(pa.schema([("template", pa.string())]), flavor="hive")
    pads.write_dataset(table, folder, format="parquet", partitioning=partitioning)
    assert (folder / "template=spring_sale").is_dir()
    import json

    expected = json.loads(_estimate(csv_path)[1])
    code, got, err = _estimate(folder)
    assert code == 0, err
    report = json.loads(got)  # rows come in folder order: the breakdowns, not the examples
    for key in ("totals", "by_category", "by_market", "by_template", "lines"):
        assert report[key] == expected[key], key
    assert [row["category"] for row in report["by_category"]] == ["marketing", "utility"]


def test_parquet_without_a_phone_column(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"name": ["a"], "amount": [1]}), path)
    code, _, err = _estimate(path)
    assert code == 2 and "no phone column" in err and "'name', 'amount'" in err


def test_lookup_reads_parquet_and_stdin(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"WA_ID": pa.array([919876512335, None, 4915112345678])}), path)
    result = CliRunner().invoke(app, ["lookup", "--file", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert '"e164": "+919876512335"' in result.stdout
    assert '"e164": "+4915112345678"' in result.stdout
    result = CliRunner().invoke(
        app, ["lookup", "--file", "-", "--format", "json"], input=b"phone\n+4915112345678\n"
    )
    assert result.exit_code == 0 and '"country": "DE"' in result.stdout


@pytest.mark.parametrize("fmt", ["gz", "bz2", "xz", "zst"])
def test_a_compressed_file_names_the_csvs_lines(tmp_path, fmt):
    """Blank lines and notes over two lines move rows down: a compressed file is decompressed
    again to find their lines, so its examples and errors name the lines of its CSV."""
    rows = [
        f'+91987654{i:04d},{"spring_sale" if i % 2 else "nope"},"line one\nline two"'
        for i in range(60)
    ]
    csv_path = tmp_path / "notes.csv"
    csv_path.write_text("phone,template,notes\n\n" + "\n".join(rows) + "\n", encoding="utf-8")
    sub = tmp_path / "z"
    sub.mkdir()
    _same_report(csv_path, WRITERS[fmt](csv_path, sub))  # examples: 'notes.csv:5' and the like
    broken = csv_path.read_text(encoding="utf-8") + '+919876549999,spring_sale,"open\n'
    broken += '+919876549998,spring_sale,x\n+919876549997,spring_sale,"y"\n'
    csv_path.write_text(broken, encoding="utf-8")
    code, _, err = _estimate(csv_path)
    packed = WRITERS[fmt](csv_path, sub)
    code_packed, _, err_packed = _estimate(packed)
    assert (code, code_packed) == (2, 2)
    assert ":123: a quote left open" in err  # the header, a blank line, 60 rows of 2 lines
    assert err_packed.replace(str(packed), str(csv_path)) == err


def _noted_campaign(ending: str, bad: bool) -> bytes:
    """Rows with notes over two lines and a blank line (every later row moves down); with `bad`,
    a row far down with a category wacost refuses."""
    rows = [
        f"+91987654{i:04d},{'nope' if i >= 60 and i % 3 == 0 else 'spring_sale'},"
        + (f'"note{ending}over two lines",' if i % 7 == 0 else "plain,")
        for i in range(3000)
    ]
    rows.insert(40, "")  # a blank line
    if bad:
        rows.append("+919876549999,spring_sale,x,bogus")
    return ending.join(["phone,template,notes,category", *rows, ""]).encode()


def _zcat_piped(gz_path: Path) -> tuple[int, str, str]:
    """`zcat PATH | wacost estimate -`, in real processes."""
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "wacost", "estimate", "-", *COMMON]
    with subprocess.Popen(["zcat", str(gz_path)], stdout=subprocess.PIPE) as unzip:
        run = subprocess.run(command, stdin=unzip.stdout, capture_output=True, env=env)
    return run.returncode, run.stdout.decode(), run.stderr.decode()


def _through_fifo(fifo: Path, data: bytes) -> tuple[int, str, str]:
    """The campaign written into a FIFO by another thread while wacost reads it."""
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle:
            handle.write(data)

    writer = threading.Thread(target=write, daemon=True)  # daemon: never hangs the tests
    writer.start()
    try:
        return _estimate(fifo)
    finally:
        writer.join(timeout=30)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("bad", [False, True], ids=["report", "error"])
@pytest.mark.parametrize("form", ["stdin", "fifo", "zcat"])
def test_a_stream_names_the_csvs_lines(tmp_path, ending, bad, form):
    """Read once (standard input, a FIFO, zcat piped in), a campaign whose notes run over two
    lines and with a blank line names the lines of its CSV, in its examples and its errors."""
    data = _noted_campaign(ending, bad)
    csv_path = tmp_path / "notes.csv"
    csv_path.write_bytes(data)
    code, expected, err = _estimate(csv_path)
    name = "-"
    if form == "stdin":
        got = _estimate("-", data)
    elif form == "fifo":
        name = str(tmp_path / "pipe.csv")
        got = _through_fifo(tmp_path / "pipe.csv", data)
    else:
        got = _zcat_piped(_bytes(tmp_path / "notes.csv.gz", gzip.compress(data)))
    if bad:
        assert code == 2 and f"{csv_path}:3432: category 'bogus'" in err, err
        assert got[0] == 2 and got[2].replace(name, str(csv_path)) == err
    else:
        assert code == 0, err
        assert f'"{csv_path}:72"' in expected  # the first unknown template: after 10 more lines
        assert got[0] == 0, got[2]
        assert got[1].replace(f'"{name}', f'"{csv_path}') == expected


def _stream_error_is_the_files(tmp_path, form: str, data: bytes, csv_path, err: str) -> None:
    """`data` through standard input or a FIFO ends with the file's error, its name swapped."""
    if form == "stdin":
        name, got = "-", _estimate("-", data)
    else:
        name = str(tmp_path / "pipe.csv")
        got = _through_fifo(tmp_path / "pipe.csv", data)
    assert got[0] == 2 and got[2].replace(name, str(csv_path)) == err, got[2]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("+919876549999,spring_sale,x,,extra", "a row has 5 fields where the header has 4"),
        ('+919876549999,spring_sale,x"y,,extra', "unbalanced quotes in the row starting"),
    ],
    ids=["ragged", "quote"],
)
@pytest.mark.parametrize("form", ["stdin", "fifo"])
def test_a_stream_names_the_line_of_a_ragged_row(tmp_path, row, problem, form):
    """A row with more fields than the header, after notes over two lines and a blank line, is
    named on its true line read from a stream (which cannot be read again) as from its file."""
    lines = _noted_campaign("\n", bad=False).split(b"\n")
    lines.insert(2500, row.encode())
    data = b"\n".join(lines)
    line = data.split(b"\n").index(row.encode()) + 1
    csv_path = _bytes(tmp_path / "rag.csv", data)
    code, _, err = _estimate(csv_path)
    assert code == 2 and f"{csv_path}:{line}: {problem}" in err, err
    _stream_error_is_the_files(tmp_path, form, data, csv_path, err)


@pytest.mark.parametrize("form", ["stdin", "fifo"])
def test_too_many_template_names_is_named_on_the_true_line(tmp_path, monkeypatch, form):
    """The limit on distinct template names names the file's true line of the row that passed
    it (after notes over two lines and a blank line), from a file and from a stream alike."""
    from wacost.counting import pipeline

    monkeypatch.setattr(pipeline, "MAX_DISTINCT_NAMES", 10)
    rows = [f'+91987654{i:04d},t{i},"note\nover two lines"' for i in range(15)]
    rows.insert(5, "")  # a blank line
    data = ("phone,template,notes\n" + "\n".join(rows) + "\n").encode()
    line = 1 + 1 + 14 * 2 + 1  # after the header, a blank line, 14 rows of two lines
    csv_path = _bytes(tmp_path / "names.csv", data)
    code, _, err = _estimate(csv_path)
    assert code == 2 and f"{csv_path}:{line}: more than 10 distinct template names" in err, err
    _stream_error_is_the_files(tmp_path, form, data, csv_path, err)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_standard_input_names_the_lines_of_a_utf16_csv(tmp_path, encoding):
    """UTF-16 (decoded to find its lines) and UTF-8 with a byte-order mark, from standard input."""
    data = _noted_campaign("\r\n", bad=False).decode().encode(encoding)
    csv_path = _bytes(tmp_path / "notes.csv", data)
    _same_report(csv_path, "-", data)
    code, _, err = _estimate("-", _noted_campaign("\n", bad=True).decode().encode(encoding))
    assert code == 2 and "-:3432: category 'bogus'" in err, err


def test_standard_input_names_the_line_of_a_quote_left_open():
    """A quote left open swallows the rows after it: named on its true line from a stream too."""
    rows = [f'+91987654{i:04d},spring_sale,"line one\nline two"' for i in range(60)]
    text = "phone,template,notes\n\n" + "\n".join(rows) + '\n+919876549999,spring_sale,"open\n'
    text += '+919876549998,spring_sale,x\n+919876549997,spring_sale,"y"\n'
    code, _, err = _estimate("-", text.encode())
    assert code == 2 and "-:123: a quote left open" in err, err  # a blank line, 60 rows of 2


@pytest.mark.parametrize("workers", [0, 2])
def test_a_stream_in_many_blocks_counts_like_its_file(tmp_path, monkeypatch, workers):
    """Read in blocks of 8 KiB, on reducing threads or not, a stream gives the file's examples,
    first repeated recipient and error: the lines learnt as it is read, let go as it is counted."""
    from wacost.counting.pipeline import count_campaign
    from wacost.errors import InputFileError
    from wacost.numbers.resolver import NumberResolver
    from wacost.prices.loading import load_price_book

    resolver = NumberResolver(load_price_book().numbering)
    data = _noted_campaign("\r\n", bad=False).replace(b"+9198765426", b"+9198765400")  # repeats
    path = _bytes(tmp_path / "notes.csv", data)

    def count(source: Path, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        return count_campaign([source], resolver, block_size=8192, workers=workers)

    expected, got = count(path), count(Path("-"), data)
    assert got.table == expected.table and got.rows == expected.rows == 3000
    assert expected.duplicates.example == f"{path}:2975"  # the first repeat, on its true line
    assert got.duplicates == dataclasses.replace(expected.duplicates, example="-:2975")
    bad = _bytes(tmp_path / "bad.csv", _noted_campaign("\n", bad=True))
    with pytest.raises(InputFileError, match=re.escape(f"{bad}:3432: category 'bogus'")):
        count(bad)
    with pytest.raises(InputFileError, match=r"^-:3432: category 'bogus'"):
        count(Path("-"), bad.read_bytes())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("form", ["csv", "gz", "stdin"])
def test_a_header_without_rows_or_line_end_is_a_header_but_no_rows(tmp_path, form, encoding):
    """A header whose line has no line end (an export of no rows) is refused as having no rows,
    in every form: not 'cannot parse the CSV (Could not skip initial 1 rows ...)', nor, for a
    .gz file, 'not a readable gzip file'."""
    data = "phone,template".encode(encoding)
    path = _bytes(tmp_path / "empty.csv", data)
    if form == "gz":
        path = _bytes(tmp_path / "empty.csv.gz", gzip.compress(data))
    code, _, err = _estimate("-", data) if form == "stdin" else _estimate(path)
    name = "-" if form == "stdin" else str(path)
    assert (
        code == 2
        and err == f"wacost: error: {name}: a header but no rows (add the campaign's recipients)\n"
    ), err
