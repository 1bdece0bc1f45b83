"""The line of a campaign file on which a row starts, as an editor shows it.

pyarrow numbers nothing: it hands on rows. A row's place in the file is its line only when
every row is one line; a blank line (which the reader skips) or a quoted field with a line
break inside moves every later row down. `row_lines` finds the true lines by scanning the
file's bytes: a line break ends a row unless it is inside quotes (an odd number of `"` before
it), and an empty line is no row. A quote inside an unquoted field (5" screen) is a character
of it, as the reader has it: where one is met, the quotes are followed one by one. Chunks
without quotes, carriage returns or blank lines (most of any file) are counted with a single
comparison; the rest with numpy on whole chunks.

A file is read again to find the lines of the rows it is asked about. A stream (standard input,
a FIFO) cannot be: `StreamLines` watches its bytes as the reader takes them, once, with the
same scanner, and keeps only where the true lines move further from the counted ones.
"""

from __future__ import annotations

import bisect
import codecs
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import numpy as np

from wacost.sniffing import bytes_are_ascii

_CHUNK: Final = 4 * 1024 * 1024
_QUOTE, _LF, _CR = 34, 10, 13


def _blank_line(data: bytes) -> bool:
    """Whether `data` holds b"\\n\\n": as two-byte words at even and at odd offsets (ten times
    faster than a search for it, as line breaks come every few dozen bytes)."""
    words = np.frombuffer(data, dtype=np.uint16, count=len(data) // 2)
    shifted = np.frombuffer(data, dtype=np.uint16, offset=1, count=(len(data) - 1) // 2)
    return bool((words == 0x0A0A).any() or (shifted == 0x0A0A).any())


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
        self.closed_last = False  # the byte before the next one is a quote that closed a field
        self.at_row_start = skip == 0
        self.quoted_break = False  # whether a line break was met inside a quoted field

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
            and not (self.at_row_start and data[:1] == b"\n")
            and not _blank_line(data)
        ):
            breaks = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _LF))
            starts = (1 if self.at_row_start else 0) + breaks - (1 if data.endswith(b"\n") else 0)
            self.first_line = self.line + (0 if self.at_row_start else 1)
            self.rows += starts
            self.line += breaks
            self.at_row_start = data.endswith(b"\n")
            self.last, self.closed_last = data[-1], False
            return first_row, None
        return first_row, self._general(data)

    first_line = 0

    def follow_quotes(self, data: bytes) -> None:
        """Follow `data` for its quotes only (rows are not numbered): whether a quoted field
        is left open at its end (`in_quotes`)."""
        if self.skip:
            data = self._skip(data)
        if not data:
            return
        if self.in_quotes or b'"' in data:
            self._passed(self._toggles(np.frombuffer(data, dtype=np.uint8)), data)
        else:
            self.last, self.closed_last = data[-1], False

    def _passed(self, toggles: np.ndarray, data: bytes | np.ndarray) -> None:
        """The quotes' state after `data`, whose quotes open or close a field at `toggles`."""
        self.in_quotes = bool((toggles.size + self.in_quotes) & 1)
        self.closed_last = bool(
            toggles.size and toggles[-1] == len(data) - 1 and not self.in_quotes
        )
        self.last = int(data[-1])

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
        toggles = self._toggles(b)
        if b"\r" in data:
            lf = b == _LF
            cr = b == _CR
            cr[:-1] &= ~lf[1:]  # \r\n is one line break, at its \n
            breaks = np.flatnonzero(lf | cr)
        else:
            breaks = np.flatnonzero(b == _LF)
        # a break is outside quotes after an even number of toggles (counting an open quote);
        # toggles before each break: those placed (among the breaks) at or before it
        parity = 1 if self.in_quotes else 0
        placed = np.bincount(np.searchsorted(breaks, toggles), minlength=breaks.size + 1)
        outside = ((np.cumsum(placed[:-1]) + parity) & 1) == 0
        self.quoted_break = self.quoted_break or not outside.all()
        after = np.flatnonzero(outside) + 1  # a row starts on the line after such a break
        if self.at_row_start:
            after = np.concatenate([[0], after])
        starts = np.concatenate([[0], breaks + 1])[after]
        after = after[starts < len(b)]
        starts = starts[starts < len(b)]
        empty = (b[starts] == _LF) | (b[starts] == _CR)
        starts, lines = starts[~empty], self.line + after[~empty]
        at_end = bool(outside[-1]) if breaks.size and breaks[-1] == len(b) - 1 else False
        self.rows += len(starts)
        self.line += len(breaks)
        self.at_row_start = at_end
        self._passed(toggles, b)
        return np.asarray(lines, dtype=np.int64)

    def _toggles(self, b: np.ndarray) -> np.ndarray:
        """Where (in order) a quote opens or closes a quoted field: a quote outside one opens
        it only at a field's start (or, just after a closing quote, is an escaped quote);
        inside, each one closes it (a doubled one opening it again). When every quote outside
        a quoted field is at a field's start, as in any file quoted whole fields, every quote
        does."""
        at = np.flatnonzero(b == _QUOTE)
        if not at.size:
            return at
        before = b[at - 1]  # the byte before each quote (the first byte's: self.last)
        if at[0] == 0:  # a quote after one that did not close a field is a character
            before[0] = self.last if self.last != _QUOTE or self.closed_last else ord("a")
        boundary = self.field_start[before]
        # if every quote toggled, those outside a quoted field are every other one from here
        parity = 1 if self.in_quotes else 0
        irregular = ~(boundary[parity::2] | (before[parity::2] == _QUOTE))
        if not irregular.any():
            return at
        # the quotes before the first irregular one toggle; from it, they are followed one by one
        first = parity + 2 * int(np.argmax(irregular))
        toggles: list[int] = []  # from `first` on
        inside = False
        # where the last quote closed a field (-1: the previous bytes' last)
        closed = int(at[first - 1]) if first else (-1 if self.closed_last else -2)
        at_boundary = boundary.tolist()
        starts = np.flatnonzero(boundary).tolist()  # the quotes at a field's start
        positions = at.tolist()
        j, count = first, at.size
        while j < count:
            position = positions[j]
            if inside:
                inside, closed = False, position
            elif at_boundary[j] or closed == position - 1:
                inside = True
            else:  # a character of an unquoted field, as is every quote up to the next one
                # at a field's start (5" screen on every row: passed in one search)
                # (bisect on a list: a numpy search per quote cost 7x on '5","a, b"' rows)
                following = bisect.bisect_right(starts, j)
                j = starts[following] if following < len(starts) else count
                continue
            toggles.append(j)
            j += 1
        return np.concatenate([at[:first], at[toggles]])


