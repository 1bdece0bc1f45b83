"""The Spark engine (Spark in local mode) gives the same report, byte for byte, as the local
engine: on the samples, on a DataFrame, and on a generated 1M-row campaign read in several
partitions together with a second file. .ci/run installs Java and the spark extra, so these run
in CI."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from tests.test_inputs import _as_text_table, _generated_campaign
from wacost import lines
from wacost.cli import app
from wacost.estimate import EstimateOptions, estimate_campaign
from wacost.estimate.spark import estimate_spark
from wacost.prices.loading import load_price_book
from wacost.templates.definitions import load_templates

COMMON = [
    "--templates",
    str(SAMPLES / "templates.json"),
    "--date",
    "2026-11-25",
    "--format",
    "json",
]


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[2]")
        .appName("wacost-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # small splits: a file of a few MiB is read in several partitions
        .config("spark.sql.files.maxPartitionBytes", "4m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _both(*args: str) -> tuple[str, str]:
    runner = CliRunner()
    local = runner.invoke(app, ["estimate", *args, *COMMON])
    assert local.exit_code == 0, local.stderr
    spark = runner.invoke(app, ["estimate", *args, *COMMON, "--engine", "spark"])
    assert spark.exit_code == 0, spark.stderr
    return local.stdout, spark.stdout


def _same_error(path: Path) -> str:
    """The local engine's error on `path`, which the Spark engine gives too (its last line)."""
    runner = CliRunner()
    local = runner.invoke(app, ["estimate", str(path), *COMMON])
    on_spark = runner.invoke(app, ["estimate", str(path), *COMMON, "--engine", "spark"])
    assert local.exit_code == on_spark.exit_code == 2
    assert on_spark.stderr.strip().splitlines()[-1] == local.stderr.strip()
    return str(local.stderr)


@pytest.mark.parametrize("sample", ["campaign.csv", "plan.csv"])
def test_the_samples(spark, sample):
    local, on_spark = _both(str(SAMPLES / sample))
    assert local == on_spark


def test_a_dataframe_through_the_python_api(spark, tmp_path):
    path = tmp_path / "campaign.parquet"
    pq.write_table(_as_text_table(SAMPLES / "campaign.csv"), path)
    book = load_price_book()
    templates = load_templates([SAMPLES / "templates.json"])
    options = EstimateOptions(date=dt.date(2026, 11, 25))
    local = estimate_campaign([path], book, templates, options)
    frame = spark.read.parquet(str(path))
    on_spark = estimate_spark(frame, book, templates, options, name=str(path))
    assert on_spark == local
    assert on_spark.totals.messages == 311


def test_a_generated_million_rows_in_several_partitions(spark, tmp_path):
    big = tmp_path / "big.csv"
    _generated_campaign(big, rows=1_000_000)
    assert big.stat().st_size > 3 * 4 * 2**20  # several 4 MiB splits
    local, on_spark = _both(str(big), str(SAMPLES / "campaign.csv"))
    assert local == on_spark
    assert '"duplicate_recipient"' in local and '"invalid_phone"' in local
    assert f"{big}:" in local  # examples name lines in the big file


def test_a_bad_row_is_the_same_error(spark, tmp_path):
    path = tmp_path / "bad.csv"
    rows = "".join(f"+9198765{i:05d},spring_sale,1\n" for i in range(2000))
    path.write_text("phone,template,count\n" + rows + "+919876512335,spring_sale,lots\n")
    assert f"{path}:2002: count 'lots'" in _same_error(path)


def test_inputs_spark_does_not_read_are_refused(spark, tmp_path):
    path = Path(tmp_path / "c.csv.xz")
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["estimate", str(path), *COMMON, "--engine", "spark"])
    assert result.exit_code == 2 and "use the local engine" in result.stderr


