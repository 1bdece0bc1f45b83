"""Regenerate samples/campaign.csv (deterministic): python scripts/make_samples.py

The composition below is the one the tests price by hand (tests/test_samples.py); change both
together.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import phonenumbers

# (region, national prefix to start numbers with, template, language, window, how many)
COMPOSITION = [
    ("IN", "98765", "spring_sale", "en_US", "", 40),
    ("IN", "98765", "order_shipped", "en_US", "", 12),
    ("IN", "98765", "order_shipped", "en_US", "csw", 8),
    ("IN", "98765", "login_code", "en_US", "", 10),
    ("IN", "98765", "", "", "csw", 10),
    ("BR", "119", "spring_sale", "pt_BR", "", 20),
    ("BR", "119", "order_shipped", "pt_BR", "", 15),
    ("BR", "119", "", "", "csw", 5),
    ("DE", "1512", "spring_sale", "de", "", 10),
    ("DE", "1512", "login_code", "en_US", "", 5),
    ("GB", "7700", "spring_sale", "en_US", "", 12),
    ("GB", "7700", "cart_reminder", "en_US", "", 8),
    ("SE", "70", "spring_sale", "en_US", "", 10),
    ("SE", "70", "order_shipped", "en_US", "", 3),
    ("SE", "70", "order_shipped", "en_US", "csw", 3),
    ("US", "212", "spring_sale", "en_US", "", 5),
    ("US", "415", "order_shipped", "en_US", "", 10),
    ("CA", "416", "spring_sale", "en_US", "", 6),
    ("PR", "787", "order_shipped", "en_US", "", 4),
    ("DO", "809", "spring_sale", "en_US", "", 3),
    ("JM", "876", "login_code", "en_US", "", 2),
    ("BS", "242", "spring_sale", "en_US", "", 2),
    ("RU", "912", "spring_sale", "en_US", "", 6),
    ("KZ", "701", "spring_sale", "en_US", "", 4),
    ("KZ", "701", "login_code", "en_US", "", 3),
    ("ID", "812", "login_code", "en_US", "", 12),
    ("ID", "812", "cart_reminder", "en_US", "", 10),
    ("MX", "551", "spring_sale", "en_US", "", 15),
    ("MX", "551", "", "", "csw", 10),
    ("SA", "50", "cart_reminder", "en_US", "", 7),
    ("ZA", "82", "order_shipped", "en_US", "", 9),
    ("NG", "803", "login_code", "en_US", "", 6),
    ("AE", "50", "spring_sale", "en_US", "fep", 8),
    ("EE", "5", "spring_sale", "en_US", "", 3),
    ("IT", "347", "appointment_reminder", "it", "", 6),
    ("ES", "6", "appointment_reminder", "es", "", 5),
]
INVALID = ["+1 555 01", "12345", "+46 70 12", "not a number"]


def number(region: str, prefix: str, rng: random.Random) -> str:
    """A valid number of `region` starting with `prefix`, written in one of several styles."""
    code = phonenumbers.country_code_for_region(region)
    for _ in range(10_000):
        length = max(
            phonenumbers.PhoneMetadata.metadata_for_region(region).mobile.possible_length
            or phonenumbers.PhoneMetadata.metadata_for_region(region).general_desc.possible_length
        )
        national = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
        parsed = phonenumbers.parse(f"+{code}{national}")
        if (
            phonenumbers.is_valid_number(parsed)
            and phonenumbers.region_code_for_number(parsed) == region
        ):
            style = rng.random()
            e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if style < 0.6:
                return e164
            if style < 0.8:
                return phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                )
            if style < 0.9:
                return "00" + e164[1:]
            return e164[1:]  # wa_id style: digits only
    raise RuntimeError(f"no valid number for {region} {prefix}")


def main() -> None:
    rng = random.Random(20261125)
    rows = []
    for region, prefix, template, language, window, count in COMPOSITION:
        for _ in range(count):
            rows.append([number(region, prefix, rng), template, language, window])
    for bad in INVALID:
        rows.append([bad, "spring_sale", "en_US", ""])
    rng.shuffle(rows)
    out = Path(__file__).resolve().parents[1] / "samples" / "campaign.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["phone", "template", "language", "window"])
        writer.writerows(rows)
    print(f"{out}: {len(rows)} rows")


if __name__ == "__main__":
    main()
