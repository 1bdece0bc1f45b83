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

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wacost.arrow import from_numpy, to_numpy, utf8
from wacost.numbers import plain
from wacost.numbers.plan import (
    _CHUNK,
    _INT64_MAX,
    _NATIONAL_OFFSET,
    _NATIONAL_SHORT,
    _POW10,
    _PREFIX_KEYS,
    _SHORT_OFFSET,
    MAX_DIGITS,
    _number_plan,
    _NumberPlan,
    _validity_pattern,
)
from wacost.numbers.regions import check_region, known_countries, national_rule
from wacost.numbers.sevens import (
    COUNTRY_MASK,
    COUNTRY_SHIFT,
    LENGTH_MASK,
    LENGTH_SHIFT,
    NONE_SHIFT,
    REGEX_SHIFT,
    SevenDigits,
    states,
)
from wacost.numbers.text import (
    _all_digits,
    _ascii_digits,
    _np_bool,
    _np_int,
    _parse_digits,
    _plus_as_zero,
    _read_long,
)
from wacost.prices.cards import Numbering

_PLAUSIBLE = r"^\+?[0-9 \-\.\(\)/\x{00A0}]*[0-9][0-9 \-\.\(\)/\x{00A0}]*$"


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
    # each prefix owns the keys that start with it; longer prefixes are written after shorter
    for prefix, country in sorted(plan.items(), key=lambda item: len(item[0])):
        size, first = len(prefix), int(prefix)
        for length, base in ((4, 0), *((k, int(_SHORT_OFFSET[k])) for k in range(size, 4))):
            span = 10 ** (length - size)  # keys of `length` digits, then shorter numbers
            table[base + first * span : base + (first + 1) * span] = index[country]
    return countries, table


