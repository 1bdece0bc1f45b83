"""The layout of Meta's rate and volume-tier files: which rows are rates, which are tier bands.

Both files are laid out for people: title and notice rows above the header, and, in the tier
file, a three-row header (category groups; "Messages (per month)" / "What we charge"; `From`,
`To`, `Rate type`, `Rate`, `vs. List rate`) with the market name only on the first of its
six band rows and `--` as the open upper bound. `read_meta_file` turns one file into rates or
tier bands per market, with its source facts (hash, currency, effective date).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from wacost.models import Category
from wacost.prices.meta_cells import (
    _RATE_COLUMNS,
    _TIER_GROUPS,
    CURRENCIES,
    Cell,
    _column_letter,
    _count,
    _fail,
    _find_rates_header,
    _find_tiers_header,
    _label,
    _title_facts,
    currency_of,
    parse_amount,
    read_cells,
)


@dataclass(frozen=True)
class SourceFile:
    """One of Meta's files as read: its name, hash, and what its title and cells say."""

    path: Path
    name: str
    sha256: str
    kind: str  # "rates" or "tiers"
    currency: str | None
    effective_from: dt.date | None


@dataclass(frozen=True)
class TierBand:
    first: int  # as printed: 0 for the first band
    last: int | None
    rate: Decimal


@dataclass
class _Parsed:
    source: SourceFile
    rates: dict[str, dict[Category, Decimal | None]] = field(default_factory=dict)
    tiers: dict[str, dict[Category, list[TierBand]]] = field(default_factory=dict)


# --- interpreting the layout -------------------------------------------------------------


def _nonblank(row: Sequence[Cell]) -> bool:
    return any(not (isinstance(c, str) and not c.strip()) for c in row)


def _row_currency(cell: Cell, where: str, source: str) -> str | None:
    if isinstance(cell, Decimal) or not cell.strip() or cell.strip() == "$":
        return None  # a bare $ is ambiguous (USD, MXN, ARS, CLP, COP, ...): the title must say
    code = currency_of(cell)
    if code is None:
        raise _fail(
            source,
            where,
            f"currency {cell!r} is not one wacost knows",
            f"Meta's 16 currencies: {', '.join(CURRENCIES)}",
        )
    return code


def _one_currency(found: Iterable[str | None], title: str | None, source: str) -> str | None:
    codes = {c for c in found if c is not None}
    if title is not None:
        codes.add(title)
    if len(codes) > 1:
        raise _fail(
            source,
            "currency",
            f"the file mixes {', '.join(sorted(codes))}",
            "one currency per file",
        )
    return codes.pop() if codes else None


def _parse_rates(
    rows: list[list[Cell]], source: str, header: int | None
) -> tuple[dict[str, dict[Category, Decimal | None]], list[str | None], int]:
    """Rates per market from a rate file; without a header row, Meta's column order."""
    if header is not None:
        labels = [_label(c) for c in rows[header]]
        columns: dict[str, int] = {}
        for index, lab in enumerate(labels):
            if lab.startswith("market") and "market" not in columns:
                columns["market"] = index
            elif lab == "currency":
                columns["currency"] = index
            elif lab in _RATE_COLUMNS:
                columns[lab] = index
        start = header + 1
    else:
        # No header (a CSV saved without one): Meta's order of columns.
        columns = {"market": 0, "currency": 1, "marketing": 2, "utility": 3, "authentication": 4,
                   "authentication international": 5, "service": 6}  # fmt: skip
        start = 0
    for needed in ("market", "marketing", "utility", "authentication"):
        if needed not in columns:
            raise _fail(source, f"row {header + 1 if header is not None else 1}", f"no {needed!r} column",
                        "is it Meta's rate-card file?")  # fmt: skip
    rates: dict[str, dict[Category, Decimal | None]] = {}
    currencies: list[str | None] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not _nonblank(row):
            continue
        cells = list(row) + [""] * (max(columns.values()) + 1 - len(row))
        market = " ".join(str(cells[columns["market"]]).split())
        if not market or isinstance(cells[columns["market"]], Decimal):
            continue  # a note or spacer row under the table
        if "currency" in columns:
            currencies.append(_row_currency(cells[columns["currency"]], f"row {number}", source))
        values: dict[Category, Decimal | None] = {}
        for name, category in _RATE_COLUMNS.items():
            if name not in columns:
                values[category] = None
                continue
            col = columns[name]
            value = parse_amount(cells[col], f"row {number}, column {_column_letter(col)}", source)
            if value is not None and value < 0:
                raise _fail(
                    source,
                    f"row {number}, column {_column_letter(col)}",
                    "negative rate",
                    "rates are zero or more",
                )
            values[category] = value
        if all(v is None for v in values.values()):
            continue  # e.g. a footnote in the market column
        if market in rates:
            raise _fail(
                source, f"row {number}", f"market {market!r} appears twice", "one row per market"
            )
        rates[market] = values
    if not rates:
        raise _fail(source, "rows", "no market rows found", "is it Meta's rate-card file?")
    return rates, currencies, start


