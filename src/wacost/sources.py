"""Where a campaign's rows come from: CSV files (plain or compressed), Parquet, standard input.

Every kind is read in batches, so memory stays flat whatever the size, and every kind hands on
the same thing: the contract's columns (found by the same aliases, in any case) as string
columns, with the line of each batch's first row.

- `PATH.csv` (or any other name): CSV, read by `campaign.read_batches`.
- `PATH.gz`, `.bz2`, `.zst`, `.xz`: compressed CSV, decompressed as it is read.
- `PATH.parquet` (`.pq`), or a folder of Parquet files (one dataset, files whose names start
  with `_` or `.` left out, as Spark and Hive write them): the columns are cast to text as a CSV
  export would write them. A row's "line" is the line it would have in that export (the header
  is line 1), counted across the files of a folder in name order.
- `-`: standard input (CSV, plain), read once as it comes.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from wacost.campaign import (
    DEFAULT_BLOCK_SIZE,
    Batch,
    CampaignFile,
    canonical_column,
    inspect_campaign,
    mask_digits,
    read_batches,
)
from wacost.errors import InputFileError
from wacost.sniffing import _SNIFF_BYTES

STDIN: Final = "-"
COMPRESSION: Final = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".xz": "xz"}
PARQUET_SUFFIXES: Final = (".parquet", ".pq")
# Parquet rows per batch: about the rows of one CSV block of DEFAULT_BLOCK_SIZE bytes
_BYTES_PER_ROW: Final = 32


@dataclass(frozen=True)
class ParquetInput:
    """A Parquet file or folder: its dataset and the fields that hold the contract's columns."""

    path: Path
    columns: dict[str, str]  # canonical name -> field name
    dataset: Any  # pyarrow.dataset.Dataset

    @property
    def has_phone(self) -> bool:
        return "phone" in self.columns


Source = CampaignFile | ParquetInput


def is_stdin(path: Path) -> bool:
    return str(path) == STDIN


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES or (not is_stdin(path) and path.is_dir())


def compression_of(path: Path) -> str | None:
    return COMPRESSION.get(path.suffix.lower())


def input_size(path: Path) -> int:
    """Bytes to read, as far as known beforehand (compressed size; a folder's files summed;
    standard input: unknown, taken as large)."""
    try:
        if is_stdin(path):
            return 1 << 40
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def inspect_input(path: Path, encoding: str | None = None) -> Source:
    """Open `path` just far enough to know its format and columns (see the module's doc)."""
    if is_stdin(path):
        return _inspect_stdin(path, encoding)
    if is_parquet(path):
        return _inspect_parquet(path)
    codec = compression_of(path)
    if codec is None:
        return inspect_campaign(path, encoding)
    if not path.is_file():
        inspect_campaign(path, encoding)  # its error for a missing file, a folder, permissions
    head = b""
    try:
        with _open_compressed(path, codec) as stream:
            head = _read_head(stream)
    except InputFileError:
        raise
    except Exception as exc:  # each codec has its own errors: all mean a damaged file
        raise _damaged(path, codec, exc) from None
    return inspect_campaign(path, encoding, head, lambda: _open_compressed(path, codec))


def read_input(
    source: Source,
    file_index: int = 0,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Callable[[int], None] | None = None,
    first_line: int | None = None,
    exact: bool = False,
) -> Iterator[Batch]:
    """The rows of an inspected input in batches (see campaign.read_batches); a damaged
    compressed file is one error naming it."""
    if isinstance(source, ParquetInput):
        yield from _parquet_batches(source, file_index, block_size)
        return
    codec = compression_of(source.path) if source.opener is not None else None
    try:
        yield from read_batches(
            source, file_index, block_size, progress, first_line=first_line, exact=exact
        )
    except InputFileError as exc:
        if codec is None or "cannot parse the CSV" not in exc.message:
            raise
        raise _damaged(source.path, codec, exc) from None
    except Exception as exc:
        if source.opener is None or isinstance(exc, (KeyboardInterrupt, MemoryError)):
            raise
        if codec is None:
            raise InputFileError(
                f"{source.path}: cannot read standard input ({type(exc).__name__})",
                "pipe a CSV campaign in",
            ) from None
        raise _damaged(source.path, codec, exc) from None


# --- compressed CSV ---------------------------------------------------------------------------


def _open_compressed(path: Path, codec: str) -> Any:
    import pyarrow as pa

    if codec == "xz":  # not among pyarrow's codecs: Python's lzma, read in large pieces
        import lzma

        return pa.PythonFile(lzma.open(path, "rb"), mode="r")
    return pa.CompressedInputStream(pa.OSFile(str(path)), codec)


def _read_head(stream: Any) -> bytes:
    head = b""
    while len(head) < _SNIFF_BYTES:
        piece = stream.read(_SNIFF_BYTES - len(head))
        if not piece:
            break
        head += bytes(piece)
    return head


def _damaged(path: Path, codec: str, exc: Exception) -> InputFileError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InputFileError(
        f"{path}: not a readable {codec} file ({mask_digits(text)[:120]})",
        f"check the file (is it complete? is it really {codec}?), or give the CSV uncompressed",
    )


# --- standard input ---------------------------------------------------------------------------


