"""The numbering plan as digit automata: libphonenumber's national number patterns, per calling
code, compiled into tables numpy can index (see `numbers.resolver`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import re._parser as sre_parse
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from wacost.numbers.automaton import _Automaton, _Unsupported

# Every number libphonenumber can accept has at most 19 digits with its calling code (the widest
# national patterns, Indonesia's and Japan's, allow 17 digits after a 2-digit code), so an
# E.164 number always fits in an int64; a string of digits is read as an unsigned 64-bit
# integer, which holds any 19 digits. _NumberPlan checks the bound when it is built.
MAX_DIGITS = 19
_MAX_NATIONAL = MAX_DIGITS - 1
_POW10 = np.array([10**i for i in range(MAX_DIGITS + 1)], dtype=np.uint64)
_INT64_MAX = np.uint64(2**63 - 1)
# Keys of the country table: the first four digits of a number (0..9999); numbers of 1 to 3
# digits go after them, each length at its own offset.
_SHORT_OFFSET = np.array([0, 10_000, 10_010, 10_110], dtype=np.uint64)
_PREFIX_KEYS = 11_110
# Keys of the calling-code table: the first three digits; then numbers of 1 or 2 digits.
_HEAD_OFFSET = np.array([0, 1_000, 1_010, 0], dtype=np.uint64)
_HEAD_KEYS = 1_110
# National numbers of 0 to 3 digits, in one table per calling code: offset by length.
_NATIONAL_OFFSET = np.array([0, 1, 11, 111], dtype=np.uint64)
_NATIONAL_SHORT = 1_111
# Rows per slice in the resolver: its temporaries stay in a core's L2 cache (1 MiB here; slices
# of 64K rows measured ~15% slower, 8K no faster).
_CHUNK = 1 << 15


@lru_cache(maxsize=2)
def _validity_pattern(strict: bool = False) -> str:
    """One anchored RE2 pattern: calling code followed by a national number of its plan."""
    alternatives = [
        f"{code}(?:{'|'.join(patterns)})" for code, patterns in _national_patterns(strict).items()
    ]
    return "^(?:" + "|".join(alternatives) + ")$"


# The number types libphonenumber's is_valid_number accepts (the strict check).
_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


# libphonenumber's patterns per calling code, as `_metadata_patterns` gives them, recorded for
# the phonenumbers release named in the file (scripts/build_number_patterns.py): reading them
# from metadata loads all 250 regions' modules, a third of a small estimate's own work. Another
# release of phonenumbers, or no record, and they are read from its metadata.
PATTERNS = Path(__file__).with_name("patterns.json")


@lru_cache(maxsize=1)
def _recorded_patterns() -> dict[str, Any] | None:
    try:
        document = json.loads(PATTERNS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("phonenumbers") != phonenumbers.__version__:
        return None
    return document


@lru_cache(maxsize=2)
def _national_patterns(strict: bool = False) -> dict[int, list[str]]:
    """Calling code -> the number patterns of the regions that share it (see _metadata_patterns)."""
    recorded = _recorded_patterns()
    if recorded is None:
        return _metadata_patterns(strict)
    table = recorded["strict" if strict else "general"]
    return {int(code): list(patterns) for code, patterns in table.items()}


def _metadata_patterns(strict: bool = False) -> dict[int, list[str]]:
    """Calling code -> the number patterns of the regions that share it.

    By default each region's general pattern (any number of the plan's shape); `strict`, the
    union of its number types (fixed line, mobile, ...), as phonenumbers.is_valid_number checks.
    The strict patterns decide whether a number written without its country code is a number
    of the country it is read in: `0151 23456789` has the general shape of a Brazilian number,
    but is no Brazilian fixed or mobile number (it is a German mobile number).
    """
    plans: dict[int, list[str]] = {}
    for code, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        patterns = set()
        for region in regions:
            md = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            if md is None:
                continue
            descs = (
                [getattr(md, name, None) for name in _NUMBER_TYPES] if strict else [md.general_desc]
            )
            for desc in descs:
                if desc is not None and desc.national_number_pattern:
                    patterns.add(desc.national_number_pattern)
        if patterns:
            plans[code] = sorted(patterns)
    return plans


class _NumberPlan:
    """libphonenumber's number patterns as digit automata, in tables numpy can index.

    Calling codes are prefix-free, so the first three digits of a number give its code. Each
    code's automaton is built the first time a number with that code is checked (a campaign
    reaches a few dozen of the 215 codes), its states appended to one global numbering (0 is
    the shared dead state). Tables only grow: arrays are replaced, never changed, except the
    rows of a code being built, which no reader uses before `built` says so.
    """

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self._patterns = _national_patterns(strict)
        self.codes = [0, *self._patterns]  # index 0: no calling code
        n = len(self.codes)
        self.code_of_head = np.zeros(_HEAD_KEYS, dtype=np.int16)  # head key -> code index
        self.code_length = np.array([len(str(c)) if c else 0 for c in self.codes], dtype=np.int64)
        # a number's row in after_four is first7 // head_divisor + head_shift, by its code: its
        # first seven digits cut after the code and four national digits, less the code's
        # digits, plus the code's index (as floats: dividing by a table of divisors is several
        # times faster than integer division, and exact below 10**7, see NumberResolver._check)
        self.head_divisor = 10.0 ** (3 - self.code_length).astype(np.float64)
        self.head_shift = np.array(
            [(i - c) * 10_000 for i, c in enumerate(self.codes)], dtype=np.intp
        )
        index = {str(c): i for i, c in enumerate(self.codes) if c}
        for key in range(1000):
            head = f"{key:03d}"
            self.code_of_head[key] = next(
                (index[head[:k]] for k in (1, 2, 3) if head[:k] in index), 0
            )
        for length in (1, 2):
            for value in range(10**length):
                head = f"{value:0{length}d}"
                self.code_of_head[int(_HEAD_OFFSET[length]) + value] = next(
                    (index[head[:k]] for k in range(1, length + 1) if head[:k] in index), 0
                )
        self.built = np.zeros(n, dtype=bool)
        self.built[0] = True
        self.by_regex = np.zeros(n, dtype=bool)  # the automaton could not be built: use RE2
        self.after_four = np.zeros(n * 10_000, dtype=np.int32)  # code * 10_000 + 4 digits -> state
        self.short = np.zeros(n * _NATIONAL_SHORT, dtype=bool)  # code * 1_111 + offset + digits
        self.step = np.zeros((1, 10), dtype=np.int32)  # state x digit -> state
        self.accept = np.zeros(1, dtype=bool)
        self.all_of_length = np.zeros(1, dtype=np.uint32)  # bit r: every r more digits accepted
        self.none_of_length = np.full(1, (1 << (_MAX_NATIONAL + 1)) - 1, dtype=np.uint32)  # none
        self._lock = threading.Lock()

    def ensure(self, code_ids: np.ndarray) -> None:
        """Build the automata of these code indices, where not built yet."""
        if self.built[code_ids].all():
            return
        with self._lock:
            for i in code_ids.tolist():
                if not self.built[i]:
                    self._build(i)

    def _build(self, i: int) -> None:
        dfa = recorded_dfa(self.codes[i], self._patterns[self.codes[i]])
        if dfa is None:
            self.by_regex[i] = True
            self.built[i] = True
            return
        table, accepting = dfa
        every_mask = np.zeros(len(table), dtype=np.uint32)
        never_mask = np.zeros(len(table), dtype=np.uint32)
        every, never = accepting.copy(), ~accepting
        for r in range(_MAX_NATIONAL + 1):
            every_mask |= every.astype(np.uint32) << np.uint32(r)
            never_mask |= never.astype(np.uint32) << np.uint32(r)
            every, never = every[table].all(axis=1), never[table].all(axis=1)
        # local state 0 is dead: the global dead state; the others follow the global ones
        total = len(self.step)
        renumber = np.concatenate([[0], np.arange(total, total + len(table) - 1)]).astype(np.int32)
        step = np.concatenate([self.step, renumber[table[1:]]])
        accept = np.concatenate([self.accept, accepting[1:]])
        first = int(renumber[1])
        # the state after each national number of 0 to 4 digits
        base = i * _NATIONAL_SHORT
        self.short[base] = accept[first]
        for length in (1, 2, 3, 4):
            values = np.arange(10**length)
            state = np.full(len(values), first, dtype=np.int32)
            for position in reversed(range(length)):
                state = step[state, (values // 10**position) % 10]
            if length == 4:
                self.after_four[i * 10_000 : (i + 1) * 10_000] = state
            else:
                offset = base + int(_NATIONAL_OFFSET[length])
                self.short[offset : offset + len(values)] = accept[state]
        self.all_of_length = np.concatenate([self.all_of_length, every_mask[1:]])
        self.none_of_length = np.concatenate([self.none_of_length, never_mask[1:]])
        self.step, self.accept = step, accept
        self.built[i] = True


def build_dfa(code: int, patterns: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """A calling code's patterns as a deterministic digit automaton (state x digit -> state,
    accepting), or None where it cannot be one (the check then uses RE2)."""
    automaton = _Automaton()
    start, final = automaton.state(), automaton.state()
    try:
        widest = 0  # digits: the widest of the patterns (as of their alternation)
        for pattern in patterns:
            begin = automaton.state()
            automaton.empty[start].append(begin)
            parsed = sre_parse.parse(pattern)
            widest = max(widest, parsed.getwidth()[1])
            automaton.empty[automaton.add(parsed, begin)].append(final)
        if len(str(code)) + widest > MAX_DIGITS:
            raise _Unsupported("longer than 19 digits")
    except (_Unsupported, re.error):
        return None
    return automaton.deterministic(start, final)


def dfa_key(code: int, patterns: Sequence[str]) -> str:
    """The record's key for an automaton: a hash of exactly the patterns it is built from."""
    return hashlib.sha256(f"{code}\n{'|'.join(patterns)}".encode()).hexdigest()


