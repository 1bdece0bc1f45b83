"""Count a campaign on Spark: each partition is reduced by wacost's own batch reducer.

Counting is additive, so a cluster can do it: `mapInArrow` hands each partition's rows to
`reduce_batch` as Arrow batches, and each partition sends back only its small table of counts
per key (with the first row of each), its row count, and its valid recipients as integers.
The driver adds the counts up, numbers the rows (partitions are numbered by the file and the
byte offset they start at), finds repeated recipients with a Spark window over the recipients,
names the true lines of the rows it reports by a scan of the file as the local engine does (a
note over several lines, a blank line), and prices the counts as usual: the report is the same,
byte for byte, as the local engine's.

A quoted field may run over several lines (a note), which Spark's splits, cut at any line
break, would cut in two: a CSV file with such a field or a quote left open (found by a scan of
its bytes on the driver, up to the first), a compressed one, or one in UTF-16 or UTF-32 is read
whole (`multiLine`, one task), and checked as the local engine checks it (no line break in a
field wacost reads; no rows taken into a note by a quote left open). Other plain files are
read in splits, in parallel.

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
    _UNREAD,
    _WHERE,
    _Checks,
    _reduce_partition,
)
from wacost.counting.table import CountTable
from wacost.counting.true_lines import _on_true_line, _true_lines
from wacost.errors import InputFileError, OptionError
from wacost.lines import cut_at_any_line_break, open_quote_line
from wacost.open_quotes import quote_open_at_end
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
    spark.sparkContext.setLogLevel("OFF")  # its errors show rows (phone numbers): one line here
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


def _read_file(
    spark: Any, path: Path, index: int, encoding: str | None
) -> tuple[Any, int, CampaignFile | ParquetInput, _Checks | None, InputFileError | None]:
    """One input as a DataFrame with canonical column names and its split columns; the line of
    its first row; what was learnt of it; for a CSV, what its rows are checked for, and the
    error of a quote left open at its end (raised unless Spark finds an earlier one)."""
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
    extra = []
    checks = quote = None
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
        multiline = _multiline(source)
        if multiline:  # (a file Spark may cut at any line break closes every quote)
            quote = _open_quote_at_end(source)
        frame = spark.read.csv(
            str(path),
            schema=schema,
            header=True,
            sep=source.delimiter,
            encoding=source.encoding,
            quote='"',
            escape='"',
            multiLine=multiline,
            mode="FAILFAST",
        )
        first_line = source.skip_rows + 1
        columns = {canon: f"c{position}" for canon, position in source.columns.items()}
        checks = _Checks(source.header, dict(source.columns), source.delimiter)
        if multiline:  # a quote left open in a column not read: its values with a line break
            for name in (f"c{i}" for i in range(len(source.header))):
                if name not in columns.values():
                    broken = F.col(name).contains("\n") | F.col(name).contains("\r")
                    extra.append(F.when(broken, F.col(name)).alias(f"{_UNREAD}{name}"))
    frame = frame.select(
        *(F.col(f"`{field}`").alias(canon) for canon, field in columns.items()),
        *extra,
        F.lit(index).cast("int").alias(_INPUT),
        F.col("_metadata.file_path").alias(_PATH),
        F.col("_metadata.file_block_start").alias(_START),
    )
    return frame, first_line, source, checks, quote


def _multiline(source: CampaignFile) -> bool:
    """Whether Spark must read `source` whole (multiLine), not in splits cut at any line break:
    when a quoted field in it runs over several lines (a note) or a quote is left open (a scan
    of the file on the driver, up to the first), or it is compressed, or in UTF-16 or UTF-32
    (whose lines Spark cannot cut)."""
    if source.opener is not None:
        return True
    if source.encoding.replace("-", "").replace("_", "").lower().startswith(("utf16", "utf32")):
        return True
    return not cut_at_any_line_break(
        source.path, source.encoding, source.skip_rows, source.delimiter
    )


def _open_quote_at_end(source: CampaignFile) -> InputFileError | None:
    """A quote never closed runs to the end of the file, which Spark's reader (as pyarrow's)
    takes for the field's value: found by a scan on the driver (of a file Spark reads whole: one
    it may cut at any line break closes every quote), refused as the local engine refuses it."""
    line = open_quote_line(
        source.path, source.encoding, source.skip_rows, source.delimiter, source.opener
    )
    return None if line is None else quote_open_at_end(str(source.path), line)


def _first_of(
    error: InputFileError | None, open_quotes: dict[int, InputFileError], files: list[str]
) -> InputFileError | None:
    """The error on the earliest line of the earliest file: `error` (Spark's count's) or a quote
    left open at the end of a file (on its last row; after a lineless error of Spark's)."""
    if not open_quotes:
        return error
    index, quote = min(open_quotes.items())
    if error is None or error.line is None or error.path not in files:
        return quote
    return error if (files.index(error.path), error.line) < (index, quote.line or 0) else quote


def count_files(
    paths: Sequence[Path],
    numbering: Numbering,
    default_country: str | None = None,
    encoding: str | None = None,
    spark: Any = None,
) -> Counts:
    """Count campaign files with Spark (see the module's doc)."""
    spark = spark or spark_session()
    frames, first_lines, sources, checks = [], [], [], {}
    open_quotes: dict[int, InputFileError] = {}
    for index, path in enumerate(paths):
        frame, first_line, source, check, quote = _read_file(spark, path, index, encoding)
        frames.append(frame)
        first_lines.append(first_line)
        sources.append(source)
        if check is not None:
            checks[index] = check
        if quote is not None:
            open_quotes[index] = quote
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame, allowMissingColumns=True)
    files = [str(path) for path in paths]
    try:
        counts = _count(union, numbering, default_country, files, first_lines, sources, checks)
    except InputFileError as error:
        raise _first_of(error, open_quotes, files) or error from None
    first = _first_of(None, open_quotes, files)
    if first is not None:
        raise first
    return counts


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
    sources: Sequence[CampaignFile | ParquetInput] = (),
    checks: dict[int, _Checks] | None = None,
) -> Counts:
    """The counts of `frame`'s rows; `sources` (files) to name the true lines of their rows
    (a note over several lines is several lines), `checks` what each CSV's rows are checked
    for as the local engine checks them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    columns = [c for c in frame.columns if not c.startswith("_wacost_")]

    def reduce(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _reduce_partition(batches, numbering, default_country, columns, checks or {})

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
            raise _first_error(errors, base, files, sources)
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
        text = mask_digits(re.sub(r"\s+", " ", str(exc))[:200])
        if "MALFORMED_CSV_RECORD" in str(exc):  # Spark's own message shows the row
            file = re.search(r"while reading file (?:file:(?://)?)?(\S+?)\.? ", str(exc))
            text = f"{file.group(1) + ': ' if file else ''}a row it cannot parse"
        raise InputFileError(
            f"Spark could not count the campaign: {text}",
            "check the input files: every row needs as many fields as the header, and every "
            'quote closed (a quote inside a field is written twice: "")',
        ) from None
    first = repeated["first"]
    # each row counted as one line; a scan of the file names their true lines, as locally
    counted, first = _true_lines(sources, CountTable.from_pandas(table), first)
    example = None
    if first is not None:
        example = f"{files[int(first) >> _LINE_BITS]}:{int(first) & ((1 << _LINE_BITS) - 1)}"
    return Counts(
        table=counted,
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
    errors: pd.DataFrame,
    base: dict[tuple[int, str, int], int],
    files: list[str],
    sources: Sequence[CampaignFile | ParquetInput],
) -> InputFileError:
    """The error the local engine would raise: the first in reading order, on its true line."""
    found = []
    for i, p, s, text in zip(errors["input"], errors["path"], errors["start"], errors["error"]):
        match = re.search(re.escape(_WHERE) + r":(\d+)", text)
        found.append(((int(i), str(p), int(s), int(match.group(1)) if match else 0), text))
    (i, p, s, row), text = min(found)
    line = base.get((i, p, s), 0) + row
    message, _, hint = text.partition(_HINT)
    problem = message.removeprefix(f"{_WHERE}:{row}: ")
    if problem != message:  # about a row: on its true line
        error = InputFileError.at_line(files[i], line, problem, hint or None)
        return _on_true_line(error, sources[i]) if i < len(sources) else error
    message = re.sub(re.escape(_WHERE) + r":\d+", f"{files[i]}:{line}", message)
    return InputFileError(message, hint or None)
