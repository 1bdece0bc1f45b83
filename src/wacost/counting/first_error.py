"""A campaign with several bad rows is refused on the earliest of them, whatever the threads.

Read on many threads, any of a file's errors may be met first: a block parsed ahead, a range
reduced before the ones before it, a batch whose checks run one column at a time (a window on
its ninth row would be named before a category on its third). Errors are rare, and the reading
fast: rather than slow it down, an error met reading on threads is checked by reading the same
rows again on one thread, in order (`exact_parts`), up to its line: the first error met there
is the one on the earliest line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pyarrow as pa

from wacost.campaign import Batch, CampaignFile
from wacost.counting.batch import _BatchCounts, reduce_batch
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.sources import read_input


def reduce_first(
    batch: Batch, resolver: NumberResolver, where: str, partition_bits: int
) -> _BatchCounts:
    """`reduce_batch`, whose error is the one on the batch's earliest line: the rows before the
    one named are reduced again, until none of them raises (each check names its first row)."""
    try:
        return reduce_batch(batch, resolver, where, partition_bits)
    except InputFileError as error:
        raise earliest_in(batch, error, resolver, where) from None


def earliest_in(
    batch: Batch, error: InputFileError, resolver: NumberResolver, where: str
) -> InputFileError:
    """The error on the earliest line of `batch`, given `error`, one of its errors."""
    while error.line is not None and error.line > batch.first_line:
        try:
            reduce_batch(batch.before(error.line), resolver, where)
        except InputFileError as earlier:
            if earlier.line is None or earlier.line >= error.line:
                return error
            error = earlier
            continue
        return error
    return error


def exact_parts(
    source: CampaignFile,
    file_index: int,
    resolver: NumberResolver,
    partition_bits: int,
    block_size: int,
    begin: int | None = None,
    first_line: int | None = None,
    exact: bool = True,
) -> Iterator[_BatchCounts]:
    """`source`'s batches read on one thread and reduced in order: their first error is the one
    on the earliest line. `begin`: from this byte of a plain file, or of a compressed file's
    decompressed bytes (outside any quote; its first row on `first_line`), not from its first
    row. With `exact` False, pyarrow parses on threads
    (faster, and any error may come first)."""
    piece = source
    if begin is not None:
        decompress = source.opener  # a compressed file: `begin` counts its decompressed bytes

        def opener() -> pa.NativeFile:
            if decompress is None:
                handle = pa.OSFile(str(source.path))
                handle.seek(begin)
                return handle
            stream: pa.NativeFile = decompress()
            left = begin
            while left > 0:  # no seeking in a decompressed stream: read up to there
                skipped = len(stream.read(min(left, 1 << 24)))
                if not skipped:
                    break
                left -= skipped
            return stream

        piece = dataclasses.replace(source, skip_rows=0, opener=opener)
    where = str(source.path)
    for batch in read_input(piece, file_index, block_size, first_line=first_line, exact=exact):
        yield reduce_first(batch, resolver, where, partition_bits)


def earliest_error(
    parts: Iterator[_BatchCounts], again: Callable[[], Iterator[_BatchCounts]]
) -> Iterator[_BatchCounts]:
    """`parts` (read on threads); an error they raise replaced by the first that `again` (the
    same rows read by `exact_parts`) raises before its line, if one does, or, for an error
    without a line (a row longer than a block), the first with a line."""
    try:
        yield from parts
    except InputFileError as error:
        try:
            for part in again():
                if error.line is not None and part.first_line > error.line:  # none before it
                    break
        except InputFileError as earlier:
            if earlier.line is not None and (error.line is None or earlier.line < error.line):
                raise earlier from None
        except Exception:  # read again, the file failed otherwise: the first error stands
            pass
        raise
