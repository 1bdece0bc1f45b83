"""`wacost lookup`: the country and market of numbers, by the same resolver the estimate uses."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import phonenumbers
import pyarrow as pa
from rich.table import Table
from rich.text import Text

from wacost.errors import InputFileError
from wacost.files import read_text_file
from wacost.numbers.regions import NON_GEOGRAPHIC
from wacost.numbers.resolver import NumberResolver
from wacost.prices.cards import PriceBook, RateCard
from wacost.sources import inspect_input, is_parquet, is_stdin, read_input


def read_number_file(path: Path) -> list[str]:
    """Numbers from a campaign CSV (its phone column) or from a file of one number per line."""
    try:
        source = inspect_input(path)
    except InputFileError:
        if is_stdin(path) or is_parquet(path):
            raise
        source = None
    if source is not None and source.has_phone:
        from wacost.counting.true_lines import _on_true_line

        numbers: list[str] = []
        try:
            for batch in read_input(source):
                numbers += [str(v) for v in batch.columns["phone"].to_pylist()]
        except InputFileError as error:  # counted a line a row: the file's own line, as estimate
            raise _on_true_line(error, source) from None
        return numbers
    text = read_text_file(path, "numbers", max_bytes=100 * 1024 * 1024)
    return [line.strip() for line in text.splitlines() if line.strip()]


def lookup_numbers(
    numbers: Sequence[str], book: PriceBook, card: RateCard, default_country: str | None = None
) -> list[dict[str, Any]]:
    """One result per number, in the contract's shape."""
    resolver = NumberResolver(book.numbering, default_country)
    resolved = resolver.resolve(pa.array(list(numbers), pa.string()))
    results = []
    for text, digits, country, valid in zip(
        numbers,
        resolved.digits.to_pylist(),
        resolved.country.to_pylist(),
        resolved.valid.to_pylist(),
    ):
        region = _territory(digits) if valid else None
        results.append(
            {
                "input": text,
                "e164": f"+{digits}" if valid else None,
                "country": region or (country if valid and country != NON_GEOGRAPHIC else None),
                "market": card.market_for_country(country) if valid else None,
                "valid": bool(valid),
            }
        )
    return results


def _territory(digits: str) -> str | None:
    """The territory libphonenumber places a number in (Jersey, not the UK), for display only.

    The market is billed by calling code (Jersey's +44 bills as United Kingdom).
    """
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse("+" + digits))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != NON_GEOGRAPHIC else None


def render_lookup(
    results: list[dict[str, Any]], fmt: str, width: int = 100, color: bool = False
) -> str:
    """The results as JSON, or a table `width` columns wide (colour codes only if `color`)."""
    from wacost.render.common import (  # names made printable before any colour
        printable,
        report_console,
    )

    if fmt == "json":
        return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    table = Table("Input", "E.164", "Country", "Market", "Valid")
    for r in results:
        table.add_row(
            printable(r["input"]),
            r["e164"] or "",
            r["country"] or "",
            r["market"] or "",
            Text("yes", style="green") if r["valid"] else Text("no", style="bold red"),
        )
    buffer = io.StringIO()
    report_console(buffer, width, color).print(table)
    return buffer.getvalue()
