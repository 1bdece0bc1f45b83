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
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Final, Self

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wacost.campaign import (
    DEFAULT_BLOCK_SIZE,
    Batch,
    CampaignFile,
    inspect_campaign,
    mask_digits,
    read_batches,
)
from wacost.errors import InputFileError
from wacost.lines import row_lines
from wacost.markets import COUNTRY_ALIASES, TERRITORY_OWNERS, NumberResolver, known_countries
from wacost.models import Category, Window

KEYS = ["file", "kind", "country", "template", "language", "category", "window"]
_WINDOWS = ["", *(w.value for w in Window)]
_CATEGORIES = ["", *(c.value for c in Category)]
_LINE_BITS: Final = 40  # an ordinal is file << 40 | line: file:line in one sortable int64
_LINE_MASK: Final = (1 << _LINE_BITS) - 1

Progress = Callable[[int, int], None]
"""Called as progress(bytes_done, bytes_total) while campaign files are read."""


class RowKind(IntEnum):
    """What a row's recipient turned out to be."""

    PHONE = 0  # a valid number, billed in `country`
    INVALID_PHONE = 1  # a number that cannot be real (or no number and no country)
    PLANNED = 2  # a planning row: `count` messages to `country`
    UNKNOWN_COUNTRY = 3  # a planning row whose country code is not a country
    COUNTRY_MISMATCH = 4  # a valid number, billed in `country`, not of its row's country
    EMPTY = 5  # every column wacost reads is blank (Excel's ";;;;" rows): not a message


@dataclass(frozen=True)
class Tally:
    """How many messages, and the first place (file:line) where one of them is written."""

    messages: int = 0
    example: str | None = None


@dataclass(frozen=True)
class Counts:
    """The reduced campaign: one row per key with `messages` and `first_line`; and the files.

    `duplicates` counts the messages that repeat an earlier row's recipient and template (they
    are billed, and counted in `table`); `excluded`, those to numbers on an opt-out list (not
    in `table`: they are not sent).
    """

    table: pd.DataFrame
    files: tuple[str, ...]
    rows: int
    duplicates: Tally = field(default_factory=Tally)
    excluded: Tally | None = None  # None: no opt-out list was given
    invalid_exclusions: int = 0  # entries of the opt-out lists that are not valid numbers


# --- one batch -> local counts (on a worker thread; no shared state) --------------------------


def _first_bad(mask: np.ndarray) -> int:
    """Index of the first True in a boolean array."""
    return int(np.argmax(mask))


@dataclass(frozen=True)
class _Column:
    """A string column as ids into its distinct values (trimmed, or normalized)."""

    ids: np.ndarray  # int32 per row
    values: list[str]  # per id: the normalized value

    def first_row(self, ids: np.ndarray) -> int:
        """The first row holding any of `ids`."""
        return int(np.argmax(np.isin(self.ids, ids)))


def _encode(
    column: pa.Array | None,
    n: int,
    normalize: Callable[[pa.Array], pa.Array] = pc.utf8_trim_whitespace,
) -> _Column:
    """Each distinct value is normalized once: the column is dictionary-encoded first."""
    if column is None:
        return _Column(np.zeros(n, dtype=np.int32), [""])
    encoded = pc.dictionary_encode(column)
    indices = encoded.indices
    values = normalize(encoded.dictionary).to_pylist()
    if indices.null_count:
        indices = pc.fill_null(indices, len(values))
        values.append("")
    ids = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int32)
    return _Column(ids, [v if v is not None else "" for v in values])


def _np_blank(column: pa.Array) -> np.ndarray:
    """Per row: the field is empty or only spaces."""
    text = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
    return np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)


def _lower_underscored(values: pa.Array) -> pa.Array:
    return pc.replace_substring(pc.utf8_lower(pc.utf8_trim_whitespace(values)), "-", "_")


# Other words people write in the window column, beyond the contract's none, csw and fep.
WINDOW_ALIASES: Final = {
    "no": "none",
    "outside": "none",
    "closed": "none",
    "-": "none",
    "customer_service_window": "csw",
    "customer_service": "csw",
    "service_window": "csw",
    "free_entry_point": "fep",
    "entry_point": "fep",
    "ctwa": "fep",
}


