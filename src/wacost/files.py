"""Reading input files: the one home for text, JSON and YAML (bounded, data only, exact decimals).

Every file is read through `read_text_file`, which reads at most `max_bytes` (a device such as
/dev/zero or a FIFO is cut off there, as a regular file is refused by its size) and names the
file in every error. JSON goes through `parse_json`, YAML through `load_yaml_text`.

A price table or template file is never code: only PyYAML's safe constructors run. A file
larger than MAX_YAML_BYTES, or one using more than MAX_ALIASES aliases (a "billion laughs"
bomb), fails fast with a clear error instead of eating memory. Floats are read as `Decimal`
from their text, so 0.0118 stays exactly 0.0118.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wacost.errors import InputFileError

MAX_YAML_BYTES = 50 * 1024 * 1024
# Rate cards, fee profiles, policies: a few KiB each; a file of megabytes is refused by its
# size before any parsing (a 21 MB card would take minutes to parse).
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 1_000_000


def load_yaml_text(text: str, where: str) -> Any:
    """The data in `text`; `where` names the file in errors (PyYAML is imported on first use:
    a run that reads no YAML, as an estimate with the shipped tables, never loads it)."""
    from wacost.yaml_loading import load_yaml

    return load_yaml(text, where)


def read_text_file(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The text of a UTF-8 (or UTF-16 with BOM) file, or an InputFileError saying why not.

    At most `max_bytes` are read, whatever the file is (a device or a FIFO has no size to check).
    """
    too_large = InputFileError(
        f"{path}: too large for a {what} file (limit {max_bytes} bytes)",
        "split it or check that it is the right file",
    )
    try:
        if path.is_dir():
            raise InputFileError(f"{path}: is a directory, not a {what} file", "name a file")
        if path.stat().st_size > max_bytes:
            raise too_large
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file", f"check the {what} path") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied", "check the file's permissions") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})", "check the path") from None
    if len(raw) > max_bytes:
        raise too_large
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not UTF-8 text (byte {exc.start})", f"save the {what} file as UTF-8"
        ) from None
    if "\x00" in text:
        raise InputFileError(f"{path}: contains NUL bytes", f"is it really a {what} file?")
    return text


def load_yaml_file(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The data in the YAML file at `path`; `what` names the kind of file in errors."""
    return load_yaml_text(read_text_file(path, what, max_bytes), str(path))


def parse_json(text: str, where: str, hint: str) -> Any:
    """The data in JSON `text`; `where` names the file in errors, `hint` says what to give."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})", hint
        ) from None
    except RecursionError:
        raise InputFileError(f"{where}: JSON nested too deeply", hint) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        raise InputFileError(f"{where}: not usable JSON ({str(exc)[:80]})", hint) from None
