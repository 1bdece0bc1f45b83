"""Counting on Spark, the executor side: one partition's rows -> its small table of counts.

Each partition's Arrow batches go through wacost's own batch reducer; what comes back is one
record batch per key (with its first row), per segment's row count, per valid recipient, or per
error, tagged with the segment (input, file, byte offset) the rows were read in. The driver
(`wacost.counting.spark`) adds them up.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any, Final, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost.campaign import Batch
from wacost.counting.batch import _CATEGORIES, _WINDOWS
from wacost.counting.batch import reduce_batch as _reduce_batch
from wacost.counting.first_error import earliest_in
from wacost.counting.merged import _Tables
from wacost.errors import InputFileError
from wacost.numbers.resolver import NumberResolver
from wacost.open_quotes import earliest_failure, refuse_line_breaks, refuse_swallowed_rows
from wacost.prices.cards import Numbering
from wacost.sources import as_text

_INPUT: Final = "_wacost_input"  # which input (file, folder) a row comes from
_PATH: Final = "_wacost_path"  # the file within it (a folder's part)
_START: Final = "_wacost_start"  # the byte offset of the split the row was read in
_UNREAD: Final = "_wacost_unread_"  # a column not read, its values with a line break only
_WHERE: Final = "\x00wacost-segment"  # stands for file:line in errors raised on executors
_HINT: Final = "\x1f"  # between an error's message and its hint
_REC_KEY, _REC_ROWS, _REC_RECIPIENT, _REC_ERROR = 0, 1, 2, 3
_SCHEMA: Final = (
    "rec byte, input int, path string, start long, kind byte, country string, template string, "
    "language string, category byte, window byte, messages long, row long, number long, "
    "error string"
)
_ARROW_SCHEMA: Final = pa.schema(
    [
        ("rec", pa.int8()),
        ("input", pa.int32()),
        ("path", pa.string()),
        ("start", pa.int64()),
        ("kind", pa.int8()),
        ("country", pa.string()),
        ("template", pa.string()),
        ("language", pa.string()),
        ("category", pa.int8()),
        ("window", pa.int8()),
        ("messages", pa.int64()),
        ("row", pa.int64()),
        ("number", pa.int64()),
        ("error", pa.string()),
    ]
)


class _Checks(NamedTuple):
    """A CSV input's layout, to check its rows as the local engine does: no line break in a
    field wacost reads, no rows taken into a field it does not by a quote left open."""

    header: tuple[str, ...]
    columns: dict[str, int]  # canonical name -> position
    delimiter: str


# --- executors: one partition -> counts ---------------------------------------------------------


_RESOLVERS: dict[tuple[Any, ...], NumberResolver] = {}


def _resolver(numbering: Numbering, default_country: str | None) -> NumberResolver:
    """One resolver per Python worker process (they are reused from task to task)."""
    key = (tuple(sorted(numbering.prefixes.items())), default_country)
    if key not in _RESOLVERS:
        _RESOLVERS[key] = NumberResolver(numbering, default_country)
    return _RESOLVERS[key]


def _reduce_partition(
    batches: Iterator[pa.RecordBatch],
    numbering: Numbering,
    default_country: str | None,
    columns: Sequence[str],
    checks: dict[int, _Checks],
) -> Iterator[pa.RecordBatch]:
    """mapInArrow's function: a partition's rows (in segments of one input split each) to
    counts per key, the segments' row counts, the valid recipients, or the first error."""
    from pyspark import TaskContext

    resolver = _resolver(numbering, default_country)
    context = TaskContext.get()
    partition = context.partitionId() if context is not None else 0
    tables = _Tables(resolver.countries)
    segments: list[tuple[int, str, int]] = []
    seen: dict[tuple[int, str, int], int] = {}
    rows: list[int] = []
    for record_batch in batches:
        for segment, piece in _segments(record_batch, partition):
            index = seen.get(segment)
            if index is None:
                index = seen[segment] = len(segments)
                segments.append(segment)
                rows.append(0)
            wanted = {name: as_text(piece.column(name)) for name in columns}
            batch = Batch(index, rows[index], wanted, piece.num_rows)
            try:
                if segment[0] in checks:
                    _check(piece, wanted, checks[segment[0]], rows[index])
                part = _reduce_batch(batch, resolver, _WHERE, 0)
            except InputFileError as error:  # (on the batch's earliest line)
                exc = earliest_in(batch, error, resolver, _WHERE)
                # the segments read so far place the error on its line; the partition stops
                for number, done in enumerate(segments):
                    yield _record(_REC_ROWS, done, 1, messages=pa.array([rows[number]], pa.int64()))
                yield _error_batch(segment, f"{exc.message}{_HINT}{exc.hint or ''}")
                return
            global_ids = tables.merge(part, len(resolver.countries))
            rows[index] += piece.num_rows
            if len(part.numbers):
                keys = np.asarray(global_ids[part.labels])
                template = pa.array([tables.key_tuples[k][3] for k in keys.tolist()], pa.int32())
                messages = (
                    part.row_messages
                    if part.row_messages is not None
                    else np.ones(len(keys), dtype=np.int64)
                )
                yield _record(
                    _REC_RECIPIENT,
                    segment,
                    len(keys),
                    template=pc.take(pa.array(tables.templates.values, pa.string()), template),
                    messages=pa.array(messages, pa.int64()),
                    row=pa.array(part.first_line + part.rows, pa.int64()),
                    number=pa.array(part.numbers, pa.int64()),
                )
    frame = tables.frame({}, None).to_pandas()
    for index, segment in enumerate(segments):
        yield _record(_REC_ROWS, segment, 1, messages=pa.array([rows[index]], pa.int64()))
        mine = frame[frame["file"] == index]
        if len(mine):
            yield _record(
                _REC_KEY,
                segment,
                len(mine),
                kind=pa.array(mine["kind"].to_numpy(), pa.int8()),
                country=pa.array(mine["country"].tolist(), pa.string()),
                template=pa.array(mine["template"].tolist(), pa.string()),
                language=pa.array(mine["language"].tolist(), pa.string()),
                category=pa.array([_CATEGORIES.index(c) for c in mine["category"]], pa.int8()),
                window=pa.array([_WINDOWS.index(w) for w in mine["window"]], pa.int8()),
                messages=pa.array(mine["messages"].to_numpy(), pa.int64()),
                row=pa.array(mine["first_line"].to_numpy(), pa.int64()),
            )