def _checked_choice(
    batch: Batch,
    name: str,
    allowed: list[str],
    where: str,
    hint: str,
    aliases: dict[str, str] | None = None,
) -> np.ndarray:
    """The column as indices into `allowed`; the first row with another value is an error."""
    column = _encode(batch.columns.get(name), batch.num_rows, _lower_underscored)
    position = {value: i for i, value in enumerate(allowed)}
    for alias, value in (aliases or {}).items():
        position[alias] = position[value]
    lut = np.array([position.get(value, -1) for value in column.values], dtype=np.int8)
    bad = np.flatnonzero(lut < 0)
    if bad.size:
        row = column.first_row(bad)
        value = column.values[int(column.ids[row])]
        raise InputFileError(
            f"{where}:{batch.first_line + row}: {name} {mask_digits(value[:40])!r} is not one of "
            f"{', '.join(a for a in allowed if a)}",
            hint,
        )
    choice: np.ndarray = lut[column.ids]
    return choice


def _counts(batch: Batch, where: str) -> np.ndarray | None:
    """Messages per row from the `count` column, or None when there is none (one each)."""
    column = batch.columns.get("count")
    if column is None:
        return None
    text = pc.utf8_trim_whitespace(pc.fill_null(column, ""))
    text = pc.if_else(pc.equal(text, ""), "1", text)
    length = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False))
    whole = np.asarray(pc.ascii_is_decimal(text).to_numpy(zero_copy_only=False), dtype=bool)
    whole &= length <= 12  # up to 999,999,999,999 messages a row: sums stay far from int64's limit
    if not whole.all():
        # Digit groups as spreadsheets write them: "12 500" (also no-break spaces), "12'500".
        # A comma or point stays an error: 1,500 and 1.500 mean different things in different locales.
        grouped = pc.match_substring_regex(text, r"^\d{1,3}(?:[ \x{00A0}\x{202F}']\d{3})+$")
        text = pc.if_else(
            grouped, pc.replace_substring_regex(text, r"[ \x{00A0}\x{202F}']", ""), text
        )
        length = np.asarray(pc.binary_length(text).to_numpy(zero_copy_only=False))
        whole = np.asarray(pc.ascii_is_decimal(text).to_numpy(zero_copy_only=False), dtype=bool)
        whole &= (
            length <= 12
        )  # up to 999,999,999,999 messages a row: sums stay far from int64's limit
    if not whole.all():
        index = _first_bad(~whole)
        raise InputFileError(
            f"{where}:{batch.first_line + index}: count {mask_digits(text[index].as_py()[:30])!r} "
            "is not a positive whole number (at most 12 digits)",
            "write how many messages the row stands for, e.g. 1500",
        )
    values = np.asarray(pc.cast(text, pa.int64()).to_numpy(), dtype=np.int64)
    zero = values <= 0
    if zero.any():
        index = _first_bad(zero)
        raise InputFileError(
            f"{where}:{batch.first_line + index}: count 0 is not a positive whole number",
            "drop the row or give a count of 1 or more",
        )
    return values


_TERRITORIES = pa.array(list(TERRITORY_OWNERS), pa.string())
_OWNERS = pa.array(list(TERRITORY_OWNERS.values()), pa.string())


def _planning_countries(values: pa.Array) -> pa.Array:
    """Planning-row country codes upper-cased (with UK -> GB)."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    for alias, code in COUNTRY_ALIASES.items():
        text = pc.if_else(pc.equal(text, alias), code, text)
    owner = pc.take(_OWNERS, pc.index_in(text, value_set=_TERRITORIES))
    return pc.coalesce(owner, text)


def _combine(parts: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 code per row for a tuple of small ids (id, how many ids there are)."""
    code = np.zeros(len(parts[0][0]), dtype=np.int64)
    span = 1
    for ids, radix in parts:
        if radix == 1:  # a column that is absent, or holds one value everywhere
            continue
        if span * radix >= 2**62:  # never in practice; keep the code small and exact anyway
            code, uniques = pd.factorize(code)
            code = code.astype(np.int64)
            span = max(len(uniques), 1)
        code = code * radix + ids
        span *= radix
    return code


