"""Country codes: the regions libphonenumber knows, their aliases and the territories that bill
as a larger country.
"""

from __future__ import annotations

from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from wacost.errors import FieldError, literal

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


def known_countries() -> frozenset[str]:
    """ISO alpha-2 codes libphonenumber knows (the countries a planning row may name)."""
    return frozenset(SUPPORTED_REGIONS)


def country_code(value: object) -> str | None:
    """`value` as an upper-case ISO 3166 alpha-2 code with its alias resolved (`uk` -> `GB`,
    `EL` -> `GR`), or None if it is not two letters. Whether the country exists: `check_region`."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return None
    return COUNTRY_ALIASES.get(code, code)


def billing_country(code: str) -> str:
    """The country `code` bills as: a territory that shares a larger country's calling code bills
    as that country (`JE` -> `GB`), as its numbers do."""
    return TERRITORY_OWNERS.get(code, code)


def check_region(code: str, field: str) -> str:
    """`code` as a country libphonenumber knows (aliases resolved), else a FieldError naming `field`."""
    region = country_code(code)
    if region is None or region not in SUPPORTED_REGIONS:
        raise FieldError(
            field,
            f"{{}} {literal(repr(code))}: not an ISO 3166 alpha-2 country code wacost knows",
            "write two letters, e.g. SE, IN, US",
        )
    return region