def _check(piece: pa.RecordBatch, wanted: dict[str, pa.Array], check: _Checks, row: int) -> None:
    """The local engine's checks of a CSV's rows (see campaign.read_batches), on `piece`: the
    first row either refuses is named."""
    unread = [name for name in piece.schema.names if name.startswith(_UNREAD)]
    values = pa.RecordBatch.from_arrays(
        [piece.column(name).cast(pa.binary()) for name in unread],  # as read locally
        names=[name.removeprefix(_UNREAD) for name in unread],
    )
    failure = earliest_failure(
        None,
        partial(refuse_line_breaks, wanted, _WHERE, row),
        partial(
            refuse_swallowed_rows,
            values,
            values.schema.names,
            check.header,
            check.columns,
            check.delimiter,
            _WHERE,
            row,
        ),
    )
    if failure is not None:
        raise failure


def _segments(
    record_batch: pa.RecordBatch, partition: int
) -> Iterator[tuple[tuple[int, str, int], pa.RecordBatch]]:
    """The runs of rows that come from one input split, each with its (input, path, start)."""
    names = record_batch.schema.names
    if _INPUT not in names:  # any DataFrame: a partition is a segment
        yield (0, "", partition), record_batch
        return
    inputs = record_batch.column(_INPUT).to_numpy(zero_copy_only=False)
    paths = record_batch.column(_PATH)
    path_ids = pc.dictionary_encode(paths).indices.to_numpy(zero_copy_only=False)
    starts = record_batch.column(_START).to_numpy(zero_copy_only=False)
    moved = (
        (inputs[1:] != inputs[:-1]) | (starts[1:] != starts[:-1]) | (path_ids[1:] != path_ids[:-1])
    )
    change = [0, *(np.flatnonzero(moved) + 1).tolist(), record_batch.num_rows]
    for begin, end in itertools.pairwise(change):
        if end > begin:
            segment = (int(inputs[begin]), str(paths[begin].as_py()), int(starts[begin]))
            yield segment, record_batch.slice(begin, end - begin)


def _record(rec: int, segment: tuple[int, str, int], n: int, **columns: Any) -> pa.RecordBatch:
    arrays = []
    for field in _ARROW_SCHEMA:
        if field.name in columns:
            arrays.append(columns[field.name])
        elif field.name == "rec":
            arrays.append(pa.array(np.full(n, rec, dtype=np.int8)))
        elif field.name == "input":
            arrays.append(pa.array(np.full(n, segment[0], dtype=np.int32)))
        elif field.name == "path":
            arrays.append(pa.array([segment[1]] * n, pa.string()))
        elif field.name == "start":
            arrays.append(pa.array(np.full(n, segment[2], dtype=np.int64)))
        else:
            arrays.append(pa.nulls(n, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=_ARROW_SCHEMA)


def _error_batch(segment: tuple[int, str, int], message: str) -> pa.RecordBatch:
    return _record(_REC_ERROR, segment, 1, error=pa.array([message], pa.string()))