@dataclass(frozen=True)
class _BatchCounts:
    """A batch reduced to its distinct keys (in local ids) and its valid recipients."""

    file_index: int
    first_line: int
    num_rows: int
    kind: np.ndarray  # per key
    country: np.ndarray  # per key: resolver country id, or resolver size + planning id
    template: np.ndarray  # per key: index into templates
    language: np.ndarray  # per key: index into languages
    category: np.ndarray  # per key: index into _CATEGORIES
    window: np.ndarray  # per key: index into _WINDOWS
    messages: np.ndarray  # per key
    first_row: np.ndarray  # per key
    templates: list[str]
    languages: list[str]
    planned: list[str]  # planning-row country codes
    numbers: np.ndarray  # per valid recipient: E.164 digits as int64
    labels: np.ndarray  # per valid recipient: its key
    rows: np.ndarray  # per valid recipient: its row in the batch
    row_messages: np.ndarray | None  # per valid recipient, when the file has a count column
    bounds: np.ndarray  # recipients are grouped by ledger partition: partition p is
    # bounds[p]:bounds[p + 1], in reading order within each


def reduce_batch(
    batch: Batch, resolver: NumberResolver, where: str, partition_bits: int = 0
) -> _BatchCounts:
    """One batch as counts per key (see KEYS) with the first row of each, and its recipients
    (grouped by the ledger partition of their number, see RecipientLedger)."""
    n = batch.num_rows
    kind = np.full(n, RowKind.INVALID_PHONE, dtype=np.int8)
    country = np.zeros(n, dtype=np.int32)
    has_phone = np.zeros(n, dtype=bool)
    valid = np.zeros(n, dtype=bool)
    numbers = np.zeros(0, dtype=np.int64)
    codes = (
        _encode(batch.columns["country"], n, _planning_countries)
        if "country" in batch.columns
        else None
    )
    if "phone" in batch.columns:
        regions = None
        if codes is not None:  # national numbers are read in their row's own country first
            regions = pa.array(codes.values, pa.string()).take(pa.array(codes.ids))
        resolved = resolver.resolve(batch.columns["phone"], regions)
        has_phone = resolved.present
        valid = resolved.valid_mask
        kind[valid] = RowKind.PHONE
        if resolved.mismatch is not None:
            kind[resolved.mismatch] = RowKind.COUNTRY_MISMATCH
        country = resolved.country_ids.astype(np.int32)
        numbers = resolved.numbers
    planned_values: list[str] = []
    if codes is not None:
        planned_values = codes.values
        known = known_countries()
        known_ids = np.array([value in known for value in codes.values], dtype=bool)
        nonblank = np.array([value != "" for value in codes.values], dtype=bool)
        planned = ~has_phone & nonblank[codes.ids]
        is_known = known_ids[codes.ids]
        kind[planned & is_known] = RowKind.PLANNED
        kind[planned & ~is_known] = RowKind.UNKNOWN_COUNTRY
        country = np.where(planned, len(resolver.countries) + codes.ids, country)
    template = _encode(batch.columns.get("template"), n)
    language = _encode(batch.columns.get("language"), n)
    category = _checked_choice(
        batch,
        "category",
        _CATEGORIES,
        where,
        "use marketing, utility, authentication, authentication_international or service",
    )
    window = _checked_choice(
        batch,
        "window",
        _WINDOWS,
        where,
        "use none, csw (customer service window) or fep (free entry point)",
        WINDOW_ALIASES,
    )
    messages = _counts(batch, where)
    blank = ~has_phone & (kind == RowKind.INVALID_PHONE)
    if blank.any():  # nothing at all written in the columns wacost reads: not a message
        for name in ("template", "language", "category", "count", "window"):
            column = batch.columns.get(name)
            if column is not None:
                blank &= _np_blank(column)
        kind[blank] = RowKind.EMPTY

    radices = [
        len(resolver.countries) + len(planned_values),
        len(RowKind),
        len(template.values),
        len(language.values),
        len(_CATEGORIES) if "category" in batch.columns else 1,
        len(_WINDOWS) if "window" in batch.columns else 1,
    ]
    code = _combine(
        list(zip([country, kind, template.ids, language.ids, category, window], radices))
    )
    labels, uniques = pd.factorize(code)
    k = len(uniques)
    # pd.factorize numbers keys in order of first appearance: a key's first row is where its
    # label first exceeds every label before it.
    seen = np.maximum.accumulate(labels)
    new = np.ones(n, dtype=bool)
    new[1:] = labels[1:] > seen[:-1]
    first_row = np.flatnonzero(new)
    if messages is None:
        per_key = np.bincount(labels, minlength=k).astype(np.int64)
    else:
        per_key = np.zeros(k, dtype=np.int64)
        np.add.at(per_key, labels, messages)
    parts = []
    rest = np.asarray(uniques, dtype=np.int64)
    for radix in reversed(radices):
        rest, part = np.divmod(rest, radix)
        parts.append(part)
    window_k, category_k, language_k, template_k, kind_k, country_k = parts
    rows = np.flatnonzero(valid)
    part = partition_of(numbers[rows], partition_bits)
    order = np.argsort(part, kind="stable")  # a radix sort: keeps reading order
    rows = rows[order]
    bounds = np.searchsorted(part[order], np.arange((1 << partition_bits) + 1))
    return _BatchCounts(
        file_index=batch.file_index,
        first_line=batch.first_line,
        num_rows=n,
        kind=kind_k,
        country=country_k,
        template=template_k,
        language=language_k,
        category=category_k,
        window=window_k,
        messages=per_key,
        first_row=first_row,
        templates=template.values,
        languages=language.values,
        planned=planned_values,
        numbers=numbers[rows],
        labels=labels[rows].astype(np.int32),
        rows=rows,
        row_messages=messages[rows] if messages is not None else None,
        bounds=bounds,
    )


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


