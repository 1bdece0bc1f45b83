"""Phone numbers -> E.164 digits -> billing country, on whole pyarrow columns.

Meta bills a message by the recipient's country calling code, plus a network prefix where one
calling code serves several markets (NANP area codes, Kazakhstan inside +7). We resolve the
country by the longest prefix in the numbering plan (pricing/numbering.yaml), and check that
the number can be real with libphonenumber's per-country number patterns, compiled into one
RE2 expression so that validation runs in C over the whole column. The market then follows
from the rate card's member lists (RateCard.market_for_country) on the small table of counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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
_PLAUSIBLE = r"^\+?[0-9 \-\.\(\)/\x{00A0}]*[0-9][0-9 \-\.\(\)/\x{00A0}]*$"


@lru_cache(maxsize=1)
def _validity_pattern() -> str:
    """One anchored RE2 pattern: calling code followed by a national number of its plan."""
    alternatives = []
    for code, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        patterns = []
        for region in regions:
            md = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            desc = md.general_desc if md is not None else None
            if desc is not None and desc.national_number_pattern:
                patterns.append(desc.national_number_pattern)
        if patterns:
            alternatives.append(f"{code}(?:{'|'.join(sorted(set(patterns)))})")
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


# Every number libphonenumber can accept has at most 19 digits with its calling code (the widest
# national patterns, Indonesia's and Japan's, allow 17 digits after a 2-digit code), so an
# E.164 number always fits in an int64; a string of digits is converted as an unsigned 64-bit
# integer, which holds any 19 digits.
MAX_DIGITS = 19
_POW10 = np.array([10**i for i in range(MAX_DIGITS + 1)], dtype=np.uint64)
_INT64_MAX = np.uint64(2**63 - 1)
# Keys of the prefix table: the first four digits of a number (0..9999); numbers of 1 to 3
# digits go after them, each length at its own offset.
_SHORT_OFFSET = np.array([0, 10_000, 10_010, 10_110], dtype=np.uint64)
_PREFIX_KEYS = 11_110


def _np_bool(array: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as numpy (nulls as False)."""
    if array.null_count:
        array = pc.fill_null(array, False)
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _np_int(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.int64)


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


