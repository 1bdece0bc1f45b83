"""Read Meta's own rate-card and volume-tier files (CSV or XLSX) and write a wacost rate card.

Meta publishes, per currency and effective date, a rate file ("Cost per message in USD on the
WhatsApp Business Platform, effective October 1, 2026") and a volume-tier file. Both are laid out
for people: title and notice rows above the header, `n/a` where a market has no such rate,
numbers stored as spreadsheet floats (`8.0E-4`) or as text with a currency token (`$US 0.0260`),
and, in the tier file, a three-row header (category groups; "Messages (per month)" / "What we
charge"; `From`, `To`, `Rate type`, `Rate`, `vs. List rate`) with the market name only on the
first of its six band rows and `--` as the open upper bound. Nothing here guesses: a cell that
is not a number, `n/a` or empty is an error naming the file, row and column.

Meta's files name markets only; which countries a market holds comes from wacost's own cards
(the shipped card in effect on the date, or the newest one that has the market).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Final

from wacost import amounts
from wacost.errors import InputFileError, PricingTableError
from wacost.files import load_yaml_text
from wacost.models import Category
from wacost.prices.cards import SERVICE_CHARGING_STARTS, PriceBook, RateCard
from wacost.prices.loading import parse_rate_card

MAX_ROWS: Final = 200_000  # Meta's files have about a thousand (mostly empty) rows
MAX_BYTES: Final = 20 * 1024 * 1024
PRICING_PAGE: Final = (
    "https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing"
)

# The 16 currencies Meta publishes cards in, and the tokens its files (and spreadsheets
# re-saved by people) write them with. A bare `$` is ambiguous and is not in this table.
CURRENCIES: Final = "USD AUD EUR GBP IDR INR MXN AED ARS CLP COP MYR PEN SAR SGD BRL".split()
_TOKENS: Final = {
    "US$": "USD", "$US": "USD", "USD$": "USD", "U$S": "USD",
    "A$": "AUD", "AU$": "AUD", "$AU": "AUD", "AUD$": "AUD",
    "€": "EUR",
    "£": "GBP",
    "RP": "IDR", "RP.": "IDR",
    "₹": "INR", "RS": "INR", "RS.": "INR",
    "MX$": "MXN", "MEX$": "MXN", "$MX": "MXN", "MXN$": "MXN",
    "د.إ": "AED", "DH": "AED", "DHS": "AED",
    "AR$": "ARS", "$AR": "ARS", "ARS$": "ARS",
    "CL$": "CLP", "$CL": "CLP", "CLP$": "CLP",
    "COL$": "COP", "CO$": "COP", "$CO": "COP", "COP$": "COP",
    "RM": "MYR",
    "S/": "PEN", "S/.": "PEN",
    "﷼": "SAR", "SR": "SAR", "ر.س": "SAR",
    "S$": "SGD", "SG$": "SGD", "$SG": "SGD", "SGD$": "SGD",
    "R$": "BRL",
}  # fmt: skip
_EMPTY: Final = {"", "n/a", "na", "n.a.", "-", "--", "—", "–", "none"}
_MONTHS: Final = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_TITLE_DATE = re.compile(r"effective\s+(?:as\s+of\s+)?([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", re.I)
_TITLE_CURRENCY = re.compile(r"cost\s+per\s+message\s+in\s+(\S+)", re.I)
_RATE_COLUMNS: Final = {
    "marketing": Category.MARKETING,
    "utility": Category.UTILITY,
    "authentication": Category.AUTHENTICATION,
    "authentication international": Category.AUTHENTICATION_INTERNATIONAL,
    "service": Category.SERVICE,
}
_TIER_GROUPS: Final = {
    "utility": Category.UTILITY,
    "authentication": Category.AUTHENTICATION,
    "authentication international": Category.AUTHENTICATION_INTERNATIONAL,
}

Cell = str | Decimal


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


@dataclass(frozen=True)
class ImportedCard:
    """The card written from Meta's files: its YAML text and the validated card."""

    text: str
    card: RateCard
    sources: tuple[SourceFile, ...]


# --- reading cells ------------------------------------------------------------------------