# --- the campaign ----------------------------------------------------------------------------


class _Vocabulary:
    """Strings -> dense ids, across batches."""

    def __init__(self, initial: Iterable[str] = ("",)) -> None:
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        for value in initial:
            self.id(value)

    def id(self, value: str) -> int:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self.values)
            self.values.append(value)
        return found

    def ids(self, values: Sequence[str]) -> np.ndarray:
        return np.array([self.id(v) for v in values], dtype=np.int64)


class _Tables:
    """The merged counts: one entry per distinct key across the whole campaign."""

    def __init__(self, countries: Sequence[str]) -> None:
        self.countries = _Vocabulary(countries)
        self.templates = _Vocabulary()
        self.languages = _Vocabulary()
        self.keys: dict[tuple[int, ...], int] = {}
        self.key_tuples: list[tuple[int, ...]] = []
        self.messages: list[int] = []
        self.first: list[int] = []  # ordinal

    def merge(self, part: _BatchCounts, resolver_countries: int) -> np.ndarray:
        """Add a batch's counts; the global key of each of its local keys."""
        country_ids = self.countries.ids(
            list(self.countries.values[:resolver_countries]) + part.planned
        )
        template_ids = self.templates.ids(part.templates)
        language_ids = self.languages.ids(part.languages)
        columns = zip(
            part.kind.tolist(),
            country_ids[part.country].tolist(),
            template_ids[part.template].tolist(),
            language_ids[part.language].tolist(),
            part.category.tolist(),
            part.window.tolist(),
            part.messages.tolist(),
            part.first_row.tolist(),
        )
        base = (part.file_index << _LINE_BITS) + part.first_line
        global_ids = np.empty(len(part.kind), dtype=np.int32)
        for local, (
            kind,
            country,
            template,
            language,
            category,
            window,
            messages,
            first,
        ) in enumerate(columns):
            key = (part.file_index, kind, country, template, language, category, window)
            gid = self.keys.get(key)
            if gid is None:
                gid = self.keys[key] = len(self.key_tuples)
                self.key_tuples.append(key)
                self.messages.append(0)
                self.first.append(base + first)
            self.messages[gid] += messages
            self.first[gid] = min(self.first[gid], base + first)
            global_ids[local] = gid
        return global_ids

    def key_template(self) -> np.ndarray:
        return np.array([key[3] for key in self.key_tuples] or [0], dtype=np.int64)

    def frame(self, excluded: dict[int, int], first_kept: np.ndarray | None) -> pd.DataFrame:
        rows = []
        for gid, (file, kind, country, template, language, category, window) in enumerate(
            self.key_tuples
        ):
            if self.messages[gid] < 0:
                raise InputFileError(
                    "the campaign's counts add up to more than 9.2e18 messages",
                    "check the count column",
                )
            messages = self.messages[gid] - excluded.get(gid, 0)
            if messages <= 0:
                continue
            first = (
                int(first_kept[gid])
                if gid in excluded and first_kept is not None
                else self.first[gid]
            )
            rows.append(
                (
                    file,
                    kind,
                    self.countries.values[country],
                    self.templates.values[template],
                    self.languages.values[language],
                    _CATEGORIES[category],
                    _WINDOWS[window],
                    messages,
                    first & _LINE_MASK,
                )
            )
        table = pd.DataFrame(rows, columns=[*KEYS, "messages", "first_line"])
        return table.astype(
            {"file": np.int32, "kind": np.int8, "messages": np.int64, "first_line": np.int64}
        )


