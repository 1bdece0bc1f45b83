"""Count a campaign on Spark: each partition is reduced by wacost's own batch reducer.

Counting is additive, so a cluster can do it: `mapInArrow` hands each partition's rows to
`reduce_batch` as Arrow batches, and each partition sends back only its small table of counts
per key (with the first row of each), its row count, and its valid recipients as integers.
The driver adds the counts up, places each row on its line (partitions are numbered by the file
and the byte offset they start at, so the lines are the ones the local engine reports), finds
repeated recipients with a Spark window over the recipients, and prices the counts as usual:
the report is the same, byte for byte, as the local engine's.

`pip install "wacost[spark]"`. `count_dataframe` takes any Spark DataFrame with the contract's
columns (any alias, any case); `count_files` reads CSV (plain, .gz, .bz2) and Parquet files
with Spark. Opt-out lists (`--exclude`) are a local-engine feature.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from wacost.campaign import CampaignFile, canonical_column, mask_digits
from wacost.counting.batch import _CATEGORIES, _LINE_BITS, _WINDOWS, KEYS, Counts, Tally
from wacost.counting.spark_partition import (
    _HINT,
    _INPUT,
    _PATH,
    _REC_ERROR,
    _REC_KEY,
    _REC_RECIPIENT,
    _REC_ROWS,
    _SCHEMA,
    _START,
    _WHERE,
    _reduce_partition,
)
from wacost.counting.table import CountTable
from wacost.errors import InputFileError, OptionError
from wacost.prices.cards import Numbering
from wacost.sources import (
    ParquetInput,
    compression_of,
    inspect_input,
    is_stdin,
)

_SPARK_CODECS: Final = (None, "gzip", "bz2")


def spark_session() -> Any:
    """The active Spark session, or a new local one (all cores) when there is none."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise OptionError(
            "--engine spark needs pyspark", 'install it: pip install "wacost[spark]"'
        ) from None
    # pyspark warns about pandas versions newer than it has tested; wacost's use is covered
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\.")
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    spark = (
        SparkSession.builder.appName("wacost")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "131072")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- the driver: inputs -> DataFrame -> counts ----------------------------------------------------


def _canonical_columns(names: Sequence[str], where: str) -> dict[str, str]:
    columns: dict[str, str] = {}
    for name in names:
        canon = canonical_column(name)
        if canon is None or name.startswith("_wacost_"):
            continue
        if canon in columns:
            raise InputFileError(
                f"{where}: columns {columns[canon]!r} and {name!r} both mean {canon!r}",
                "keep one of them",
            )
        columns[canon] = name
    if "phone" not in columns and "country" not in columns:
        shown = ", ".join(repr(mask_digits(n)) for n in list(names)[:8]) or "(none)"
        raise InputFileError(
            f"{where}: no phone column (or country column for planning rows); found {shown}",
            "name the recipient column phone (or wa_id, to, msisdn, recipient, phone_number, mobile)",
        )
    return columns


def _read_file(spark: Any, path: Path, index: int, encoding: str | None) -> tuple[Any, int]:
    """One input as a DataFrame with canonical column names and its split columns; and the
    line of its first row."""
    from pyspark.sql import functions as F

    if is_stdin(path):
        raise OptionError(
            "--engine spark reads files, not standard input",
            "name the file, or use the local engine",
        )
    if compression_of(path) not in _SPARK_CODECS:
        raise OptionError(
            f"{path}: --engine spark reads CSV plain, .gz or .bz2, and Parquet",
            "decompress the file, or use the local engine",
        )
    source = inspect_input(path, encoding)
    if isinstance(source, ParquetInput):
        frame = spark.read.parquet(str(path))
        first_line = 2
        columns = dict(source.columns)
    else:
        assert isinstance(source, CampaignFile)
        if source.skip_rows != 1:
            raise OptionError(
                f"{path}: --engine spark reads CSV files whose first line is the header",
                "remove the lines before the header, or use the local engine",
            )
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(f"c{i}", StringType()) for i in range(len(source.header))])
        frame = spark.read.csv(
            str(path),
            schema=schema,
            header=True,
            sep=source.delimiter,
            encoding=source.encoding,
            quote='"',
            escape='"',
            mode="FAILFAST",
        )
        first_line = source.skip_rows + 1
        columns = {canon: f"c{position}" for canon, position in source.columns.items()}
    frame = frame.select(
        *(F.col(f"`{field}`").alias(canon) for canon, field in columns.items()),
        F.lit(index).cast("int").alias(_INPUT),
        F.col("_metadata.file_path").alias(_PATH),
        F.col("_metadata.file_block_start").alias(_START),
    )
    return frame, first_line


def count_files(
    paths: Sequence[Path],
    numbering: Numbering,
    default_country: str | None = None,
    encoding: str | None = None,
    spark: Any = None,
) -> Counts:
    """Count campaign files with Spark (see the module's doc)."""
    spark = spark or spark_session()
    frames, first_lines = [], []
    for index, path in enumerate(paths):
        frame, first_line = _read_file(spark, path, index, encoding)
        frames.append(frame)
        first_lines.append(first_line)
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame, allowMissingColumns=True)
    return _count(union, numbering, default_country, [str(path) for path in paths], first_lines)


def count_dataframe(
    frame: Any, numbering: Numbering, default_country: str | None = None, name: str = "dataframe"
) -> Counts:
    """Count a Spark DataFrame of campaign rows (the contract's columns, any alias or case).

    A row's "line" in examples is its place in partition order, counted as in a CSV export
    (the header is line 1).
    """
    columns = _canonical_columns(frame.columns, name)
    from pyspark.sql import functions as F

    frame = frame.select(*(F.col(f"`{field}`").alias(canon) for canon, field in columns.items()))
    return _count(frame, numbering, default_country, [name], [2])


