"""Phone numbers -> E.164 digits -> billing country, on whole columns.

Meta bills a message by the recipient's country calling code, plus a network prefix where one
calling code serves several markets (NANP area codes, Kazakhstan inside +7). We resolve the
country by the longest prefix in the numbering plan (pricing/numbering.yaml), and check that
the number can be real with libphonenumber's per-country number patterns. The market then
follows from the rate card's member lists (RateCard.market_for_country) on the small table of
counts.

Numbers are integers here: E.164 digits fit in an int64, and the country and the pattern check
are table lookups on leading digits, done by numpy on whole columns. libphonenumber's patterns
are regular expressions over digits; we compile each calling code's patterns into a small
automaton (`_NumberPlan`), whose state after the first four national digits nearly always
decides the verdict for every possible remaining length. The few numbers it does not decide
walk the automaton digit by digit, still on whole columns.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneMetadata
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from wacost.errors import OptionError
from wacost.pricing import Numbering

NON_GEOGRAPHIC = "001"
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


def _territory_owners() -> dict[str, str]:
    """Territories that share a larger country's calling code -> that country (JE -> GB).

    Meta bills by calling code, so a planning row for Jersey bills as the United Kingdom, as a
    Jersey number does. +1 and +7 are split by network prefix instead (pricing/numbering.yaml).
    """
    owners = {}
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        if code in (1, 7) or regions[0] == NON_GEOGRAPHIC:
            continue
        for region in regions[1:]:
            owners[region] = regions[0]
    return owners


TERRITORY_OWNERS: dict[str, str] = _territory_owners()
_PLAUSIBLE = r"^\+?[0-9 \-\.\(\)/\x{00A0}]*[0-9][0-9 \-\.\(\)/\x{00A0}]*$"


@lru_cache(maxsize=2)
def _validity_pattern(strict: bool = False) -> str:
    """One anchored RE2 pattern: calling code followed by a national number of its plan."""
    alternatives = [
        f"{code}(?:{'|'.join(patterns)})" for code, patterns in _national_patterns(strict).items()
    ]
    return "^(?:" + "|".join(alternatives) + ")$"


def known_countries() -> frozenset[str]:
    """ISO alpha-2 codes libphonenumber knows (the countries a planning row may name)."""
    return frozenset(SUPPORTED_REGIONS)


def check_region(code: str, option: str) -> str:
    """`code` upper-cased if it is a country libphonenumber knows, else an OptionError."""
    region = COUNTRY_ALIASES.get(code.strip().upper(), code.strip().upper())
    if region not in SUPPORTED_REGIONS:
        raise OptionError(
            f"{option} {code!r}: not an ISO 3166 alpha-2 country code wacost knows",
            "write two letters, e.g. SE, IN, US",
        )
    return region


@lru_cache(maxsize=512)
def national_rule(region: str) -> tuple[int, str | None]:
    """How a national number of `region` becomes international: (calling code, trunk prefix)."""
    code = int(phonenumbers.country_code_for_region(region))
    md = PhoneMetadata.metadata_for_region(region)
    trunk = md.national_prefix if md is not None and md.national_prefix else None
    # A national number of 20 digits or more can never become valid by stripping the trunk
    # prefix and adding the calling code; resolve() relies on that.
    if trunk and len(trunk) > len(str(code)):
        raise ValueError(f"trunk prefix {trunk!r} longer than the calling code")
    return code, trunk


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
_CHUNK = 1 << 16


def _np_bool(array: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy (nulls as False)."""
    if array.null_count:
        array = pc.fill_null(array, False)
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _np_int(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


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


class _Unsupported(Exception):
    """A pattern construct the digit automaton does not handle (the check falls back to RE2)."""


class _Automaton:
    """A nondeterministic automaton over the digits, built from a parsed regular expression."""

    _ALL = (1 << 10) - 1

    def __init__(self) -> None:
        self.empty: list[list[int]] = []  # state -> states reached without a digit
        self.moves: list[list[tuple[int, int]]] = []  # state -> (digit bit mask, state)

    def state(self) -> int:
        self.empty.append([])
        self.moves.append([])
        return len(self.empty) - 1

    def _digits(self, items: Any) -> int:
        mask, negate = 0, False
        for op, av in items:
            if op is sre_constants.LITERAL:
                mask |= 1 << (av - 48) if 48 <= av <= 57 else 0
            elif op is sre_constants.RANGE:
                mask |= sum(1 << (c - 48) for c in range(max(av[0], 48), min(av[1], 57) + 1))
            elif op is sre_constants.CATEGORY and av is sre_constants.CATEGORY_DIGIT:
                mask |= self._ALL
            elif op is sre_constants.NEGATE:
                negate = True
            else:
                raise _Unsupported(str(op))
        return (self._ALL & ~mask) if negate else mask

    def add(self, sequence: Any, start: int) -> int:
        """States for `sequence` from `start`; the state it ends in."""
        at = start
        for op, av in sequence:
            if op is sre_constants.LITERAL or op is sre_constants.IN:
                mask = self._digits([(op, av)]) if op is sre_constants.LITERAL else self._digits(av)
                target = self.state()
                self.moves[at].append((mask, target))
                at = target
            elif op is sre_constants.SUBPATTERN:
                at = self.add(av[3], at)
            elif op is sre_constants.BRANCH:
                end = self.state()
                for alternative in av[1]:
                    begin = self.state()
                    self.empty[at].append(begin)
                    self.empty[self.add(alternative, begin)].append(end)
                at = end
            elif op is sre_constants.MAX_REPEAT or op is sre_constants.MIN_REPEAT:
                low, high, item = av
                for _ in range(low):
                    at = self.add(item, at)
                if high is sre_constants.MAXREPEAT:
                    loop = self.state()
                    self.empty[at].append(loop)
                    self.empty[self.add(item, loop)].append(loop)
                    at = loop
                else:
                    end = self.state()
                    for _ in range(high - low):
                        self.empty[at].append(end)
                        at = self.add(item, at)
                    self.empty[at].append(end)
                    at = end
            else:
                raise _Unsupported(str(op))
        return at

    def deterministic(self, start: int, final: int) -> tuple[np.ndarray, np.ndarray]:
        """Subset construction: (state x digit -> state, accepting), state 0 dead, 1 the start."""

        def closure(states: list[int]) -> frozenset[int]:
            seen, stack = set(states), list(states)
            while stack:
                for nxt in self.empty[stack.pop()]:
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            return frozenset(seen)

        order = [frozenset(), closure([start])]
        index = {subset: i for i, subset in enumerate(order)}
        table = [[0] * 10]
        i = 1
        while i < len(order):
            row = []
            for digit in range(10):
                bit = 1 << digit
                targets = [t for s in order[i] for mask, t in self.moves[s] if mask & bit]
                subset = closure(targets) if targets else frozenset()
                j = index.get(subset)
                if j is None:
                    j = index[subset] = len(order)
                    order.append(subset)
                row.append(j)
            table.append(row)
            i += 1
        return np.array(table, dtype=np.int32), np.array([final in s for s in order], dtype=bool)


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


def _national_patterns(strict: bool = False) -> dict[int, list[str]]:
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
        code = self.codes[i]
        automaton = _Automaton()
        start, final = automaton.state(), automaton.state()
        try:
            for pattern in self._patterns[code]:
                begin = automaton.state()
                automaton.empty[start].append(begin)
                automaton.empty[automaton.add(sre_parse.parse(pattern), begin)].append(final)
            if (
                len(str(code)) + sre_parse.parse("|".join(self._patterns[code])).getwidth()[1]
                > MAX_DIGITS
            ):
                raise _Unsupported("longer than 19 digits")
        except (_Unsupported, re.error):
            self.by_regex[i] = True
            self.built[i] = True
            return
        table, accepting = automaton.deterministic(start, final)
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


@lru_cache(maxsize=2)
def _number_plan(strict: bool = False) -> _NumberPlan:
    return _NumberPlan(strict)


@dataclass(frozen=True)
class ResolvedNumbers:
    """Per row: the number as E.164 digits, its billing country, and whether it can be real.

    The numpy fields are what the counting uses: `numbers` holds the E.164 digits as an int64
    (0 where the number is invalid) and `country_ids` an index into `countries` (0, the empty
    name, where invalid). The pyarrow properties are the same figures for other callers:
    `country` is null where the number is invalid, "001" for non-geographic numbers.
    """

    numbers: np.ndarray
    country_ids: np.ndarray
    valid_mask: np.ndarray
    countries: tuple[str, ...]
    present: np.ndarray  # per row: something is written (not blank), valid or not
    mismatch: np.ndarray | None = None  # per row: valid, but not of the row's own country

    @property
    def digits(self) -> pa.Array:
        """E.164 digits without '+', null where invalid."""
        text = pc.cast(pa.array(self.numbers), pa.string())
        return pc.if_else(pa.array(self.valid_mask), text, pa.scalar(None, pa.string()))

    @property
    def country(self) -> pa.Array:
        names = pa.array(self.countries, pa.string())
        found = pc.take(names, pa.array(self.country_ids.astype(np.int32)))
        return pc.if_else(pa.array(self.valid_mask), found, pa.scalar(None, pa.string()))

    @property
    def valid(self) -> pa.Array:
        return pa.array(self.valid_mask)


@lru_cache(maxsize=8)
def _country_table(prefixes: tuple[tuple[str, str], ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """Countries (index 0 is "") and, per prefix key, the country of the longest matching prefix.

    The numbering plan's prefixes are at most four digits long, so the first four digits of a
    number decide its country.
    """
    plan = dict(prefixes)
    if max(map(len, plan)) > 4:
        raise ValueError("numbering prefixes longer than 4 digits are not supported")
    countries = ("", *sorted(set(plan.values())))
    index = {name: i for i, name in enumerate(countries)}
    table = np.zeros(_PREFIX_KEYS, dtype=np.int16)

    def longest(digits: str) -> int:
        for length in range(len(digits), 0, -1):
            country = plan.get(digits[:length])
            if country is not None:
                return index[country]
        return 0

    for key in range(10_000):
        table[key] = longest(f"{key:04d}")
    for length in (1, 2, 3):
        for value in range(10**length):
            table[int(_SHORT_OFFSET[length]) + value] = longest(f"{value:0{length}d}")
    return countries, table


def _head(value: np.ndarray, length: np.ndarray, digits: int, offsets: np.ndarray) -> np.ndarray:
    """The first `digits` digits of each number; shorter numbers keyed after them by length."""
    head = value // _POW10[np.clip(length - digits, 0, MAX_DIGITS)]
    short = length < digits
    if short.any():
        key = offsets[np.clip(length, 0, digits - 1)] + np.where(short, value, np.uint64(0))
        head = np.where(short, key, head)
    result: np.ndarray = head.astype(np.intp)
    return result


class NumberResolver:
    """Resolves whole columns of phone numbers; build once per run, reuse for every batch.

    Numbers written as bare digits (with or without '+', the common case by far) skip the
    text cleaning: they are read as integers as they are. Only the rest (spaces, dashes,
    brackets, letters) go through the regular-expression cleaning first.
    """

    def __init__(self, numbering: Numbering, default_country: str | None = None) -> None:
        self._plan = _number_plan()
        self._strict = _number_plan(strict=True)
        self.countries, self._table = _country_table(tuple(sorted(numbering.prefixes.items())))
        self._default: tuple[int, str | None] | None = None
        if default_country is not None:
            self._default = national_rule(check_region(default_country, "--default-country"))

    @property
    def _default_cc(self) -> int | None:
        return self._default[0] if self._default is not None else None

    @staticmethod
    def _first_seven(value: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The first seven digits of each number (shorter numbers padded with zeros)."""
        lead = length - 7
        first7 = value // _POW10[np.clip(lead, 0, MAX_DIGITS)]
        padded = np.flatnonzero(lead < 0)
        if padded.size:
            first7[padded] = value[padded] * _POW10[np.clip(-lead[padded], 0, 7)]
        result: np.ndarray = first7
        return result

    def _check(
        self,
        value: np.ndarray,
        length: np.ndarray,
        first7: np.ndarray | None = None,
        strict: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Which numbers (integers of `length` digits) libphonenumber's patterns accept, and the
        billing country of each (by the longest numbering-plan prefix; meaningful where valid).

        Exactly what the anchored patterns accept: a calling code, then a national number that
        the code's general pattern matches in full. Everything is keyed by the first seven
        digits (numbers shorter than that are padded with zeros; a padded digit never decides
        anything for a number long enough to be valid, and shorter ones are redone exactly).
        """
        plan = self._strict if strict else self._plan
        if first7 is None:
            first7 = self._first_seven(value, length)
        # a leading zero (which the integer does not keep) starts no calling code
        ok = (length >= 1) & (length <= MAX_DIGITS) & (first7 >= np.uint64(10**6))
        code = plan.code_of_head[(first7 // np.uint64(10**4)).astype(np.intp)]
        plan.ensure(np.flatnonzero(np.bincount(code, minlength=len(plan.codes))))
        code_length = plan.code_length[code]
        national = length - code_length
        ok &= (code > 0) & (national >= 0)
        four = (first7 // _POW10[3 - code_length]) % np.uint64(10**4)
        state = plan.after_four[code.astype(np.intp) * 10**4 + four.astype(np.intp)]
        rest = np.clip(national - 4, 0, 31).astype(np.uint32)
        every = plan.all_of_length[state]
        result = ok & (national >= 4) & ((every >> rest) & np.uint32(1)).astype(bool)
        undecided = (
            ok
            & (national >= 4)
            & ~(((every | plan.none_of_length[state]) >> rest) & np.uint32(1)).astype(bool)
        )
        country = self._table[(first7 // np.uint64(1000)).astype(np.intp)]
        short = np.flatnonzero(ok & (national < 4))
        if short.size:
            n = national[short]
            key = (
                code[short].astype(np.uint64) * np.uint64(_NATIONAL_SHORT)
                + _NATIONAL_OFFSET[n]
                + value[short] % _POW10[n]
            )
            result[short] = plan.short[key.astype(np.intp)]
        undecided_rows = np.flatnonzero(undecided)
        if undecided_rows.size:
            result[undecided_rows] = self._walk(
                plan, value[undecided_rows], national[undecided_rows], state[undecided_rows]
            )
        by_regex = np.flatnonzero(ok & plan.by_regex[code])
        if by_regex.size:
            text = pc.cast(pa.array(value[by_regex]), pa.string())
            result[by_regex] = _np_bool(
                pc.match_substring_regex(text, _validity_pattern(plan.strict))
            )
        tiny = np.flatnonzero(length < 4)
        if tiny.size:
            country[tiny] = self._table[_head(value[tiny], length[tiny], 4, _SHORT_OFFSET)]
        return result, country

    @staticmethod
    def _walk(
        plan: _NumberPlan, value: np.ndarray, national: np.ndarray, state: np.ndarray
    ) -> np.ndarray:
        """Accepted? Reading the digits after the fourth national one, one position at a time."""
        step = plan.step
        state = state.copy()
        for position in range(5, int(national.max()) + 1):
            going = national >= position
            digit = (value // _POW10[np.clip(national - position, 0, MAX_DIGITS)]) % np.uint64(10)
            state = np.where(going, step[state, digit.astype(np.intp)], state)
        accepted: np.ndarray = plan.accept[state]
        return accepted

    def resolve(self, phones: pa.Array, regions: pa.Array | None = None) -> ResolvedNumbers:
        """Normalize and resolve a column of phone numbers as written in a campaign file.

        `regions`, if given, is each row's own country (ISO codes, upper case; "" where none):
        a number written without its country code is read in it before --default-country, and
        a valid number of another calling code is flagged in `mismatch`.
        """
        raw = phones if phones.type == pa.string() else phones.cast(pa.string())
        if raw.null_count:
            raw = pc.fill_null(raw, "")
        stripped = pc.ascii_ltrim(raw, "+")
        length = _np_int(pc.binary_length(stripped))
        plus_signs = _np_int(pc.binary_length(raw)) - length
        clean = (plus_signs <= 1) & _np_bool(pc.ascii_is_decimal(stripped))
        plus = plus_signs == 1
        plausible = np.ones(len(raw), dtype=bool)
        present = clean.copy()
        convertible = clean & (length <= MAX_DIGITS)
        if convertible.all():
            value = np.asarray(pc.cast(stripped, pa.uint64()).to_numpy(), dtype=np.uint64)
        else:
            text = pc.if_else(pa.array(convertible), stripped, "0")
            value = np.asarray(pc.cast(text, pa.uint64()).to_numpy(), dtype=np.uint64)
        messy = np.flatnonzero(~clean)
        messy_digits = None
        if messy.size:
            # Spaces, dashes, brackets, a trunk '(0)', letters: clean as written.
            value = value.copy()  # pyarrow's buffer is read-only
            text = pc.utf8_trim_whitespace(pc.take(raw, pa.array(messy)))
            # What exports put around a number: Twilio's "whatsapp:" and "tel:" prefixes, a
            # bracketed country code "(+91)", and a spreadsheet's float "919876543210.0".
            text = pc.replace_substring_regex(text, r"^(?i:whatsapp:|tel:)\s*", "")
            text = pc.replace_substring_regex(text, r"^\((\+\d{1,4})\)", "\\1")
            text = pc.replace_substring_regex(text, r"^(\+?\d+)\.0+$", "\\1")
            present[messy] = _np_int(pc.binary_length(text)) > 0
            plausible[messy] = _np_bool(pc.match_substring_regex(text, _PLAUSIBLE))
            digits = _ascii_digits(pc.replace_substring(text, "(0)", ""))
            messy_length = _np_int(pc.binary_length(digits))
            ok_length = (messy_length >= 1) & (messy_length <= MAX_DIGITS)
            digits_value = pc.cast(pc.if_else(pa.array(ok_length), digits, "0"), pa.uint64())
            value[messy] = np.asarray(digits_value.to_numpy(), dtype=np.uint64)
            length[messy] = messy_length
            plus[messy] = _np_bool(pc.starts_with(text, "+"))
            messy_digits = digits
        long_rows = np.flatnonzero((length > MAX_DIGITS) & (length <= MAX_DIGITS + 2))
        if long_rows.size:
            value = value if value.flags.writeable else value.copy()
            self._read_long(long_rows, stripped, clean, messy, messy_digits, value, length)
        n = len(raw)
        rules: list[tuple[int, str | None] | None] = [self._default]
        rule_ids = np.zeros(n, dtype=np.int32)
        if regions is not None:
            encoded = pc.dictionary_encode(pc.fill_null(regions, ""))
            lut = []
            for region in encoded.dictionary.to_pylist():
                if region in SUPPORTED_REGIONS:
                    lut.append(len(rules))
                    rules.append(national_rule(region))
                else:  # blank, or not a country code: --default-country reads it
                    lut.append(0)
            ids = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int32)
            rule_ids = np.array(lut, dtype=np.int32)[ids]
        numbers = np.empty(n, dtype=np.int64)
        country_ids = np.empty(n, dtype=np.int16)
        valid = np.empty(n, dtype=bool)
        # numpy is twice as fast on slices that stay in the CPU cache
        for at in range(0, n, _CHUNK):
            part = slice(at, at + _CHUNK)
            numbers[part], country_ids[part], valid[part] = self._numbers(
                value[part], length[part], plus[part], plausible[part], rule_ids[part], rules
            )
        mismatch = None
        if len(rules) > 1:
            mismatch = np.zeros(n, dtype=bool)
            for rule_id in range(1, len(rules)):
                rows = np.flatnonzero(valid & (rule_ids == rule_id))
                if rows.size:
                    rule = rules[rule_id]
                    assert rule is not None
                    text = pc.cast(pa.array(numbers[rows]), pa.string())
                    mismatch[rows] = ~_np_bool(pc.starts_with(text, str(rule[0])))
        return ResolvedNumbers(
            numbers=numbers,
            country_ids=country_ids,
            valid_mask=valid,
            countries=self.countries,
            present=present,
            mismatch=mismatch,
        )

    def _numbers(
        self,
        value: np.ndarray,
        length: np.ndarray,
        plus: np.ndarray,
        plausible: np.ndarray,
        rule_ids: np.ndarray,
        rules: Sequence[tuple[int, str | None] | None],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """E.164 number, country id and validity for digits read as (value, length, '+').

        A number not written as international is read as a national number of its rule's
        country (`rules[rule_ids]`: the row's country, or --default-country) when that reading
        is a valid number of that country (libphonenumber's number types), else as written.
        """
        # Starts with "00": an international call prefix unless written after a '+'. (Rows of
        # 20 or 21 digits that start so were read without the "00" already: length - 2 below.)
        first7 = self._first_seven(value, length)
        zeros = ((length >= 2) & (first7 < np.uint64(10**5))) | (length > MAX_DIGITS)
        idd = zeros & ~plus
        international = length - 2 * idd
        redo = np.flatnonzero(idd)  # the international number is 2 digits shorter
        if redo.size:
            first7[redo] = self._first_seven(value[redo], international[redo])
        ok, country_ids = self._check(value, international, first7)
        chosen_value = value
        local = ~(plus | idd) & (length <= MAX_DIGITS)
        for rule_id in np.unique(rule_ids[local]).tolist():
            rule = rules[rule_id]
            if rule is None:
                continue
            rows = np.flatnonzero(local & (rule_ids == rule_id))
            as_value, national_ok, national_country = self._read_national(
                value[rows], length[rows], rule
            )
            use = rows[national_ok | ~ok[rows]]
            picked = national_ok | ~ok[rows]
            if chosen_value is value:
                chosen_value = value.copy()
            chosen_value[use] = as_value[picked]
            ok[use] = national_ok[picked]
            country_ids[use] = national_country[picked]
        valid = plausible & ok & (chosen_value <= _INT64_MAX) & (country_ids > 0)
        numbers = np.where(valid, chosen_value, np.uint64(0)).astype(np.int64)
        return numbers, np.where(valid, country_ids, np.int16(0)), valid

    @staticmethod
    def _read_long(
        rows: np.ndarray,
        stripped: pa.Array,
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
        parts = [(rows[clean[rows]], pc.take(stripped, pa.array(rows[clean[rows]])))]
        if messy_digits is not None:
            at = np.flatnonzero(np.isin(messy, rows))
            parts.append((messy[at], pc.take(messy_digits, pa.array(at))))
        for target, digits in parts:
            if not target.size:
                continue
            rest = pc.utf8_slice_codeunits(digits, 2)
            fits = _np_bool(pc.starts_with(digits, "00")) & (
                _np_int(pc.binary_length(rest)) <= MAX_DIGITS
            )
            rest_value = pc.cast(pc.if_else(pa.array(fits), rest, "0"), pa.uint64())
            value[target] = np.asarray(rest_value.to_numpy(), dtype=np.uint64)
            length[target] = np.where(fits, length[target], MAX_DIGITS + 3)

    def _read_national(
        self, value: np.ndarray, length: np.ndarray, rule: tuple[int, str | None]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Numbers read as national numbers of a country (trunk prefix dropped, calling code
        added): (number, valid in that country, country id)."""
        code, trunk_prefix = rule
        code_length = len(str(code))
        national_value, national_length = value, length
        if trunk_prefix:
            k = len(trunk_prefix)
            head = value // _POW10[np.clip(length - k, 0, MAX_DIGITS)]
            trunk = (length >= k) & (head == np.uint64(int(trunk_prefix)))
            national_length = np.where(trunk, length - k, length)
            national_value = np.where(
                trunk, value % _POW10[np.clip(national_length, 0, MAX_DIGITS)], value
            )
        as_length = code_length + national_length
        fits = as_length <= MAX_DIGITS
        shift = _POW10[np.where(fits, national_length, 0)]
        as_value = np.where(fits, np.uint64(code) * shift + national_value, np.uint64(0))
        ok, country = self._check(as_value, np.where(fits, as_length, 0), strict=True)
        return as_value, ok, country
