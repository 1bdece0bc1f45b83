"""pyarrow arrays and scalars made from their buffers, so that pandas is never loaded for them.

`pyarrow.array()` and `pyarrow.scalar()` import pandas (a quarter of a second) the first time
they are given a list, a numpy array or a Python value, to ask whether it is a pandas object;
so does every compute function given a Python value (it makes a scalar of it). The counting
gives them only these: the same arrays, built from numpy buffers, and scalars taken from them.
A small campaign is then priced without importing pandas at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa

_TYPES: dict[np.dtype[Any], pa.DataType] = {
    np.dtype(np.int8): pa.int8(),
    np.dtype(np.int16): pa.int16(),
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.uint8): pa.uint8(),
    np.dtype(np.uint16): pa.uint16(),
    np.dtype(np.uint32): pa.uint32(),
    np.dtype(np.uint64): pa.uint64(),
    np.dtype(np.float64): pa.float64(),
}


def from_numpy(values: np.ndarray) -> pa.Array:
    """A numpy array of booleans or numbers as the pyarrow array `pa.array(values)` gives."""
    values = np.ascontiguousarray(values)
    n = len(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits)])
    return pa.Array.from_buffers(_TYPES[values.dtype], n, [None, pa.py_buffer(values)])


def strings(values: Sequence[str | None]) -> pa.Array:
    """A list of text (None: null) as the pyarrow string array `pa.array(values)` gives."""
    encoded = [b"" if value is None else value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(item) for item in encoded], out=offsets[1:])
    if offsets[-1] >= 2**31:
        return pa.array(values, pa.string())  # beyond int32 offsets: let pyarrow lay it out
    nulls = np.array([value is None for value in values], dtype=bool)
    validity = pa.py_buffer(np.packbits(~nulls, bitorder="little")) if nulls.any() else None
    return pa.Array.from_buffers(
        pa.string(),
        len(encoded),
        [validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))],
        null_count=int(nulls.sum()),
    )


@lru_cache(maxsize=64)
def utf8(value: str | None) -> pa.Scalar:
    """A string scalar (None: a null string), as `pa.scalar(value, pa.string())`."""
    return strings([value])[0]


@lru_cache(maxsize=8)
def boolean(value: bool) -> pa.Scalar:
    return from_numpy(np.array([value]))[0]


_DTYPES: dict[pa.DataType, np.dtype[Any]] = {
    arrow_type: dtype for dtype, arrow_type in _TYPES.items()
}


def to_numpy(array: pa.Array) -> np.ndarray:
    """As `array.to_numpy(zero_copy_only=False)`; read from the buffers for booleans and
    numbers without nulls (a view for numbers, as pyarrow's)."""
    if array.null_count == 0 and len(array) > 0:
        if pa.types.is_boolean(array.type):
            bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
            unpacked = np.unpackbits(bits, count=array.offset + len(array), bitorder="little")
            return unpacked[array.offset :].view(np.bool_)
        dtype = _DTYPES.get(array.type)
        if dtype is not None:
            view: np.ndarray = np.frombuffer(
                array.buffers()[1],
                dtype=dtype,
                count=len(array),
                offset=array.offset * dtype.itemsize,
            )
            return view
    result: np.ndarray = array.to_numpy(zero_copy_only=False)
    return result


def first_failing_row(column: pa.Array, convert: Any) -> int:
    """The first row of `column` on which `convert` (of a slice of it) raises pa.ArrowInvalid,
    as it does on the whole column: found by halving (an error's path: a few conversions)."""
    start, stop = 0, len(column)
    while stop - start > 1:
        middle = (start + stop) // 2
        try:
            convert(column.slice(start, middle - start))
            start = middle
        except pa.ArrowInvalid:
            stop = middle
    return start
