"""Country codes: the regions libphonenumber knows, their aliases and the territories that bill
as a larger country.
"""

from __future__ import annotations

from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS

from wacost.errors import OptionError

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


def check_region(code: str, option: str) -> str:
    """`code` upper-cased if it is a country libphonenumber knows, else an OptionError."""
    region = COUNTRY_ALIASES.get(code.strip().upper(), code.strip().upper())
    if region not in SUPPORTED_REGIONS:
        raise OptionError(
            f"{option} {code!r}: not an ISO 3166 alpha-2 country code wacost knows",
            "write two letters, e.g. SE, IN, US",
        )
    return region
