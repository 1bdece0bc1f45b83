"""One batch of campaign rows -> local counts per key, on whole columns (on a worker thread; no
shared state). Also the key vocabulary of the counts: `KEYS`, `RowKind`, `Tally`, `Counts`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost import arrow
from wacost.arrow import from_numpy, to_numpy
from wacost.campaign import Batch, mask_digits
from wacost.counting.columns import _Column, _encode, _np_blank
from wacost.counting.ledger import group_by_partition
from wacost.counting.table import CountTable
from wacost.errors import InputFileError
from wacost.models import Category, Window
from wacost.numbers.regions import COUNTRY_ALIASES, TERRITORY_OWNERS, known_countries
from wacost.numbers.resolver import NumberResolver

KEYS = ["file", "kind", "country", "template", "language", "category", "window"]
# The window key also carries `reaction` (from the `type` column): a reaction is never charged
# and uses no free tier, whatever window is open, so nothing else about its window matters.
REACTION = "reaction"
_WINDOWS = ["", *(w.value for w in Window), REACTION]
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

    table: CountTable
    files: tuple[str, ...]
    rows: int
    duplicates: Tally = field(default_factory=Tally)
    excluded: Tally | None = None  # None: no opt-out list was given
    invalid_exclusions: int = 0  # entries of the opt-out lists that are not valid numbers


# --- one batch -> local counts (on a worker thread; no shared state) --------------------------


def _first_bad(mask: np.ndarray) -> int:
    """Index of the first True in a boolean array."""
    return int(np.argmax(mask))


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
    if name not in batch.columns:  # absent: "" (index 0) everywhere
        return np.zeros(batch.num_rows, dtype=np.int8)
    column = _encode(batch.columns.get(name), batch.num_rows, _lower_underscored)
    position = {value: i for i, value in enumerate(allowed)}
    for alias, value in (aliases or {}).items():
        position[alias] = position[value]
    lut = np.array([position.get(value, -1) for value in column.values], dtype=np.int8)
    bad = np.flatnonzero(lut < 0)
    if bad.size:
        row = column.first_row(bad)
        value = column.values[int(column.ids[row])]
        raise InputFileError.at_line(
            where,
            batch.first_line + row,
            f"{name} {mask_digits(value[:40])!r} is not one of {', '.join(a for a in allowed if a)}",
            hint,
        )
    choice: np.ndarray = lut[column.ids]
    return choice


def _reactions(
    batch: Batch, template: _Column, category: np.ndarray, where: str
) -> np.ndarray | None:
    """Per row, whether the `type` column says it is a reaction (None: no such column).

    Only `reaction` matters; any other type (text, image, template, ...) changes nothing. A
    reaction with a template name, or a template's category, is contradictory input and an
    error (it would be priced free).
    """
    column = batch.columns.get("type")
    if column is None:
        return None
    kinds = _encode(column, batch.num_rows, _lower_underscored)
    is_reaction = np.array([v in (REACTION, "reactions") for v in kinds.values], dtype=bool)
    mask: np.ndarray = is_reaction[kinds.ids]
    named = np.array([v != "" for v in template.values], dtype=bool)[template.ids]
    clash = np.flatnonzero(mask & named)
    if clash.size:
        raise InputFileError.at_line(
            where,
            batch.first_line + int(clash[0]),
            "type reaction with a template name",
            "a reaction is a non-template message: clear the template or the type",
        )
    templated = ~np.isin(category, [_CATEGORIES.index(""), _CATEGORIES.index("service")])
    clash = np.flatnonzero(mask & templated)
    if clash.size:
        row = int(clash[0])
        raise InputFileError.at_line(
            where,
            batch.first_line + row,
            f"type reaction with category {_CATEGORIES[category[row]]}",
            "a reaction is a non-template message: clear the category or the type",
        )
    return mask


def _counts(batch: Batch, where: str) -> np.ndarray | None:
    """Messages per row from the `count` column, or None when there is none (one each)."""
    column = batch.columns.get("count")
    if column is None:
        return None
    text = pc.utf8_trim_whitespace(pc.fill_null(column, arrow.utf8("")))
    text = pc.if_else(pc.equal(text, arrow.utf8("")), arrow.utf8("1"), text)
    length = np.asarray(to_numpy(pc.binary_length(text)))
    whole = np.asarray(to_numpy(pc.ascii_is_decimal(text)), dtype=bool)
    whole &= length <= 12  # up to 999,999,999,999 messages a row: sums stay far from int64's limit
    if not whole.all():
        # Digit groups as spreadsheets write them: "12 500" (also no-break spaces), "12'500".
        # A comma or point stays an error: 1,500 and 1.500 mean different things in different locales.
        grouped = pc.match_substring_regex(text, r"^\d{1,3}(?:[ \x{00A0}\x{202F}']\d{3})+$")
        text = pc.if_else(
            grouped, pc.replace_substring_regex(text, r"[ \x{00A0}\x{202F}']", ""), text
        )
        length = np.asarray(to_numpy(pc.binary_length(text)))
        whole = np.asarray(to_numpy(pc.ascii_is_decimal(text)), dtype=bool)
        whole &= (
            length <= 12
        )  # up to 999,999,999,999 messages a row: sums stay far from int64's limit
    if not whole.all():
        index = _first_bad(~whole)
        raise InputFileError.at_line(
            where,
            batch.first_line + index,
            f"count {mask_digits(text[index].as_py()[:30])!r} "
            "is not a positive whole number (at most 12 digits)",
            "write how many messages the row stands for, e.g. 1500",
        )
    values = np.asarray(to_numpy(pc.cast(text, pa.int64())), dtype=np.int64)
    zero = values <= 0
    if zero.any():
        index = _first_bad(zero)
        raise InputFileError.at_line(
            where,
            batch.first_line + index,
            "count 0 is not a positive whole number",
            "drop the row or give a count of 1 or more",
        )
    return values


_TERRITORIES = arrow.strings(list(TERRITORY_OWNERS))
_OWNERS = arrow.strings(list(TERRITORY_OWNERS.values()))


def _planning_countries(values: pa.Array) -> pa.Array:
    """Planning-row country codes upper-cased (with UK -> GB)."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    for alias, code in COUNTRY_ALIASES.items():
        text = pc.if_else(pc.equal(text, arrow.utf8(alias)), arrow.utf8(code), text)
    owner = pc.take(_OWNERS, pc.index_in(text, value_set=_TERRITORIES))
    return pc.coalesce(owner, text)


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, uniques) of an int64 array, uniques in order of first appearance (as
    pandas.factorize: a hash table, one pass; pyarrow's, so that pandas need not be loaded)."""
    encoded = pc.dictionary_encode(from_numpy(np.asarray(values, dtype=np.int64)))
    labels = np.asarray(to_numpy(encoded.indices))  # int32
    uniques = np.asarray(to_numpy(encoded.dictionary), dtype=np.int64)
    return labels, uniques


def _keys(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, uniques, first_row) of the codes of a batch's rows, keys numbered in order of
    first appearance (as factorize). Codes are small (a product of a few small ids): the first
    row of each is found with a table indexed by code, two passes over the rows and no hashing
    (measured: a third of factorize's time); larger codes are factorized."""
    n = len(code)
    span = int(code.max()) + 1 if n else 0
    if span > max(8 * n, 1 << 16):
        labels, uniques = factorize(code)
        # a key's first row is where its label first exceeds every label before it
        seen = np.maximum.accumulate(labels)
        new = np.ones(n, dtype=bool)
        new[1:] = labels[1:] > seen[:-1]
        return labels, uniques, np.flatnonzero(new)
    first = np.full(span, n, dtype=np.int64)
    np.minimum.at(first, code, np.arange(n, dtype=np.int64))
    present = np.flatnonzero(first < n)
    uniques = present[np.argsort(first[present], kind="stable")]
    lut = np.zeros(span, dtype=np.int32)
    lut[uniques] = np.arange(len(uniques), dtype=np.int32)
    return lut.take(code), uniques.astype(np.int64), first[uniques]


def _combine(parts: Sequence[tuple[np.ndarray, int]]) -> np.ndarray:
    """One int64 code per row for a tuple of small ids (id, how many ids there are)."""
    code = np.zeros(len(parts[0][0]), dtype=np.int64)
    span = 1
    for ids, radix in parts:
        if radix == 1:  # a column that is absent, or holds one value everywhere
            continue
        if span * radix >= 2**62:  # never in practice; keep the code small and exact anyway
            labels, uniques = factorize(code)
            code = labels.astype(np.int64)
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
            regions = arrow.strings(codes.values).take(from_numpy(codes.ids))
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
        _WINDOWS[:-1],
        where,
        "use none, csw (customer service window) or fep (free entry point)",
        WINDOW_ALIASES,
    )
    reactions = _reactions(batch, template, category, where)
    if reactions is not None:
        window = np.where(reactions, np.int8(_WINDOWS.index(REACTION)), window)
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
        len(_WINDOWS) if "window" in batch.columns or reactions is not None else 1,
    ]
    code = _combine(
        list(zip([country, kind, template.ids, language.ids, category, window], radices))
    )
    labels, uniques, first_row = _keys(code)
    k = len(uniques)
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
    rows, numbers, bounds = group_by_partition(valid, numbers, partition_bits)
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
        numbers=numbers,
        labels=labels[rows].astype(np.int32, copy=False),
        rows=rows,
        row_messages=messages[rows] if messages is not None else None,
        bounds=bounds,
    )
