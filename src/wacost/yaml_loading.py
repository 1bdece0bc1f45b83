"""PyYAML behind wacost.files.load_yaml_text: safe constructors only, aliases bounded, floats
as exact Decimals, a key written twice refused; libyaml's parser where it can be used safely.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from wacost.errors import InputFileError
from wacost.files import MAX_ALIASES, MAX_EXPANDED_NODES

# libyaml (PyYAML's C parser, where it is installed) reads a file with no anchor at all and of
# at most this many characters (far too few for MAX_EXPANDED_NODES values without aliases),
# about six times faster than the pure-Python parser. Anything else, and any error, goes to
# the bounded pure-Python loader, which names the problem.
FAST_YAML_CHARS = 250_000
_ANCHOR = re.compile(r"&\S")  # an anchor is `&name`: without one, no alias can expand
# libyaml's composer recurses in C, without Python's recursion limit: tens of thousands of nested
# collections ("[[[[...") overflow the C stack and kill the process. A file that may nest more
# deeply than this is read by the bounded loader, which says it is nested too deeply.
FAST_YAML_DEPTH = 200
# Where the two parsers were seen to read the same text differently (a tab as separation, a
# byte-order mark or Unicode line break inside the text, `?` in a flow collection's plain
# scalar, `#` right after a block scalar's indicator): the bounded loader reads it as before.
_DIVERGENT = re.compile("[\t\x85\u2028\u2029\ufeff?]|[|>][-+0-9]*#")
# What opens a nesting level on one line before its content: indentation and `- `/`? `/`: `.
_BLOCK_PREFIX = re.compile(r"^[ \t]*(?:[-?:][ \t]+)*", re.MULTILINE)


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


def _shallow(text: str) -> bool:
    """Whether `text` surely nests at most FAST_YAML_DEPTH collections."""
    flow = text.count("[") + text.count("{")
    block = max((len(m.group()) for m in _BLOCK_PREFIX.finditer(text)), default=0)
    if flow + 2 * (block + 1) <= FAST_YAML_DEPTH:  # a bound: each level needs one of these
        return True
    # Measured on libyaml's events (its parser keeps its own stack: no recursion).
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FastSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > FAST_YAML_DEPTH:
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, UnicodeError):
        return False  # the bounded loader words the error
    return True


def _load_fast(text: str) -> list[Any] | None:
    """[the data in `text`] read by libyaml, or None where the bounded loader must read it."""
    if _FastSafeLoader is None or len(text) > FAST_YAML_CHARS or _ANCHOR.search(text):
        return None
    if _DIVERGENT.search(text) or not _shallow(text):
        return None
    try:
        return [yaml.load(text, Loader=_FastSafeLoader)]
    except (yaml.YAMLError, RecursionError, UnicodeError):
        return None  # read again below, so that the error is worded as always


def _problem_line(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f":{mark.line + 1}"
    return ""


def load_yaml(text: str, where: str) -> Any:
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
