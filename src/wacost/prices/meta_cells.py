"""The cells of Meta's rate and tier files (CSV or XLSX): reading them, and the tokens in them.

Numbers come as spreadsheet floats (`8.0E-4`) or as text with a currency token (`$US 0.0260`);
`n/a`, `--` and empty mean no value. A cell that is neither is an error naming the file, row
and column. The header rows of both files are found here, since an XLSX workbook's sheet is
chosen by which one has a header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Final

from wacost import amounts
from wacost.errors import InputFileError
from wacost.models import Category

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
    if isinstance(cell, Decimal):  # a number cell of a workbook: the same bounds
        try:
            return amounts.parse_amount(cell)
        except amounts.AmountError as exc:
            raise _fail(source, where, exc.describe(str(cell)), exc.hint) from None
    text = cell.strip()
    if text.lower() in _EMPTY:
        return None
    for token in sorted((*_TOKENS, *CURRENCIES), key=len, reverse=True):
        if token in text.upper():
            start = text.upper().index(token)
            text = text[:start] + text[start + len(token) :]
    text = text.replace("$", "").strip()
    try:
        return amounts.parse_amount(text)  # at most 10^15, as every amount
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
