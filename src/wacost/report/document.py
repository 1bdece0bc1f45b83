"""The only doors between an `Estimate` and JSON: `to_json` / `to_dict` and `from_json` / `from_dict`.

Loading validates the whole document (the schema name, every field's type, amounts as exact
decimal strings), so `wacost report` never renders a tampered or truncated file blindly; the
error names the file and the field.
"""

from __future__ import annotations

import json
from typing import Any

from wacost.errors import InputFileError
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


def from_dict(data: object, where: str = "report") -> Estimate:
    """An `Estimate` from a JSON-shaped dict, validated; an InputFileError names the field."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputFileError(f"{where}: schema: not a {SCHEMA} report", _HINT)
    try:
        estimate = decode(Estimate, data)
        check(estimate)
        return estimate
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
