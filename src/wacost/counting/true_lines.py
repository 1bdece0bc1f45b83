"""The lines of a campaign's rows as an editor shows them, where the counting numbered them a
line a row: a scan of the file again (`_true_lines`, `_on_true_line`), or, for a stream read
once, what was learnt of it as it was read (`_part_lines`). See wacost.lines."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np

from wacost.campaign import CampaignFile
from wacost.counting.batch import _LINE_BITS, _LINE_MASK, _BatchCounts
from wacost.counting.table import CountTable
from wacost.errors import InputFileError
from wacost.lines import row_lines
from wacost.sources import ParquetInput, is_stdin


def _true_lines(
    sources: Sequence[CampaignFile | ParquetInput],
    table: CountTable,
    *ordinals: int | None,
) -> tuple[Any, ...]:
    """`table`'s first lines and `ordinals` (file << 40 | line) with each row's true line.

    The counting numbers rows as if each were one line; blank lines and quoted line breaks
    move the true lines down (see wacost.lines), which only a scan of the file can tell. (A
    stream's rows were counted on their true lines as it was read: see `_part_lines`.)
    """
    rows = list(table.rows)
    result: list[int | None] = list(ordinals)
    for index, source in enumerate(sources):
        if not _rescannable(source):  # lines stay as counted
            continue
        base = source.skip_rows + 1
        in_file = [i for i, row in enumerate(rows) if row.file == index]
        picked = [i for i, o in enumerate(result) if o is not None and o >> _LINE_BITS == index]
        wanted = [rows[i].first_line - base for i in in_file]
        wanted += [((result[i] or 0) & _LINE_MASK) - base for i in picked]
        if not wanted:
            continue
        lines = _lines_of(source, wanted)
        for i, line in zip(in_file, lines):
            rows[i] = rows[i]._replace(first_line=int(line))
        for i, line in zip(picked, lines[len(in_file) :]):
            result[i] = (index << _LINE_BITS) | int(line)
    return (CountTable(tuple(rows)), *result)


def _rescannable(source: CampaignFile | ParquetInput) -> TypeGuard[CampaignFile]:
    """Whether a second scan can tell the true lines of `source`'s rows."""
    return (
        isinstance(source, CampaignFile)  # Parquet: lines are its rows already
        and source.stream is None  # a FIFO or a device: read once
        and not is_stdin(source.path)  # read once
        and source.path.is_file()  # a plain or compressed file: read again
    )


def _lines_of(source: CampaignFile, rows: Sequence[int]) -> list[int]:
    """The true line of each row (0-based, as counted) of a file read again."""
    return [
        int(line)
        for line in row_lines(
            source.path,
            source.encoding,
            source.skip_rows,
            np.array(rows, dtype=np.int64),
            source.delimiter,
            source.opener,  # a compressed file: decompressed again
        )
    ]


def _on_true_line(error: InputFileError, source: CampaignFile | ParquetInput) -> InputFileError:
    """`error` with the line it names (counted as one line a row) made the file's true line."""
    counted = error.line
    if counted is None or error.path != str(source.path) or not isinstance(source, CampaignFile):
        return error
    base = source.skip_rows + 1
    if counted < base:
        return error
    if source.lines is not None:  # read once: its lines are learnt as it is read
        line = int(source.lines.true_lines(np.array([counted]))[0])
    elif _rescannable(source):
        try:
            line = _lines_of(source, [counted - base])[0]
        except Exception as exc:  # a compressed file damaged past the row: read up to there
            if isinstance(exc, MemoryError):
                raise
            opener = source.opener
            if opener is None:
                return error
            try:
                readable = dataclasses.replace(source, opener=lambda: _UpToDamage(opener()))
                line = _lines_of(readable, [counted - base])[0]
            except Exception as again:  # (its line as counted)
                if isinstance(again, MemoryError):
                    raise
                return error
    else:
        return error
    if line == counted:
        return error
    return error.on_line(line)


class _UpToDamage:
    """A compressed file's decompressed bytes as far as they can be read, its damage read as
    their end; in small reads (one that meets the damage gives none of its bytes)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._ended = False

    def read(self, size: int) -> bytes:
        pieces = []
        while size > 0 and not self._ended:
            try:
                piece = bytes(self._stream.read(min(size, 1 << 16)))
            except Exception as exc:  # the damage: the end of what can be read
                if isinstance(exc, MemoryError):
                    raise
                piece = b""
            self._ended = not piece
            pieces.append(piece)
            size -= len(piece)
        return b"".join(pieces)

    def __enter__(self) -> _UpToDamage:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def _part_lines(
    part: _BatchCounts, source: CampaignFile | ParquetInput
) -> tuple[np.ndarray, int, np.ndarray]:
    """The lines of `part`'s keys' first rows, and of its recipients' rows as (base, rows):
    line base + rows[i]. Counted a line a row (base: the part's first line, rows: its rows), or
    for a stream read once its true lines (the rows before it are then let go)."""
    keys = part.first_line + part.first_row
    lines = source.lines if isinstance(source, CampaignFile) else None
    if lines is None:
        return keys, part.first_line, part.rows
    keys, rows = lines.true_lines(keys), lines.true_lines(part.first_line + part.rows)
    lines.forget(part.first_line + part.num_rows - 1)
    return keys, 0, rows
