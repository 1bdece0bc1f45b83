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


@dataclass(frozen=True)
class ResolvedNumbers:
    """Per row: the number's E.164 digits (no '+'), its billing country, and whether it is valid.

    `country` is null where the number is invalid; "001" for non-geographic numbers.
    """

    digits: pa.Array
    country: pa.Array
    valid: pa.Array


class NumberResolver:
    """Resolves whole columns of phone numbers; build once per run, reuse for every batch."""

    def __init__(self, numbering: Numbering, default_country: str | None = None) -> None:
        self._pattern = _validity_pattern()
        by_length: dict[int, tuple[list[str], list[str]]] = {}
        for prefix, country in numbering.prefixes.items():
            keys, values = by_length.setdefault(len(prefix), ([], []))
            keys.append(prefix)
            values.append(country)
        self._prefix_tables = [
            (length, pa.array(keys, pa.string()), pa.array(values, pa.string()))
            for length, (keys, values) in sorted(by_length.items(), reverse=True)
        ]
        self._default_cc: str | None = None
        self._trunk: str | None = None
        if default_country is not None:
            region = check_region(default_country, "--default-country")
            self._default_cc = str(phonenumbers.country_code_for_region(region))
            md = PhoneMetadata.metadata_for_region(region)
            self._trunk = md.national_prefix if md is not None and md.national_prefix else None

    def _is_valid(self, digits: pa.Array) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(digits, self._pattern), False)

    def _country(self, digits: pa.Array) -> pa.Array:
        country = pa.nulls(len(digits), pa.string())
        for length, keys, values in self._prefix_tables:
            head = pc.utf8_slice_codeunits(digits, 0, length)
            index = pc.index_in(head, value_set=keys)
            found = pc.take(values, index)
            country = pc.coalesce(country, found)
        return country

    def resolve(self, phones: pa.Array) -> ResolvedNumbers:
        """Normalize and resolve a column of phone numbers as written in a campaign file."""
        text = pc.fill_null(pc.utf8_trim_whitespace(phones.cast(pa.string())), "")
        plausible = pc.fill_null(pc.match_substring_regex(text, _PLAUSIBLE), False)
        cleaned = pc.replace_substring(text, "(0)", "")
        digits = pc.replace_substring_regex(cleaned, r"[^0-9]", "")
        plus = pc.starts_with(text, "+")
        idd = pc.and_(pc.invert(plus), pc.starts_with(digits, "00"))
        international = pc.if_else(idd, pc.utf8_slice_codeunits(digits, 2), digits)
        if self._default_cc is None:
            chosen = international
        else:
            national = digits
            if self._trunk:
                national = pc.if_else(
                    pc.starts_with(digits, self._trunk),
                    pc.utf8_slice_codeunits(digits, len(self._trunk)),
                    digits,
                )
            as_national = pc.binary_join_element_wise(self._default_cc, national, "")
            written_international = pc.or_(plus, idd)
            local = pc.if_else(
                self._is_valid(as_national),
                as_national,
                pc.if_else(self._is_valid(international), international, as_national),
            )
            chosen = pc.if_else(written_international, international, local)
        valid = pc.and_(plausible, self._is_valid(chosen))
        country = self._country(chosen)
        valid = pc.and_(valid, pc.is_valid(country))
        country = pc.if_else(valid, country, pa.scalar(None, pa.string()))
        return ResolvedNumbers(digits=chosen, country=country, valid=valid)


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
