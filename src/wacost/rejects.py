"""The rows of a campaign that were not priced as written, for `estimate --rejects FILE`.

A campaign manager fixes the export and runs again, so every such row is listed (not one
example per warning), with the line it starts on in its file (true after blank lines and
quoted line breaks: wacost.lines) and why:

- `invalid_phone`: the number cannot be real, or the row has neither a number nor a country;
- `invalid_country`: a planning row whose country is not an ISO code;
- `country_mismatch`: a valid number of another country than the row's `country` column;
- `unknown_template`: the template is defined nowhere (priced as marketing);
- `template_name_case`: the name differs from the definition only in case;
- `unknown_language`: the template is not defined in the row's language;
- `unpriced_market`: no market on the rate card bills the number's country.

Rows with nothing in any column wacost reads are skipped, as the estimate skips them.

The file is the user's own data coming back to them: each listed row is written as it was
read, every field, phone numbers included, so that it can be corrected in place. Nothing of it
is printed on the terminal. It is written beside its final name and renamed into place, so a
failed run leaves no half-written file.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from wacost.campaign import DEFAULT_BLOCK_SIZE, CampaignFile, inspect_campaign
from wacost.counting.batch import _planning_countries
from wacost.counting.columns import _np_blank
from wacost.errors import InputFileError
from wacost.lines import row_lines
from wacost.numbers.regions import known_countries
from wacost.numbers.resolver import NumberResolver
from wacost.prices.cards import RateCard
from wacost.templates.definitions import TemplateBook

REJECT_COLUMNS = ("file", "line", "reason", "detail")


@dataclass(frozen=True)
class Reject:
    """One row not priced as written: where it is, why, and its fields as read."""

    file: str
    line: int
    reason: str
    detail: str
    fields: tuple[str, ...]


def _all_columns(source: CampaignFile, block_size: int) -> Iterator[pa.RecordBatch]:
    names = [f"c{i}" for i in range(len(source.header))]
    try:
        reader = pacsv.open_csv(
            source.path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=source.skip_rows,
                block_size=block_size,
                encoding=source.arrow_encoding,
            ),
            parse_options=pacsv.ParseOptions(delimiter=source.delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        yield from reader
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError) as exc:  # the estimate read it already
        raise InputFileError(
            f"{source.path}: cannot read it again for the rejects ({type(exc).__name__})",
            "check that the file did not change during the run",
        ) from None


def _template_reasons(
    templates: pa.Array, languages: pa.Array | None, book: TemplateBook
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Per row: an index into the returned (reason, detail) list, or -1 for none."""
    n = len(templates)
    if languages is None:
        languages = pa.array([""] * n, pa.string())
    encoded = pc.dictionary_encode(pc.binary_join_element_wise(templates, languages, "\x1f"))
    reasons: list[tuple[str, str]] = []
    lut = []
    for item in encoded.dictionary.to_pylist():
        name, _, language = item.partition("\x1f")
        name, language = name.strip(), language.strip()
        if not name:
            lut.append(-1)
            continue
        match = book.match(name, language or None)
        if not match.definitions:
            near = " or ".join(repr(s) for s in match.suggestions)
            found = ("unknown_template", f"did you mean {near}?" if near else "not defined")
        elif match.unknown_language:
            found = (
                "unknown_language",
                f"{match.name!r} has {', '.join(match.languages)}, not {match.language!r}",
            )
        elif match.case_differs:
            found = ("template_name_case", f"Meta's name is {match.name!r}")
        else:
            lut.append(-1)
            continue
        lut.append(len(reasons))
        reasons.append(found)
    ids = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.array(lut, dtype=np.int64)[ids] if lut else np.full(n, -1), reasons