class NumberResolver:
    """Resolves whole columns of phone numbers; build once per run, reuse for every batch.

    Numbers written as bare E.164 digits (with or without '+', the common case by far) skip
    the text cleaning: they are converted to integers as they are, and the country is found by
    arithmetic on the integer (a table of the first four digits). Only the rest (spaces,
    dashes, brackets, letters) go through the regular-expression cleaning. The number patterns
    of libphonenumber (one RE2 expression) then decide which numbers can be real; that check is
    what makes a number valid, so it runs on every number that passes the cheap checks.
    """

    def __init__(self, numbering: Numbering, default_country: str | None = None) -> None:
        self._pattern = _validity_pattern()
        self.countries, self._table = _country_table(tuple(sorted(numbering.prefixes.items())))
        self._default_cc: int | None = None
        self._trunk: str | None = None
        if default_country is not None:
            region = check_region(default_country, "--default-country")
            self._default_cc = int(phonenumbers.country_code_for_region(region))
            md = PhoneMetadata.metadata_for_region(region)
            self._trunk = md.national_prefix if md is not None and md.national_prefix else None
            # A national number of 20 digits or more can never become valid by stripping the
            # trunk prefix and adding the calling code; resolve() relies on that.
            if self._trunk and len(self._trunk) > len(str(self._default_cc)):
                raise ValueError(f"trunk prefix {self._trunk!r} longer than the calling code")

    def _matches(self, text: pa.Array) -> np.ndarray:
        return _np_bool(pc.match_substring_regex(text, self._pattern))

    def _is_valid(self, value: np.ndarray, length: np.ndarray,
                  written: pa.Array | None = None, as_written: np.ndarray | None = None) -> np.ndarray:
        """Which numbers (as integers of `length` digits) libphonenumber's patterns accept.

        Where `as_written` is set, `written` holds exactly those numbers' digits as text, and
        the pattern runs on that column instead of on the integers converted back to text.
        """
        candidate = (length >= 1) & (length <= MAX_DIGITS)
        # a leading zero (which the integer does not keep) starts no calling code
        candidate &= value >= _POW10[np.clip(length - 1, 0, MAX_DIGITS)]
        ok = np.zeros(len(value), dtype=bool)
        todo = candidate
        if written is not None and as_written is not None:
            reuse = candidate & as_written
            if 2 * int(np.count_nonzero(reuse)) >= len(value):
                ok = self._matches(written) & reuse
                todo = candidate & ~as_written
        rows = np.flatnonzero(todo)
        if rows.size:
            ok[rows] = self._matches(pc.cast(pa.array(value[rows]), pa.string()))
        return ok

    def resolve(self, phones: pa.Array) -> ResolvedNumbers:
        """Normalize and resolve a column of phone numbers as written in a campaign file."""
        raw = phones if phones.type == pa.string() else phones.cast(pa.string())
        if raw.null_count:
            raw = pc.fill_null(raw, "")
        n = len(raw)
        stripped = pc.ascii_ltrim(raw, "+")
        length = _np_int(pc.binary_length(stripped))
        plus_signs = _np_int(pc.binary_length(raw)) - length
        clean = (plus_signs <= 1) & _np_bool(pc.ascii_is_decimal(stripped))
        plus = plus_signs == 1
        plausible = np.ones(n, dtype=bool)
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
            value = value.copy()  # pyarrow's buffer is read-only
            # Spaces, dashes, brackets, a trunk '(0)', letters: clean as written.
            text = pc.utf8_trim_whitespace(pc.take(raw, pa.array(messy)))
            present[messy] = _np_int(pc.binary_length(text)) > 0
            plausible[messy] = _np_bool(pc.match_substring_regex(text, _PLAUSIBLE))
            digits = pc.replace_substring_regex(pc.replace_substring(text, "(0)", ""), r"[^0-9]", "")
            messy_length = _np_int(pc.binary_length(digits))
            ok_length = (messy_length >= 1) & (messy_length <= MAX_DIGITS)
            digits_value = pc.cast(pc.if_else(pa.array(ok_length), digits, "0"), pa.uint64())
            value[messy] = np.asarray(digits_value.to_numpy(), dtype=np.uint64)
            length[messy] = messy_length
            plus[messy] = _np_bool(pc.starts_with(text, "+"))
            messy_digits = digits
        # Starts with "00": an international call prefix unless written after a '+'.
        zeros = (length >= 2) & (length <= MAX_DIGITS)
        zeros &= value < _POW10[np.clip(length - 2, 0, MAX_DIGITS)]
        long_rows = np.flatnonzero((length > MAX_DIGITS) & (length <= MAX_DIGITS + 2))
        if long_rows.size:
            value = value if value.flags.writeable else value.copy()
            self._read_long(long_rows, stripped, clean, messy, messy_digits, value, zeros)
        idd = zeros & ~plus
        international = length - 2 * idd
        same_text = clean & ~idd  # the stripped text is the international number's digits
        if self._default_cc is None:
            chosen_value, chosen_length = value, international
            ok = self._is_valid(value, international, stripped, same_text)
        else:
            chosen_value, chosen_length, ok = self._choose_national(
                value, length, international, plus | idd, stripped, same_text)
        valid = plausible & ok & (chosen_value <= _INT64_MAX)
        country_ids = self._country_ids(chosen_value, chosen_length)
        valid &= country_ids > 0
        numbers = np.where(valid, chosen_value, np.uint64(0)).astype(np.int64)
        country_ids = np.where(valid, country_ids, np.int16(0)).astype(np.int16)
        return ResolvedNumbers(numbers=numbers, country_ids=country_ids, valid_mask=valid,
                               countries=self.countries, present=present)

    @staticmethod
    def _read_long(rows: np.ndarray, stripped: pa.Array, clean: np.ndarray,
                   messy: np.ndarray, messy_digits: pa.Array | None,
                   value: np.ndarray, zeros: np.ndarray) -> None:
        """20 or 21 digits: valid only after an international '00' prefix; read what follows it."""
        parts = [(rows[clean[rows]], pc.take(stripped, pa.array(rows[clean[rows]])))]
        if messy_digits is not None:
            at = np.flatnonzero(np.isin(messy, rows))
            parts.append((messy[at], pc.take(messy_digits, pa.array(at))))
        for target, digits in parts:
            if not target.size:
                continue
            rest = pc.utf8_slice_codeunits(digits, 2)
            fits = _np_bool(pc.starts_with(digits, "00")) & (_np_int(pc.binary_length(rest)) <= MAX_DIGITS)
            rest_value = pc.cast(pc.if_else(pa.array(fits), rest, "0"), pa.uint64())
            value[target] = np.asarray(rest_value.to_numpy(), dtype=np.uint64)
            zeros[target] = fits

    def _choose_national(
        self, value: np.ndarray, length: np.ndarray, international: np.ndarray,
        written_international: np.ndarray, stripped: pa.Array, same_text: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """With --default-country: a number not written as international is read as national
        (trunk prefix dropped, calling code added) when that is valid, else as international
        when that is valid, else as national (and invalid)."""
        assert self._default_cc is not None
        code_length = len(str(self._default_cc))
        national_value, national_length = value, length.copy()
        short = length <= MAX_DIGITS
        if self._trunk:
            k = len(self._trunk)
            head = value // _POW10[np.clip(length - k, 0, MAX_DIGITS)]
            trunk = short & (length >= k) & (head == np.uint64(int(self._trunk)))
            national_length = np.where(trunk, length - k, length)
            national_value = np.where(trunk, value % _POW10[np.clip(national_length, 0, MAX_DIGITS)], value)
        local = ~written_international
        as_length = code_length + national_length
        fits = local & short & (as_length <= MAX_DIGITS)
        shift = _POW10[np.where(fits, national_length, 0)]
        as_value = np.where(fits, np.uint64(self._default_cc) * shift + national_value, np.uint64(0))
        national_ok = self._is_valid(as_value, np.where(fits, as_length, 0))
        try_international = written_international | ~national_ok
        international_ok = self._is_valid(value, np.where(try_international, international, 0),
                                          stripped, same_text & try_international)
        use_national = local & (national_ok | ~international_ok)
        chosen_value = np.where(use_national, as_value, value)
        chosen_length = np.where(use_national, as_length, international)
        ok = np.where(use_national, national_ok, international_ok)
        return chosen_value, chosen_length, ok

    def _country_ids(self, value: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The billing country of each number: the longest numbering-plan prefix it starts with."""
        head = value // _POW10[np.clip(length - 4, 0, MAX_DIGITS)]
        short = length < 4
        if short.any():
            offset = _SHORT_OFFSET[np.clip(length, 0, 3)]
            head = np.where(short, offset + np.where(short, value, np.uint64(0)), head)
        head = np.minimum(head, np.uint64(_PREFIX_KEYS - 1))
        return self._table[head.astype(np.intp)]


def normalize_countries(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Planning-row country codes upper-cased (with UK -> GB), and which are known."""
    text = pc.utf8_upper(pc.utf8_trim_whitespace(pc.fill_null(values.cast(pa.string()), "")))
    for alias, code in COUNTRY_ALIASES.items():
        text = pc.if_else(pc.equal(text, alias), code, text)
    known = pc.is_in(text, value_set=pa.array(sorted(known_countries())))
    return text, known


def mask_number(number: str) -> str:
    """A number with its middle digits hidden, for messages: +46701234567 -> +4670*****67."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    if len(digits) <= 4:
        return "*" * len(number)
    hide = set(digits[4:-2])
    return "".join("*" if i in hide else ch for i, ch in enumerate(number))
