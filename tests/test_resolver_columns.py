"""The resolver reads a whole column of numbers written every which way (and a slice of one)
as it reads each value alone: its column steps (a '+' stripped, digits read as integers, the
messy rows cleaned apart, chunks of rows) keep each row's reading its own."""

from __future__ import annotations

import pyarrow as pa

from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

TRICKY = [
    "+919876543210",
    "919876543210",
    "++919876543210",
    "+",
    "",
    "0",
    "00",
    "+00",
    "+0",
    "+00919876543210",
    "00919876543210",
    "+-1",
    "-919876543210",
    " +919876543210",
    "+919876543210 ",
    "+91 98765 43210",
    "+91-98765-43210",
    "(+91) 98765 43210",
    "+1 (415) 555-0100",
    "+44 (0) 20 7946 0958",
    "020 7946 0958",
    "0(0)919876543210",
    "whatsapp:+919876543210",
    "tel:+14155550100",
    "919876543210.0",
    "+91\u00a098765\u00a043210",
    "abc",
    "+91abc",
    "+１９１９８７６５４３２１０",  # fullwidth digits
    "+٩١٩٨٧٦٥٤٣٢١٠",  # Arabic-Indic digits
    "+9" + "9" * 18,
    "+" + "9" * 19,
    "+" + "9" * 20,
    "9" * 19,
    "9" * 20,
    "00" + "9" * 18,
    "+00" + "1" * 18,
    "1" * 100,
    "+" + "1" * 100,
    "+ 91",
    "+\u0661",
]


def test_the_resolver_reads_a_column_as_each_value_alone():
    """A whole column (and a slice of one, which starts its offsets past 0) resolves as each
    value does alone, with and without a row's own country and --default-country."""
    book = load_price_book()
    for default in (None, "GB", "IN"):
        resolver = NumberResolver(book.numbering, default)
        column = pa.array(["x", *TRICKY], pa.string()).slice(1)
        regions = pa.array(["", *(["IN", "GB", ""] * len(TRICKY))[: len(TRICKY)]], pa.string())
        whole = resolver.resolve(column, regions.slice(1))
        for i, value in enumerate(TRICKY):
            alone = resolver.resolve(pa.array([value], pa.string()), regions.slice(i + 1, 1))
            assert whole.numbers[i] == alone.numbers[0], value
            assert whole.valid_mask[i] == alone.valid_mask[0], value
            assert whole.present[i] == alone.present[0], value
            assert whole.country_ids[i] == alone.country_ids[0], value
        assert whole.valid_mask.any() and not whole.valid_mask.all()