def find_rejects(
    paths: Sequence[Path],
    resolver: NumberResolver,
    book: TemplateBook,
    card: RateCard,
    encoding: str | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Iterator[tuple[CampaignFile, list[Reject]]]:
    """Each campaign file with the rows of it that were not priced as written, in file order."""
    known = known_countries()
    for path in paths:
        source = inspect_campaign(path, encoding)
        found: list[tuple[int, str, str, tuple[str, ...]]] = []  # row index, reason, detail
        row = 0
        for batch in _all_columns(source, block_size):
            n = batch.num_rows
            column = {canon: batch.column(i) for canon, i in source.columns.items()}
            reason = np.full(n, -1, dtype=np.int64)
            details: list[tuple[str, str]] = []

            def mark(
                mask: np.ndarray,
                code: str,
                detail: str,
                reason: np.ndarray = reason,
                details: list[tuple[str, str]] = details,
            ) -> None:
                """The first reason found for a row is the one it is listed with."""
                free = mask & (reason < 0)
                if free.any():
                    reason[free] = len(details)
                    details.append((code, detail))

            blank = np.ones(n, dtype=bool)
            for values in column.values():
                blank &= _np_blank(values)
            countries = (
                _planning_countries(pc.fill_null(column["country"], ""))
                if "country" in column
                else pa.array([""] * n, pa.string())
            )
            has_country = ~_np_blank(countries)
            has_phone = np.zeros(n, dtype=bool)
            billed_in = pa.array([None] * n, pa.string())
            if "phone" in column:
                resolved = resolver.resolve(column["phone"], countries)
                has_phone = resolved.present
                mark(has_phone & ~resolved.valid_mask, "invalid_phone", "not a real number")
                if resolved.mismatch is not None:
                    mark(resolved.mismatch, "country_mismatch", "the number is of another country")
                billed_in = resolved.country
            planned = ~has_phone & has_country
            country_text = countries.to_pylist()
            unknown_country = planned & np.array([c not in known for c in country_text])
            mark(unknown_country, "invalid_country", "not an ISO 3166 country code")
            mark(~has_phone & ~has_country & ~blank, "invalid_phone", "no number and no country")
            billed = pc.if_else(pa.array(planned), countries, billed_in).to_pylist()
            unpriced = np.array(
                [c is not None and c != "" and card.market_for_country(c) is None for c in billed]
            )
            mark(unpriced & ~unknown_country, "unpriced_market", "no market on the rate card")
            if "template" in column:
                ids, reasons = _template_reasons(
                    pc.fill_null(column["template"], ""),
                    pc.fill_null(column["language"], "") if "language" in column else None,
                    book,
                )
                # a row's category column prices it without its template, as the estimate does
                overridden = (
                    ~_np_blank(column["category"]) if "category" in column else np.zeros(n, bool)
                )
                for index, (code, detail) in enumerate(reasons):
                    mark((ids == index) & ~overridden, code, detail)
            reason[blank] = -1
            bad = np.flatnonzero(reason >= 0)
            if bad.size:
                fields = [
                    batch.column(i).take(pa.array(bad)).to_pylist()
                    for i in range(batch.num_columns)
                ]
                for k, index in enumerate(bad.tolist()):
                    code, detail = details[int(reason[index])]
                    found.append((row + index, code, detail, tuple(f[k] for f in fields)))
            row += n
        if not found:
            yield source, []
            continue
        lines = row_lines(
            source.path,
            source.encoding,
            source.skip_rows,
            np.array([f[0] for f in found], dtype=np.int64),
            source.delimiter,
        )
        yield (
            source,
            [
                Reject(str(source.path), int(line), code, detail, fields)
                for (_, code, detail, fields), line in zip(found, lines.tolist())
            ],
        )


def write_rejects(target: Path, found: Iterator[tuple[CampaignFile, list[Reject]]]) -> int:
    """Write the rejects as CSV to `target` (atomically; a FIFO or a device as it is); how
    many rows it lists.

    The columns are file, line, reason, detail, then the campaign files' own columns (their
    union, in order of appearance); the delimiter is the first file's, so a spreadsheet opens
    it as it opened the campaign.
    """
    if target.is_dir():
        raise InputFileError(f"--rejects {target}: is a directory", "name a file")
    real = Path(os.path.realpath(target))
    if not real.parent.is_dir():
        raise InputFileError(
            f"--rejects {target}: folder {real.parent} does not exist", "create it first"
        )
    files = list(found)
    header: list[str] = []
    for source, _ in files:
        header += [name for name in source.header if name not in header]
    position = {name: i for i, name in enumerate(header)}
    delimiter = files[0][0].delimiter if files else ","

    def write(handle: Any) -> int:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow([*REJECT_COLUMNS, *header])
        count = 0
        for source, rejects in files:
            places = [position[name] for name in source.header]
            for reject in rejects:
                fields = [""] * len(header)
                for place, value in zip(places, reject.fields):
                    fields[place] = value
                writer.writerow([reject.file, reject.line, reject.reason, reject.detail, *fields])
                count += 1
        return count

    if target.exists() and not target.is_file():  # a FIFO or a device: written as it is
        try:
            with open(target, "w", encoding="utf-8", newline="") as handle:
                return write(handle)
        except OSError as exc:
            raise _unwritable(target, exc) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise InputFileError(
            f"--rejects {target}: cannot write in {real.parent} ({exc.strerror})",
            "choose a folder you can write to",
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            count = write(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, real)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # a full disk, a file too large
            raise _unwritable(target, exc) from None
        raise
    return count


def _unwritable(target: Path, exc: OSError) -> InputFileError:
    return InputFileError(f"--rejects {target}: cannot write ({exc.strerror})", "check the path")