def _count(
    frame: Any,
    numbering: Numbering,
    default_country: str | None,
    files: list[str],
    first_lines: list[int],
) -> Counts:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = [c for c in frame.columns if not c.startswith("_wacost_")]

    def reduce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _reduce_partition(batches, numbering, default_country, columns)

    try:
        reduced = frame.mapInArrow(reduce, _SCHEMA).persist()
        small = reduced.filter(f"rec != {_REC_RECIPIENT}").toArrow().to_pandas()
        errors = small[small["rec"] == _REC_ERROR]
        # each segment's first line: its input's first line plus the rows of the segments before
        sizes = small[small["rec"] == _REC_ROWS].sort_values(["input", "path", "start"])
        before = sizes.groupby("input")["messages"].cumsum() - sizes["messages"]
        sizes = sizes.assign(base=before + sizes["input"].map(lambda i: first_lines[i]))
        base = {
            (int(i), str(p), int(s)): int(b)
            for i, p, s, b in zip(sizes["input"], sizes["path"], sizes["start"], sizes["base"])
        }
        if len(errors):
            raise _first_error(errors, base, files)
        for index, path in enumerate(files):
            if not int(sizes[sizes["input"] == index]["messages"].sum()):
                raise InputFileError(
                    f"{path}: a header but no rows", "add the campaign's recipients"
                )
        keys = small[small["rec"] == _REC_KEY]
        table = _table(keys, base)
        rows = int(sizes["messages"].sum())
        if rows == 0:
            raise InputFileError("no campaign rows", "give at least one campaign file with rows")
        spark = frame.sparkSession
        bases = spark.createDataFrame(
            pa.table(
                {
                    "input": pa.array([k[0] for k in base], pa.int32()),
                    "path": pa.array([k[1] for k in base], pa.string()),
                    "start": pa.array([k[2] for k in base], pa.int64()),
                    "base": pa.array(list(base.values()), pa.int64()),
                }
            )
        )
        recipients = reduced.filter(f"rec = {_REC_RECIPIENT}").join(
            F.broadcast(bases), ["input", "path", "start"]
        )
        ordinal = (
            F.shiftleft(F.col("input").cast("long"), _LINE_BITS) + F.col("base") + F.col("row")
        )
        window = Window.partitionBy("number", "template").orderBy("ordinal")
        repeated = (
            recipients.withColumn("ordinal", ordinal)
            .withColumn("n", F.row_number().over(window))
            .filter("n > 1")
            .agg(F.sum("messages").alias("messages"), F.min("ordinal").alias("first"))
            .collect()[0]
        )
        reduced.unpersist()
    except InputFileError:
        raise
    except Exception as exc:  # Spark's errors (a malformed CSV row, a lost executor) as one line
        if isinstance(exc, (KeyboardInterrupt, MemoryError)) or (
            "pyspark" not in type(exc).__module__ and "py4j" not in type(exc).__module__
        ):
            raise
        text = re.sub(r"\s+", " ", str(exc))[:200]
        raise InputFileError(
            f"Spark could not count the campaign: {mask_digits(text)}",
            "check the input files (every row needs as many fields as the header)",
        ) from None
    first = repeated["first"]
    example = None
    if first is not None:
        example = f"{files[int(first) >> _LINE_BITS]}:{int(first) & ((1 << _LINE_BITS) - 1)}"
    return Counts(
        table=CountTable.from_pandas(table),
        files=tuple(files),
        rows=rows,
        duplicates=Tally(int(repeated["messages"] or 0), example),
    )


def _table(keys: pd.DataFrame, base: dict[tuple[int, str, int], int]) -> pd.DataFrame:
    """The partitions' counts added up per key, as the local engine's table."""
    if not len(keys):
        return pd.DataFrame(columns=[*KEYS, "messages", "first_line"])
    line = [
        base[(int(i), str(p), int(s))] + int(r)
        for i, p, s, r in zip(keys["input"], keys["path"], keys["start"], keys["row"])
    ]
    frame = pd.DataFrame(
        {
            "file": keys["input"].astype(np.int32).to_numpy(),
            "kind": keys["kind"].astype(np.int8).to_numpy(),
            "country": keys["country"].to_numpy(),
            "template": keys["template"].to_numpy(),
            "language": keys["language"].to_numpy(),
            "category": [_CATEGORIES[int(c)] for c in keys["category"]],
            "window": [_WINDOWS[int(w)] for w in keys["window"]],
            "messages": keys["messages"].astype(np.int64).to_numpy(),
            "first_line": np.array(line, dtype=np.int64),
        }
    )
    table = frame.groupby(KEYS, sort=False, as_index=False).agg(
        messages=("messages", "sum"), first_line=("first_line", "min")
    )
    table = table.sort_values(["file", "first_line"], kind="stable").reset_index(drop=True)
    return table.astype(
        {"file": np.int32, "kind": np.int8, "messages": np.int64, "first_line": np.int64}
    )


def _first_error(
    errors: pd.DataFrame, base: dict[tuple[int, str, int], int], files: list[str]
) -> InputFileError:
    """The error the local engine would raise: the first in reading order, on its line."""
    found = []
    for i, p, s, text in zip(errors["input"], errors["path"], errors["start"], errors["error"]):
        match = re.search(re.escape(_WHERE) + r":(\d+)", text)
        found.append(((int(i), str(p), int(s), int(match.group(1)) if match else 0), text))
    (i, p, s, row), text = min(found)
    place = f"{files[i]}:{base.get((i, p, s), 0) + row}"
    message, _, hint = re.sub(re.escape(_WHERE) + r":\d+", place, text).partition(_HINT)
    return InputFileError(message, hint or None)
