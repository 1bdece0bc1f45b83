"""The one door between typed values and JSON: frozen dataclasses <-> JSON-shaped dicts.

A field's JSON form follows from its type (int, str, bool, date, enum, nested dataclass, tuple,
`X | None`) and, for `Decimal`, from its metadata: `MONEY` (4 places, half up, as every amount of
the report), `RATE` (4 places like Meta's cards, or every place of a converted rate) or `NUMBER`
(the decimal as written: percentages, exchange rates). `OMIT` drops a field from the JSON when
it is None (an optional block); other None fields are written as null. `key` renames a field
(`from` is a Python keyword). Adding a field to a dataclass is all it takes to add it to the JSON.

Reading validates every field against its type and names the first wrong one by its path
(`totals.cost: not an amount`); unknown keys are allowed (a newer wacost may add fields).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, Final, TypeVar

from wacost.amounts import MAX_AMOUNT
from wacost.models import MONEY_PLACES, format_money

MONEY: Final[dict[str, str]] = {"kind": "money"}
RATE: Final[dict[str, str]] = {"kind": "rate"}
NUMBER: Final[dict[str, str]] = {"kind": "number"}
OMIT: Final[dict[str, bool]] = {"omit_none": True}

T = TypeVar("T")
_CANONICAL: Final = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,60})?")


class DecodeError(ValueError):
    """A JSON value that does not fit its field: `path` names the field, the message says why."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def rate_text(rate: Decimal) -> str:
    """A rate as text: 4 places like Meta's cards, or every place of a converted rate."""
    if rate == rate.quantize(MONEY_PLACES):
        return format_money(rate)
    return format(rate.normalize(), "f")  # never an exponent: a saved report reads it back


def number_text(value: Decimal) -> str:
    """A number as written, never rounded: a percentage (`76.5`), an exchange rate (`0.92`)."""
    return format(value, "f")


# How each kind of Decimal is written. The human formats show amounts through the same
# functions (see `wacost.render.common`), so a report rounds one way in every format.
_DECIMAL_TEXT: dict[str, Callable[[Decimal], str]] = {
    "money": format_money,
    "rate": rate_text,
    "number": number_text,
}


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(tp: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


def _json_key(field: dataclasses.Field[Any]) -> str:
    key: str = field.metadata.get("key", field.name)
    return key


def encode(value: Any, meta: Mapping[str, Any] | None = None) -> Any:
    """`value` (a dataclass, or anything inside one) as JSON-ready values."""
    if isinstance(value, Enum):  # before str: the enums are str-mixins
        return value.value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return _DECIMAL_TEXT[(meta or {}).get("kind", "number")](value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if field.name == "extra":
                out.update(item)
                continue
            if item is None and field.metadata.get("omit_none"):
                continue
            out[_json_key(field)] = encode(item, field.metadata)
        return out
    if isinstance(value, tuple | list):
        return [encode(item, meta) for item in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v, meta) for k, v in value.items()}
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(cls: type[T], data: object, path: str = "") -> T:
    """A `cls` from JSON-shaped `data`, validated; a DecodeError names the first wrong field."""
    result: T = _decode(cls, data, path, {})
    return result


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _decode(tp: Any, data: object, path: str, meta: Mapping[str, Any]) -> Any:
    tp, nullable = _optional(tp)
    if data is None:
        if nullable or tp is Any:
            return None
        raise DecodeError(path, "missing (null)")
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _decode_object(tp, data, path)
    if tp is bool:
        if not isinstance(data, bool):
            raise DecodeError(path, "not true or false")
        return data
    if tp is int:
        if not isinstance(data, int) or isinstance(data, bool) or data < 0:
            raise DecodeError(path, "not a whole number >= 0")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise DecodeError(path, "not text")
        return data
    if tp is Decimal:
        return _decode_decimal(data, path, meta)
    if tp is dt.date:
        if not isinstance(data, str):
            raise DecodeError(path, "not a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(data)
        except ValueError:
            raise DecodeError(path, f"{data[:40]!r} is not a date (YYYY-MM-DD)") from None
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError:
            choices = ", ".join(str(m.value) for m in tp)
            raise DecodeError(path, f"{str(data)[:40]!r} is not one of {choices}") from None
    if origin is tuple:
        if not isinstance(data, list):
            raise DecodeError(path, "not a list")
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{path}[{i}]", meta) for i, v in enumerate(data))
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(data, dict):
            raise DecodeError(path, "not an object")
        return data
    raise TypeError(f"{path}: cannot decode {tp!r}")


def _decode_decimal(data: object, path: str, meta: Mapping[str, Any]) -> Decimal:
    """A decimal as wacost writes it: digits, an optional point and sign, nothing else (no
    spaces, underscores, commas or exponents), and within the one amount rule's cap (10^15)."""
    if not isinstance(data, str) or not _CANONICAL.fullmatch(data):
        shown = f"{data[:40]!r} is not" if isinstance(data, str) else "not"
        raise DecodeError(path, f'{shown} an amount (a decimal string such as "12.5000")')
    try:
        value = Decimal(data)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise DecodeError(path, f"{data!r} is not an amount") from None
    if abs(value) > MAX_AMOUNT:
        raise DecodeError(path, f"{data[:40]!r} is not an amount from -10^15 to 10^15")
    return value


def _decode_object(cls: type, data: object, path: str) -> Any:
    if not isinstance(data, dict):
        raise DecodeError(path, "not an object")
    hints = _hints(cls)
    values: dict[str, Any] = {}
    known = set()
    for field in dataclasses.fields(cls):
        if field.name == "extra":
            continue
        key = _json_key(field)
        known.add(key)
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        if key not in data:
            if required:
                raise DecodeError(_where(path, key), "missing")
            continue
        values[field.name] = _decode(
            hints[field.name], data[key], _where(path, key), field.metadata
        )
    if any(f.name == "extra" for f in dataclasses.fields(cls)):
        values["extra"] = {k: v for k, v in data.items() if k not in known}
    return cls(**values)


__all__ = [
    "MONEY",
    "NUMBER",
    "OMIT",
    "RATE",
    "DecodeError",
    "decode",
    "encode",
    "number_text",
    "rate_text",
]
