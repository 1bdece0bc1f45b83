"""The Spark engine (Spark in local mode) gives the same report, byte for byte, as the local
engine: on the samples, on a DataFrame, and on a generated 1M-row campaign read in several
partitions together with a second file. .ci/run installs Java and the spark extra, so these run
in CI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from tests.test_inputs import _as_text_table, _generated_campaign
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
    runner = CliRunner()
    local = runner.invoke(app, ["estimate", str(path), *COMMON])
    on_spark = runner.invoke(app, ["estimate", str(path), *COMMON, "--engine", "spark"])
    assert local.exit_code == on_spark.exit_code == 2
    assert f"{path}:2002: count 'lots'" in local.stderr
    assert on_spark.stderr.strip().splitlines()[-1] == local.stderr.strip()


def test_inputs_spark_does_not_read_are_refused(spark, tmp_path):
    path = Path(tmp_path / "c.csv.xz")
    path.write_bytes(b"")
    result = CliRunner().invoke(app, ["estimate", str(path), *COMMON, "--engine", "spark"])
    assert result.exit_code == 2 and "use the local engine" in result.stderr
