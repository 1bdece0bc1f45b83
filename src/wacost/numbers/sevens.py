"""What a number's first seven digits decide, looked up once per seven digits (see
`numbers.resolver`).

The first seven digits of a number (a number shorter than that padded with zeros) hold its
calling code (one to three digits; a leading zero starts none) and the four national digits
after it, which give its billing country and the state of the code's automaton
(`numbers.plan`). A campaign's numbers share few first seven digits (a country's mobile
prefixes): each is worked out the first time it is seen, and what the counting needs of it is
kept in one int64, in a table indexed by the seven digits. A row then takes one lookup where it
took five (the calling code, its length, the country, the automaton's state, and the lengths
that state accepts), and no check that its code's automaton is built."""

from __future__ import annotations

import mmap
import threading
from typing import Final

import numpy as np

from wacost.numbers.plan import _NumberPlan

# An entry: bit r of EVERY (r = 0..18), every national number of 4 + r digits after these is
# accepted; of NONE, none is; the calling code's length (NO_CODE where they start none: a
# number of any length is then shorter than its code); whether the code is checked by its
# regular expression (no automaton); the billing country; FILLED, worked out (0: not yet).
NONE_SHIFT: Final = 19
LENGTH_SHIFT: Final = 38
LENGTH_MASK: Final = 0x1F
NO_CODE: Final = LENGTH_MASK
REGEX_SHIFT: Final = 43
COUNTRY_SHIFT: Final = 44
COUNTRY_MASK: Final = 0xFFF
FILLED: Final = np.int64(1 << 56)
_SIZE: Final = 10**7  # first seven digits: numbers shorter than seven digits padded with zeros


class SevenDigits:
    """The table of one numbering plan (general or strict) and one head table (the resolver's:
    first four digits -> country << 16 | code length << 12 | code index)."""

    def __init__(self, plan: _NumberPlan, heads: np.ndarray) -> None:
        if int(heads.max() >> 16) > COUNTRY_MASK:
            raise ValueError("too many countries for the seven-digit table")
        self._plan = plan
        self._heads = heads
        self._table: np.ndarray | None = None  # made on first use
        self._lock = threading.Lock()

    def table(self) -> np.ndarray:
        """The table, indexed by first seven digits: an entry of 0 is not worked out yet."""
        table = self._table
        if table is None:
            with self._lock:
                if self._table is None:
                    self._table = _zeros(_SIZE)
                table = self._table
        return table

    def entries(self, first7: np.ndarray) -> np.ndarray:
        """The entry of each number's first seven digits (below 10**7)."""
        table = self.table()
        slot = first7.view(np.int64)
        entry: np.ndarray = table.take(slot)
        missing = np.flatnonzero(entry == 0)
        if missing.size:
            keys, where = np.unique(slot[missing], return_inverse=True)
            packed = self._work_out(keys.astype(np.uint64))
            table[keys] = packed  # the same value whichever thread writes it
            entry[missing] = packed[where]
        return entry

    def _work_out(self, first7: np.ndarray) -> np.ndarray:
        plan = self._plan
        heads = self._heads[(first7 // np.uint64(1000)).astype(np.intp)]
        code = heads & 0xFFF
        plan.ensure(np.unique(code))
        state = states(plan, first7, code)
        packed: np.ndarray = (
            plan.all_of_length[state].astype(np.int64)
            | (plan.none_of_length[state].astype(np.int64) << NONE_SHIFT)
            | (np.where(code > 0, (heads >> 12) & 3, NO_CODE).astype(np.int64) << LENGTH_SHIFT)
            | (plan.by_regex[code].astype(np.int64) << REGEX_SHIFT)
            | ((heads >> 16).astype(np.int64) << COUNTRY_SHIFT)
            | FILLED
        )
        return packed

    def codes(self, first7: np.ndarray) -> np.ndarray:
        """The calling code index (in the plan) of each number's first seven digits."""
        code: np.ndarray = self._heads[(first7 // np.uint64(1000)).astype(np.intp)] & 0xFFF
        return code


def _zeros(size: int) -> np.ndarray:
    """An int64 array of zeros whose memory is used only where written: 80 MB of address
    space, of which a campaign's numbers use the pages their first seven digits fall on: 56 and
    192 kB for the sample, tens of MB for numbers spread over every prefix, 80 MB at most a
    table (two a resolver, kept while it lives). (An anonymous mapping of small pages:
    numpy asks for huge pages for a large array, and each one written would take 2 MiB.)"""
    table: np.ndarray = np.frombuffer(mmap.mmap(-1, size * 8), dtype=np.int64)
    return table


def states(plan: _NumberPlan, first7: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The automaton's state after the calling code and four national digits (codes built)."""
    # code * 10**4 + the four digits after the code; first7 < 10**7 is exact as a float, and
    # so is the floor of its quotient by a power of ten (the next integer is at least 1/1000
    # away, a float's error is 10**-9 here)
    head = np.floor(first7.astype(np.float64) / plan.head_divisor[code]).astype(np.intp)
    state: np.ndarray = plan.after_four[head + plan.head_shift[code]]
    return state
