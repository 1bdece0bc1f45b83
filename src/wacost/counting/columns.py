"""String columns of a batch as small integer ids into their distinct values (templates,
languages, countries, ...): the encoding reduce_batch counts by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost import arrow
from wacost.arrow import from_numpy, to_numpy


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
    encoded = _dictionary(column)
    indices = encoded.indices
    values = normalize(encoded.dictionary).to_pylist()
    if indices.null_count:
        indices = pc.fill_null(indices, from_numpy(np.array([len(values)], np.int32))[0])
        values.append("")
    ids = np.asarray(to_numpy(indices), dtype=np.int32)
    return _Column(ids, [v if v is not None else "" for v in values])


# Rows whose distinct values are looked up first: a batch's few names nearly all show there.
_SAMPLE_ROWS: Final = 1024


def _dictionary(column: pa.Array) -> pa.DictionaryArray:
    """pc.dictionary_encode(column): the distinct values in order of first row, and each row's.

    A column of a few names (templates, languages) is looked up in the distinct values of its
    first rows (measured: 25% less time than hashing every value into a growing dictionary);
    the rows holding a value not among them (which first shows later) are encoded apart and
    their values put after.
    """
    if column.null_count or len(column) <= _SAMPLE_ROWS:
        return pc.dictionary_encode(column)
    known = pc.unique(column.slice(0, _SAMPLE_ROWS))
    indices = pc.index_in(column, value_set=known)
    if not indices.null_count:
        return pa.DictionaryArray.from_arrays(indices, known)
    ids = np.array(to_numpy(pc.fill_null(indices, from_numpy(np.zeros(1, np.int32))[0])))
    later = np.flatnonzero(np.asarray(to_numpy(pc.is_null(indices)), dtype=bool))
    rest = pc.dictionary_encode(column.take(from_numpy(later)))
    ids[later] = len(known) + np.asarray(to_numpy(rest.indices), dtype=np.int32)
    dictionary = pa.concat_arrays([known, rest.dictionary])
    return pa.DictionaryArray.from_arrays(from_numpy(ids.astype(np.int32)), dictionary)


def _np_blank(column: pa.Array) -> np.ndarray:
    """Per row: the field is empty or only spaces."""
    text = pc.utf8_trim_whitespace(pc.fill_null(column, arrow.utf8("")))
    return np.asarray(to_numpy(pc.equal(text, arrow.utf8(""))), dtype=bool)
