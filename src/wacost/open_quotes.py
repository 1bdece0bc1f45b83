"""A quote left open in a column wacost does not read: the rows it takes into its field.

wacost reads a few columns of a campaign; a note in another column may run over several
lines in quotes. A quote left open there runs on to the next quote character and takes the
rows between into its field, where they would be neither priced nor reported. Those values
are found by the shape of their lines (see refuse_swallowed_rows), on whole columns at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost.errors import InputFileError
from wacost.masking import mask_digits


def may_hold_line_break(column: pa.Array, binary: bool = False) -> bool:
    """False when no value of a string (or, with `binary`, bytes) column holds a \\n or \\r
    byte: one scan of its bytes (in UTF-8 those bytes are those characters only), far cheaper
    than a search per value."""
    if not (pa.types.is_string(column.type) or (binary and pa.types.is_binary(column.type))):
        return True  # the search per value decides
    buffers = column.buffers()
    if len(column) == 0 or buffers[2] is None:
        return False  # no value, or every value empty
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=column.offset + len(column) + 1)
    start, end = int(offsets[column.offset]), int(offsets[-1])
    data = np.frombuffer(buffers[2], dtype=np.uint8)[start:end]
    # one pass for the usual answer (no control byte at all: a minimum, which needs no array
    # of comparisons), two more only if there is one
    return bool(len(data) and data.min() <= 13 and (np.any(data == 10) or np.any(data == 13)))


# What a row's own fields look like as written: its phone number or, in a planning file
# without one, its country code and count.
_ROW_PHONE = re.compile(
    rb"\s*\"?\s*(?:tel:|whatsapp:)?\s*\+?[0-9][0-9 ().\-/]{5,}[0-9]\s*\"?\s*", re.I
)
_ROW_COUNTRY = re.compile(rb"\s*\"?\s*[A-Za-z]{2}\s*\"?\s*")
_ROW_COUNT = re.compile(rb"\s*\"?\s*[0-9][0-9,._ ]*\s*\"?\s*")


def refuse_swallowed_rows(
    record_batch: pa.RecordBatch,
    unread: list[str],
    header: Sequence[str],
    columns: Mapping[str, int],
    delimiter: str,
    where: str,
    first_line: int,
) -> None:
    """No value of a column wacost does not read holds whole campaign rows.

    A quoted field may run over several lines (a note with line breaks), but a quote left
    open runs on until the next quote character and takes the rows in between into its
    field: they would be neither priced nor reported. The lines of such a value have the
    shape of rows: as many fields as a row has there, and its phone number (or country and
    count) in place; a note's own lines seldom have.
    """
    shapes = [[(columns["phone"], _ROW_PHONE)]] if "phone" in columns else []
    if "country" in columns and ("phone" not in columns or "count" in columns):
        planned = [(columns["country"], _ROW_COUNTRY)]  # a planning row
        shapes.append(planned + ([(columns["count"], _ROW_COUNT)] if "count" in columns else []))
    if not shapes:
        return
    found: list[InputFileError] = []  # the first row of each column: the earliest is named
    for name in unread:
        try:
            _refuse_in(record_batch.column(name), int(name[1:]), header, shapes, delimiter, where)
        except InputFileError as error:
            found.append(error)
    if found:
        first = min(found, key=lambda error: error.line or 0)
        raise InputFileError.at_line(
            where, first_line + (first.line or 0), first.problem, first.hint
        )


def _refuse_in(
    column: pa.Array,
    at: int,
    header: Sequence[str],
    shapes: list[list[tuple[int, re.Pattern[bytes]]]],
    delimiter: str,
    where: str,
) -> None:
    """refuse_swallowed_rows for the column `at`: the error names its row (from 0)."""
    separator = delimiter.encode()
    width = len(header)
    if not may_hold_line_break(column, binary=True):
        return
    # A quote left open in this column runs on to the next quote. The row is read with as
    # many fields as the header only if that quote is in this column too: the value's
    # first line is the rest of the row that opened it (its fields from this column on),
    # its last line the row that closes it up to this column, the lines between whole rows.
    # A value with fewer delimiters than the fewest such a line has is no rows.
    fewest = width - 1
    if any(key >= at for shape in shapes for key, _ in shape):
        fewest = min(fewest, width - at - 1)
    if any(key < at for shape in shapes for key, _ in shape):
        fewest = min(fewest, at)
    broken = pc.or_(pc.match_substring(column, "\n"), pc.match_substring(column, "\r"))
    if fewest:
        enough = pc.greater_equal(pc.count_substring(column, delimiter), fewest)
        broken = pc.and_(broken, enough)
    rows = pc.indices_nonzero(broken).to_numpy()
    if not rows.size:
        return
    values = column.take(rows)
    if pc.any(pc.match_substring(values, "\r")).as_py():  # \r\n or \r line ends: \n
        values = pc.replace_substring(pc.replace_substring(values, "\r\n", "\n"), "\r", "\n")
    lines = pc.split_pattern(values, pattern="\n")
    counts = pc.list_value_length(lines).to_numpy()
    parent = pc.list_parent_indices(lines).to_numpy()
    flat = pc.list_flatten(lines)
    place = np.arange(len(flat)) - (np.cumsum(counts) - counts)[parent]
    need = np.where(place == 0, width - at, np.where(place == counts[parent] - 1, at + 1, width))
    fields = pc.count_substring(flat, delimiter).to_numpy() + 1
    for index in np.flatnonzero(fields == need).tolist():
        start = at if place[index] == 0 else 0
        if _is_row(flat[index].as_py().split(separator), start, shapes):
            column_name = mask_digits(header[at])
            raise InputFileError.at_line(
                where,
                int(rows[parent[index]]),
                f"a quote left open in the {column_name!r} field takes the rows after it "
                "into that field (they would be skipped)",
                'close the quote; a quote inside a field is written twice: ""',
            )


def _is_row(
    fields: list[bytes], start: int, shapes: list[list[tuple[int, re.Pattern[bytes]]]]
) -> bool:
    """Whether `fields` (a row's from its `start`th on) have, where a row has them, the
    fields of one of `shapes` (positions and patterns: a phone number, or a planning row's
    country and count)."""
    for shape in shapes:
        here = [(at - start, pattern) for at, pattern in shape if 0 <= at - start < len(fields)]
        if here and all(pattern.fullmatch(fields[at]) for at, pattern in here):
            return True
    return False


def quote_open_at_end(where: str, line: int | None) -> InputFileError:
    """The file ends inside a quoted field, opened on the row at `line` (its last; None: not
    known). The CSV reader takes the rest of the file for that field and says nothing."""
    hint = 'close the quote; a quote inside a field is written twice: ""'
    if line is None:
        return InputFileError(f"{where}: a quote is never closed (the file ends inside it)", hint)
    problem = "a quote opened in this row is never closed (the file ends inside it)"
    return InputFileError.at_line(where, line, problem, hint)


def earliest_failure(
    failure: InputFileError | None, *checks: Callable[[], None]
) -> InputFileError | None:
    """The error on the earliest line among `failure` and those the `checks` raise, if any
    (each check names the first row it refuses; the first check to raise may not be first)."""
    for check in checks:
        try:
            check()
        except InputFileError as error:
            if failure is None or (error.line or 0) < (failure.line or 0):
                failure = error
    return failure


def refuse_line_breaks(columns: dict[str, pa.Array], where: str, first_line: int) -> None:
    """No value wacost reads holds a line break: one that does is a quote left open, which
    swallows the rows after it (two recipients would become one message). The first such row
    (of any column) is named."""
    found = []
    for name, column in columns.items():
        if not may_hold_line_break(column):
            continue
        broken = pc.or_(pc.match_substring(column, "\n"), pc.match_substring(column, "\r"))
        if not pc.any(broken).as_py():
            continue
        found.append((int(pc.index(broken, True).as_py()), name, column))
    if found:
        row, name, column = min(found, key=lambda item: item[0])
        shown = mask_digits(str(column[row].as_py()).splitlines()[0][:40])
        raise InputFileError.at_line(
            where,
            first_line + row,
            f"the {name} field {shown!r} runs over several lines "
            "(a quote left open swallows the rows after it)",
            'close the quote; a quote inside a field is written twice: ""',
        )