def _parse_tiers(
    rows: list[list[Cell]], source: str, header: int
) -> tuple[dict[str, dict[Category, list[TierBand]]], list[str | None]]:
    """Bands per market and category from a volume-tier file."""
    sub = [_label(c) for c in rows[header]]
    groups: list[tuple[int, Category]] = []
    for above in range(header - 1, -1, -1):  # the category row: Utility / Authentication / ...
        found = [
            (i, _TIER_GROUPS[_label(c)])
            for i, c in enumerate(rows[above])
            if _label(c) in _TIER_GROUPS
        ]
        if found:
            groups = found
            break
    if not groups:
        raise _fail(
            source,
            f"row {header}",
            "no Utility / Authentication header above From / To",
            "is it Meta's volume-tier file?",
        )
    market_col = 0
    for above in range(header, -1, -1):
        for i, c in enumerate(rows[above]):
            if _label(c).startswith("market"):
                market_col = i
                break
    currency_col = sub.index("currency") if "currency" in sub else None
    layout: list[tuple[Category, int, int, int]] = []  # category, from, to, rate columns
    for position, (start, category) in enumerate(groups):
        end = groups[position + 1][0] if position + 1 < len(groups) else len(sub)
        span = sub[start:end]
        try:
            col_from = start + span.index("from")
            col_to = start + span.index("to")
            col_rate = start + span.index("rate")
        except ValueError:
            raise _fail(
                source,
                f"row {header + 1}",
                f"{category.value}: no From / To / Rate columns",
                "is it Meta's volume-tier file?",
            ) from None
        layout.append((category, col_from, col_to, col_rate))
    tiers: dict[str, dict[Category, list[TierBand]]] = {}
    currencies: list[str | None] = []
    market = ""
    for number, row in enumerate(rows[header + 1 :], start=header + 2):
        if not _nonblank(row):
            continue
        cells = list(row) + [""] * (len(sub) + 1 - len(row))
        name = cells[market_col]
        if isinstance(name, str) and name.strip():
            market = " ".join(name.split())
            if market in tiers:
                raise _fail(
                    source,
                    f"row {number}",
                    f"market {market!r} appears twice",
                    "one block per market",
                )
            tiers[market] = {}
        if not market:
            if all(
                isinstance(c, str) and not c.strip() for c in (cells[i] for _, i, _, _ in layout)
            ):
                continue
            raise _fail(
                source,
                f"row {number}",
                "band row before any market name",
                "is it Meta's volume-tier file?",
            )
        if currency_col is not None:
            currencies.append(_row_currency(cells[currency_col], f"row {number}", source))
        for category, c_from, c_to, c_rate in layout:
            where = f"row {number}, column {_column_letter(c_from)}"
            first = _count(cells[c_from], where, source)
            rate = parse_amount(
                cells[c_rate], f"row {number}, column {_column_letter(c_rate)}", source
            )
            if first is None and rate is None:
                continue  # n/a: this market has no such category
            if first is None or rate is None:
                raise _fail(
                    source, where, "a band needs From and Rate", "fill both, or n/a in both"
                )
            last = _count(cells[c_to], f"row {number}, column {_column_letter(c_to)}", source)
            bands = tiers[market].setdefault(category, [])
            if bands:
                previous = bands[-1]
                if previous.last is None or first != previous.last + 1:
                    raise _fail(source, where, f"{market} {category.value}: band starts at {first:,}, "
                                f"not right after {previous.last}", "bands follow on without gaps")  # fmt: skip
            elif first not in (0, 1):
                raise _fail(
                    source,
                    where,
                    f"{market} {category.value}: first band starts at {first:,}",
                    "the first band starts at 0",
                )
            if last is not None and last < first:
                raise _fail(
                    source,
                    where,
                    f"{market} {category.value}: To {last:,} is below From {first:,}",
                    "check the band",
                )
            bands.append(TierBand(0 if not bands else first, last, rate))
    for market_name, categories in tiers.items():
        for category, bands in categories.items():
            if bands[-1].last is not None:
                raise _fail(source, market_name, f"{category.value}: the last band has an upper bound",
                            "Meta's last band is open-ended (--)")  # fmt: skip
    if not tiers:
        raise _fail(source, "rows", "no market rows found", "is it Meta's volume-tier file?")
    return tiers, currencies


def read_meta_file(path: Path) -> _Parsed:
    """One of Meta's files, interpreted: a rate file or a volume-tier file."""
    rows, data = read_cells(path)
    source = str(path)
    tiers_header = _find_tiers_header(rows)
    digest = hashlib.sha256(data).hexdigest()
    if tiers_header is not None:
        date, title_currency = _title_facts(rows, tiers_header)
        tiers, currencies = _parse_tiers(rows, source, tiers_header)
        currency = _one_currency(currencies, title_currency, source)
        info = SourceFile(path, path.name, digest, "tiers", currency, date)
        return _Parsed(info, tiers=tiers)
    header = _find_rates_header(rows)
    date, title_currency = _title_facts(rows, header if header is not None else 10)
    rates, currencies, _ = _parse_rates(rows, source, header)
    currency = _one_currency(currencies, title_currency, source)
    info = SourceFile(path, path.name, digest, "rates", currency, date)
    return _Parsed(info, rates=rates)
