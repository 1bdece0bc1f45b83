"""Read campaign CSV files in batches, with the contract's columns, aliases and dialects.

A campaign file has a header row and one row per message (or per planning row with `count`).
The delimiter (comma, semicolon, tab, pipe) and encoding (UTF-8 with or without a byte-order mark,
UTF-16 with one, or --encoding) are detected from the first bytes (`wacost.sniffing`). pyarrow
parses the rows in blocks; we hand each block on as string columns with their line numbers,
never a Python loop per row.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from wacost.arrow import first_failing_row
from wacost.errors import InputFileError, literal
from wacost.lines import QuoteWatch, StreamLines
from wacost.masking import mask_digits as mask_digits  # re-exported: readers' errors
from wacost.open_quotes import (
    earliest_failure,
    quote_open_at_end,
    refuse_line_breaks,
    refuse_swallowed_rows,
)
from wacost.open_quotes import may_hold_line_break as _may_hold_line_break  # noqa: F401 (tests)
from wacost.parse_errors import BadRow, explain_parse_error, quiet_bad_rows
from wacost.sniffing import (
    _LINE_BREAK,
    _SNIFF_BYTES,
    _detect_encoding,
    _read_head,
    _Replay,
    header_and_delimiter,
)

COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "phone": (
        "phone",
        "wa_id",
        "to",
        "msisdn",
        "recipient",
        "phone_number",
        "mobile",
        # beyond the contract: what CRMs and spreadsheets in our markets call it
        "mobile_number",
        "mobile_phone",
        "cell",
        "cellphone",
        "whatsapp",
        "whatsapp_number",
        "telefon",
        "telefonnummer",
        "mobil",
        "mobilnummer",
        "handy",
        "telefono",
        "teléfono",
        "celular",
        "telefone",
        "telephone",
        "téléphone",
        "portable",
        "nomor",
        "nomor_hp",
    ),
    "template": ("template", "template_name"),
    "language": ("language",),
    "category": ("category",),
    "count": ("count",),
    "country": ("country",),
    "window": ("window",),
    # beyond the contract: the message type, so that a non-template row can say it is a
    # reaction (never charged); other values (text, image, template, ...) change nothing
    "type": ("type", "message_type"),
}
_ALIAS_TO_CANONICAL = {
    alias: canon for canon, aliases in COLUMN_ALIASES.items() for alias in aliases
}
# pyarrow's streaming CSV reader parses a few dozen blocks ahead of the consumer, so its memory
# is about 40 blocks. 4 MiB blocks keep the peak flat (3M rows: 381 MiB, 30M rows: 475 MiB) and
# price 10M rows faster than 2 MiB ones (1.69 s against 1.95 s, benchmarks/bench_estimate.py).
DEFAULT_BLOCK_SIZE: Final = 4 * 1024 * 1024
MAX_COLUMNS: Final = 16_384


def canonical_column(name: str) -> str | None:
    """The contract column a header names (any case, spaces or hyphens), or None."""
    key = re.sub(r"[\s\-]+", "_", name.strip().strip('"').lower())
    return _ALIAS_TO_CANONICAL.get(key)


@dataclass(frozen=True)
class CampaignFile:
    """What we learned about one campaign file from its first bytes."""

    path: Path
    encoding: str
    delimiter: str
    skip_rows: int
    header: tuple[str, ...]
    columns: dict[str, int]  # canonical name -> position in the header
    # opens the (decompressed) bytes when they do not come from `path` itself (see sources.py)
    opener: Callable[[], Any] | None = None
    # A FIFO, pipe or device can be read once: its bytes so far, then the rest (None for files).
    stream: _Replay | None = field(default=None, compare=False, repr=False)
    # read once (a FIFO, standard input): its rows' true lines, learnt as it is read
    lines: StreamLines | None = field(default=None, compare=False, repr=False)

    @property
    def has_phone(self) -> bool:
        return "phone" in self.columns

    @property
    def arrow_encoding(self) -> str:
        """The encoding as pyarrow's CSV reader is given it ("utf8": its own decoding)."""
        return "utf8" if self.encoding in ("utf-8", "utf8") else self.encoding

    def source(self) -> Any:
        """What pyarrow reads: the path of a regular file, or the replayed stream."""
        if self.stream is not None:  # read once: its lines are learnt as it is read
            stream = self.stream if self.lines is None else self.lines.tee(self.stream)
            return pa.PythonFile(stream, mode="r")
        return self.path


