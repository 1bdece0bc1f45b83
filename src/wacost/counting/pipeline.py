"""Reduce campaign rows to counts, batch by batch, on whole columns.

Every batch becomes a small table of counts per (file, row kind, country, template, language,
category, window), with the first line of each key as an example; batches are merged as they
come, so memory is bounded by the number of distinct keys, not by the number of rows.

List hygiene (duplicate recipients, an opt-out list) needs every recipient, not just counts.
Each valid number goes to a `RecipientLedger` as an int64 with its key and line; the ledger
spills to hash-partitioned temporary files when it grows, and settles one partition at a
time at the end, so its memory is bounded too.

Batches are reduced on worker threads (pyarrow, numpy and pandas release the GIL for the
heavy work) while the next block is parsed; results are merged in file order, so the counts,
the examples and any error are the same whatever the threads and the block size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from wacost.campaign import (
    DEFAULT_BLOCK_SIZE,
    Batch,
    CampaignFile,
)
from wacost.counting import chunks, ranges
from wacost.counting.allocator import keep_freed_memory, reuse_allowed
from wacost.counting.batch import (
    _LINE_BITS,
    _LINE_MASK,
    Counts,
    Progress,
    Tally,
    _BatchCounts,
)
from wacost.counting.exclusions import read_exclusions
from wacost.counting.first_error import earliest_error, exact_parts, reduce_first
from wacost.counting.ledger import RecipientLedger
from wacost.counting.merged import _Tables
from wacost.counting.true_lines import _on_true_line, _part_lines, _rescannable, _true_lines
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.sources import ParquetInput, input_size, inspect_input, is_stdin, read_input

# A campaign sends a handful of templates (a WhatsApp Business Account holds a few hundred):
# a column of a hundred thousand distinct names is not template names (a shifted export, a
# message body). Stopping there keeps memory flat in keys as well as in rows.
MAX_DISTINCT_NAMES = 100_000
# A compressed file larger than this is decompressed into chunks counted on every core
# (counting.chunks); a smaller one is read as one stream (its rows in a few batches).
_CHUNKED_BYTES = 1 << 20


def _check_distinct_names(tables: _Tables, path: Path, line: int) -> None:
    for column, vocabulary in (("template", tables.templates), ("language", tables.languages)):
        if len(vocabulary.values) > MAX_DISTINCT_NAMES + 1:  # +1: the empty name
            raise InputFileError.at_line(  # line: counted a line a row, made the true line
                str(path),
                line,
                f"more than {MAX_DISTINCT_NAMES:,} distinct {column} names by this line; "
                "a campaign sends a few templates",
                f"check that the {column} column holds {column} names (not a message or an id)",
            )


def _place(ordinal: int | None, files: Sequence[str]) -> str | None:
    if ordinal is None:
        return None
    return f"{files[ordinal >> _LINE_BITS]}:{ordinal & _LINE_MASK}"


def _cpus(cap: int | None = 4) -> int:
    """The CPUs this process may run on (up to `cap`)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cap, cpus) if cap is not None else cpus)


