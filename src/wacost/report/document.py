"""The only doors between an `Estimate` and JSON: `to_json` / `to_dict` and `from_json` / `from_dict`.

Loading validates the whole document (the schema name, every field's type, amounts as exact
decimal strings), so `wacost report` never renders a tampered or truncated file blindly; the
error names the file and the field. It masks phone-like digit runs in the free text a
hand-edited file may hold (messages, notes, names), as wacost masks them everywhere else.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from wacost.errors import InputFileError
from wacost.masking import mask_phone_numbers
from wacost.models import Warning
from wacost.report.checks import check
from wacost.report.codec import DecodeError, decode, encode
from wacost.report.model import SCHEMA, Estimate

_HINT = "give a file written by estimate --format json"


def to_dict(estimate: Estimate) -> dict[str, Any]:
    """The estimate as the JSON-shaped dict of `wacost.estimate/1`."""
    data: dict[str, Any] = encode(estimate)
    return data


def to_json(estimate: Estimate) -> str:
    """The estimate as `wacost.estimate/1` JSON text (what `estimate --format json` writes)."""
    return json.dumps(to_dict(estimate), indent=2, ensure_ascii=False) + "\n"


def _masked_warnings(warnings: tuple[Warning, ...] | None) -> tuple[Warning, ...] | None:
    if warnings is None:
        return None
    return tuple(
        dataclasses.replace(
            warning,
            message=mask_phone_numbers(warning.message),
            example=None if warning.example is None else mask_phone_numbers(warning.example),
        )
        for warning in warnings
    )


def _masked(estimate: Estimate) -> Estimate:
    """`estimate` with phone-like runs masked in its free text: what wacost writes holds none
    (masked as counted), a hand-edited file may."""
    mask = mask_phone_numbers
    replace = dataclasses.replace
    unpriced, fx, fees, risk = (
        estimate.unpriced,
        estimate.fx,
        estimate.fees,
        estimate.recategorization_risk,
    )
    return replace(
        estimate,
        warnings=_masked_warnings(estimate.warnings) or (),
        notices=_masked_warnings(estimate.notices),
        by_template=tuple(
            replace(
                row,
                template=row.template and mask(row.template),
                language=row.language and mask(row.language),
            )
            for row in estimate.by_template
        ),
        recategorization_risk=risk
        and replace(
            risk,
            templates=tuple(
                replace(
                    row, template=mask(row.template), language=row.language and mask(row.language)
                )
                for row in risk.templates
            ),
        ),
        unpriced=unpriced
        and replace(
            unpriced, message=mask(unpriced.message), how_to_price=mask(unpriced.how_to_price)
        ),
        fx=fx and replace(fx, note=fx.note and mask(fx.note)),
        fees=fees and replace(fees, note=fees.note and mask(fees.note)),
    )


def from_dict(data: object, where: str = "report") -> Estimate:
    """An `Estimate` from a JSON-shaped dict, validated; an InputFileError names the field."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputFileError(f"{where}: schema: not a {SCHEMA} report", _HINT)
    try:
        estimate = decode(Estimate, data)
        check(estimate)
        return _masked(estimate)
    except DecodeError as error:
        raise InputFileError(
            f"{where}: {error.path}: {error.problem}",
            "save the report again with estimate --format json",
        ) from None


def from_json(text: str, where: str = "report") -> Estimate:
    """An `Estimate` from `wacost.estimate/1` JSON text, validated."""
    from wacost.files import parse_json

    return from_dict(parse_json(text, where, _HINT), where)


__all__ = ["from_dict", "from_json", "to_dict", "to_json"]
