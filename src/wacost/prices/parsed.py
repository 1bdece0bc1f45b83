"""The shipped price tables, pre-parsed: what YAML gives for each file, keyed by its SHA-256.

Parsing the shipped rate cards is most of a small estimate's own work, so their parsed data
ships next to them in `parsed_tables.json` (built by `scripts/build_parsed_tables.py`). The
YAML stays the source of truth: a file's text is hashed every time it is read, and only data
recorded for exactly that text is used; any other text (an edited card, a user's own table) is
parsed as always. Exact types survive the JSON: Decimal, date and non-text keys are tagged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from wacost.files import load_yaml_text

PARSED = Path(__file__).with_name("parsed_tables.json")
SCHEMA = "wacost.parsed-tables/1"


def digest(text: str) -> str:
    """The key of a file's text."""
    # surrogatepass: a text no file can hold (a lone surrogate) gets a key instead of an error
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1)
def _recorded() -> dict[str, Any]:
    try:
        document = json.loads(PARSED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # not shipped, or unreadable: every file is parsed
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        return {}
    files = document.get("files")
    return files if isinstance(files, dict) else {}


def load_table_text(text: str, where: str) -> Any:
    """The data in a price table's YAML `text` (recorded, where recorded for exactly it)."""
    entry = _recorded().get(digest(text))
    if entry is not None:
        return decode(entry["data"])
    return load_yaml_text(text, where)


class Uncacheable(ValueError):
    """A value the JSON record cannot hold exactly."""


def encode(value: Any) -> Any:
    """`value` (as the YAML loader gives it) as JSON data, its types tagged."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"$date": value.isoformat()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    raise Uncacheable(f"{type(value).__name__} {value!r:.40}")


def decode(value: Any) -> Any:
    """The inverse of `encode`: new objects on every call."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), *_ = value.items()
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$date":
            return dt.date.fromisoformat(inner)
        if tag == "$map":
            return {decode(k): decode(v) for k, v in inner}
    return {k: decode(v) for k, v in value.items()}