def _true_lines(
    sources: Sequence[CampaignFile],
    table: pd.DataFrame,
    *ordinals: int | None,
) -> tuple[Any, ...]:
    """`table`'s first lines and `ordinals` (file << 40 | line) with each row's true line.

    The counting numbers rows as if each were one line; blank lines and quoted line breaks
    move the true lines down (see wacost.lines), which only a scan of the file can tell.
    """
    table = table.copy()
    result: list[int | None] = list(ordinals)
    for index, source in enumerate(sources):
        base = source.skip_rows + 1
        in_file = (table["file"] == index).to_numpy()
        picked = [i for i, o in enumerate(result) if o is not None and o >> _LINE_BITS == index]
        rows = np.concatenate(
            [
                table.loc[in_file, "first_line"].to_numpy(dtype=np.int64) - base,
                np.array([(result[i] or 0) & _LINE_MASK for i in picked], dtype=np.int64) - base,
            ]
        )
        if not len(rows):
            continue
        lines = row_lines(source.path, source.encoding, source.skip_rows, rows)
        count = int(in_file.sum())
        table.loc[in_file, "first_line"] = lines[:count]
        for i, line in zip(picked, lines[count:].tolist()):
            result[i] = (index << _LINE_BITS) | line
    return (table, *result)


def _place(ordinal: int | None, files: Sequence[str]) -> str | None:
    if ordinal is None:
        return None
    return f"{files[ordinal >> _LINE_BITS]}:{ordinal & _LINE_MASK}"


