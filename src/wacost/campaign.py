"""Read campaign CSV files in batches, with the contract's columns, aliases and dialects.

A campaign file has a header row and one row per message (or per planning row with `count`).
The delimiter (comma, semicolon, tab) and encoding (UTF-8 with or without a byte-order mark,
UTF-16 with one, or --encoding) are detected from the first bytes. pyarrow parses the rows in
blocks; we hand each block on as string columns with their line numbers, never a Python loop
per row.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.csv as pacsv

from wacost.errors import InputFileError, literal

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
}
_ALIAS_TO_CANONICAL = {
    alias: canon for canon, aliases in COLUMN_ALIASES.items() for alias in aliases
}
# pyarrow's streaming CSV reader parses a few dozen blocks ahead of the consumer, so its memory
# is about 40 blocks. 4 MiB blocks keep the peak flat (3M rows: 381 MiB, 30M rows: 475 MiB) and
# price 10M rows faster than 2 MiB ones (1.69 s against 1.95 s, benchmarks/bench_estimate.py).
DEFAULT_BLOCK_SIZE: Final = 4 * 1024 * 1024
_SNIFF_BYTES: Final = 64 * 1024
# A run of five or more digits, possibly written with the separators of a phone number.
_DIGIT_RUN = re.compile(r"\d(?:[ \-\.\(\)/\u00a0]*\d){4,}")


def mask_digits(text: str) -> str:
    """Hide the middle digits of every number-like run, so no phone number reaches a message."""

    def hide(match: re.Match[str]) -> str:
        run = match.group(0)
        positions = [i for i, ch in enumerate(run) if ch.isdigit()]
        hidden = set(positions[3:-2])
        return "".join("*" if i in hidden else ch for i, ch in enumerate(run))

    return _DIGIT_RUN.sub(hide, text)


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

    @property
    def has_phone(self) -> bool:
        return "phone" in self.columns


@dataclass(frozen=True)
class Batch:
    """A block of rows: canonical string columns (missing ones absent) and the first row's line."""

    file_index: int
    first_line: int
    columns: dict[str, pa.Array]
    num_rows: int