def _fail(source: str, where: str, problem: str, hint: str) -> InputFileError:
    return InputFileError(f"{source}: {where}: {problem}", hint)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_value(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that is this float: 0.0008, not 0.00079...
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path) -> list[list[Cell]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise _fail(
            str(path), "XLSX", "openpyxl is not installed", "pip install openpyxl"
        ) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise _fail(
            str(path), "XLSX", f"cannot be read ({type(exc).__name__})", "is it Meta's file?"
        ) from None
    try:
        sheets = []
        for sheet in book.worksheets:
            rows: list[list[Cell]] = []
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > MAX_ROWS:
                    raise _fail(
                        str(path), sheet.title, f"more than {MAX_ROWS:,} rows", "is it Meta's file?"
                    )
                rows.append([_cell_value(v) for v in row])
            sheets.append(rows)
    finally:
        book.close()
    # Meta's files have one sheet; take the first that has a header.
    for rows in sheets:
        if _find_rates_header(rows) is not None or _find_tiers_header(rows) is not None:
            return rows
    return sheets[0] if sheets else []


def _read_csv(path: Path, data: bytes) -> list[list[Cell]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise _fail(str(path), "encoding", "not UTF-8", "save it as UTF-8")
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    if len(rows) > MAX_ROWS:
        raise _fail(str(path), "rows", f"more than {MAX_ROWS:,}", "is it Meta's file?")
    return [list(r) for r in rows]


def read_cells(path: Path) -> tuple[list[list[Cell]], bytes]:
    """Every row of the file's (first) sheet as cells, and the file's bytes (for the hash)."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _fail(str(path), "size", f"{size:,} bytes", "Meta's files are a few KB")
        data = path.read_bytes()
    except FileNotFoundError:
        raise _fail(str(path), "file", "not found", "check the path") from None
    except IsADirectoryError:
        raise _fail(str(path), "file", "is a folder", "give Meta's CSV or XLSX file") from None
    except OSError as exc:
        raise _fail(
            str(path), "file", f"cannot be read ({exc.strerror})", "check the path"
        ) from None
    if data[:2] == b"PK":  # a zip container: XLSX (Meta's October "CSV" links serve XLSX)
        return _read_xlsx(path), data
    return _read_csv(path, data), data


# --- interpreting cells -------------------------------------------------------------------


def _label(cell: Cell) -> str:
    text = str(cell).lower().replace("\n", " ").replace("-", " ").replace("_", " ")
    text = re.sub(r"\(.*?\)", " ", text)
    return " ".join(text.split())


def currency_of(token: str) -> str | None:
    """The ISO code a currency token stands for (`USD`, `$US`, `₹`, `R$`), or None."""
    text = "".join(str(token).split()).upper()
    if text in CURRENCIES:
        return text
    return _TOKENS.get(text)


def parse_amount(cell: Cell, where: str, source: str) -> Decimal | None:
    """A cell's number: None for `n/a`, `--` or empty; a currency token (`$US 0.0260`) dropped.

    The number itself follows wacost's one rule for amounts (`wacost.amounts`): a point is the
    decimal separator, a comma only an exact thousands separator.
    """
    if isinstance(cell, Decimal):
        return cell
    text = cell.strip()
    if text.lower() in _EMPTY:
        return None
    for token in sorted((*_TOKENS, *CURRENCIES), key=len, reverse=True):
        if token in text.upper():
            start = text.upper().index(token)
            text = text[:start] + text[start + len(token) :]
    text = text.replace("$", "").strip()
    try:
        return amounts.parse_amount(text, maximum=None)
    except amounts.AmountError as exc:
        raise _fail(source, where, exc.describe(cell), exc.hint) from None


def _count(cell: Cell, where: str, source: str) -> int | None:
    value = parse_amount(cell, where, source)
    if value is None:
        return None
    if value != value.to_integral_value() or value < 0:
        raise _fail(source, where, f"{cell!r} is not a message count", "a whole number of messages")
    return int(value)


def _title_facts(rows: Sequence[Sequence[Cell]], until: int) -> tuple[dt.date | None, str | None]:
    """The effective date and currency the title rows above the header state, if any."""
    date = currency = None
    for row in rows[:until]:
        for cell in row:
            if not isinstance(cell, str) or not cell:
                continue
            found = _TITLE_DATE.search(cell)
            if found and date is None and found.group(1).lower() in _MONTHS:
                try:
                    date = dt.date(
                        int(found.group(3)), _MONTHS[found.group(1).lower()], int(found.group(2))
                    )
                except ValueError:
                    pass
            named = _TITLE_CURRENCY.search(cell)
            if named and currency is None:
                currency = currency_of(named.group(1).strip(",."))
        if date is not None and currency is not None:
            break
    return date, currency


def _find_rates_header(rows: Sequence[Sequence[Cell]]) -> int | None:
    for index, row in enumerate(rows[:50]):
        labels = [_label(c) for c in row]
        if any(lab.startswith("market") for lab in labels) and "marketing" in labels:
            return index
    return None


def _find_tiers_header(rows: Sequence[Sequence[Cell]]) -> int | None:
    """The row of `From`, `To`, `Rate type`, `Rate` sub-headers."""
    for index, row in enumerate(rows[:50]):
        labels = [_label(c) for c in row]
        if labels.count("from") >= 1 and "to" in labels and "rate type" in labels:
            return index
    return None


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


# --- building the card --------------------------------------------------------------------


def _membership(
    book: PriceBook, on: dt.date, names: Sequence[str], source: str
) -> dict[str, tuple[list[str], bool]]:
    """Countries of each market named in Meta's file, from wacost's own cards."""
    cards = sorted(book.cards, key=lambda c: (c.currency != "USD", -c.effective_from.toordinal()))
    in_effect = [c for c in cards if c.effective_from <= on] or cards
    ordered = in_effect + [c for c in cards if c not in in_effect]
    result: dict[str, tuple[list[str], bool]] = {}
    for name in names:
        for card in ordered:
            match = next((m for m in card.markets.values() if m.name.lower() == name.lower()), None)
            if match is not None:
                result[name] = (sorted(match.countries), match.default)
                break
        else:
            raise _fail(
                source,
                f"market {name!r}",
                "not a market in wacost's cards",
                "Meta's files name markets only: add the market and its countries to the card by hand",
            )
    # A country goes to the market that holds it alone (a standalone country beats its region).
    owner: dict[str, str] = {}
    for name in sorted(result, key=lambda n: len(result[n][0])):
        kept = []
        for country in result[name][0]:
            if country not in owner:
                owner[country] = name
                kept.append(country)
        result[name] = (kept, result[name][1])
    return result


def _decimal_text(value: Decimal) -> str:
    if value == value.to_integral_value() and abs(value) >= 1000:
        return str(value.quantize(Decimal(1)))
    text = format(value.normalize(), "f")
    places = len(text.partition(".")[2])
    return text if places >= 4 else format(value.quantize(Decimal("0.0001")), "f")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_card_text(
    rates_file: _Parsed,
    tiers_file: _Parsed | None,
    currency: str,
    effective: dt.date,
    book: PriceBook,
    today: dt.date,
) -> str:
    names = list(rates_file.rates)
    members = _membership(book, effective, names, rates_file.source.name)
    service_free = effective < SERVICE_CHARGING_STARTS
    sources = [rates_file.source] + ([tiers_file.source] if tiers_file else [])
    files = "; ".join(f"{s.name} (sha256 {s.sha256})" for s in sources)
    lines = [
        f"# wacost rate card: Meta's WhatsApp Business Platform rates in {currency} per delivered",
        f"# message, effective {effective.isoformat()}, imported by `wacost rates import` from Meta's",
        f"# own files: {', '.join(s.name for s in sources)}. Market membership (countries) is",
        "# wacost's: Meta's files name markets only.",
        "schema: wacost.rate_card/1",
        f"currency: {currency}",
        f'effective_from: "{effective.isoformat()}"',
        "source:",
        "  publisher: Meta",
        f"  url: {PRICING_PAGE}",
        f"  obtained_via: {_quote('wacost rates import of Meta files: ' + files)}",
        f'  retrieved: "{today.isoformat()}"',
        f"  rates_file: {_quote(rates_file.source.name)}",
        f'  rates_sha256: "{rates_file.source.sha256}"',
    ]
    if tiers_file is not None:
        lines += [
            f"  tiers_file: {_quote(tiers_file.source.name)}",
            f'  tiers_sha256: "{tiers_file.source.sha256}"',
        ]
    lines += [
        "confidence: high",
        _kv(
            "confidence_note",
            "Every rate imported from Meta's own files (names and SHA-256 in "
            "source); the countries of each market are wacost's.",
        ),
        _kv(
            "volume_tiers_note",
            f"Bands from Meta's volume-tier file {tiers_file.source.name}."
            if tiers_file
            else "No volume-tier file was imported: utility and authentication are "
            "priced at list rate, an upper bound.",
        ),
        "free_rules:",
        f"  utility_in_customer_service_window: {'free' if service_free else 'charged'}",
        f"  service: {'free' if service_free else 'charged'}",
        "markets:",
    ]
    tiers = tiers_file.tiers if tiers_file else {}
    unknown_tiers = sorted(set(tiers) - set(names))
    if unknown_tiers:
        raise _fail(
            tiers_file.source.name if tiers_file else "", f"market {unknown_tiers[0]!r}",
            "is in the tier file but not in the rate file", "import the matching pair of files",
        )  # fmt: skip
    for name in names:
        countries, default = members[name]
        lines.append(f"  {name}:")
        lines.append("    countries: [" + ", ".join(f'"{c}"' for c in countries) + "]")
        if default:
            lines.append("    default: true")
        lines.append("    rates:")
        for category in Category:
            value = rates_file.rates[name][category]
            lines.append(
                f"      {category.value}: {'null' if value is None else _decimal_text(value)}"
            )
        market_tiers = tiers.get(name, {})
        if market_tiers:
            lines.append("    tiers:")
            for category, bands in market_tiers.items():
                lines.append(f"      {category.value}:")
                lines.append(
                    f"        source: {_quote(f'Meta volume-tier file {tiers_file.source.name}' if tiers_file else '')}"
                )
                lines.append("        confidence: high")
                lines.append("        bands:")
                for band in bands:
                    to = "null" if band.last is None else str(band.last)
                    lines.append(
                        f"          - {{from: {band.first}, to: {to}, rate: {_decimal_text(band.rate)}}}"
                    )
    return "\n".join(lines) + "\n"


def _kv(key: str, value: str) -> str:
    return f"{key}: {_quote(value)}"


def import_meta_files(
    paths: Sequence[Path],
    book: PriceBook,
    effective_from: dt.date | None = None,
    currency: str | None = None,
    today: dt.date | None = None,
) -> ImportedCard:
    """A wacost rate card from Meta's rate file (and optionally its volume-tier file)."""
    if not paths:
        raise InputFileError("rates import: no file given", "give Meta's rate-card file")
    parsed = [read_meta_file(Path(p)) for p in paths]
    rate_files = [p for p in parsed if p.source.kind == "rates"]
    tier_files = [p for p in parsed if p.source.kind == "tiers"]
    if len(rate_files) != 1:
        raise InputFileError(
            f"rates import: {len(rate_files)} rate-card files given "
            f"({', '.join(p.source.name for p in rate_files) or 'none'})",
            "give exactly one rate file of one currency and date (and its volume-tier file)",
        )
    if len(tier_files) > 1:
        raise InputFileError(
            f"rates import: {len(tier_files)} volume-tier files given", "give at most one"
        )
    rates_file = rate_files[0]
    tiers_file = tier_files[0] if tier_files else None
    codes = {p.source.currency for p in parsed if p.source.currency}
    if currency is not None:
        wanted = currency_of(currency)
        if wanted is None:
            raise InputFileError(
                f"currency {currency!r} is not one wacost knows", f"one of {', '.join(CURRENCIES)}"
            )
        if codes and codes != {wanted}:
            raise InputFileError(
                f"currency: the files say {', '.join(sorted(codes))}, not {wanted}",
                "give the files of that currency",
            )
        codes = {wanted}
    if len(codes) > 1:
        raise InputFileError(
            f"rates import: the files are in {', '.join(sorted(codes))}",
            "import one currency at a time",
        )
    if not codes:
        raise InputFileError(
            f"{rates_file.source.name}: no currency in the title or the Currency column "
            "(a bare $ could be any of several)",
            "give the currency explicitly",
        )
    dates = {p.source.effective_from for p in parsed if p.source.effective_from}
    if effective_from is None:
        if len(dates) > 1:
            raise InputFileError(
                f"rates import: the files take effect on {', '.join(sorted(d.isoformat() for d in dates))}",
                "import the files of one date together, or give the effective date explicitly",
            )
        if not dates:
            raise InputFileError(
                f"{rates_file.source.name}: the title gives no effective date",
                "give the effective date explicitly (YYYY-MM-DD)",
            )
        effective_from = dates.pop()
    if tiers_file is not None:
        for market, categories in tiers_file.tiers.items():
            listed = rates_file.rates.get(market)
            for category, bands in categories.items():
                list_rate = listed.get(category) if listed else None
                if list_rate is None or bands[0].rate != list_rate:
                    raise InputFileError(
                        f"{tiers_file.source.name}: {market} {category.value}: the first band's rate "
                        f"{bands[0].rate} is not the list rate {list_rate} in {rates_file.source.name}",
                        "import the rate and tier files of the same currency and date",
                    )
    currency_code = codes.pop()
    text = build_card_text(
        rates_file, tiers_file, currency_code, effective_from, book, today or dt.date.today()
    )
    try:
        card = parse_rate_card(load_yaml_text(text, "imported card"), "imported card")
    except PricingTableError as exc:
        raise InputFileError(
            f"{rates_file.source.name}: the card made from it is not valid: {exc.message}",
            exc.hint or "check Meta's file",
        ) from None
    return ImportedCard(text, card, tuple(p.source for p in parsed))