@dataclass(frozen=True)
class Batch:
    """A block of rows: canonical string columns (missing ones absent) and the first row's line."""

    file_index: int
    first_line: int
    columns: dict[str, pa.Array]
    num_rows: int

    def before(self, line: int) -> Batch:
        """Its rows before the one on `line` (all of them when `line` is past its last)."""
        rows = max(0, min(self.num_rows, line - self.first_line))
        head = {name: column.slice(0, rows) for name, column in self.columns.items()}
        return Batch(self.file_index, self.first_line, head, rows)


def inspect_campaign(
    path: Path,
    encoding: str | None = None,
    head: bytes | None = None,
    opener: Callable[[], Any] | None = None,
    require_columns: bool = True,
    read_once: bool = False,
) -> CampaignFile:
    """Open `path` just far enough to know its encoding, delimiter and columns.

    `head` and `opener`: the first bytes and a way to open all of them, for a file that is not
    read from `path` as it is (compressed, or standard input).
    `require_columns`: a header without a phone (or country) column is an error; with False,
    the caller decides (an opt-out list may be one number per line). `read_once`: `opener`
    gives bytes that cannot be read again (standard input).
    """
    stream: _Replay | None = None
    try:
        if head is None:
            head, stream = _read_head(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file", "check the campaign path") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})", "check the path") from None
    if not head.strip():
        raise InputFileError(f"{path}: the file is empty", "a campaign needs a header row and rows")
    codec, bom = _detect_encoding(head, path, encoding)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        text = decoder.decode(head[bom:], final=len(head) % _SNIFF_BYTES != 0)
    except UnicodeDecodeError as exc:
        if encoding is not None:
            raise InputFileError(
                f"{literal(path)}: not {literal(codec)} text (byte {exc.start + bom})",
                "check {0}; the file's encoding may be another",
                "encoding",
            ) from None
        # Only the header and the columns wacost reads must decode (pyarrow checks those);
        # a name or note column in another encoding is no reason to refuse the file.
        text = head[bom : bom + exc.start].decode(codec)
        if "\n" not in text and "\r" not in text:
            raise InputFileError(
                f"{literal(path)}: the header is not {literal(codec)} text (byte {exc.start + bom})",
                "re-save the file as UTF-8, or pass {0} (e.g. {0} cp1252)",
                "encoding",
            ) from None
    except UnicodeError as exc:  # a codec that fails other than by a byte (punycode, undefined)
        raise InputFileError(
            f"{path}: not {codec} text ({exc})", "check --encoding, e.g. utf-8 or cp1252"
        ) from None
    if "\x00" in text:
        raise InputFileError(f"{path}: contains NUL bytes", "is it really a CSV file?")
    # The header is the first line with text, after an optional Excel 'sep=;' hint line;
    # pyarrow must skip every line before it, blank ones included.
    lines = _LINE_BREAK.split(text)
    index, delimiter = header_and_delimiter(
        lines, path, lambda name: canonical_column(name) in ("phone", "country")
    )
    line = lines[index] if index < len(lines) else ""
    skip_rows = index
    if not line:
        raise InputFileError(
            f"{path}: the file has no header row", "the first line names the columns"
        )
    try:
        header = next(csv.reader([line], delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(
            f"{path}: line {skip_rows + 1}: cannot read the header ({exc})",
            "check the quotes in the header row",
        ) from None
    if len(header) > MAX_COLUMNS:
        raise InputFileError(
            f"{path}: the header has {len(header):,} columns; wacost reads at most "
            f"{MAX_COLUMNS:,} (as many as a spreadsheet holds)",
            "export only the campaign's columns",
        )
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        canon = canonical_column(name)
        if canon is None:
            continue
        if canon in columns:
            raise InputFileError(
                f"{path}: columns {header[columns[canon]]!r} and {name!r} both mean {canon!r}",
                "keep one of them",
            )
        columns[canon] = index
    if require_columns and "phone" not in columns and "country" not in columns:
        shown = ", ".join(repr(mask_digits(h)) for h in header[:8]) or "(none)"
        raise InputFileError(
            f"{path}: no phone column (or country column for planning rows); found {shown}",
            "name the recipient column phone (or wa_id, to, msisdn, recipient, phone_number, mobile)",
        )
    return CampaignFile(
        path=path,
        encoding=codec,
        delimiter=delimiter,
        skip_rows=skip_rows + 1,
        header=tuple(header),
        columns=columns,
        opener=opener,
        stream=stream,
        lines=StreamLines(codec, skip_rows + 1, delimiter)
        if read_once or stream is not None
        else None,
    )


def read_batches(
    source: CampaignFile,
    file_index: int = 0,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Callable[[int], None] | None = None,
    check_unread: bool = True,
    first_line: int | None = None,
    watch_quotes: bool = True,
    exact: bool = False,
    parsed: list[pa.RecordBatch] | None = None,
) -> Iterator[Batch]:
    """The rows of `source` in blocks of about `block_size` bytes, as canonical string columns.

    `progress`, if given, is told after each block how many bytes of the file have been read.
    `check_unread`: also read the columns wacost does not use (as bytes, unchecked) to find a
    quote left open in one of them (see `wacost.open_quotes`); a caller that knows its bytes
    hold no quote character passes False: only the columns it uses are read, without quoting,
    on the caller's thread (it parses other bytes on its others), and as bytes made text here
    (see _as_text). `first_line`: the line of the first row (default: the one after the
    header), in batches and errors. `watch_quotes`: refuse bytes that end inside a quoted field
    (a caller that has checked they do not passes False). `exact`: read on one thread (as a
    stream always is), so that the first error raised is the one on the earliest line (the
    rows before it are handed on first: an error of theirs comes first). `parsed`: the used
    columns as pyarrow's reader gives them without quoting, already split (see plain_lines).
    """
    names = [f"c{i}" for i in range(len(source.header))]
    wanted = {f"c{index}": canon for canon, index in source.columns.items()}
    unread = [name for name in names if name not in wanted] if check_unread else []
    one_thread = exact or not check_unread or source.lines is not None
    bad_row = BadRow(skip=one_thread)  # numbered: raised after the rows before it
    quiet_bad_rows()
    read_options = pacsv.ReadOptions(
        column_names=names,
        skip_rows=source.skip_rows,
        block_size=block_size,
        encoding=source.arrow_encoding,
        # read once: one thread, so that pyarrow numbers a malformed row (InvalidRow.number),
        # the only way to name its line in a stream that cannot be read again
        use_threads=not one_thread,
    )
    # a quoted field may hold a line break (a note in a column wacost does not read): without
    # newlines_in_values, pyarrow cuts its blocks into chunks at any line end, quoted or not
    parse_options = pacsv.ParseOptions(
        delimiter=source.delimiter,
        invalid_row_handler=bad_row,
        newlines_in_values=check_unread,
        quote_char='"' if check_unread else False,
    )
    # every column as bytes: those wacost reads made text by _as_text (a value that is not
    # UTF-8 named on its row), the others only searched for a quote left open
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.binary() for name in [*wanted, *unread]},
        include_columns=list(wanted) + unread,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    where = str(source.path)
    line = start = source.skip_rows + 1 if first_line is None else first_line
    stream = None
    reader: Iterable[pa.RecordBatch] | None = parsed
    # read once, its lines learnt as it is read: they follow its quotes too
    watch: QuoteWatch | None = source.lines if check_unread else None
    try:
        if reader is None:  # read by pyarrow
            if source.opener is not None:
                stream = source.opener()
            elif (
                progress is not None or (check_unread and watch_quotes)
            ) and source.stream is None:
                stream = pa.OSFile(str(source.path))
            read = stream if stream is not None else source.source()
            if watch is None and check_unread and watch_quotes:
                watch = QuoteWatch(source.encoding, source.skip_rows, source.delimiter)
                read = pa.PythonFile(watch.tee(read), mode="r")
            reader = pacsv.open_csv(
                read,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        for record_batch in reader:
            if stream is not None and progress is not None and source.opener is None:
                progress(stream.tell())
            failure = None  # the error on this batch's earliest line, if any
            if bad_row.skip and bad_row.row is not None:
                failure = explain_parse_error(where, ValueError(), bad_row, source, start)
                if failure.line is not None and failure.line > line + record_batch.num_rows:
                    failure = None  # a row of a block after this one
            if record_batch.num_rows == 0 and failure is None:
                continue
            # the rows before an error are checked too: one of theirs would come first
            record_batch = _before(record_batch, failure, line)
            columns, undecodable = _text_columns(record_batch, wanted, where, line)
            if undecodable is not None:
                failure, record_batch = undecodable, _before(record_batch, undecodable, line)
            # (a range read without quoting: no value can hold a line break, none to look for)
            breaks = [partial(refuse_line_breaks, columns, where, line)] if check_unread else []
            failure = earliest_failure(
                failure,
                *breaks,
                partial(
                    refuse_swallowed_rows,
                    record_batch,
                    unread,
                    source.header,
                    source.columns,
                    source.delimiter,
                    where,
                    line,
                ),
            )
            batch = Batch(file_index, line, columns, record_batch.num_rows)
            if failure is not None:  # the rows before it first: an error of theirs comes first
                head = batch.before(failure.line or line)
                if head.num_rows:
                    yield head
                raise failure
            yield batch
            line += record_batch.num_rows
        if bad_row.skip and bad_row.row is not None:  # in no batch: the file's last rows
            raise explain_parse_error(where, ValueError(), bad_row, source, start)
        if watch is not None and watch.ends_inside_quotes:  # the last row's quote
            raise quote_open_at_end(where, line - 1 if line > start else None)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, ValueError) as exc:
        error = explain_parse_error(where, exc, bad_row, source, start)
        if one_thread and error.line is None and "straddling" in str(exc):
            # a row longer than a block: on one thread, the rows before it were handed on
            error = InputFileError.at_line(where, line, error.problem, error.hint)
        raise error from None
    finally:
        # Dropped here, not with this frame: an error's traceback keeps the frame to the
        # interpreter's exit, where the pyarrow thread that lets the reader go cannot take
        # the GIL (for its row handler) and aborts the process (exit 134 after the message).
        del reader
        if stream is not None:
            stream.close()
        if source.stream is not None:
            source.stream.close()


def _before(
    record_batch: pa.RecordBatch, failure: InputFileError | None, line: int
) -> pa.RecordBatch:
    """The rows of `record_batch` (its first on `line`) before `failure`'s (all: no failure)."""
    if failure is None or failure.line is None:
        return record_batch
    return record_batch.slice(0, max(0, min(record_batch.num_rows, failure.line - line)))


def _text_columns(
    record_batch: pa.RecordBatch, wanted: dict[str, str], where: str, line: int
) -> tuple[dict[str, pa.Array], InputFileError | None]:
    """The columns wacost reads as text (by canonical name), and the error of the earliest value
    that is not UTF-8 (the columns then cut before its row)."""
    columns: dict[str, pa.Array] = {}

    def convert(name: str, canon: str) -> None:
        columns[canon] = _as_text(record_batch.column(name), where, canon, line)

    failure = earliest_failure(None, *(partial(convert, *item) for item in wanted.items()))
    if failure is not None:
        rows = _before(record_batch, failure, line)
        columns = {canon: _as_text(rows.column(name)) for name, canon in wanted.items()}
    return columns, failure


def _as_text(column: pa.Array, where: str = "", name: str = "", first_line: int = 0) -> pa.Array:
    """A column read as bytes as the string column pyarrow's reader gives: bytes all below
    0x80 are ASCII, so UTF-8 as they are (one scan, against a decoding of every value); others
    are checked by a cast. A value that is not UTF-8 is named on its row (`first_line` + its
    place), as the `name` field of `where`."""
    if not pa.types.is_binary(column.type):
        return column
    data = column.buffers()[2]
    if data is not None and len(data) and np.frombuffer(data, dtype=np.uint8).max() >= 0x80:
        try:
            return column.cast(pa.string())
        except pa.ArrowInvalid:
            row = first_failing_row(column, lambda part: part.cast(pa.string()))
            raise InputFileError.at_line(
                where,
                first_line + row,
                f"the {name} field is not UTF-8 text",
                "re-save the file as UTF-8, or pass {0} (e.g. {0} cp1252)",
                "encoding",
            ) from None
    return column.view(pa.string())