def read_exclusions(
    paths: Iterable[Path],
    resolver: NumberResolver,
    ledger: RecipientLedger,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> int:
    """Put the valid numbers of opt-out lists in the ledger; how many entries were not valid.

    A list is a CSV file with a phone column (any of its aliases), or one number per line.
    """
    invalid = 0
    for path in paths:
        if not path.is_file():
            raise InputFileError(f"--exclude {path}: no such file", "check the opt-out list's path")
        for phones in _exclusion_columns(path, block_size):
            resolved = resolver.resolve(phones)
            ledger.add(resolved.numbers[resolved.valid_mask], _OPTED_OUT, 0)
            invalid += int(np.count_nonzero(resolved.present & ~resolved.valid_mask))
    return invalid


def _exclusion_columns(path: Path, block_size: int) -> Iterator[pa.Array]:
    try:
        source = inspect_campaign(path)
    except InputFileError:
        source = None
    if source is not None and source.has_phone:
        for batch in read_batches(source, 0, block_size):
            yield batch.columns["phone"]
        return
    # one number per line: every line is one field, whatever commas or quotes it holds
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=["phone"], block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={"phone": pa.string()}, strings_can_be_null=False
            ),
        )
        for record_batch in reader:
            yield record_batch.column("phone")
    except FileNotFoundError:
        raise InputFileError(
            f"--exclude {path}: no such file", "check the opt-out list's path"
        ) from None
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError) as exc:
        first = mask_digits(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise InputFileError(
            f"--exclude {path}: cannot read the opt-out list ({first})",
            "give a CSV file with a phone column, or one number per line in UTF-8",
        ) from None


def _cpus() -> int:
    return max(
        1,
        min(
            4,
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1,
        ),
    )


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
    `workers`: threads that reduce batches while the main thread parses the next ones (default:
    one per CPU, up to 4; 0 reduces on the main thread, as for files of one block).
    """
    sources = []
    for path in paths:
        sources.append(inspect_campaign(path, encoding))
    files = tuple(str(source.path) for source in sources)
    sizes = [_size(source.path) for source in sources]
    total_bytes = sum(sizes)
    exclude_bytes = sum(_size(path) for path in exclude)
    with_messages = any("count" in source.columns for source in sources)
    if workers is None:  # the main thread parses while they reduce (measured: on 2 CPUs, 2
        workers = _cpus() if total_bytes > block_size else 0  # reduce faster than 1)
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
            batches = read_batches(
                source, index, block_size, progress=_offset(progress, done_before, total_bytes)
            )
            for part in _reduce_in_order(batches, resolver, str(source.path), workers, ledger.bits):
                global_ids = tables.merge(part, len(resolver.countries))
                ordinals = (index << _LINE_BITS) + part.first_line + part.rows
                ledger.add(
                    part.numbers, global_ids[part.labels], ordinals, part.row_messages, part.bounds
                )
                file_rows += part.num_rows
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
            Tally(settled.excluded_messages, _place(excluded_first, files))
            if exclude
            else None
        ),
        invalid_exclusions=invalid_exclusions,
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
    """
    if workers <= 0:
        for batch in batches:
            yield reduce_batch(batch, resolver, where, partition_bits)
        return
    pending: deque[Future[_BatchCounts]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wacost-count") as pool:
        try:
            for batch in batches:
                pending.append(pool.submit(reduce_batch, batch, resolver, where, partition_bits))
                if len(pending) > workers:  # one waiting for each worker, and one more
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def annotate_report(report: dict[str, Any], counts: Counts) -> dict[str, Any]:
    """The report with the list-hygiene figures of `counts`: duplicates and exclusions.

    Duplicates are billed (Meta bills every delivered message), so they are a warning;
    excluded recipients are not sent, so they are a notice, not a warning (--strict fails on
    warnings only), and `totals.excluded_messages` (they are not in `totals.messages`).
    """
    if counts.duplicates.messages:
        warnings = list(report.get("warnings", []))
        warnings.append(
            {
                "code": "duplicate_recipient",
                "message": "rows that repeat an earlier row's recipient and template; billed, "
                "since Meta bills every delivered message",
                "count": counts.duplicates.messages,
                "example": counts.duplicates.example,
            }
        )
        report["warnings"] = sorted(warnings, key=lambda w: (w["code"], w["message"]))
    if counts.invalid_exclusions:
        report["warnings"] = sorted(
            [
                *report.get("warnings", []),
                {
                    "code": "invalid_exclusion",
                    "message": "entries of the --exclude list that are not valid phone numbers exclude "
                    "nothing (national numbers need --default-country)",
                    "count": counts.invalid_exclusions,
                    "example": None,
                },
            ],
            key=lambda w: (w["code"], w["message"]),
        )
    empty = counts.table[counts.table["kind"] == RowKind.EMPTY]
    if len(empty):
        first = empty.sort_values(["file", "first_line"]).iloc[0]
        report["notices"] = [
            *report.get("notices", []),
            {
                "code": "empty_row",
                "message": "rows with nothing in any column wacost reads (as spreadsheets "
                "export blank rows); skipped, not counted",
                "count": int(empty["messages"].sum()),
                "example": f"{counts.files[int(first['file'])]}:{int(first['first_line'])}",
            },
        ]
    if counts.excluded is not None:
        report.setdefault("totals", {})["excluded_messages"] = counts.excluded.messages
    if counts.excluded is not None and counts.excluded.messages:
        report["notices"] = [
            *report.get("notices", []),
            {
                "code": "excluded_recipient",
                "message": "messages to numbers on the --exclude list; not sent, not billed",
                "count": counts.excluded.messages,
                "example": counts.excluded.example,
            },
        ]
    return report