@pytest.mark.parametrize(
    ("newline", "name", "encoding"),
    [
        ("\n", "notes.csv", "utf-8"),
        ("\r\n", "notes.csv", "utf-8"),
        ("\r\n", "notes.csv.gz", "utf-8"),
        ("\n", "notes.csv", "utf-16"),
    ],
)
def test_a_note_over_several_lines_is_part_of_its_row(spark, tmp_path, newline, name, encoding):
    # a quoted note (a column wacost does not read) with line breaks, a blank line among them,
    # and a blank line between rows: 5 rows on 10 lines, the repeated recipient on line 7
    lines = [
        "phone,template,note",
        '+919876512335,spring_sale,"first line',
        'second line"',
        "+14162585330,spring_sale,plain",
        "",
        '+2348035301205,login_code,"a ""quoted"" word"',
        '+919876512335,spring_sale,"again,',
        "",
        'after a blank line"',
        "+79129900167,spring_sale,x",
    ]
    data = newline.join([*lines, ""]).encode(encoding)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    local, on_spark = _both(str(path))
    assert local == on_spark
    totals = json.loads(local)["totals"]
    assert (totals["messages"], totals["unbilled_messages"]) == (5, 0)
    assert f'"example": "{path}:7"' in local  # the repeated recipient, on its true line


def test_a_quote_left_open_in_a_note_is_refused_as_locally(spark, tmp_path):
    path = tmp_path / "open.csv"
    path.write_text(
        "phone,template,note\n"
        '+919876512335,spring_sale,"left open\n'
        "+14162585330,spring_sale,plain\n"
        '+2348035301205,login_code,"closed"\n'
        "+79129900167,spring_sale,x\n"
    )
    assert f"{path}:2: a quote left open in the 'note' field" in _same_error(path)


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_which_files_spark_may_cut_at_any_line_break(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(lines, "_CHUNK", chunk)  # small: a quote opens in one chunk, ends later
    head = '"phone","template","note"\n'
    cases = {
        '"+14162585330","spring_sale","a ""quoted"" word"\n"+79129900167","x","y"\n': True,
        '+14162585330,spring_sale,5" screen\r\n\r\n+79129900167,x,y\r\n': True,
        '+14162585330,spring_sale,"two\nlines"\n+79129900167,x,y\n': False,
        '+14162585330,spring_sale,"two\r\nlines"\r\n': False,
        '+14162585330,spring_sale,x\n+79129900167,x,"left open': False,
    }
    for number, (rows, expected) in enumerate(cases.items()):
        path = tmp_path / f"c{number}.csv"
        path.write_bytes((head + rows).encode())
        assert lines.cut_at_any_line_break(path, "utf-8", 1, ",") is expected, rows


def test_a_row_spark_cannot_parse_is_one_line_without_its_numbers(spark, tmp_path):
    # the note's quote left open runs into the next row's quoted phone: Spark's reader fails
    path = tmp_path / "quoted.csv"
    path.write_text(
        'phone,template,note\n"+919876512335",spring_sale,"left open\n'
        '"+14162585330",spring_sale,plain\n"+79129900167",spring_sale,x\n'
    )
    result = CliRunner().invoke(app, ["estimate", str(path), *COMMON, "--engine", "spark"])
    assert result.exit_code == 2
    assert f"could not count the campaign: {path}: a row it cannot parse" in result.stderr
    assert "9876512335" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["open.csv", "open.csv.gz"])
def test_a_quote_left_open_on_the_last_row_is_refused_as_locally(spark, tmp_path, name):
    """Spark's reader, as pyarrow's, takes a quote never closed for a field running to the end
    of the file: the driver refuses it on the last row's true line, as the local engine does."""
    data = b'phone,template,note\n+919876512335,spring_sale,"two\nlines"\n+14162585330,spring_sale,"open'
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert f"{path}:4: a quote opened in this row is never closed" in _same_error(path)


def test_two_bad_rows_name_the_earliest_as_locally(spark, tmp_path):
    """A window on one row, a category on a later one, a quote left open in a note on a third:
    the earliest is named (the batch's checks ran a column at a time: the category was)."""
    path = tmp_path / "two.csv"
    path.write_text(
        "phone,template,category,window,note\n"
        "+919876512335,spring_sale,marketing,none,x\n"
        "+14162585330,spring_sale,marketing,open,x\n"
        "+2348035301205,login_code,promo,none,x\n"
        '+79129900167,spring_sale,marketing,none,"left open\n'
        "+919876512336,spring_sale,marketing,none,x\n"
    )
    assert f"{path}:3: window 'open'" in _same_error(path)
