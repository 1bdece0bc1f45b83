"""The ledger of recipients: duplicates and exclusions in bounded memory.

Each valid number goes to a `RecipientLedger` as an int64 with its key and line; the ledger
spills to hash-partitioned temporary files when it grows, and settles one partition at a
time at the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, Self

import numpy as np
import pandas as pd

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
LEDGER_MEMORY_RECORDS = 1 << 21


def partition_of(numbers: np.ndarray, bits: int) -> np.ndarray:
    """The ledger partition of each number: the top `bits` of a Fibonacci hash."""
    if bits == 0:
        return np.zeros(len(numbers), dtype=np.uint16)
    mixed = np.ascontiguousarray(numbers).view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - bits)).astype(np.uint16)


class RecipientLedger:
    """Every valid recipient as (number, key, ordinal[, messages]); spills to disk when large.

    Records (rows of int64) arrive grouped by partition, a hash of the number (so one number,
    in whichever template and whether from the campaign or the opt-out list, always lands in
    the same partition). They are held in memory up to `memory_records`; past that, each
    partition goes to its own temporary file, and they are settled one partition at a time.
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
        self._held: list[list[np.ndarray]] = [[] for _ in range(self.partitions)]
        self._held_records = 0
        self._directory = directory
        self._spill: tempfile.TemporaryDirectory[str] | None = None
        self._files: list[int] = []  # file descriptors, one per partition once spilled
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
        self.records += len(records)
        for p in range(self.partitions):
            if bounds[p] < bounds[p + 1]:
                self._held[p].append(records[bounds[p] : bounds[p + 1]])
        self._held_records += len(records)
        if self._held_records >= self._memory_records:
            self._write_held()

    def _write_held(self) -> None:
        """Append what is held to the partition files (one gathered write per partition)."""
        if self._spill is None:
            self._spill = tempfile.TemporaryDirectory(prefix="wacost-", dir=self._directory)
            self._files = [
                os.open(
                    os.path.join(self._spill.name, f"{p:04d}.bin"),
                    os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                    0o600,
                )
                for p in range(self.partitions)
            ]
        for p, held in enumerate(self._held):
            for at in range(0, len(held), 512):  # a writev takes at most IOV_MAX (1024) buffers
                pieces = [records.data.cast("B") for records in held[at : at + 512]]
                written = os.writev(self._files[p], pieces)
                if written != sum(len(piece) for piece in pieces):  # short write: finish it
                    rest = b"".join(pieces)[written:]
                    while rest:
                        rest = rest[os.write(self._files[p], rest) :]
        self._held = [[] for _ in range(self.partitions)]
        self._held_records = 0

    def _partition(self, p: int) -> np.ndarray:
        """The records of partition `p`, in reading order (and forgets them)."""
        held, self._held[p] = self._held[p], []
        if self._spill is not None:
            path = os.path.join(self._spill.name, f"{p:04d}.bin")
            held.insert(0, np.fromfile(path, dtype=np.int64).reshape(-1, self.width))
            os.unlink(path)
        return np.concatenate(held) if held else np.zeros((0, self.width), dtype=np.int64)

    def _close_files(self) -> None:
        for fd in self._files:
            os.close(fd)
        self._files = []

    def close(self) -> None:
        self._close_files()
        if self._spill is not None:
            self._spill.cleanup()
            self._spill = None
        self._held = [[] for _ in range(self.partitions)]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def settle(self, key_template: np.ndarray, templates: int, workers: int = 1) -> _Settled:
        """Duplicates (same number and template, not excluded) and exclusions, over all records.

        Partitions are independent: `workers` threads settle them side by side.
        """
        self._close_files()
        track_first = self.opted_out > 0

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
    opted_out = records[:, _KEY] == _OPTED_OUT
    if opted_out.any():
        blocked = np.unique(records[opted_out, _NUMBER])
        records = records[~opted_out]
        hit = np.asarray(pd.Series(records[:, _NUMBER]).isin(blocked).to_numpy(), dtype=bool)
        if hit.any():
            gone = records[hit]
            messages = _messages(gone)
            result.excluded_messages = int(messages.sum())
            result.excluded_first = int(gone[:, _ORDINAL].min())
            keys, inverse = np.unique(gone[:, _KEY], return_inverse=True)
            per_key = np.zeros(len(keys), dtype=np.int64)
            np.add.at(per_key, inverse, messages)
            result.excluded_by_key = dict(zip(keys.tolist(), per_key.tolist()))
            records = records[~hit]
    if track_first:
        # the first line of a key may be an excluded row: the first row kept replaces it
        result.first_kept = np.full(len(key_template), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(result.first_kept, records[:, _KEY], records[:, _ORDINAL])
    if len(records) < 2:
        return result
    numbers = records[:, _NUMBER]
    template = key_template[records[:, _KEY]]
    radix = max(templates, 1)
    if int(numbers.max()) * radix + radix < 2**63:
        repeated = pd.Series(numbers * radix + template).duplicated().to_numpy()
    else:
        repeated = pd.DataFrame({"n": numbers, "t": template}).duplicated().to_numpy()
    if repeated.any():
        again = records[repeated]
        result.duplicate_messages = int(_messages(again).sum())
        result.duplicate_first = int(again[:, _ORDINAL].min())
    return result