class _Reader:
    """A scanner fed with a file's bytes as they come (a chunk at a time, b"" at the end): as
    UTF-8 when its encoding writes other characters with ASCII bytes (UTF-16, ISO-2022-JP),
    a \r\n never split in two."""

    def __init__(self, encoding: str, skip: int, delimiter: str) -> None:
        self.scanner = _Scanner(skip, ord(delimiter))
        self._decoder = None
        if not bytes_are_ascii(encoding):
            self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._carry = b""

    def push(self, chunk: bytes) -> tuple[int, np.ndarray | None]:
        """The rows that start in `chunk`, as `_Scanner.feed` gives them."""
        return self.scanner.feed(self._decoded(chunk))

    def _decoded(self, chunk: bytes) -> bytes:
        data = chunk
        if self._decoder is not None:
            data = self._decoder.decode(chunk, final=not chunk).encode("utf-8")
        data, self._carry = self._carry + data, b""
        if data.endswith(b"\r") and chunk:  # a \r\n may be split between two chunks
            data, self._carry = data[:-1], b"\r"
        return data


class QuoteWatch:
    """Whether a campaign's bytes, as the CSV reader takes them (see `tee`), end inside a quoted
    field: the reader takes a quote never closed, on the last row, for a field running to the
    end of the file, and says nothing. Chunks without a quote are passed with one search."""

    def __init__(self, encoding: str, skip_lines: int, delimiter: str) -> None:
        self._reader = _Reader(encoding, skip_lines, delimiter)
        self._reading = threading.Lock()  # the CSV reader reads from its own threads

    def feed(self, chunk: bytes) -> None:
        with self._reading:
            self._reader.scanner.follow_quotes(self._reader._decoded(chunk))

    @property
    def ends_inside_quotes(self) -> bool:
        return self._reader.scanner.in_quotes

    def tee(self, stream: Any) -> _Tee:
        """`stream` (read by `read(n)`), its bytes fed to this watch as they are read."""
        return _Tee(stream, self)


def ends_inside_quotes(data: bytes, delimiter: str = ",") -> bool:
    """Whether `data`, read from a row's start outside any quote, ends inside a quoted field:
    its quotes followed as the reader has them (a quote inside an unquoted field, 5" screen,
    is a character, not a quote)."""
    toggles = _Scanner(0, ord(delimiter))._toggles(np.frombuffer(data, dtype=np.uint8))
    return bool(toggles.size & 1)  # the positions of the quotes that open or close a field


def cut_at_any_line_break(path: Path, encoding: str, skip_lines: int, delimiter: str) -> bool:
    """Whether a reader may cut the file at any line break (Spark's splits do): no line break
    inside a quoted field, no quote left open at its end. Reads it until one is found (chunks
    without a quote are passed with a single comparison)."""
    reader = _Reader(encoding, skip_lines, delimiter)
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            reader.push(chunk)
            if reader.scanner.quoted_break:
                return False
            if not chunk:
                return not reader.scanner.in_quotes