class _Replay(io.RawIOBase):
    """Standard input with its first bytes (already read to inspect it) put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _inspect_stdin(path: Path, encoding: str | None) -> CampaignFile:
    stdin = sys.stdin.buffer if sys.stdin is not None else None
    if stdin is None or sys.stdin.isatty():
        raise InputFileError(
            "-: standard input is a terminal, not a campaign",
            "pipe the campaign in, e.g. `zcat campaign.csv.gz | wacost estimate -`",
        )
    head = _read_head(stdin)
    opened: list[bool] = []

    def opener() -> Any:
        import pyarrow as pa

        if opened:
            raise InputFileError("-: standard input can be read once", "name it once")
        opened.append(True)
        replay = io.BufferedReader(_Replay(head, stdin), 1 << 20)
        # read once: its lines are learnt as it is read (see CampaignFile.lines)
        teed = replay if campaign.lines is None else campaign.lines.tee(replay)
        return pa.PythonFile(teed, mode="r")

    campaign = inspect_campaign(path, encoding, head, opener, read_once=True)
    return campaign


# --- Parquet ----------------------------------------------------------------------------------


def _inspect_parquet(path: Path) -> ParquetInput:
    import pyarrow as pa
    import pyarrow.dataset as pads

    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder", "check the campaign path")
    try:
        dataset = pads.dataset(str(path), format="parquet", partitioning=_hive(path))
        schema = dataset.schema
        if path.is_dir() and not dataset.files:
            raise InputFileError(
                f"{path}: is a directory with no Parquet files, not a campaign",
                "name a CSV or Parquet file, or a folder of Parquet files",
            )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise _not_parquet(path, exc) from None
    columns: dict[str, str] = {}
    for name in schema.names:
        canon = canonical_column(name)
        if canon is None:
            continue
        if canon in columns:
            raise InputFileError(
                f"{path}: columns {columns[canon]!r} and {name!r} both mean {canon!r}",
                "keep one of them",
            )
        columns[canon] = name
    if "phone" not in columns and "country" not in columns:
        shown = ", ".join(repr(mask_digits(h)) for h in schema.names[:8]) or "(none)"
        raise InputFileError(
            f"{path}: no phone column (or country column for planning rows); found {shown}",
            "name the recipient column phone (or wa_id, to, msisdn, recipient, phone_number, mobile)",
        )
    for canon, name in columns.items():  # one value a row: text, a number, a date
        kind = schema.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if pa.types.is_nested(kind):
            raise InputFileError(
                f"{path}: column {mask_digits(name)!r} holds {kind} values, not one {canon} a row",
                f"store the {canon} column as text",
            )
    return ParquetInput(path=path, columns=columns, dataset=dataset)


def _hive(path: Path) -> Any:
    """A Spark or Hive export keeps its partition columns in folder names (template=x/...):
    they are columns of the dataset, read as text as every column (template=0123 stays 0123)."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    if not path.is_dir():
        return None
    names: dict[str, None] = {}
    for folder in sorted(p for p in path.rglob("*=*") if p.is_dir()):
        names.setdefault(folder.name.partition("=")[0], None)
    if not names:
        return None
    return pads.partitioning(pa.schema([(name, pa.string()) for name in names]), flavor="hive")


def _not_parquet(path: Path, exc: Exception) -> InputFileError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "magic bytes" in text or "Parquet" in text or "parquet" in text:
        text = "no Parquet footer: damaged, or not a Parquet file"
    return InputFileError(
        f"{path}: cannot read it as Parquet ({mask_digits(text)[:120]})",
        "give a Parquet file (or a folder of them), or a CSV file with a .csv name",
    )


def as_text(column: Any) -> Any:
    """A column of any Arrow type as strings, as a CSV export writes them (missing: empty)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_floating(column.type):
        column = _float_text(column)
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    if column.null_count:
        column = pc.fill_null(column, "")
    return column


def _float_text(column: Any) -> Any:
    """Floats as a CSV export writes them (pandas): a whole number as 14162585330.0, not
    Arrow's 1.416258533e+10; NaN empty. (A phone column with a gap is float64 in pandas.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pc.cast(column, pa.float64())
    whole = pc.and_(
        pc.is_finite(column),
        pc.and_(pc.equal(column, pc.floor(column)), pc.less(pc.abs(column), 1e16)),
    )
    whole = pc.fill_null(whole, False)
    digits = pc.cast(pc.cast(pc.if_else(whole, column, 0.0), pa.int64()), pa.string())
    text = pc.if_else(
        whole, pc.binary_join_element_wise(digits, ".0", ""), pc.cast(column, pa.string())
    )
    return pc.if_else(pc.fill_null(pc.is_nan(column), False), "", text)


def _parquet_batches(source: ParquetInput, file_index: int, block_size: int) -> Iterator[Batch]:
    import pyarrow as pa

    fields = list(dict.fromkeys(source.columns.values()))
    line = 2  # the first row's line in a CSV export: after the header
    try:
        batches = source.dataset.to_batches(
            columns=fields, batch_size=max(1024, block_size // _BYTES_PER_ROW), use_threads=True
        )
        for record_batch in batches:
            if record_batch.num_rows == 0:
                continue
            columns = {
                canon: _text_of(record_batch.column(field), source.path, field, line)
                for canon, field in source.columns.items()
            }
            yield Batch(file_index, line, columns, record_batch.num_rows)
            line += record_batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise _not_parquet(source.path, exc) from None


def _text_of(column: Any, path: Path, name: str, first_line: int) -> Any:
    """`as_text(column)`; a bytes column that is not UTF-8 text names its first such row (on
    the line it would have in a CSV export), found by halving (an error's path only)."""
    import pyarrow as pa

    try:
        return as_text(column)
    except pa.ArrowInvalid:
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if not pa.types.is_binary(kind) and not pa.types.is_large_binary(kind):
            raise
    from wacost.arrow import first_failing_row

    raise InputFileError.at_line(
        str(path),
        first_line + first_failing_row(column, as_text),
        f"column {mask_digits(name)!r} holds bytes that are not UTF-8 text",
        "store it as a string column (UTF-8)",
    )
