"""The compiled extension (`_plain.c`): the common cases of counting a large campaign in C.

- `resolve`: a number written as digits (spaces or dashes among them allowed), after at most
  one '+': its E.164 value, billing country and validity, in one pass over the column's bytes
  where the numpy path takes some thirty whole-column operations. It decides only what the
  seven-digit table already decides (see `numbers.sevens`) and leaves every other row to the
  numpy path (`decide` below).
- `split` (counting.plain_lines): a quote-free range of a CSV file into the columns wacost reads.
- `group`, `records`, `duplicates` (counting.ledger): recipients grouped by partition, their
  ledger records, the duplicates among a partition's records.

Each gives exactly what the pyarrow and numpy path gives, which stays the reference: the tests
compare the two. The extension is built when wacost is installed on a machine with a C compiler
(`hatch_build.py`); without it, or with WACOST_PURE_PYTHON=1 in the environment, `kernel()` is
None and wacost takes the pyarrow and numpy path everywhere. So it does with an extension built
from another `_plain.c` than the one beside it (an editable install compiles it once, in place,
and a later checkout does not rebuild it): its sha256, its functions and its table layout are
checked.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow as pa

from wacost.numbers import sevens

UNDECIDED, INVALID, VALID = 0, 1, 2
# what wacost calls of the extension, and the seven-digit table's layout it must have been built
# with (an extension built from an older _plain.c lacks one or has another)
_FUNCTIONS = ("resolve", "split", "group", "duplicates", "records")
_LAYOUT = {
    "NONE_SHIFT": sevens.NONE_SHIFT,
    "LENGTH_SHIFT": sevens.LENGTH_SHIFT,
    "LENGTH_MASK": sevens.LENGTH_MASK,
    "REGEX_SHIFT": sevens.REGEX_SHIFT,
    "COUNTRY_SHIFT": sevens.COUNTRY_SHIFT,
    "COUNTRY_MASK": sevens.COUNTRY_MASK,
    "TABLE_SIZE": sevens._SIZE,
}


def _load() -> ModuleType | None:
    if os.environ.get("WACOST_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from wacost.numbers import _plain
    except ImportError:
        return None
    module: ModuleType = _plain
    if not all(callable(getattr(module, name, None)) for name in _FUNCTIONS):
        return None
    if any(getattr(module, name, None) != value for name, value in _LAYOUT.items()):
        return None
    source = Path(__file__).with_name("_plain.c")
    if source.is_file():  # built from this very source (its sha256, given by the build)
        if (
            getattr(module, "SOURCE_SHA256", None)
            != hashlib.sha256(source.read_bytes()).hexdigest()
        ):
            return None
    return module


_KERNEL = _load()


def compiled() -> bool:
    """Whether the compiled reader is in use."""
    return _KERNEL is not None


def kernel() -> ModuleType | None:
    """The compiled extension (its `resolve` and `split`), or None."""
    return _KERNEL


@dataclass(frozen=True)
class Decided:
    """Per row: E.164 value (0 unless valid), country id (0 unless valid), and UNDECIDED,
    INVALID or VALID; `undecided`, the rows left to the numpy path."""

    numbers: np.ndarray
    country_ids: np.ndarray
    state: np.ndarray
    undecided: np.ndarray


def decide(raw: pa.Array, table: np.ndarray, national: bool) -> Decided | None:
    """What the compiled reader decides of `raw` (strings, offsets from 0, no nulls), with the
    general plan's seven-digit table; None without the compiled reader.

    `national`: whether a number written without '+' may be decided (no rule reads it as a
    national number: no --default-country, no country column)."""
    if _KERNEL is None:
        return None
    n = len(raw)
    numbers = np.empty(n, dtype=np.int64)
    country_ids = np.empty(n, dtype=np.int16)
    state = np.empty(n, dtype=np.uint8)
    buffers = raw.buffers()
    if n == 0 or buffers[2] is None:  # every string empty: nothing to decide
        state.fill(UNDECIDED)
        numbers.fill(0)
        country_ids.fill(0)
        return Decided(numbers, country_ids, state, np.arange(n))
    undecided = _KERNEL.resolve(
        n, buffers[1], buffers[2], table, national, numbers, country_ids, state
    )
    rows = np.flatnonzero(state == UNDECIDED) if undecided else np.zeros(0, dtype=np.intp)
    return Decided(numbers, country_ids, state, rows)
