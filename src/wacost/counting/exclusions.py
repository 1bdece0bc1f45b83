"""Opt-out lists (`--exclude`): their valid numbers go to the recipient ledger.

A list is a CSV file with a phone column (any of its aliases), or one number per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from wacost.campaign import DEFAULT_BLOCK_SIZE, inspect_campaign, mask_digits, read_batches
from wacost.counting.ledger import _OPTED_OUT, RecipientLedger
from wacost.counting.true_lines import _on_true_line
from wacost.errors import InputFileError, literal
from wacost.numbers.resolver import NumberResolver


def read_exclusions(
    paths: Iterable[Path],
    resolver: NumberResolver,
    ledger: RecipientLedger,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> int:
    """Put the valid numbers of opt-out lists in the ledger; how many entries were not valid.

    A list is a CSV file with a phone column (any of its aliases), or one number per line.
    """
    invalid = 0
    for path in paths:
        if not path.exists():
            raise InputFileError(
                f"{{0}} {literal(path)}: no such file", "check the opt-out list's path", "exclude"
            )
        if path.is_dir():
            raise InputFileError(
                f"{{0}} {literal(path)}: is a directory", "name the opt-out list's file", "exclude"
            )
        for phones in _exclusion_columns(path, block_size):
            resolved = resolver.resolve(phones)
            ledger.add(resolved.numbers[resolved.valid_mask], _OPTED_OUT, 0)
            invalid += int(np.count_nonzero(resolved.present & ~resolved.valid_mask))
    return invalid


# The first line of a list of one number per line: a number, maybe with tel: or whatsapp:.
_NUMBER_LINE = re.compile(
    r"\s*(?:tel:|whatsapp:)?\s*\+?[\s\d().\-/\u00a0]*\d[\s\d().\-/\u00a0]*", re.I
)


def _exclusion_columns(path: Path, block_size: int) -> Iterator[pa.Array]:
    try:
        source = inspect_campaign(path, require_columns=False)
    except InputFileError:
        source = None  # empty, or not text wacost can sniff: read as one number per line
    if source is not None and source.has_phone:
        try:
            for batch in read_batches(source, 0, block_size):
                yield batch.columns["phone"]
        except InputFileError as error:  # counted a line a row: the file's own line
            raise _on_true_line(error, source) from None
        return
    if source is not None and not (
        len(source.header) == 1 and _NUMBER_LINE.fullmatch(source.header[0])
    ):
        # A header without a phone column: reading it as one number per line would exclude
        # nobody, and opted-out people would be priced as sent.
        shown = ", ".join(repr(mask_digits(h)) for h in source.header[:8])
        raise InputFileError(
            f"{{0}} {literal(path)}: no phone column in the header (found {literal(shown)})",
            "name the column phone (or wa_id, to, msisdn, recipient, phone_number, mobile), "
            "or give one number per line",
            "exclude",
        )
    # one number per line: every line is one field, whatever commas or quotes it holds
    try:
        reader = pacsv.open_csv(
            source.source() if source is not None else path,
            read_options=pacsv.ReadOptions(column_names=["phone"], block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False),
            convert_options=pacsv.ConvertOptions(
                column_types={"phone": pa.string()}, strings_can_be_null=False
            ),
        )
        for record_batch in reader:
            yield record_batch.column("phone")
    except FileNotFoundError:
        raise InputFileError(
            f"{{0}} {literal(path)}: no such file", "check the opt-out list's path", "exclude"
        ) from None
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError) as exc:
        first = mask_digits(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise InputFileError(
            f"{{0}} {literal(path)}: cannot read the opt-out list ({literal(first)})",
            "give a CSV file with a phone column, or one number per line in UTF-8",
            "exclude",
        ) from None
