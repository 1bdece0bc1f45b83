"""The ledger of recipients: duplicates and exclusions in bounded memory.

Each valid number goes to a `RecipientLedger` as an int64 with its key and line; the ledger
spills to one temporary file when it grows (hash-partitioned chunks, with an index in memory),
and settles one partition at a time at the end. The file has no name on disk (it is unlinked
as it is made), so it goes with the process however the process ends, SIGKILL included, and
the ledger holds one file descriptor however many partitions it has.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO, Final, Self

import numpy as np

from wacost.counting import spill
from wacost.errors import WacostError
from wacost.numbers import plain

# --- the ledger of recipients: duplicates and exclusions in bounded memory ------------------

_OPTED_OUT: Final = -1  # the key of a number from the opt-out list


@dataclass
class _Settled:
    """What the ledger found, summed over its partitions."""

    duplicate_messages: int = 0
    duplicate_first: int | None = None  # ordinal of the first repeated row
    excluded_messages: int = 0
    excluded_first: int | None = None
    excluded_by_key: dict[int, int] = field(default_factory=dict)
    first_kept: np.ndarray | None = None  # per key: the first ordinal not excluded (with a list)

    @classmethod
    def total(cls, parts: Iterable[_Settled]) -> _Settled:
        out = cls()
        for part in parts:
            out.duplicate_messages += part.duplicate_messages
            if part.duplicate_first is not None:
                out.duplicate_first = _min(out.duplicate_first, part.duplicate_first)
            out.excluded_messages += part.excluded_messages
            if part.excluded_first is not None:
                out.excluded_first = _min(out.excluded_first, part.excluded_first)
            for key, count in part.excluded_by_key.items():
                out.excluded_by_key[key] = out.excluded_by_key.get(key, 0) + count
            if part.first_kept is not None:
                out.first_kept = (
                    part.first_kept
                    if out.first_kept is None
                    else np.minimum(out.first_kept, part.first_kept)
                )
        return out


_NUMBER, _KEY, _ORDINAL, _MESSAGES = range(4)  # the columns of a ledger record
# Records held in memory before the ledger spills to disk: 2M records of 24 bytes, 48 MiB.
# WACOST_LEDGER_MEMORY_RECORDS lowers it (tests and benchmarks of the spilling path).
_MEMORY_ENV = os.environ.get("WACOST_LEDGER_MEMORY_RECORDS", "").strip()
LEDGER_MEMORY_RECORDS = int(_MEMORY_ENV) if _MEMORY_ENV.isdigit() and int(_MEMORY_ENV) else 1 << 21


def exact_sum(values: np.ndarray) -> int:
    """The sum of non-negative int64 values as a Python int, exact past 2^63 (no wrap-around).

    Each value is split into its high and low 32 bits, and each half summed in int64, which
    holds 2^31 values of either half without overflow; larger arrays go in slices.
    """
    total = 0
    for at in range(0, len(values), 1 << 31):
        part = values[at : at + (1 << 31)].astype(np.int64, copy=False)
        total += (int((part >> 32).sum()) << 32) + int((part & 0xFFFFFFFF).sum())
    return total


def exact_sums_by(labels: np.ndarray, values: np.ndarray, size: int) -> list[int]:
    """Per label 0..size-1, the exact sum of `values` (Python ints; see exact_sum)."""
    high = np.zeros(size, dtype=np.int64)
    low = np.zeros(size, dtype=np.int64)
    values = values.astype(np.int64, copy=False)
    np.add.at(high, labels, values >> 32)
    np.add.at(low, labels, values & 0xFFFFFFFF)
    return [(h << 32) + lo for h, lo in zip(high.tolist(), low.tolist())]


_TOP_WORD: Final = 3 if sys.byteorder == "little" else 0  # the uint16 of a uint64's top bits


def partition_of(numbers: np.ndarray, bits: int) -> np.ndarray:
    """The ledger partition of each number: the top `bits` of a Fibonacci hash."""
    if bits == 0:
        return np.zeros(len(numbers), dtype=np.uint16)
    mixed = np.ascontiguousarray(numbers).view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    # the top 16 bits are one uint16 of each product: shifted as such (measured: 8x faster
    # than a shift of the uint64 and a conversion), the same partitions
    top = mixed.view(np.uint16)[_TOP_WORD::4]
    partition: np.ndarray = top >> np.uint16(16 - bits)
    return partition


def group_by_partition(
    valid: np.ndarray, numbers: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, numbers, bounds): the rows where `valid`, and their numbers, grouped by ledger
    partition in reading order within each; partition p is bounds[p]:bounds[p + 1]. In one
    counting sort in C where the compiled extension is built (wacost.numbers.plain), else a
    radix argsort."""
    kernel = plain.kernel()
    if kernel is not None and len(numbers) == len(valid):  # (no phone column: no numbers)
        valid = np.ascontiguousarray(valid, dtype=bool)
        rows = np.empty(len(valid), dtype=np.intp)
        grouped = np.empty(len(valid), dtype=np.int64)
        bounds = np.empty((1 << bits) + 1, dtype=np.intp)
        count = kernel.group(
            valid, np.ascontiguousarray(numbers, dtype=np.int64), bits, rows, grouped, bounds
        )
        return rows[:count], grouped[:count], bounds
    rows = np.flatnonzero(valid)
    kept = numbers[rows]
    part = partition_of(kept, bits)
    order = np.argsort(part, kind="stable")  # a radix sort: keeps reading order
    bounds = np.zeros((1 << bits) + 1, dtype=np.intp)
    np.cumsum(np.bincount(part, minlength=1 << bits), out=bounds[1:])
    return rows[order], kept[order], bounds