def _head_table(plan: _NumberPlan, countries: np.ndarray) -> np.ndarray:
    """Per first four digits of a number (0..9999), its country (by `countries`, the country
    table) << 16 | its calling code's length << 12 | the code's index in `plan`: one lookup
    where there were three (each digit of a calling code is in the first four)."""
    head = np.arange(10_000)
    code = plan.code_of_head[head // 10].astype(np.int32)
    if len(plan.codes) >= 1 << 12 or int(countries.max()) >= 1 << 15:
        raise ValueError("too many calling codes or countries for the head table")
    table: np.ndarray = (
        (countries[:10_000].astype(np.int32) << 16)
        | (plan.code_length[code].astype(np.int32) << 12)
        | code
    )
    return table


def _head(value: np.ndarray, length: np.ndarray, digits: int, offsets: np.ndarray) -> np.ndarray:
    """The first `digits` digits of each number; shorter numbers keyed after them by length."""
    head = value // _POW10.take(length - digits, mode="clip")
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
        self._sevens = {
            plan.strict: SevenDigits(plan, _head_table(plan, self._table))
            for plan in (self._plan, self._strict)
        }
        self._default: tuple[int, str | None] | None = None
        if default_country is not None:
            self._default = national_rule(check_region(default_country, "default_country"))

    @staticmethod
    def _first_seven(value: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The first seven digits of each number (shorter numbers padded with zeros)."""
        lead = length - 7
        first7 = value // _POW10.take(lead, mode="clip")
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
        sevens = self._sevens[plan.strict]
        if first7 is None:
            first7 = self._first_seven(value, length)
        entry = sevens.entries(first7)
        # a leading zero (which the integer does not keep) starts no calling code: NO_CODE,
        # longer than any number
        national = length - ((entry >> LENGTH_SHIFT) & LENGTH_MASK)
        ok = (national >= 0) & (length <= MAX_DIGITS)
        # bit 0: every number of the remaining digits is accepted; bit 19: none is
        remaining = entry >> np.clip(national - 4, 0, 31)
        ok4 = ok & (national >= 4)
        result = ok4 & ((remaining & 1) != 0)
        undecided = ok4 & ((remaining & (1 | 1 << NONE_SHIFT)) == 0)
        country = ((entry >> COUNTRY_SHIFT) & COUNTRY_MASK).astype(np.int16)
        short = np.flatnonzero(ok & (national < 4))
        if short.size:
            n = national[short]
            key = (
                sevens.codes(first7[short]).astype(np.uint64) * np.uint64(_NATIONAL_SHORT)
                + _NATIONAL_OFFSET[n]
                + value[short] % _POW10[n]
            )
            result[short] = plan.short[key.astype(np.intp)]
        undecided_rows = np.flatnonzero(undecided)
        if undecided_rows.size:
            at = first7[undecided_rows]
            state = states(plan, at, sevens.codes(at))
            result[undecided_rows] = self._walk(
                plan, value[undecided_rows], national[undecided_rows], state
            )
        by_regex = entry[:0]  # codes with no automaton (none so far in libphonenumber's plan)
        if plan.by_regex.any():
            by_regex = np.flatnonzero(ok & ((entry >> REGEX_SHIFT) & 1).astype(bool))
        if by_regex.size:
            text = pc.cast(from_numpy(value[by_regex]), pa.string())
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
            digit = (value // _POW10.take(national - position, mode="clip")) % np.uint64(10)
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
            raw = pc.fill_null(raw, utf8(""))
        raw = pa.concat_arrays([raw]) if raw.offset else raw  # offsets from 0
        rules: list[tuple[int, str | None] | None] = [self._default]
        rule_ids = np.zeros(len(raw), dtype=np.int32)
        if regions is not None:
            encoded = pc.dictionary_encode(pc.fill_null(regions, utf8("")))
            lut = []
            for region in encoded.dictionary.to_pylist():
                if region in known_countries():
                    lut.append(len(rules))
                    rules.append(national_rule(region))
                else:  # blank, or not a country code: --default-country reads it
                    lut.append(0)
            ids = np.asarray(to_numpy(encoded.indices), dtype=np.int32)
            rule_ids = np.array(lut, dtype=np.int32)[ids]
        table = self._sevens[self._plan.strict].table()
        decided = plain.decide(raw, table, national=rules == [None])
        if decided is None:
            numbers, country_ids, valid, present = self._read(raw, rule_ids, rules)
        else:  # the compiled reader's verdicts, and the numpy path's for the rows it left
            numbers, country_ids = decided.numbers, decided.country_ids
            valid = decided.state == plain.VALID
            present = np.ones(len(raw), dtype=bool)  # it decides only rows with digits
            rows = decided.undecided
            if rows.size:
                taken = raw if rows.size == len(raw) else pc.take(raw, from_numpy(rows))
                part = self._read(taken, rule_ids[rows], rules)
                numbers[rows], country_ids[rows], valid[rows], present[rows] = part
        mismatch = None
        if len(rules) > 1:
            mismatch = np.zeros(len(raw), dtype=bool)
            for rule_id in range(1, len(rules)):
                rows = np.flatnonzero(valid & (rule_ids == rule_id))
                if rows.size:
                    rule = rules[rule_id]
                    assert rule is not None
                    # the number's leading digits are its calling code, or it is another's
                    value = numbers[rows].astype(np.uint64)
                    digits = np.searchsorted(_POW10, value, side="right")
                    code_digits = len(str(rule[0]))
                    head = value // _POW10.take(digits - code_digits, mode="clip")
                    mismatch[rows] = head != np.uint64(rule[0])
        return ResolvedNumbers(
            numbers=numbers,
            country_ids=country_ids,
            valid_mask=valid,
            countries=self.countries,
            present=present,
            mismatch=mismatch,
        )

    def _read(
        self,
        raw: pa.Array,
        rule_ids: np.ndarray,
        rules: Sequence[tuple[int, str | None] | None],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(numbers, country ids, valid, present) of every row, on whole columns (numpy)."""
        # digits after at most one '+' (written '0'), the common case: read as integers
        digits, plus, length = _plus_as_zero(raw)
        clean = _all_digits(digits) & (length >= 1)
        plausible = np.ones(len(raw), dtype=bool)
        present = clean.copy()
        value = _parse_digits(digits, clean & (length <= MAX_DIGITS))
        messy = np.flatnonzero(~clean)
        messy_digits = None
        if messy.size:
            # Spaces, dashes, brackets, a trunk '(0)', letters: clean as written.
            text = pc.utf8_trim_whitespace(pc.take(raw, from_numpy(messy)))
            # What exports put around a number: Twilio's "whatsapp:" and "tel:" prefixes, a
            # bracketed country code "(+91)", and a spreadsheet's float "919876543210.0".
            # (each only when some value holds the character it needs: a search for it costs a
            # fraction of a regular expression's replacement)
            if pc.any(pc.match_substring(text, ":")).as_py():
                text = pc.replace_substring_regex(text, r"^(?i:whatsapp:|tel:)\s*", "")
            if pc.any(pc.starts_with(text, "(")).as_py():
                text = pc.replace_substring_regex(text, r"^\((\+\d{1,4})\)", "\\1")
            if pc.any(pc.match_substring(text, ".")).as_py():
                text = pc.replace_substring_regex(text, r"^(\+?\d+)\.0+$", "\\1")
            present[messy] = _np_int(pc.binary_length(text)) > 0
            plausible[messy] = _np_bool(pc.match_substring_regex(text, _PLAUSIBLE))
            digits = _ascii_digits(pc.replace_substring(text, "(0)", ""))
            messy_length = _np_int(pc.binary_length(digits))
            ok_length = (messy_length >= 1) & (messy_length <= MAX_DIGITS)
            usable = pc.if_else(from_numpy(ok_length), digits, utf8("0"))
            value[messy] = np.asarray(to_numpy(pc.cast(usable, pa.uint64())), dtype=np.uint64)
            length[messy] = messy_length
            plus[messy] = _np_bool(pc.starts_with(text, "+"))
            messy_digits = digits
        long_rows = np.flatnonzero((length > MAX_DIGITS) & (length <= MAX_DIGITS + 2))
        if long_rows.size:
            _read_long(long_rows, raw, clean, messy, messy_digits, value, length)
        n = len(raw)
        numbers = np.empty(n, dtype=np.int64)
        country_ids = np.empty(n, dtype=np.int16)
        valid = np.empty(n, dtype=bool)
        # numpy is twice as fast on slices that stay in the CPU cache
        for at in range(0, n, _CHUNK):
            part = slice(at, at + _CHUNK)
            numbers[part], country_ids[part], valid[part] = self._numbers(
                value[part], length[part], plus[part], plausible[part], rule_ids[part], rules
            )
        return numbers, country_ids, valid, present

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
        used = np.zeros(len(rules), dtype=np.int64)
        if len(rules) > 1 or rules[0] is not None:  # a country to read national numbers in
            local = ~(plus | idd) & (length <= MAX_DIGITS)
            used = np.bincount(rule_ids[local], minlength=len(rules))  # (np.unique sorts: slower)
        for rule_id in np.flatnonzero(used).tolist():
            rule = rules[rule_id]
            if rule is None:
                continue
            rows = np.flatnonzero(local & (rule_ids == rule_id))
            as_value, national_ok, national_country = self._read_national(
                value[rows], length[rows], rule
            )
            picked = national_ok | ~ok[rows]
            use = rows[picked]
            if chosen_value is value:
                chosen_value = value.copy()
            chosen_value[use] = as_value[picked]
            ok[use] = national_ok[picked]
            country_ids[use] = national_country[picked]
        valid = plausible & ok & (chosen_value <= _INT64_MAX) & (country_ids > 0)
        numbers = np.where(valid, chosen_value, np.uint64(0)).view(np.int64)  # valid: <= 2**63-1
        return numbers, np.where(valid, country_ids, np.int16(0)), valid

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
            head = value // _POW10.take(length - k, mode="clip")
            trunk = (length >= k) & (head == np.uint64(int(trunk_prefix)))
            national_length = np.where(trunk, length - k, length)
            national_value = np.where(
                trunk, value % _POW10.take(national_length, mode="clip"), value
            )
        as_length = code_length + national_length
        fits = as_length <= MAX_DIGITS
        shift = _POW10[np.where(fits, national_length, 0)]
        as_value = np.where(fits, np.uint64(code) * shift + national_value, np.uint64(0))
        ok, country = self._check(as_value, np.where(fits, as_length, 0), strict=True)
        return as_value, ok, country