def _detect_encoding(head: bytes, path: Path, encoding: str | None) -> tuple[str, int]:
    """Python codec name and the length of the byte-order mark to skip."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(
                f"{{0}} {literal(repr(encoding))}: unknown encoding",
                "try utf-8, utf-16 or cp1252",
                "encoding",
            ) from None
        return encoding, 0
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    if b"\x00" in head:
        raise InputFileError(
            f"{path}: contains NUL bytes; it looks binary, not a CSV file",
            "export the campaign as CSV (UTF-8, or Excel's 'Unicode text')",
        )
    return "utf-8", 0


def inspect_campaign(path: Path, encoding: str | None = None) -> CampaignFile:
    """Open `path` just far enough to know its encoding, delimiter and columns."""
    try:
        if path.is_dir():
            raise InputFileError(f"{path}: is a directory, not a campaign file", "name a CSV file")
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
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
        text = decoder.decode(head[bom:], final=len(head) < _SNIFF_BYTES)
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
    if "\x00" in text:
        raise InputFileError(f"{path}: contains NUL bytes", "is it really a CSV file?")
    # The header is the first line with text, after an optional Excel 'sep=;' hint line;
    # pyarrow must skip every line before it, blank ones included.
    lines = re.split(r"\r\n|\r|\n", text)
    index = next((i for i, candidate in enumerate(lines) if candidate.strip()), len(lines))
    delimiter = None
    if (
        index < len(lines)
        and lines[index].strip().lower().startswith("sep=")
        and len(lines[index].strip()) == 5
    ):
        delimiter = lines[index].strip()[4]
        index = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), len(lines))
    line = lines[index] if index < len(lines) else ""
    skip_rows = index
    if not line:
        raise InputFileError(
            f"{path}: the file has no header row", "the first line names the columns"
        )
    if delimiter is None:
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=lambda d: counts[d])
        delimiter = best if counts[best] else ","
    try:
        header = next(csv.reader([line], delimiter=delimiter))
    except csv.Error as exc:
        raise InputFileError(
            f"{path}: line {skip_rows + 1}: cannot read the header ({exc})",
            "check the quotes in the header row",
        ) from None
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
    if "phone" not in columns and "country" not in columns:
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
    )


class _BadRow:
    """Remembers the first malformed row pyarrow meets, to name it in the error."""

    def __init__(self) -> None:
        self.row: pacsv.InvalidRow | None = None

    def __call__(self, row: pacsv.InvalidRow) -> str:
        if self.row is None:
            self.row = row
        return "error"


def read_batches(
    source: CampaignFile,
    file_index: int = 0,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Batch]:
    """The rows of `source` in blocks of about `block_size` bytes, as canonical string columns.

    `progress`, if given, is told after each block how many bytes of the file have been read.
    """
    names = [f"c{i}" for i in range(len(source.header))]
    wanted = {f"c{index}": canon for canon, index in source.columns.items()}
    bad_row = _BadRow()
    read_options = pacsv.ReadOptions(
        column_names=names,
        skip_rows=source.skip_rows,
        block_size=block_size,
        encoding=source.encoding if source.encoding not in ("utf-8", "utf8") else "utf8",
        use_threads=True,
    )
    parse_options = pacsv.ParseOptions(delimiter=source.delimiter, invalid_row_handler=bad_row)
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in wanted},
        include_columns=list(wanted),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    where = str(source.path)
    line = source.skip_rows + 1
    stream = None
    try:
        stream = pa.OSFile(str(source.path)) if progress is not None else None
        reader = pacsv.open_csv(
            stream if stream is not None else source.path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        for record_batch in reader:
            if stream is not None and progress is not None:
                progress(stream.tell())
            if record_batch.num_rows == 0:
                continue
            columns = {wanted[name]: record_batch.column(name) for name in wanted}
            yield Batch(
                file_index=file_index,
                first_line=line,
                columns=columns,
                num_rows=record_batch.num_rows,
            )
            line += record_batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, ValueError) as exc:
        raise _explain_parse_error(where, exc, bad_row, source) from None
    finally:
        if stream is not None:
            stream.close()


def _explain_parse_error(
    where: str, exc: Exception, bad_row: _BadRow, source: CampaignFile
) -> InputFileError:
    text = str(exc)
    if bad_row.row is not None:
        row = bad_row.row
        snippet = mask_digits(row.text[:60])
        if row.text.count('"') % 2 == 1 or ("\n" in row.text and '"' in row.text):
            return InputFileError(
                f"{where}: unbalanced quotes in the row starting {snippet.splitlines()[0]!r}",
                'close every quoted field (a quote inside a field is written twice: "")',
            )
        fields = "field" if row.actual_columns == 1 else "fields"
        return InputFileError(
            f"{where}: a row has {row.actual_columns} {fields} where the header has "
            f"{row.expected_columns}: {snippet!r}",
            "fix the row's delimiters or quotes (every row needs as many fields as the header)",
        )
    columns = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if columns:
        got = int(columns.group(2))
        return InputFileError(
            f"{where}: a row has {got} {'field' if got == 1 else 'fields'} where the header has "
            f"{columns.group(1)}",
            "fix the row's delimiters or quotes (every row needs as many fields as the header)",
        )
    if "straddling" in text:
        return InputFileError(
            f"{where}: a row is longer than wacost's read block (4 MiB)",
            "check the file for an unclosed quote or a huge field",
        )
    if "UTF8" in text or "utf-8" in text.lower() or "decode" in text.lower():
        return InputFileError(
            f"{literal(where)}: text that is not {literal(source.encoding)}",
            "re-save the file as UTF-8, or pass {0} (e.g. {0} cp1252)",
            "encoding",
        )
    if "quote" in text.lower() or "newline" in text.lower():
        return InputFileError(f"{where}: unbalanced quotes", "close every quoted field")
    first = mask_digits(text.splitlines()[0] if text else type(exc).__name__)
    return InputFileError(f"{where}: cannot parse the CSV ({first})", "check that it is a CSV file")