class RecipientLedger:
    """Every valid recipient as (number, key, ordinal[, messages]); spills to disk when large.

    Records (rows of int64) arrive grouped by partition, a hash of the number (so one number,
    in whichever template and whether from the campaign or the opt-out list, always lands in
    the same partition). They are held in memory up to `memory_records`; past that, they go
    to the spill file as one chunk per partition, and they are settled one partition at a time.
    Records keep their reading order within a partition, which is what lets "first" mean
    first in the campaign.
    """

    def __init__(
        self,
        with_messages: bool,
        expected_records: int,
        memory_records: int | None = None,
        partition_records: int = 1 << 18,
        directory: str | None = None,
    ) -> None:
        self.width = 4 if with_messages else 3
        self._memory_records = LEDGER_MEMORY_RECORDS if memory_records is None else memory_records
        wanted = max(2, -(-expected_records // partition_records))
        self.bits = min(10, max(1, int(wanted - 1).bit_length()))
        self._held: spill.Held = []  # (records, bounds) of each batch, not yet spilled
        self._buffer: np.ndarray | None = None  # where a spill gathers its partitions
        self._held_records = 0
        self._directory = directory
        self._spill: BinaryIO | None = None  # one nameless file for every spilled record
        self._spill_size = 0
        self._chunks: list[list[tuple[int, int]]] = [[] for _ in range(self.partitions)]
        self.records = 0
        self.opted_out = 0

    @property
    def partitions(self) -> int:
        return 1 << self.bits

    @property
    def spilled(self) -> bool:
        return self._spill is not None

    def add(
        self,
        numbers: np.ndarray,
        keys: np.ndarray | int,
        ordinals: np.ndarray | int,
        messages: np.ndarray | None = None,
        bounds: np.ndarray | None = None,
    ) -> None:
        """Records in partition order (`bounds` as from reduce_batch); or unordered, bounds None."""
        if not len(numbers):
            return
        if isinstance(keys, int) and keys == _OPTED_OUT:
            self.opted_out += len(numbers)
        records = np.empty((len(numbers), self.width), dtype=np.int64)
        records[:, _NUMBER] = numbers
        records[:, _KEY] = keys
        records[:, _ORDINAL] = ordinals
        if self.width > _MESSAGES:
            records[:, _MESSAGES] = 1 if messages is None else messages
        if bounds is None:
            part = partition_of(records[:, _NUMBER], self.bits)
            order = np.argsort(part, kind="stable")
            records = np.take(records, order, axis=0)
            bounds = np.searchsorted(part[order], np.arange(self.partitions + 1))
        self._hold(records, bounds)

    def add_batch(
        self,
        numbers: np.ndarray,
        labels: np.ndarray,
        global_ids: np.ndarray,
        rows: np.ndarray,
        base: int,
        messages: np.ndarray | None,
        bounds: np.ndarray,
    ) -> None:
        """A batch's recipients (as `add`, in partition order): keys global_ids[labels],
        ordinals base + rows; their records written in one pass in C where it is built."""
        kernel = plain.kernel()
        if kernel is None or self.width != 3 or messages is not None or not len(numbers):
            self.add(numbers, global_ids[labels], base + rows, messages, bounds)
            return
        records = np.empty((len(numbers), 3), dtype=np.int64)
        kernel.records(
            np.ascontiguousarray(numbers, dtype=np.int64),
            np.ascontiguousarray(labels, dtype=np.int32),
            np.ascontiguousarray(global_ids, dtype=np.int64),
            np.ascontiguousarray(rows, dtype=np.intp),
            base,
            records,
        )
        self._hold(records, bounds)

    def _hold(self, records: np.ndarray, bounds: np.ndarray) -> None:
        self.records += len(records)
        self._held.append((records, bounds))
        self._held_records += len(records)
        if self._held_records >= self._memory_records:
            self._write_held()

    def _write_held(self) -> None:
        """Append what is held to the spill file, one chunk per partition, and index the chunks."""
        try:
            self._append_held()
        except OSError as exc:  # a full disk, a file too large (ulimit -f)
            folder = self._directory or tempfile.gettempdir()
            raise WacostError(
                f"cannot write wacost's temporary file of recipients ({exc.strerror or exc})",
                f"free space in {folder}, or point TMPDIR at a folder with room",
            ) from None

    def _append_held(self) -> None:
        if self._spill is None:
            # TemporaryFile has no name on disk (O_TMPFILE, or unlinked at once).
            self._spill = tempfile.TemporaryFile(prefix="wacost-", dir=self._directory)
        # Each partition's slices of the held arrays back to back, one chunk each; partitions
        # gathered into one buffer a group at a time and written (see counting.spill).
        row = self.width * 8
        sizes = spill.counts(self._held, self.partitions) * row
        fd = self._spill.fileno()
        for first, last in spill.groups(sizes):
            need = int(sizes[first:last].sum())
            if self._buffer is None or len(self._buffer) < need:
                self._buffer = np.empty(max(need, spill.GROUP_BYTES), dtype=np.uint8)
            data = spill.gather(self._held, first, last, self.width, self._buffer)
            at = self._spill_size
            spill.write_all(fd, [data], at)
            for p in range(first, last):
                if sizes[p]:
                    self._chunks[p].append((at, int(sizes[p]) // row))
                    at += int(sizes[p])
            self._spill_size = at
        self._held = []
        self._held_records = 0

    def _partition(self, p: int) -> np.ndarray:
        """The records of partition `p`, in reading order (and forgets its spilled chunks).
        Spilled chunks are read straight into the one array that holds them all, with the held
        ones after."""
        held = [part[b[p] : b[p + 1]] for part, b in self._held if b[p] < b[p + 1]]
        chunks, self._chunks[p] = self._chunks[p], []
        if not chunks and len(held) == 1:
            return held[0]
        total = sum(count for _, count in chunks) + sum(len(part) for part in held)
        records = np.empty((total, self.width), dtype=np.int64)
        at = 0
        if chunks:
            assert self._spill is not None
            fd = self._spill.fileno()
            view = records.data.cast("B")
            for offset, count in chunks:
                begin, size = at * self.width * 8, count * self.width * 8
                done = 0
                while done < size:
                    got = os.preadv(fd, [view[begin + done : begin + size]], offset + done)
                    if got <= 0:
                        raise OSError("the ledger's spill file is shorter than written")
                    done += got
                at += count
        for part in held:
            records[at : at + len(part)] = part
            at += len(part)
        return records

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self._chunks = [[] for _ in range(self.partitions)]
        self._held = []
        self._buffer = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def settle(self, key_template: np.ndarray, templates: int, workers: int = 1) -> _Settled:
        """Duplicates (same number and template, not excluded) and exclusions, over all records.

        Partitions are independent: `workers` threads settle them side by side.
        """
        track_first = self.opted_out > 0
        self._buffer = None  # the spill's: no more spills

        def settle_one(p: int) -> _Settled:
            return _settle_chunk(self._partition(p), key_template, templates, track_first)

        if workers <= 1 or self.partitions == 1:
            parts = map(settle_one, range(self.partitions))
            return _Settled.total(parts)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wacost-settle") as pool:
            return _Settled.total(pool.map(settle_one, range(self.partitions)))


def _min(a: int | None, b: int) -> int:
    return b if a is None else min(a, b)


def _messages(records: np.ndarray) -> np.ndarray:
    if records.shape[1] > _MESSAGES:
        return records[:, _MESSAGES]
    return np.ones(len(records), dtype=np.int64)


def _settle_chunk(
    records: np.ndarray, key_template: np.ndarray, templates: int, track_first: bool
) -> _Settled:
    """Exclusions and duplicates among the records of one partition (in reading order)."""
    result = _Settled()
    # track_first: some records are an opt-out list's (without one, no record need be looked at)
    opted_out = records[:, _KEY] == _OPTED_OUT if track_first else None
    if opted_out is not None and opted_out.any():
        blocked = np.unique(records[opted_out, _NUMBER])
        records = records[~opted_out]
        hit = _isin(records[:, _NUMBER], blocked)
        if hit.any():
            gone = records[hit]
            messages = _messages(gone)
            result.excluded_messages = exact_sum(messages)
            result.excluded_first = int(gone[:, _ORDINAL].min())
            keys, inverse = np.unique(gone[:, _KEY], return_inverse=True)
            per_key = exact_sums_by(inverse, messages, len(keys))
            result.excluded_by_key = dict(zip(keys.tolist(), per_key))
            records = records[~hit]
    if track_first:
        # the first line of a key may be an excluded row: the first row kept replaces it
        result.first_kept = np.full(len(key_template), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(result.first_kept, records[:, _KEY], records[:, _ORDINAL])
    if len(records) < 2:
        return result
    numbers = records[:, _NUMBER]
    radix = max(templates, 1)
    kernel = plain.kernel()
    if kernel is not None and int(numbers.max()) * radix + radix < 2**63:
        # one pass in C, a hash set of (number, template) codes: the same repeats
        count, high, low, first = kernel.duplicates(
            np.ascontiguousarray(records), records.shape[1], key_template, radix
        )
        if count:
            result.duplicate_messages = (high << 32) + low
            result.duplicate_first = first
        return result
    template = key_template[records[:, _KEY]]
    if int(numbers.max()) * radix + radix >= 2**63:  # never for E.164 numbers; stay exact
        numbers = np.unique(numbers, return_inverse=True)[1].astype(np.int64)
    repeated = _duplicated(numbers * radix + template)
    if repeated.any():
        again = records[repeated]
        result.duplicate_messages = exact_sum(_messages(again))
        result.duplicate_first = int(again[:, _ORDINAL].min())
    return result


# Up to this many records, membership in an opt-out list is checked with numpy's sorts;
# beyond, with pandas' hash tables (faster on millions; only an opt-out list needs them).
HASH_RECORDS: Final = 1 << 12


def _duplicated(codes: np.ndarray) -> np.ndarray:
    """Per element: whether an earlier element has the same value.

    Equal values hash alike, so only values sharing a bucket with another are compared
    exactly, by a stable sort. Two tables: one of 4 to 8 buckets per value (about one value in
    five shares a bucket), then, for those, another hash into 8 to 16 buckets each (leaving
    about one in forty, and the repeats). numpy only: no pandas to load, and a few passes over
    the partition (measured: 40% less time than one table of 8 to 16 buckets per value).
    """
    n = len(codes)
    repeated = np.zeros(n, dtype=bool)
    if n < 2:
        return repeated
    x = np.ascontiguousarray(codes, dtype=np.int64).view(np.uint64)
    shared = _sharing(x, 4, np.uint64(0xC2B2AE3D27D4EB4F))
    if shared.size:
        shared = shared[_sharing(x[shared], 8, np.uint64(0x9E3779B97F4A7C15))]
    if shared.size:
        first = np.unique(codes[shared], return_index=True)[1]  # stable: first occurrences
        repeated[shared] = True
        repeated[shared[first]] = False
    return repeated


def _sharing(x: np.ndarray, per_value: int, multiplier: np.uint64) -> np.ndarray:
    """The positions of the values of `x` that share their bucket with another value, in a
    table of `per_value` to twice as many buckets per value."""
    bits = max(4, int(len(x) * per_value - 1).bit_length())
    mixed = (x ^ (x >> np.uint64(31))) * multiplier
    bucket = (mixed >> np.uint64(64 - bits)).astype(np.intp)
    return np.flatnonzero(np.bincount(bucket, minlength=1 << bits)[bucket] > 1)


def _isin(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Per element of `values`: whether it is one of `wanted`."""
    if len(values) > HASH_RECORDS:
        import pandas as pd

        return np.asarray(pd.Series(values).isin(wanted).to_numpy(), dtype=bool)
    return np.isin(values, wanted)
