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
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from wacost.errors import InputFileError

MAX_YAML_BYTES = 50 * 1024 * 1024
# Rate cards, fee profiles, policies: a few KiB each; a file of megabytes is refused by its
# size before any parsing (a 21 MB card would take minutes to parse).
MAX_SETTINGS_BYTES = 4 * 1024 * 1024
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 1_000_000
# libyaml (PyYAML's C parser, where it is installed) reads a file with no anchor at all and of
# at most this many characters (far too few for MAX_EXPANDED_NODES values without aliases),
# about six times faster than the pure-Python parser. Anything else, and any error, goes to
# the bounded pure-Python loader, which names the problem.
FAST_YAML_CHARS = 250_000
_ANCHOR = re.compile(r"&\S")  # an anchor is `&name`: without one, no alias can expand


class _BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that bounds aliases and the expanded size of the document; floats as Decimal.

    PyYAML shares an anchored node between its aliases, so loading a "billion laughs" file is
    cheap but anything that walks the result explodes. We count every node as it would be
    once expanded and stop at MAX_EXPANDED_NODES.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases_seen = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases_seen += 1
            if self._aliases_seen > MAX_ALIASES:
                raise _bomb(f"more than {MAX_ALIASES} aliases", self.peek_event())  # type: ignore[no-untyped-call]
        node = super().compose_node(parent, index)
        size = self._sizes.get(id(node))
        if size is None:
            if isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._sizes.get(id(child), 1) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                size = 1 + sum(
                    self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value
                )
            else:
                size = 1
            self._sizes[id(node)] = size
            if size > MAX_EXPANDED_NODES:
                raise _bomb(f"aliases expand to more than {MAX_EXPANDED_NODES:,} values", node)
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        _check_duplicates(node)
        return super().construct_mapping(node, deep)


def _check_duplicates(node: Any) -> None:
    """A key written twice in a mapping is an error naming it (the last would win silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicated key {key_node.value[:80]!r}", key_node.start_mark
                )
            seen.add(key)


def _bomb(problem: str, where: Any) -> yaml.YAMLError:
    mark = getattr(where, "start_mark", None)
    line = f" (line {mark.line + 1})" if mark is not None else ""
    return yaml.YAMLError(f"{problem}{line}; wacost refuses YAML alias bombs")


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text  # .inf / .nan: left as text so validation names it
    if not value.is_finite():
        return text
    return value


_BoundedSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)

_FastSafeLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _CSafeLoader(yaml.CSafeLoader):
        """libyaml's parser with the same constructors: duplicated keys refused, floats exact."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            _check_duplicates(node)
            return super().construct_mapping(node, deep)

    _CSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
    _FastSafeLoader = _CSafeLoader


def _load_fast(text: str) -> list[Any] | None:
    """[the data in `text`] read by libyaml, or None where the bounded loader must read it."""
    if _FastSafeLoader is None or len(text) > FAST_YAML_CHARS or _ANCHOR.search(text):
        return None
    try:
        return [yaml.load(text, Loader=_FastSafeLoader)]
    except (yaml.YAMLError, RecursionError):
        return None  # read again below, so that the error is worded as always


def _problem_line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f":{mark.line + 1}"
    return ""


def load_yaml_text(text: str, where: str) -> Any:
    """The data in `text`; `where` names the file in errors."""
    fast = _load_fast(text)
    if fast is not None:
        return fast[0]
    try:
        return yaml.load(text, Loader=_BoundedSafeLoader)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["error"])[0]
        raise InputFileError(
            f"{where}{_problem_line(exc)}: not valid YAML: {problem}",
            "fix the syntax; YAML files are data only",
        ) from None
    except RecursionError:
        raise InputFileError(f"{where}: YAML nested too deeply", "flatten the file") from None


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


def load_json_file(path: Path, what: str, hint: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The data in the JSON file at `path`; `what` names the kind of file in errors."""
    return parse_json(read_text_file(path, what, max_bytes), str(path), hint)