def count_campaign(
    paths: Iterable[Path],
    resolver: NumberResolver,
    encoding: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    exclude: Sequence[Path] = (),
    progress: Progress | None = None,
    workers: int | None = None,
) -> Counts:
    """Read every campaign file in batches and reduce them to one table of counts.

    `exclude` names opt-out lists: their numbers' rows are left out of the counts and counted
    in `Counts.excluded`. `progress` is told how many bytes of the campaign have been read.
    `workers`: threads that parse and reduce (default: one per CPU; 0 reduces on the main
    thread, as for files of one block). A plain UTF-8 CSV file larger than a range is cut into
    byte ranges parsed and reduced in parallel (see counting.ranges); other inputs are parsed
    on the main thread while up to 4 workers reduce.
    """
    paths = list(paths)
    if sum(is_stdin(path) for path in paths) > 1:  # read once: a second '-' has no rows
        raise InputFileError("-: standard input is named twice", "name it once")
    sources = []
    for path in paths:
        sources.append(inspect_input(path, encoding))
    files = tuple(str(source.path) for source in sources)
    sizes = [input_size(source.path) for source in sources]
    total_bytes = sum(sizes)
    exclude_bytes = sum(_size(path) for path in exclude)
    with_messages = any("count" in source.columns for source in sources)
    if workers is None:  # the main thread parses while they reduce (measured: on 2 CPUs, 2
        workers = _cpus(None) if total_bytes > block_size else 0  # reduce faster than 1)
    if total_bytes > block_size and reuse_allowed():  # many large arrays: reuse freed memory
        keep_freed_memory()  # (allocator.py; allowed by the command line)
    tables = _Tables(resolver.countries)
    # at least ~12 bytes a row: a generous guess at the number of records to come
    expected = (total_bytes + exclude_bytes) // 12
    rows = 0
    invalid_exclusions = 0
    with RecipientLedger(with_messages, expected) as ledger:
        if exclude:
            invalid_exclusions = read_exclusions(exclude, resolver, ledger, block_size)
        done_before = 0
        for index, source in enumerate(sources):
            file_rows = 0
            parts = _file_parts(
                source,
                index,
                sizes[index],
                resolver,
                workers,
                ledger.bits,
                block_size,
                _offset(progress, done_before, total_bytes),
            )
            try:
                for part in parts:
                    first_lines, base_line, row_lines = _part_lines(part, source)
                    global_ids = tables.merge(part, len(resolver.countries), first_lines)
                    last = part.first_line + part.num_rows - 1
                    _check_distinct_names(tables, source.path, last)
                    ledger.add_batch(  # ordinals: file << _LINE_BITS | line
                        part.numbers,
                        part.labels,
                        global_ids,
                        row_lines,
                        (index << _LINE_BITS) + base_line,
                        part.row_messages,
                        part.bounds,
                    )
                    file_rows += part.num_rows
            except InputFileError as error:  # lines counted a row each: the file's own lines
                raise _on_true_line(error, source) from None
            finally:  # left early (an error here, ^C): its threads and file ended now
                ranges._close(parts)
            if file_rows == 0:
                raise InputFileError(
                    f"{source.path}: a header but no rows", "add the campaign's recipients"
                )
            rows += file_rows
            done_before += sizes[index]
        if rows == 0:
            raise InputFileError("no campaign rows", "give at least one campaign file with rows")
        settled = ledger.settle(
            tables.key_template(), len(tables.templates.values), _cpus() if workers else 1
        )
    table = tables.frame(settled.excluded_by_key, settled.first_kept)
    table, duplicate_first, excluded_first = _true_lines(
        sources, table, settled.duplicate_first, settled.excluded_first
    )
    return Counts(
        table=table,
        files=files,
        rows=rows,
        duplicates=Tally(settled.duplicate_messages, _place(duplicate_first, files)),
        excluded=(
            Tally(settled.excluded_messages, _place(excluded_first, files)) if exclude else None
        ),
        invalid_exclusions=invalid_exclusions,
    )


def _file_parts(
    source: CampaignFile | ParquetInput,
    index: int,
    size: int,
    resolver: NumberResolver,
    workers: int,
    partition_bits: int,
    block_size: int,
    progress: Callable[[int], None] | None,
) -> Iterator[_BatchCounts]:
    """One input's batches reduced, in order: a plain UTF-8 file larger than a range in byte
    ranges on `workers` threads, any other input parsed here and reduced on up to 4."""
    start = first = None
    if workers > 0 and isinstance(source, CampaignFile):
        start = ranges.data_offset(source)
        if source.opener is not None and size > _CHUNKED_BYTES:
            first = chunks.data_start(source)  # compressed: cut as it is decompressed
    if start is not None and size - start > ranges.RANGE_BYTES:
        assert isinstance(source, CampaignFile)
        return ranges.reduce_ranges(
            source, start, index, resolver, workers, partition_bits, block_size, progress
        )
    if first is not None:
        assert isinstance(source, CampaignFile)
        cut = chunks.read_ahead(chunks.chunks(source, first), workers + 1)
        return ranges.reduce_ranges(
            source, first, index, resolver, workers, partition_bits, block_size, chunks=cut
        )
    batches = read_input(source, index, block_size, progress=progress)
    parts = _reduce_in_order(batches, resolver, str(source.path), min(workers, 4), partition_bits)
    if not _rescannable(source):  # a stream is read on one thread: its first error is first
        return parts
    return earliest_error(  # a file read on threads: an error checked by a reading in order
        parts, lambda: exact_parts(source, index, resolver, partition_bits, block_size)
    )


def _offset(progress: Progress | None, before: int, total: int) -> Callable[[int], None] | None:
    """A file's progress (bytes read of that file) as the campaign's."""
    if progress is None:
        return None
    return lambda done: progress(before + done, total)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _reduce_in_order(
    batches: Iterator[Batch],
    resolver: NumberResolver,
    where: str,
    workers: int,
    partition_bits: int,
) -> Iterator[_BatchCounts]:
    """reduce_batch over `batches` on worker threads, yielded in order; at most a few in flight.

    The next block is parsed (by pyarrow, without the GIL) while the workers reduce the last.
    An error reading the batches comes after the batches before it (an error of theirs first).
    """
    if workers <= 0:
        for batch in batches:
            yield reduce_first(batch, resolver, where, partition_bits)
        return
    pending: deque[Future[_BatchCounts]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wacost-count") as pool:
        try:
            while True:
                try:
                    next_batch = next(batches, None)
                except InputFileError:  # the batches before it first: an error of theirs is earlier
                    while pending:
                        yield pending.popleft().result()
                    raise
                if next_batch is None:
                    break
                pending.append(
                    pool.submit(reduce_first, next_batch, resolver, where, partition_bits)
                )
                if len(pending) > workers:  # one waiting for each worker, and one more
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
