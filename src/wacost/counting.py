"""Reduce campaign rows to counts, batch by batch, on whole columns.

Every batch becomes a small table of counts per (file, row kind, country, template, language,
category, window), with the first line of each key as an example; batches are merged as they
come, so memory is bounded by the number of distinct keys, not by the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wacost.campaign import DEFAULT_BLOCK_SIZE, Batch, inspect_campaign, mask_digits, read_batches
from wacost.errors import InputFileError
from wacost.markets import NumberResolver, normalize_countries
from wacost.models import Category, Window

KEYS = ["file", "kind", "country", "template", "language", "category", "window"]
_MERGE_EVERY = 16
_WINDOWS = ["", *(w.value for w in Window)]
_CATEGORIES = ["", *(c.value for c in Category)]


class RowKind(IntEnum):
    """What a row's recipient turned out to be."""

    PHONE = 0            # a valid number, billed in `country`
    INVALID_PHONE = 1    # a number that cannot be real (or no number and no country)
    PLANNED = 2          # a planning row: `count` messages to `country`
    UNKNOWN_COUNTRY = 3  # a planning row whose country code is not a country


@dataclass(frozen=True)
class Counts:
    """The reduced campaign: one row per key with `messages` and `first_line`; and the files."""

    table: pd.DataFrame
    files: tuple[str, ...]
    rows: int


def _first_bad(mask: pa.Array) -> int:
    """Index of the first True in a boolean array."""
    return int(np.argmax(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)))


def _text(batch: Batch, name: str) -> pa.Array:
    column = batch.columns.get(name)
    if column is None:
        return pa.array([""] * batch.num_rows, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def _checked_choice(batch: Batch, name: str, allowed: list[str], where: str, hint: str) -> pa.Array:
    values = pc.replace_substring(pc.utf8_lower(_text(batch, name)), "-", "_")
    ok = pc.is_in(values, value_set=pa.array(allowed))
    if not pc.all(ok).as_py():
        index = _first_bad(pc.invert(ok))
        raise InputFileError(
            f"{where}:{batch.first_line + index}: {name} {mask_digits(values[index].as_py()[:40])!r} is not one of "
            f"{', '.join(a for a in allowed if a)}",
            hint,
        )
    return values


def _counts(batch: Batch, where: str) -> pa.Array:
    if "count" not in batch.columns:
        return pa.array(np.ones(batch.num_rows, dtype=np.int64))
    text = _text(batch, "count")
    text = pc.if_else(pc.equal(text, ""), "1", text)
    whole = pc.match_substring_regex(text, r"^[0-9]{1,15}$")
    if not pc.all(whole).as_py():
        index = _first_bad(pc.invert(whole))
        raise InputFileError(
            f"{where}:{batch.first_line + index}: count {mask_digits(text[index].as_py()[:30])!r} "
            "is not a positive whole number",
            "write how many messages the row stands for, e.g. 1500",
        )
    values = pc.cast(text, pa.int64())
    zero = pc.less_equal(values, 0)
    if pc.any(zero).as_py():
        index = _first_bad(zero)
        raise InputFileError(f"{where}:{batch.first_line + index}: count 0 is not a positive whole number",
                             "drop the row or give a count of 1 or more")
    return values


def reduce_batch(batch: Batch, resolver: NumberResolver, where: str) -> pa.Table:
    """One batch as counts per key (see KEYS), with the first line of each key."""
    n = batch.num_rows
    kind = np.full(n, RowKind.INVALID_PHONE, dtype=np.int8)
    country = pa.array([""] * n, pa.string())
    has_phone = np.zeros(n, dtype=bool)
    if "phone" in batch.columns:
        phones = _text(batch, "phone")
        has_phone = np.asarray(pc.not_equal(phones, "").to_numpy(zero_copy_only=False), dtype=bool)
        resolved = resolver.resolve(phones)
        valid = np.asarray(resolved.valid.to_numpy(zero_copy_only=False), dtype=bool)
        kind[valid] = RowKind.PHONE
        country = pc.fill_null(resolved.country, "")
    if "country" in batch.columns:
        codes, known = normalize_countries(batch.columns["country"])
        planned = ~has_phone & np.asarray(pc.not_equal(codes, "").to_numpy(zero_copy_only=False), dtype=bool)
        known_np = np.asarray(known.to_numpy(zero_copy_only=False), dtype=bool)
        kind[planned & known_np] = RowKind.PLANNED
        kind[planned & ~known_np] = RowKind.UNKNOWN_COUNTRY
        country = pc.if_else(pa.array(planned), codes, country)
    table = pa.table({
        "file": pa.array(np.full(n, batch.file_index, dtype=np.int32)),
        "kind": pa.array(kind),
        "country": country,
        "template": _text(batch, "template"),
        "language": _text(batch, "language"),
        "category": _checked_choice(batch, "category", _CATEGORIES, where,
                                    "use marketing, utility, authentication, authentication_international or service"),
        "window": _checked_choice(batch, "window", _WINDOWS, where,
                                  "use none, csw (customer service window) or fep (free entry point)"),
        "messages": _counts(batch, where),
        "first_line": pa.array(np.arange(batch.first_line, batch.first_line + n, dtype=np.int64)),
    })
    return _merge([table])


def _merge(tables: Sequence[pa.Table]) -> pa.Table:
    combined = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    grouped = combined.group_by(KEYS, use_threads=False).aggregate(
        [("messages", "sum"), ("first_line", "min")]
    )
    return grouped.rename_columns(
        [{"messages_sum": "messages", "first_line_min": "first_line"}.get(n, n) for n in grouped.column_names]
    )


def count_campaign(
    paths: Iterable[Path],
    resolver: NumberResolver,
    encoding: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Counts:
    """Read every campaign file in batches and reduce them to one table of counts."""
    pending: list[pa.Table] = []
    files: list[str] = []
    rows = 0
    for index, path in enumerate(paths):
        source = inspect_campaign(path, encoding)
        files.append(str(path))
        file_rows = 0
        for batch in read_batches(source, index, block_size):
            pending.append(reduce_batch(batch, resolver, str(path)))
            file_rows += batch.num_rows
            if len(pending) >= _MERGE_EVERY:
                pending = [_merge(pending)]
        if file_rows == 0:
            raise InputFileError(f"{path}: a header but no rows", "add the campaign's recipients")
        rows += file_rows
    if not pending:
        raise InputFileError("no campaign rows", "give at least one campaign file with rows")
    table = _merge(pending).to_pandas()
    return Counts(table=table, files=tuple(files), rows=rows)