def encode_dfa(dfa: tuple[np.ndarray, np.ndarray] | None) -> dict[str, Any] | None:
    if dfa is None:
        return None
    table, accepting = dfa
    dtype = "<i2" if len(table) < 2**15 else "<i4"
    return {
        "states": len(table),
        "dtype": dtype,
        "table": base64.b64encode(table.astype(dtype).tobytes()).decode(),
        "accepting": base64.b64encode(np.packbits(accepting, bitorder="little").tobytes()).decode(),
    }


def recorded_dfa(code: int, patterns: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """build_dfa's automaton, from the record where it holds one for exactly these patterns."""
    recorded = _recorded_patterns()
    automata = recorded.get("automata", {}) if recorded is not None else {}
    key = dfa_key(code, patterns)
    if key not in automata:
        return build_dfa(code, patterns)
    entry = automata[key]
    if entry is None:
        return None
    n = int(entry["states"])
    table = np.frombuffer(base64.b64decode(entry["table"]), dtype=entry["dtype"]).astype(np.int32)
    bits = np.frombuffer(base64.b64decode(entry["accepting"]), dtype=np.uint8)
    accepting = np.unpackbits(bits, count=n, bitorder="little").astype(bool)
    return table.reshape(n, 10), accepting


@lru_cache(maxsize=2)
def _number_plan(strict: bool = False) -> _NumberPlan:
    return _NumberPlan(strict)
