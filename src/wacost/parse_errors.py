"""What a campaign's CSV reader raises, in words: the malformed row it met (`BadRow`), on the
file's line where the file can be read again, and what to do about it."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pacsv

from wacost.errors import InputFileError, literal
from wacost.masking import mask_digits

# a header line shorter than this fits in any read block: pyarrow's 'Could not skip initial
# rows' then means the file ended before the first row
_HEADER_BYTES = 64 * 1024
_ROW_NUMBER = re.compile(r"Row #(\d+)")  # in the error of a reader on one thread

if TYPE_CHECKING:
    from wacost.campaign import CampaignFile


class BadRow:
    """Remembers the first malformed row pyarrow meets, to name it in the error.

    pyarrow decodes a row's text before it calls the handler: a row that is not UTF-8 raises
    there, and pyarrow prints what it raised ('Exception ignored ... Traceback') unless the
    unraisable hook takes it; `quiet_bad_rows` installs one that keeps it as `undecodable`.
    With `skip`, the reader goes on (the row left out): the caller raises the error after the
    rows before it (read on one thread, the reader numbers the row).
    """

    def __init__(self, skip: bool = False) -> None:
        self.row: pacsv.InvalidRow | None = None
        self.undecodable = False
        self.skip = skip

    def __call__(self, row: pacsv.InvalidRow) -> str:  # reads nothing of `row`: never raises
        if self.row is None:
            self.row = row
        return "skip" if self.skip else "error"


class _BadRowHook:
    """An unraisable hook that takes what pyarrow's call of a `BadRow` raised (the row's text
    could not be decoded) and passes any other to the hook it replaced."""

    def __init__(self, previous: Callable[[Any], object]) -> None:
        self.previous = previous

    def __call__(self, info: Any) -> None:
        if isinstance(info.object, BadRow):
            info.object.undecodable = True
            return
        self.previous(info)


def quiet_bad_rows() -> None:
    """Keep what a `BadRow`'s call raises off stderr (see `BadRow`), in any process (the
    command line's or a library caller's); other unraisable exceptions are printed as before."""
    if not isinstance(sys.unraisablehook, _BadRowHook):
        sys.unraisablehook = _BadRowHook(sys.unraisablehook)


def _ragged_row_error(
    where: str,
    source: CampaignFile,
    start: int,
    problem: str,
    hint: str,
    number: int | None,
) -> InputFileError:
    """`where: problem (hint)`, on the line (counted a row each from `start`, as errors count
    them; the reader makes it the file's true line) of the first row with another number of
    fields than the header. pyarrow numbers that row (with the skipped lines, blank lines not
    counted) only on one thread: a stream is read so (`number`); a file, read on every core,
    is read again on one thread to learn it."""
    if number is None:
        number = _bad_row_number(source)
    if number is None:
        return InputFileError(f"{where}: {problem}", hint)
    return InputFileError.at_line(where, start + number - source.skip_rows - 1, problem, hint)


def _bad_row_number(source: CampaignFile) -> int | None:
    """pyarrow's number of the first malformed row of `source` read again on one thread (its
    columns as bytes: nothing converted); None for a stream, which cannot be read again."""
    if source.stream is not None or str(source.path) == "-":
        return None
    names = [f"c{i}" for i in range(len(source.header))]
    bad = BadRow()
    reader = None
    stopped = ""
    try:
        reader = pacsv.open_csv(
            source.opener() if source.opener is not None else str(source.path),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=source.skip_rows,
                encoding=source.arrow_encoding,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=source.delimiter, invalid_row_handler=bad, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.binary())),
        )
        for _ in reader:
            pass
    except (pa.ArrowException, OSError, UnicodeError, ValueError) as exc:
        stopped = str(exc)  # the row, if the handler met it, is kept
    finally:
        reader = None  # not kept alive by a traceback (see campaign.read_batches)
    if bad.row is not None:
        numbered: int | None = bad.row.number
        return numbered
    number = _ROW_NUMBER.search(stopped)  # a row the handler never got (not decodable)
    return int(number.group(1)) if number else None


def explain_parse_error(
    where: str, exc: Exception, bad_row: BadRow, source: CampaignFile, start: int
) -> InputFileError:
    """The one-line error for what pyarrow's CSV reader raised, naming the row where it can."""
    text = str(exc)
    if bad_row.row is not None:
        row = bad_row.row
        snippet = mask_digits(row.text[:60])
        if row.text.count('"') % 2 == 1 or ("\n" in row.text and '"' in row.text):
            return _ragged_row_error(
                where,
                source,
                start,
                f"unbalanced quotes in the row starting {snippet.splitlines()[0]!r}",
                'close every quoted field (a quote inside a field is written twice: "")',
                row.number,
            )
        fields = "field" if row.actual_columns == 1 else "fields"
        return _ragged_row_error(
            where,
            source,
            start,
            f"a row has {row.actual_columns} {fields} where the header has "
            f"{row.expected_columns}: {snippet!r}",
            "fix the row's delimiters or quotes (every row needs as many fields as the header)",
            row.number,
        )
    columns = re.search(r"Expected (\d+) columns, got (\d+)", text)
    if columns:  # no row kept: its text could not be decoded (bad_row.undecodable)
        got = int(columns.group(2))
        number = _ROW_NUMBER.search(text)  # a reader on one thread numbers it
        return _ragged_row_error(
            where,
            source,
            start,
            f"a row has {got} {'field' if got == 1 else 'fields'} where the header has "
            f"{columns.group(1)}",
            "fix the row's delimiters or quotes (every row needs as many fields as the header)",
            int(number.group(1)) if number else None,
        )
    if "Could not skip initial" in text and len(",".join(source.header)) < _HEADER_BYTES:
        # the file ends within the lines before the first row: a header line with no line end
        return InputFileError(f"{where}: a header but no rows", "add the campaign's recipients")
    if "straddling" in text:  # (its line: see read_batches)
        error = InputFileError(
            f"{where}: a row is longer than wacost's read block (4 MiB)",
            "check the file for an unclosed quote or a huge field",
        )
        error.problem = "a row is longer than wacost's read block (4 MiB)"
        return error
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
