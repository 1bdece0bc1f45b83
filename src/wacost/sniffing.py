"""The first bytes of a campaign file: reading its head (from a file or a pipe, replayed to the
CSV parser afterwards) and detecting its encoding (UTF-8 with or without a byte-order mark,
UTF-16 with one, or --encoding). Used by `wacost.campaign`, which reads the header and rows.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import re
import stat
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from wacost.errors import InputFileError, literal

_SNIFF_BYTES: Final = 64 * 1024
# A header row may be longer than the sniff: we read on to its end, up to this many bytes.
_MAX_HEADER_BYTES: Final = 4 * 1024 * 1024
_LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


# Excel's limit: no spreadsheet export has more columns; a wider header is not a campaign.
class _Replay(io.RawIOBase):
    """The bytes already read from a non-seekable file, then the rest of it."""

    def __init__(self, head: bytes, handle: io.BufferedReader) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return int(self._handle.readinto(buffer))

    def close(self) -> None:
        self._handle.close()
        super().close()


def _read_head(path: Path) -> tuple[bytes, _Replay | None]:
    """The first bytes of `path`, through the end of its first non-blank line (bounded).

    A regular file is closed again (pyarrow reopens it); anything else (a FIFO, `<(...)`,
    a device) is kept open and replayed, since it cannot be read twice.
    """
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, not a campaign file", "name a CSV file")
    regular = stat.S_ISREG(path.stat().st_mode)
    handle = path.open("rb")
    try:
        head = handle.read(_SNIFF_BYTES)
        while (
            len(head) < _MAX_HEADER_BYTES
            and not re.search(rb"[\r\n]", head.lstrip())
            and len(head) % _SNIFF_BYTES == 0
            and head
        ):
            more = handle.read(_SNIFF_BYTES)
            if not more:
                break
            head += more
    except BaseException:
        handle.close()
        raise
    if regular:
        handle.close()
        return head, None
    return head, _Replay(head, handle)


def _detect_encoding(head: bytes, path: Path, encoding: str | None) -> tuple[str, int]:
    """Python codec name and the length of the byte-order mark to skip."""
    if encoding:
        try:
            info = codecs.lookup(encoding)
        except LookupError:
            raise InputFileError(
                f"{{0}} {literal(repr(encoding))}: unknown encoding",
                "try utf-8, utf-16 or cp1252",
                "encoding",
            ) from None
        if not getattr(info, "_is_text_encoding", True):  # hex, rot13, zlib, base64, ...
            raise InputFileError(
                f"{{0}} {literal(repr(encoding))}: not a text encoding",
                "try utf-8, utf-16 or cp1252",
                "encoding",
            )
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


def header_and_delimiter(
    lines: Sequence[str], where: object, names_a_column: Callable[[str], bool] | None = None
) -> tuple[int, str]:
    """Where a CSV's header is among its `lines` (the first line with text, after an optional
    Excel 'sep=;' hint line; past the last line: none) and its delimiter: the hint's, else the
    most frequent of comma, semicolon, tab and pipe in the header (a comma when it has none).
    With `names_a_column`, the most frequent of those under which a header field is one it
    names: a pipe or two in a comma file's column name (status (sent|read|failed)) do not
    make it a pipe file."""
    index = next((i for i, candidate in enumerate(lines) if candidate.strip()), len(lines))
    hint = lines[index].strip(" ") if index < len(lines) else ""
    if hint.lower().startswith("sep=") and len(hint) == 5:  # sep=; sep=, or sep=<TAB>
        delimiter = hint[4]
        if not delimiter.isascii():  # the reader splits fields on one byte
            raise InputFileError(
                f"{where}: line {index + 1}: {hint}: the delimiter must be one ASCII character",
                "save the file with a comma, semicolon or tab between fields",
            )
        index = next((i for i in range(index + 1, len(lines)) if lines[i].strip()), len(lines))
        return index, delimiter
    line = lines[index] if index < len(lines) else ""
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    found = sorted((d for d in counts if counts[d]), key=lambda d: -counts[d])  # (stable)
    if not found:
        return index, ","
    for delimiter in found:
        if names_a_column is None:
            break
        try:
            fields = next(csv.reader([line], delimiter=delimiter))
        except csv.Error:
            continue
        if any(names_a_column(name) for name in fields):
            return index, delimiter
    return index, found[0]


def dict_rows(text: str, where: object) -> tuple[csv.DictReader[str], int]:
    """A small CSV's rows by column name (its header and delimiter found as a campaign's are),
    and the line of its first row (after the header)."""
    index, delimiter = header_and_delimiter(_LINE_BREAK.split(text), where)
    offset = 0
    for found in itertools.islice(_LINE_BREAK.finditer(text), index):
        offset = found.end()
    return csv.DictReader(io.StringIO(text[offset:]), delimiter=delimiter), index + 2


def numbered(reader: csv.DictReader[str], first: int) -> Iterator[tuple[int, dict[Any, Any]]]:
    """The rows of `reader` (from `dict_rows`, its first row's line `first`) with the line each
    starts on: csv skips blank lines, and a quoted value may run over several."""
    for row in reader:
        values = [
            v for value in row.values() for v in (value if isinstance(value, list) else [value])
        ]
        breaks = sum(len(_LINE_BREAK.findall(v)) for v in values if isinstance(v, str))
        yield first - 2 + reader.line_num - breaks, row


_ASCII: Final = "".join(map(chr, range(128)))


@functools.lru_cache(maxsize=32)
def bytes_are_ascii(encoding: str) -> bool:
    """Whether every ASCII byte of a text in `encoding` is that character (UTF-8, cp1252,
    latin-1): else the scanner reads the text made UTF-8, as pyarrow's reader does. UTF-16, and
    ISO-2022-JP or UTF-7, whose other characters are written with ASCII bytes (a quote after a
    comma inside a kana), are not; nor is a multi-byte encoding's (Shift-JIS) trail byte."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig", "ascii"):
        return True
    try:  # one character a byte, ASCII as it is, even after an ISO-2022 escape (ESC $ B)
        with warnings.catch_warnings():  # (unicode_escape warns of the bytes after a \)
            warnings.simplefilter("ignore")
            text = bytes(range(256)).decode(name, errors="replace")
            shifted = b"\x1b$B;3\x1b(B".decode(name, errors="replace")
    except (UnicodeError, ValueError):  # not decoded piecewise (punycode): read as it is
        return True
    return len(text) == 256 and text[:128] == _ASCII and shifted == "\x1b$B;3\x1b(B"
