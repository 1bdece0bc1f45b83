"""Phone numbers as text -> digits and integers, on whole pyarrow columns (the resolver's
first steps: see wacost.numbers.resolver)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost.arrow import boolean, from_numpy, to_numpy, utf8
from wacost.numbers.plan import MAX_DIGITS


def _np_bool(array: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy (nulls as False)."""
    if array.null_count:
        array = pc.fill_null(array, boolean(False))
    return np.asarray(to_numpy(array), dtype=bool)


def _np_int(array: pa.Array) -> np.ndarray:
    return np.asarray(to_numpy(array), dtype=np.int64)


def _plus_as_zero(raw: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(text, plus, length): each string of `raw` (offsets from 0, no nulls) with a leading '+'
    written as '0', whether it had one, and the byte length of each without it.

    A string of ASCII digits after one '+' is then a string of digits with the same value, and
    one that is not (a second '+', a space) is not: what `ascii_ltrim(raw, "+")` and a count of
    the '+' signs told, for a copy of the bytes and one write per '+' (measured: 10 ns a row
    less than ascii_ltrim, which copies string by string)."""
    n = len(raw)
    offsets = np.frombuffer(raw.buffers()[1], dtype=np.int32, count=n + 1)
    length = np.diff(offsets).astype(np.int64)
    size = int(offsets[-1])
    if size == 0:  # every string empty: no '+'
        return raw, np.zeros(n, dtype=bool), length
    data = np.frombuffer(raw.buffers()[2], dtype=np.uint8, count=size).copy()
    starts = offsets[:-1]
    plus = (data.take(starts, mode="clip") == ord("+")) & (length > 0)  # (an empty last value)
    data[starts[plus]] = ord("0")
    length -= plus
    text = pa.StringArray.from_buffers(n, raw.buffers()[1], pa.py_buffer(data))
    return text, plus, length


def _all_digits(text: pa.Array) -> np.ndarray:
    """Per string (offsets from 0, no nulls): not empty, and every byte an ASCII digit 0-9 (as
    pc.ascii_is_decimal). One scan of the bytes for any other, then the rows that hold one
    (measured: 4 ns a row against 8 for the kernel, which tests string by string)."""
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1)
    start, end = int(offsets[0]), int(offsets[-1])
    digits = np.diff(offsets) > 0
    if end == start:
        return digits
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8, count=end)[start:]
    other = np.flatnonzero((data - np.uint8(ord("0"))) > np.uint8(9)) + start  # wraps below '0'
    digits[np.searchsorted(offsets, other, side="right") - 1] = False
    return digits


def _parse_digits(digits: pa.Array, convertible: np.ndarray) -> np.ndarray:
    """The strings of ASCII digits as integers where `convertible` (0 elsewhere), writable.

    The others are marked null for pyarrow's parser (a validity bitmap over the same
    buffers) rather than replaced by "0" in a copy of the column."""
    n = len(digits)
    unread = n - int(np.count_nonzero(convertible))
    if unread:
        buffers = digits.buffers()
        validity = pa.py_buffer(np.packbits(convertible, bitorder="little"))
        digits = pa.StringArray.from_buffers(n, buffers[1], buffers[2], validity, unread)
    parsed = pc.cast(digits, pa.uint64())
    value = np.frombuffer(parsed.buffers()[1], dtype=np.uint64, count=n).copy()
    if unread:
        value[~convertible] = 0
    return value


def _ascii_digits(text: pa.Array) -> pa.Array:
    """Each string with everything but the ASCII digits 0-9 removed (like RE2's [^0-9] -> "",
    which costs a regular-expression replacement per string; this is one pass over the bytes)."""
    text = pa.concat_arrays([text]) if text.offset else text  # a fresh array: offsets from 0
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1)
    data = (
        np.frombuffer(text.buffers()[2], dtype=np.uint8, count=int(offsets[-1]))
        if text.buffers()[2] is not None
        else np.zeros(0, dtype=np.uint8)
    )
    keep = (data >= 48) & (data <= 57)
    kept = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    new_offsets = kept[offsets].astype(np.int32)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(new_offsets), pa.py_buffer(data[keep].tobytes())
    )


def _read_long(
    rows: np.ndarray,
    raw: pa.Array,
    clean: np.ndarray,
    messy: np.ndarray,
    messy_digits: pa.Array | None,
    value: np.ndarray,
    length: np.ndarray,
) -> None:
    """20 or 21 digits: valid only after an international '00' prefix; read what follows it.

    Such a row keeps its length (over 19, which marks it as starting with "00") and gets the
    value of the digits after the "00"; any other gets the value 0.
    """
    written = rows[clean[rows]]  # digits after at most one '+'
    parts = [(written, pc.ascii_ltrim(pc.take(raw, from_numpy(written)), "+"))]
    if messy_digits is not None:
        at = np.flatnonzero(np.isin(messy, rows))
        parts.append((messy[at], pc.take(messy_digits, from_numpy(at))))
    for target, digits in parts:
        if not target.size:
            continue
        rest = pc.utf8_slice_codeunits(digits, 2)
        fits = _np_bool(pc.starts_with(digits, "00")) & (
            _np_int(pc.binary_length(rest)) <= MAX_DIGITS
        )
        rest_value = pc.cast(pc.if_else(from_numpy(fits), rest, utf8("0")), pa.uint64())
        value[target] = np.asarray(to_numpy(rest_value), dtype=np.uint64)
        length[target] = np.where(fits, length[target], MAX_DIGITS + 3)