def open_quote_line(
    path: Path,
    encoding: str,
    skip_lines: int,
    delimiter: str,
    opener: Callable[[], Any] | None = None,
) -> int | None:
    """The 1-based line of the last row when a quote opened in it is never closed (the file
    ends inside the quoted field), or None. Reads the whole file (`opener`: as in `row_lines`)."""
    reader = _Reader(encoding, skip_lines, delimiter)
    last = 0
    with opener() if opener is not None else path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            first, lines = reader.push(chunk)
            count = reader.scanner.rows - first
            if count:
                last = (
                    int(lines[-1]) if lines is not None else reader.scanner.first_line + count - 1
                )
            if not chunk:
                break
    return last + 1 if reader.scanner.in_quotes else None


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
    reader = _Reader(encoding, skip_lines, delimiter)
    with opener() if opener is not None else path.open("rb") as handle:
        while done < len(wanted):
            chunk = handle.read(_CHUNK)
            first, lines = reader.push(chunk)
            upto = int(np.searchsorted(wanted, reader.scanner.rows, side="left"))
            if upto > done:
                index = wanted[done:upto] - first
                if lines is None:
                    found = reader.scanner.first_line + index
                else:
                    found = lines[index]
                result[order[done:upto]] = found + 1
                done = upto
            if not chunk:
                break
    # rows past the end (never in practice): keep their place as counted
    if done < len(wanted):
        result[order[done:]] = wanted[done:] + skip_lines + 1
    return result


class StreamLines(QuoteWatch):
    """The true lines of a campaign read once (standard input, a FIFO), learnt from its bytes as
    the CSV reader takes them (see `tee`), before it parses them; and, as a `QuoteWatch`,
    whether they end inside a quoted field.

    Only the change points are kept: the rows from which the shift (true line minus counted
    line, never falling) grows, with the new shift. A quote-free stream has none; rows behind the
    reader are let go (`forget`), so memory stays flat whatever the stream's length.
    """

    def __init__(self, encoding: str, skip_lines: int, delimiter: str) -> None:
        super().__init__(encoding, skip_lines, delimiter)
        self._skip = skip_lines
        self._rows = np.zeros(0, dtype=np.int64)  # change points: the row where the shift grows
        self._shifts = np.zeros(0, dtype=np.int64)  # and the shift from there on
        self._new: list[tuple[np.ndarray, np.ndarray]] = []  # change points not yet joined
        self._last = 0  # the shift at the last row seen
        self._base = 0  # the shift before the first change point kept
        self._lock = threading.Lock()  # the change points, read by the counting meanwhile

    def feed(self, chunk: bytes) -> None:
        """The stream's next bytes (b"": its end)."""
        with self._reading:
            first, lines = self._reader.push(chunk)
            count = self._reader.scanner.rows - first
            if not count:
                return
            if lines is None:  # on consecutive lines: one shift
                shift = self._reader.scanner.first_line - self._skip - first
                if shift != self._last:
                    self._add(np.array([first]), np.array([shift]))
                return
            shifts = lines - self._skip - np.arange(first, first + count, dtype=np.int64)
            grows = np.flatnonzero(shifts != np.concatenate(([self._last], shifts[:-1])))
            if grows.size:
                self._add(first + grows, shifts[grows])

    def _add(self, rows: np.ndarray, shifts: np.ndarray) -> None:
        self._last = int(shifts[-1])
        with self._lock:
            self._new.append((rows, shifts))

    def true_lines(self, counted: np.ndarray) -> np.ndarray:
        """The true 1-based lines of rows at 1-based `counted` lines (one line a row after the
        skipped lines), as far as the stream has been read."""
        counted = np.asarray(counted, dtype=np.int64)
        with self._lock:
            rows, shifts = self._joined()
            if not rows.size:
                return counted + self._base
            at = np.searchsorted(rows, counted - self._skip - 1, side="right") - 1
            return counted + np.where(at >= 0, shifts[np.maximum(at, 0)], self._base)

    def forget(self, counted: int) -> None:
        """Let go of the change points of rows up to the 1-based `counted` line."""
        with self._lock:
            rows, shifts = self._joined()
            done = int(np.searchsorted(rows, counted - self._skip - 1, side="right"))
            if done:
                self._base = int(shifts[done - 1])
                self._rows, self._shifts = rows[done:], shifts[done:]

    def _joined(self) -> tuple[np.ndarray, np.ndarray]:
        if self._new:
            self._rows = np.concatenate([self._rows, *(rows for rows, _ in self._new)])
            self._shifts = np.concatenate([self._shifts, *(shifts for _, shifts in self._new)])
            self._new.clear()
        return self._rows, self._shifts


class _Tee:
    """A stream whose bytes, as they are read, also go to a `QuoteWatch` (or `StreamLines`)."""

    def __init__(self, stream: Any, lines: QuoteWatch) -> None:
        self._stream = stream
        self._lines = lines
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = bytes(self._stream.read(size))
        self._lines.feed(data)
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self._stream.close()
        self.closed = True
