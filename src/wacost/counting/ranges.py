"""Parse and reduce a plain CSV file on every core: byte ranges cut at line ends.

A UTF-8 file cut just after a newline that is outside any quoted field gives ranges that each
parse on their own. Each
worker thread reads one range (RANGE_BYTES), parses it and reduces its batches; the results
are handed on in file order, each range's lines placed after the rows of the ranges before it,
so the counts, the examples and any error are the ones of the serial reader. At most a few
ranges per worker are in flight: memory stays flat whatever the file's size.

A quoted field may hold a line break (in a column wacost does not read), so a cut can fall
inside a quote. Each worker follows the quotes of its range (a quote inside an unquoted field,
5" screen, is no quote: see wacost.lines): a range that ends inside a quoted field (its start
being outside any quote) is read, with the rest of the file, by the serial reader, which keeps
quoted line breaks in their field.
A range that raises an error (a malformed row, a value wacost refuses) is read on by the serial
reader too, which raises it on its true line.

No range starts with a UTF-8 byte order mark (a value's first character U+FEFF): pyarrow's reader
drops one at the start of what it reads, where the serial reader, reading on from the line before,
keeps it in the value.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Final

import pyarrow as pa

from wacost.campaign import CampaignFile, read_batches
from wacost.counting.batch import _BatchCounts, reduce_batch
from wacost.counting.first_error import earliest_error, exact_parts
from wacost.counting.plain_lines import split_range
from wacost.errors import InputFileError
from wacost.lines import ends_inside_quotes
from wacost.numbers.resolver import NumberResolver

RANGE_BYTES: Final = 8 * 1024 * 1024
_SCAN: Final = 64 * 1024
_BOM: Final = b"\xef\xbb\xbf"


def utf8_file(source: CampaignFile) -> bool:
    """A regular file (read again when needed, not a FIFO or <(...) read once) in UTF-8: what
    can be cut into ranges, or, compressed, into chunks (counting.chunks)."""
    return (
        source.stream is None
        and source.lines is None
        and source.encoding.lower().replace("-", "") == "utf8"
    )


def first_row(head: bytes, skip_rows: int, whole: bool) -> int | None:
    """The offset in `head` (a file's first bytes; `whole`: all of them) of its first data row,
    after a UTF-8 byte order mark and `skip_rows` lines ending in \\n or \\r\\n. None where
    the file is not cut: those lines do not end in `head`, they end in \\r alone (an old Mac's:
    ranges end at \\n), or the row starts with a byte order mark (pyarrow's reader would drop
    it) or is not known to start without one."""
    position = 3 if head.startswith(_BOM) else 0
    for _ in range(skip_rows):
        ends = [i for i in (head.find(b"\n", position), head.find(b"\r", position)) if i >= 0]
        if not ends:
            return None
        end = min(ends)
        if head[end : end + 2] == b"\r\n":
            position = end + 2
        elif head[end : end + 1] == b"\n":
            position = end + 1
        else:
            return None
    if head[position : position + len(_BOM)] == _BOM:
        return None
    if not whole and len(head) - position < len(_BOM):
        return None
    return position


def data_offset(source: CampaignFile) -> int | None:
    """The byte offset of the first data row of a plain UTF-8 file, or None when it is not cut
    into ranges (read through an opener: compressed, standard input; read once: a FIFO or
    <(...), which its name would open again, taking its bytes or waiting for a writer; see
    first_row)."""
    if source.opener is not None or not utf8_file(source):
        return None
    with open(source.path, "rb") as handle:
        head = handle.read(_SCAN)
    return first_row(head, source.skip_rows, whole=len(head) < _SCAN)


def cut(path: str, start: int, size: int) -> list[tuple[int, int]]:
    """[start, size) cut into ranges of about RANGE_BYTES, each ending just after a newline."""
    range_bytes = RANGE_BYTES
    bounds = [start]
    with open(path, "rb") as handle:
        while bounds[-1] + range_bytes < size:
            position = bounds[-1] + range_bytes
            handle.seek(position)
            while True:
                piece = handle.read(_SCAN)
                if not piece:
                    position = size
                    break
                found = piece.find(b"\n")
                if found < 0:
                    position += len(piece)
                    continue
                position += found + 1
                handle.seek(position)
                if handle.read(len(_BOM)) != _BOM:
                    break
                handle.seek(position)  # a line that starts with a BOM: cut after it (see above)
            if position >= size:
                break
            bounds.append(position)
    bounds.append(size)
    return list(itertools.pairwise(bounds))


@dataclasses.dataclass
class _Range:
    """One range reduced: its parts (lines counted from 1 within the range) and its rows; or
    unreadable, when reading or reducing it raised an error (the serial reader reads it again
    in order, to raise that error on its true line)."""

    parts: list[_BatchCounts]
    rows: int
    quoted: bool = False  # a quote character in the range's bytes
    open_quote: bool = False  # the range ends inside a quoted field
    unreadable: bool = False


def _reduce_range(
    source: CampaignFile,
    begin: int,
    end: int,
    data: bytes | None,
    file_index: int,
    resolver: NumberResolver,
    where: str,
    partition_bits: int,
    block_size: int,
) -> _Range:
    if end < 0:  # a compressed file's chunk that could not be decompressed (chunks.DAMAGED)
        return _Range([], 0, unreadable=True)
    if data is None:  # a range of the file: read here, on the worker's thread
        with open(source.path, "rb") as handle:
            handle.seek(begin)
            data = handle.read(end - begin)
    piece = dataclasses.replace(source, skip_rows=0, opener=lambda: pa.BufferReader(data))
    # (a search, which stops at the first quote: most ranges hold no quote at all)
    quoted = b'"' in data
    # Split here where every quoted field closes on its own line (then no value holds a line
    # break, and the range does not end inside a quote); else pyarrow reads it, only the used
    # columns where it holds no quote character, after its quotes are followed.
    parsed = split_range(data, source, block_size)
    open_quote = quoted and parsed is None and ends_inside_quotes(data, source.delimiter)
    result = _Range([], 0, quoted, open_quote=open_quote)
    if result.open_quote:
        return result  # cut inside a quoted field: the consumer reads on serially from here
    batches = read_batches(
        piece,
        file_index,
        block_size,
        check_unread=quoted and parsed is None,
        watch_quotes=False,
        parsed=parsed,
    )
    try:
        for batch in batches:
            result.parts.append(reduce_batch(batch, resolver, where, partition_bits))
            result.rows += batch.num_rows
    except InputFileError:  # its line is known only to a reader from the ranges before
        result.unreadable = True
    return result


def reduce_ranges(
    source: CampaignFile,
    start: int,
    file_index: int,
    resolver: NumberResolver,
    workers: int,
    partition_bits: int,
    block_size: int,
    progress: Callable[[int], None] | None = None,
    chunks: Iterator[tuple[int, int, bytes]] | None = None,
) -> Iterator[_BatchCounts]:
    """The file's batches reduced on `workers` threads, a range each, yielded in file order.

    `chunks`: the ranges as (begin, end, bytes) already read, for a file that cannot be cut
    where it lies (compressed: see counting.chunks; offsets in its decompressed bytes)."""
    path = str(source.path)
    todo: Iterator[tuple[int, int, bytes | None]]
    if chunks is None:
        size = os.path.getsize(path)
        todo = ((begin, end, None) for begin, end in cut(path, start, size))
    else:
        size, todo = 0, chunks
    line = source.skip_rows + 1  # the first data row's line
    pending: deque[tuple[int, int, Future[_Range]]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wacost-range") as pool:

        def submit() -> None:
            item = next(todo, None)
            if item is not None:
                task = partial(_reduce_range, source, *item, file_index, resolver, path)
                pending.append((item[0], item[1], pool.submit(task, partition_bits, block_size)))

        try:
            for _ in range(workers + 1):  # one range waiting for each worker, and one more
                submit()
            while pending:
                begin, end, future = pending.popleft()
                result = future.result()
                # this range ends inside a quoted field, or the serial reader names its error
                if result.open_quote or result.unreadable:
                    _close(todo)  # (a compressed file's chunks: their thread stopped first)
                    exact = partial(
                        exact_parts, source, file_index, resolver, partition_bits, block_size
                    )
                    if result.unreadable:  # read on one thread: the error on its earliest line
                        yield from exact(begin, line)
                    else:  # an error met on threads is checked so
                        yield from earliest_error(
                            exact(begin, line, exact=False), partial(exact, begin, line)
                        )
                    if progress is not None and size:
                        progress(size)
                    return
                submit()
                for part in result.parts:
                    yield dataclasses.replace(part, first_line=line + part.first_line - 1)
                line += result.rows
                if progress is not None and size:
                    progress(end)
        finally:
            for _, _, future in pending:
                future.cancel()
            _close(todo)  # now, not when an error's traceback lets this frame go


def _close(items: Iterator[object]) -> None:
    """End a generator of ranges or chunks (a chunk reader's thread and file with it)."""
    close = getattr(items, "close", None)
    if close is not None:
        close()
