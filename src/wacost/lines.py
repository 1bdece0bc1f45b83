"""The line of a campaign file on which a row starts, as an editor shows it.

pyarrow numbers nothing: it hands on rows. A row's place in the file is its line only when
every row is one line; a blank line (which the reader skips) or a quoted field with a line
break inside moves every later row down. `row_lines` finds the true lines by scanning the
file's bytes: a line break ends a row unless it is inside quotes (an odd number of `"` before
it), and an empty line is no row. A quote inside an unquoted field (5" screen) is a character
of it, as the reader has it: where one is met, the quotes are followed one by one. Chunks without quotes, carriage returns or blank lines (most
of any file) are counted with `bytes.count`; the rest with numpy on whole chunks.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np

_CHUNK: Final = 4 * 1024 * 1024
_QUOTE, _LF, _CR = 34, 10, 13


def _chunks(handle: BinaryIO, encoding: str) -> Iterator[bytes]:
    """The file's bytes, as UTF-8 when its encoding is not ASCII-compatible (UTF-16)."""
    if encoding.replace("-", "").replace("_", "").lower().startswith("utf16"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        while chunk := handle.read(_CHUNK):
            yield decoder.decode(chunk).encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
        return
    while chunk := handle.read(_CHUNK):
        yield chunk


class _Scanner:
    """Walks the bytes of a file, numbering the rows that start after `skip` lines."""

    def __init__(self, skip: int, delimiter: int = ord(",")) -> None:
        self.field_start = np.zeros(256, dtype=bool)  # a byte after which a field starts
        self.field_start[[delimiter, _LF, _CR]] = True
        self.last = _LF  # the byte before the next one: a row starts after a line break
        self.skip = skip  # lines still to skip (before the first row: the header)
        self.line = 0  # line breaks seen so far: the 0-based line of the next byte
        self.rows = 0  # rows started so far
        self.in_quotes = False
        self.at_row_start = skip == 0

    def feed(self, data: bytes) -> tuple[int, np.ndarray | None]:
        """Rows that start in `data`: (index of the first, their 0-based lines or None when
        they are on consecutive lines from the first's: see `first_line`)."""
        if self.skip:
            data = self._skip(data)
            if not data:
                return self.rows, np.zeros(0, dtype=np.int64)
        first_row = self.rows
        if not data:
            return first_row, np.zeros(0, dtype=np.int64)
        if (
            not self.in_quotes
            and b'"' not in data
            and b"\r" not in data
            and b"\n\n" not in data
            and not (self.at_row_start and data[:1] == b"\n")
        ):
            breaks = data.count(b"\n")
            starts = (1 if self.at_row_start else 0) + breaks - (1 if data.endswith(b"\n") else 0)
            self.first_line = self.line + (0 if self.at_row_start else 1)
            self.rows += starts
            self.line += breaks
            self.at_row_start = data.endswith(b"\n")
            self.last = data[-1]
            return first_row, None
        return first_row, self._general(data)

    first_line = 0

    def _skip(self, data: bytes) -> bytes:
        """Drop the lines before the first row (quotes do not matter there)."""
        at = 0
        while self.skip:
            lf, cr = data.find(b"\n", at), data.find(b"\r", at)
            if lf < 0 and cr < 0:
                return b""
            end = min(p for p in (lf, cr) if p >= 0)
            if data[end : end + 2] == b"\r\n":
                end += 1
            at = end + 1
            self.line += 1
            self.skip -= 1
        self.at_row_start = True
        return data[at:]

    def _general(self, data: bytes) -> np.ndarray:
        b = np.frombuffer(data, dtype=np.uint8)
        quotes = np.cumsum(self._toggles(b)) + (1 if self.in_quotes else 0)
        lf = b == _LF
        cr = b == _CR
        cr[:-1] &= ~lf[1:]  # \r\n is one line break, at its \n
        breaks = np.flatnonzero(lf | cr)
        outside = (quotes[breaks] & 1) == 0 if breaks.size else np.zeros(0, dtype=bool)
        starts = breaks[outside] + 1
        if self.at_row_start:
            starts = np.concatenate([[0], starts])
        at_end = starts >= len(b)
        starts = starts[~at_end]
        empty = (b[starts] == _LF) | (b[starts] == _CR)
        starts = starts[~empty]
        lines = self.line + np.searchsorted(breaks, starts, side="left")
        self.rows += len(starts)
        self.line += len(breaks)
        self.in_quotes = bool(quotes[-1] & 1) if len(b) else self.in_quotes
        self.at_row_start = bool(at_end.any())
        self.last = int(b[-1])
        return np.asarray(lines, dtype=np.int64)

    def _toggles(self, b: np.ndarray) -> np.ndarray:
        """Where a quote opens or closes a quoted field: a quote outside one opens it only at
        a field's start (or, just after a closing quote, is an escaped quote); inside, each
        one closes it (a doubled one opening it again). When every quote outside a quoted
        field is at a field's start, as in any file quoted whole fields, every quote does."""
        quote: np.ndarray = b == _QUOTE
        at = np.flatnonzero(quote)
        if not at.size:
            return quote
        before = b[at - 1]  # the byte before each quote (the first byte's: self.last)
        if at[0] == 0:
            before[0] = self.last
        boundary = self.field_start[before]
        # if every quote toggled, those outside a quoted field are every other one from here
        parity = 1 if self.in_quotes else 0
        irregular = ~(boundary[parity::2] | (before[parity::2] == _QUOTE))
        if not irregular.any():
            return quote
        # the quotes before the first irregular one toggle; from it, they are followed one by one
        first = parity + 2 * int(np.argmax(irregular))
        inside = False
        closed = int(at[first - 1]) if first else -2  # where the last quote closed a field
        at_boundary = boundary.tolist()
        for j in range(first, at.size):
            position = int(at[j])
            if inside:
                inside, closed = False, position
            elif at_boundary[j] or closed == position - 1:
                inside = True
            else:
                quote[position] = False  # a character of an unquoted field
        return quote


def ends_inside_quotes(data: bytes, delimiter: str = ",") -> bool:
    """Whether `data`, read from a row's start outside any quote, ends inside a quoted field:
    its quotes followed as the reader has them (a quote inside an unquoted field, 5" screen,
    is a character, not a quote)."""
    toggles = _Scanner(0, ord(delimiter))._toggles(np.frombuffer(data, dtype=np.uint8))
    return bool(np.count_nonzero(toggles) & 1)


def row_lines(
    path: Path,
    encoding: str,
    skip_lines: int,
    rows: np.ndarray,
    delimiter: str = ",",
    opener: Callable[[], Any] | None = None,
) -> np.ndarray:
    """The 1-based line on which each of `rows` (0-based row indices, as the reader counts
    rows after the first `skip_lines` lines) starts. Reads the file only as far as needed;
    `opener`, if given, opens its bytes (a compressed file, decompressed) in place of `path`."""
    rows = np.asarray(rows, dtype=np.int64)
    result = np.zeros(len(rows), dtype=np.int64)
    if not len(rows):
        return result
    order = np.argsort(rows, kind="stable")
    wanted = rows[order]
    done = 0
    scanner = _Scanner(skip_lines, ord(delimiter))
    carry = b""
    with opener() if opener is not None else path.open("rb") as handle:
        for chunk in _chunks(handle, encoding):
            data = carry + chunk
            carry = b""
            if data.endswith(b"\r") and chunk:  # a \r\n may be split between two chunks
                data, carry = data[:-1], b"\r"
            first, lines = scanner.feed(data)
            end = scanner.rows
            upto = int(np.searchsorted(wanted, end, side="left"))
            if upto > done:
                index = wanted[done:upto] - first
                if lines is None:
                    found = scanner.first_line + index
                else:
                    found = lines[index]
                result[order[done:upto]] = found + 1
                done = upto
            if done == len(wanted):
                break
        if carry and done < len(wanted):
            first, lines = scanner.feed(carry)
    # rows past the end (never in practice): keep their place as counted
    if done < len(wanted):
        result[order[done:]] = wanted[done:] + skip_lines + 1
    return result


_LINE_END = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")  # after \n, \r\n or a lone \r


def _text_lines(handle: Any, encoding: str) -> Iterator[str]:
    """The file's text, line by line, each line with its \n, \r\n or \r."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    rest = ""
    while chunk := handle.read(_CHUNK):
        # (a \r\n split between chunks gives a line and a blank one: no row either way)
        lines = _LINE_END.split(rest + decoder.decode(bytes(chunk)))
        rest = lines.pop()  # unfinished: the next chunk's
        yield from lines
    yield from (line for line in _LINE_END.split(rest + decoder.decode(b"", final=True)) if line)


def first_ragged_row(
    opener: Callable[[], Any], encoding: str, skip_lines: int, delimiter: str, width: int
) -> int | None:
    """The 0-based index of the first row (as the reader counts rows after `skip_lines`
    lines: a blank line is none) that has not `width` fields; None when every row has, or the
    file cannot be read again. For an error's line: reads the file from its start."""
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a note may be long
    try:
        with opener() as handle:
            lines = _text_lines(handle, encoding)
            for _ in zip(range(skip_lines), lines):
                pass
            rows = (fields for fields in csv.reader(lines, delimiter=delimiter) if fields)
            for index, fields in enumerate(rows):
                if len(fields) != width:
                    return index
    except Exception:  # only the line is lost: the error is named without it
        return None
    finally:
        csv.field_size_limit(limit)
    return None
