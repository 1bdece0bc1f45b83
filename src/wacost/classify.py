"""Put a WhatsApp message template in Meta's categories, with reasons.

The classifier follows Meta's published categorization rules:

* **authentication** is a one-time passcode and nothing else (an OTP button, or OTP
  wording with no other content);
* **utility** is non-promotional and specific to the user's own order, account,
  booking or request (or essential to them);
* anything mixed (an order update with a coupon) or unclear (only ``{{1}}``,
  "Congratulations!") is **marketing**.

Every word and phrase it looks for, and how much each weighs, lives in YAML files in
``wacost/classifier_data`` that users can read and extend (see
:func:`load_classifier_rules`). The code below only knows the *structure* of a template
(components, buttons, placeholders) and how to combine weighted signals into a verdict.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wacost.errors import WacostError

__all__ = [
    "CATEGORIES",
    "Classification",
    "ClassifierDataError",
    "ClassifierRules",
    "Signal",
    "classify_template",
    "classify_templates",
    "load_classifier_rules",
    "normalize_text",
]

MARKETING = "marketing"
UTILITY = "utility"
AUTHENTICATION = "authentication"
CATEGORIES: tuple[str, ...] = (MARKETING, UTILITY, AUTHENTICATION)

DATA_PACKAGE = "wacost"
DATA_FOLDER = "classifier_data"

# Threshold keys a data file may set, with their defaults (documented in signals.yaml).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "marketing": 1.0,
    "marketing_strong": 1.5,
    "utility": 1.0,
    "utility_outweighs_marketing": 3.0,
    "authentication": 1.5,
}

# Structural signals: what the *shape* of a template says, independent of its words.
# Their weights and reason texts can be overridden under `structural:` in a data file.
DEFAULT_STRUCTURAL: dict[str, dict[str, Any]] = {
    "otp_button": {
        "category": AUTHENTICATION,
        "weight": 3.0,
        "reason": "one-time code with {button}",
    },
    "security_recommendation": {
        "category": AUTHENTICATION,
        "weight": 1.0,
        "reason": "Meta's preset security notice (add_security_recommendation)",
    },
    "code_expiration": {
        "category": AUTHENTICATION,
        "weight": 1.0,
        "reason": "code expiry set in the footer (code_expiration_minutes)",
    },
    "coupon_button": {
        "category": MARKETING,
        "weight": 0.5,
        "reason": "copy-code button, usually a coupon: {quote}",
    },
    "catalog_button": {
        "category": MARKETING,
        "weight": 1.5,
        "reason": "shows products ({quote} button)",
    },
    "promo_component": {
        "category": MARKETING,
        "weight": 1.5,
        "reason": "promotional component ({quote})",
    },
}

# libyaml's safe loader when PyYAML was built with it: the word lists load ~10x faster.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLACEHOLDER_RE = re.compile(r"\{\{\s*[^{}]*?\s*\}\}")
_LETTER_RE = re.compile(r"[^\W\d_]")
_WHATSAPP_OTP_URL_RE = re.compile(r"whatsapp\.com/otp", re.IGNORECASE)
_ARABIC_TASHKEEL = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670", "\u0640"}
_ARABIC_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
_EXTRA_FOLD = {
    "ı": "i",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ł": "l",
    "’": "'",
    "‘": "'",
    "`": "'",
    "´": "'",
    "\u00a0": " ",
    "‐": "-",
    "‑": "-",
    "–": "-",
    "—": "-",
}


class ClassifierDataError(WacostError, ValueError):
    """A classifier data file (shipped or the user's) is unreadable or malformed.

    A :class:`~wacost.errors.WacostError`, so the CLI reports it as one line and exit 2;
    also a ``ValueError`` for callers that catch that. The message is kept on one line.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(" ".join(message.split()), hint)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line for a YAML syntax error: the problem and where it is."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(exc).split())


# --------------------------------------------------------------------------- text


@functools.lru_cache(maxsize=8192)
def _normalize_char(char: str) -> str:
    if char in _ARABIC_TASHKEEL:
        return ""
    if char in _ARABIC_FOLD:
        return _ARABIC_FOLD[char]
    if char in _EXTRA_FOLD:
        return _EXTRA_FOLD[char]
    if char.isascii():
        return char.lower()
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", char.casefold()):
        # Strip the accents of Latin letters (U+0300-U+036F); marks of other scripts
        # (Devanagari vowel signs, for one) carry meaning and stay.
        if "\u0300" <= part <= "\u036f":
            continue
        out.append(_EXTRA_FOLD.get(part, _ARABIC_FOLD.get(part, part)))
    return "".join(out)


def _normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalized text and, for each of its characters, the original index."""
    if text.isascii() and "`" not in text:
        # Fast path: plain ASCII only needs lower case, one character for one.
        return text.lower(), list(range(len(text)))
    pieces: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        piece = _normalize_char(char)
        pieces.append(piece)
        index.extend([position] * len(piece))
    return "".join(pieces), index


_SQUEEZE_RE = re.compile(r"\s+|\{\{[^{}]*\}\}")


def _prepare_text(text: str) -> tuple[str, list[int]]:
    """Normalize `text` for matching; runs of white space become one space and every
    placeholder ``{{1}}`` / ``{{first_name}}`` becomes ``{{}}``. Also return, for each
    character, its index in `text` (to quote the original words in reasons)."""
    normalized, index = _normalize_with_map(text)
    pieces: list[str] = []
    mapped: list[int] = []
    last = 0
    for match in _SQUEEZE_RE.finditer(normalized):
        pieces.append(normalized[last : match.start()])
        mapped.extend(index[last : match.start()])
        replacement = " " if match.group(0)[0].isspace() else "{{}}"
        pieces.append(replacement)
        mapped.extend([index[match.start()]] * (len(replacement) - 1) + [index[match.end() - 1]])
        last = match.end()
    pieces.append(normalized[last:])
    mapped.extend(index[last:])
    return "".join(pieces), mapped


def normalize_text(text: str) -> str:
    """Return `text` as the classifier matches it.

    Lower case (Unicode case folding, so ``ß`` is ``ss``), accents and diacritics removed
    from Latin letters (``código`` -> ``codigo``, Turkish ``ı`` -> ``i``), Arabic short
    vowels and tatweel removed and alef/yeh/teh-marbuta forms folded. Terms in data files
    go through the same function, so they can be written with or without accents.
    """
    return _normalize_with_map(text)[0]


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Signal:
    """One kind of evidence: a group of terms that all say the same thing."""

    key: str
    category: str
    weight: float
    reason: str
    scope: str = "text"  # "text" (body, header, footer, button labels) or "urls"
    not_otp: bool = False  # a code of this kind is not a one-time passcode
    terms: tuple[tuple[str, float], ...] = ()


class _TrieNode:
    __slots__ = ("children", "ends")

    def __init__(self) -> None:
        self.children: dict[str, _TrieNode] = {}
        # (payload, open_end) for each term that ends at this node
        self.ends: list[tuple[int, bool]] = []


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _parse_literal(term: str) -> tuple[str, bool, bool]:
    """Return (normalized phrase, open start, open end) for a non-regex term."""
    text = _prepare_text(term.strip())[0].strip()
    open_start = text.startswith("*")
    open_end = text.endswith("*") and len(text) > 1
    text = text.strip("*").strip()
    if not text:
        raise ValueError("empty term")
    # A term that starts (ends) with punctuation, such as "% off", needs no word boundary.
    open_start = open_start or not _is_word(text[0])
    open_end = open_end or not _is_word(text[-1])
    return text, open_start, open_end


class _PhraseMatcher:
    """Finds many literal phrases at once: a character trie, plus one small regex that
    finds the positions where some phrase may start (so Python walks the trie only
    there). Every phrase found is reported, overlapping ones included."""

    def __init__(self, entries: Sequence[tuple[str, bool, bool, int]]) -> None:
        self._closed = _TrieNode()  # phrases that must start at a word boundary
        self._open = _TrieNode()  # phrases that may start inside a word
        closed_prefixes: set[str] = set()
        open_prefixes: set[str] = set()
        for text, open_start, open_end, payload in entries:
            node = self._open if open_start else self._closed
            for char in text:
                node = node.children.setdefault(char, _TrieNode())
            node.ends.append((payload, open_end))
            (open_prefixes if open_start else closed_prefixes).add(text[:3])
        parts = []
        if closed_prefixes:
            parts.append(r"(?<!\w)(?=" + _prefix_regex(closed_prefixes) + ")")
        if open_prefixes:
            parts.append("(?=" + _prefix_regex(open_prefixes) + ")")
        self._starts = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """Return (start, end, payload) for every phrase occurrence in `text`."""
        found: list[tuple[int, int, int]] = []
        if self._starts is None:
            return found
        length = len(text)
        for match in self._starts.finditer(text):
            start = match.start()
            roots = [self._open]
            if start == 0 or not _is_word(text[start - 1]):
                roots.append(self._closed)
            for node in roots:
                position = start
                while position < length:
                    next_node = node.children.get(text[position])
                    if next_node is None:
                        break
                    node = next_node
                    position += 1
                    for payload, open_end in node.ends:
                        if open_end or position == length or not _is_word(text[position]):
                            found.append((start, position, payload))
        return found


def _prefix_regex(prefixes: Iterable[str]) -> str:
    """A regex matching any of `prefixes`, shaped as a trie so it fails fast."""
    tree: dict[str, Any] = {}
    for prefix in prefixes:
        node = tree
        for char in prefix:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # a shorter prefix already matches: the longer ones add nothing
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return render(tree)


@dataclass(frozen=True)
class _Matcher:
    """All terms of one scope (text or URLs), compiled once per rule set."""

    phrases: _PhraseMatcher
    payloads: tuple[tuple[int, float], ...]  # payload -> (signal index, weight)
    regexes: tuple[tuple[int, re.Pattern[str], float], ...]  # (signal index, regex, weight)

    def find(self, text: str) -> list[tuple[int, int, int, float]]:
        """Return (start, end, signal index, weight) for every term found in `text`."""
        hits = [
            (start, end, *self.payloads[payload]) for start, end, payload in self.phrases.find(text)
        ]
        for signal_index, pattern, weight in self.regexes:
            for match in pattern.finditer(text):
                if match.end() > match.start():
                    hits.append((match.start(), match.end(), signal_index, weight))
        return hits


def _compile_matcher(signals: Sequence[Signal], scope: str, hint: str) -> _Matcher:
    entries: list[tuple[str, bool, bool, int]] = []
    payloads: list[tuple[int, float]] = []
    regexes: list[tuple[int, re.Pattern[str], float]] = []
    for index, signal in enumerate(signals):
        if signal.scope != scope:
            continue
        for term, weight in signal.terms:
            try:
                if term.startswith("re:"):
                    regexes.append((index, re.compile(term[3:].strip()), weight))
                    continue
                text, open_start, open_end = _parse_literal(term)
            except (re.error, ValueError) as exc:
                raise ClassifierDataError(
                    f"{hint}: signal {signal.key!r}: bad term {term!r}: {exc}"
                ) from None
            entries.append((text, open_start, open_end, len(payloads)))
            payloads.append((index, weight))
    return _Matcher(_PhraseMatcher(entries), tuple(payloads), tuple(regexes))


@dataclass(frozen=True)
class ClassifierRules:
    """Compiled word lists, weights and thresholds. Build with :func:`load_classifier_rules`."""

    signals: tuple[Signal, ...]
    thresholds: Mapping[str, float]
    structural: Mapping[str, Mapping[str, Any]]
    ignore: tuple[str, ...]
    sources: tuple[str, ...]
    _text_matcher: _Matcher | None = field(repr=False, compare=False, default=None)
    _url_matcher: _Matcher | None = field(repr=False, compare=False, default=None)
    _ignore_matcher: _Matcher | None = field(repr=False, compare=False, default=None)


def _data_files() -> list[tuple[str, str]]:
    folder = resources.files(DATA_PACKAGE) / DATA_FOLDER
    found = [
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith((".yaml", ".yml")) and entry.is_file()
    ]
    # signals.yaml defines the signals; load it first, then the rest by name.
    found.sort(key=lambda item: (item[0] != "signals.yaml", item[0]))
    return found


def _user_files(paths: Sequence[Path]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            members = [path]
        for member in members:
            try:
                found.append((str(member), member.read_text(encoding="utf-8")))
            except OSError as exc:
                raise ClassifierDataError(f"{member}: cannot read: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ClassifierDataError(f"{member}: not UTF-8 text") from None
    return found


def _as_weight(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClassifierDataError(f"{where}: weight must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ClassifierDataError(f"{where}: weight must be finite")
    return float(value)


class _RulesBuilder:
    def __init__(self) -> None:
        self.definitions: dict[str, dict[str, Any]] = {}
        self.terms: dict[str, list[tuple[str, float | None]]] = {}
        self.thresholds = dict(DEFAULT_THRESHOLDS)
        self.structural = {key: dict(value) for key, value in DEFAULT_STRUCTURAL.items()}
        self.ignore: list[str] = []
        self.sources: list[str] = []

    def add(self, name: str, text: str) -> None:
        try:
            data = yaml.load(text, Loader=_YAML_LOADER)  # a safe loader (C or Python)
        except yaml.YAMLError as exc:
            raise ClassifierDataError(f"{name}: not valid YAML: {_yaml_problem(exc)}") from None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ClassifierDataError(f"{name}: top level must be a mapping")
        known = {
            "language",
            "description",
            "signals",
            "terms",
            "ignore",
            "thresholds",
            "structural",
        }
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ClassifierDataError(
                f"{name}: unknown key(s) {', '.join(unknown)} (expected: {', '.join(sorted(known))})"
            )
        self.sources.append(name)
        self._add_signals(name, data.get("signals") or {})
        self._add_terms(name, data.get("terms") or {})
        self._add_ignore(name, data.get("ignore") or [])
        self._add_thresholds(name, data.get("thresholds") or {})
        self._add_structural(name, data.get("structural") or {})

    def _add_signals(self, name: str, signals: object) -> None:
        if not isinstance(signals, dict):
            raise ClassifierDataError(f"{name}: 'signals' must be a mapping")
        for key, spec in signals.items():
            where = f"{name}: signals.{key}"
            if not isinstance(spec, dict):
                raise ClassifierDataError(f"{where}: must be a mapping")
            merged = dict(self.definitions.get(str(key), {}))
            for field_name, value in spec.items():
                if field_name == "category":
                    if value not in CATEGORIES:
                        raise ClassifierDataError(
                            f"{where}.category: must be one of {', '.join(CATEGORIES)}"
                        )
                elif field_name == "weight":
                    value = _as_weight(value, f"{where}.weight")
                elif field_name == "reason":
                    if not isinstance(value, str) or not value.strip():
                        raise ClassifierDataError(f"{where}.reason: must be text")
                elif field_name == "scope":
                    if value not in ("text", "urls"):
                        raise ClassifierDataError(f"{where}.scope: must be 'text' or 'urls'")
                elif field_name == "not_otp":
                    if not isinstance(value, bool):
                        raise ClassifierDataError(f"{where}.not_otp: must be true or false")
                elif field_name == "terms":
                    self._add_terms(name, {key: value})
                    continue
                else:
                    raise ClassifierDataError(f"{where}: unknown field {field_name!r}")
                merged[field_name] = value
            self.definitions[str(key)] = merged

    def _add_terms(self, name: str, terms: object) -> None:
        if not isinstance(terms, dict):
            raise ClassifierDataError(f"{name}: 'terms' must be a mapping of signal -> list")
        for key, entries in terms.items():
            where = f"{name}: terms.{key}"
            if entries is None:
                continue
            if not isinstance(entries, list):
                raise ClassifierDataError(f"{where}: must be a list of terms")
            bucket = self.terms.setdefault(str(key), [])
            for entry in entries:
                if isinstance(entry, (str, int, float)) and not isinstance(entry, bool):
                    bucket.append((str(entry), None))
                elif isinstance(entry, dict) and "term" in entry:
                    weight = entry.get("weight")
                    bucket.append(
                        (str(entry["term"]), None if weight is None else _as_weight(weight, where))
                    )
                else:
                    raise ClassifierDataError(
                        f"{where}: each term is text or {{term: ..., weight: ...}}, got {entry!r}"
                    )

    def _add_ignore(self, name: str, ignore: object) -> None:
        if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
            raise ClassifierDataError(f"{name}: 'ignore' must be a list of phrases")
        self.ignore.extend(ignore)

    def _add_thresholds(self, name: str, thresholds: object) -> None:
        if not isinstance(thresholds, dict):
            raise ClassifierDataError(f"{name}: 'thresholds' must be a mapping")
        for key, value in thresholds.items():
            if key not in DEFAULT_THRESHOLDS:
                raise ClassifierDataError(
                    f"{name}: thresholds.{key}: unknown (known: {', '.join(DEFAULT_THRESHOLDS)})"
                )
            self.thresholds[key] = _as_weight(value, f"{name}: thresholds.{key}")

    def _add_structural(self, name: str, structural: object) -> None:
        if not isinstance(structural, dict):
            raise ClassifierDataError(f"{name}: 'structural' must be a mapping")
        for key, spec in structural.items():
            if key not in DEFAULT_STRUCTURAL:
                raise ClassifierDataError(
                    f"{name}: structural.{key}: unknown (known: {', '.join(DEFAULT_STRUCTURAL)})"
                )
            if not isinstance(spec, dict):
                raise ClassifierDataError(f"{name}: structural.{key}: must be a mapping")
            if "weight" in spec:
                self.structural[key]["weight"] = _as_weight(
                    spec["weight"], f"{name}: structural.{key}"
                )
            if "reason" in spec:
                self.structural[key]["reason"] = str(spec["reason"])

    def build(self) -> ClassifierRules:
        signals: list[Signal] = []
        for key in sorted(set(self.terms) - set(self.definitions)):
            raise ClassifierDataError(
                f"terms for unknown signal {key!r}: define it under 'signals:' "
                "(category, weight, reason)"
            )
        for key, spec in self.definitions.items():
            for required in ("category", "weight", "reason"):
                if required not in spec:
                    raise ClassifierDataError(f"signal {key!r} has no {required!r}")
            weight = float(spec["weight"])
            seen: set[str] = set()
            terms: list[tuple[str, float]] = []
            for term, term_weight in self.terms.get(key, []):
                if term in seen:
                    continue
                seen.add(term)
                terms.append((term, weight if term_weight is None else term_weight))
            signals.append(
                Signal(
                    key=key,
                    category=str(spec["category"]),
                    weight=weight,
                    reason=str(spec["reason"]),
                    scope=str(spec.get("scope", "text")),
                    not_otp=bool(spec.get("not_otp", False)),
                    terms=tuple(terms),
                )
            )
        hint = ", ".join(self.sources) or "classifier data"
        ignore_signal = Signal(
            key="ignore",
            category=MARKETING,
            weight=0.0,
            reason="",
            terms=tuple((phrase, 0.0) for phrase in self.ignore),
        )
        return ClassifierRules(
            signals=tuple(signals),
            thresholds=dict(self.thresholds),
            structural={key: dict(value) for key, value in self.structural.items()},
            ignore=tuple(self.ignore),
            sources=tuple(self.sources),
            _text_matcher=_compile_matcher(signals, "text", hint),
            _url_matcher=_compile_matcher(signals, "urls", hint),
            _ignore_matcher=_compile_matcher([ignore_signal], "text", hint),
        )


def load_classifier_rules(extra_paths: Sequence[Path] = ()) -> ClassifierRules:
    """Return the shipped word lists merged with the user's YAML files, compiled.

    Each path in `extra_paths` is a YAML file or a folder of them, read after the shipped
    data: terms are added to a signal's list, a signal's `category`, `weight` or `reason`
    replaces the shipped one, new signals and `ignore` phrases are added, thresholds are
    replaced. Raises :class:`ClassifierDataError` naming the file and key on bad data.
    """
    builder = _RulesBuilder()
    for name, text in _data_files():
        builder.add(f"classifier_data/{name}", text)
    for name, text in _user_files(extra_paths):
        builder.add(name, text)
    return builder.build()


_DEFAULT_RULES: ClassifierRules | None = None


def _default_rules() -> ClassifierRules:
    global _DEFAULT_RULES
    if _DEFAULT_RULES is None:
        _DEFAULT_RULES = load_classifier_rules()
    return _DEFAULT_RULES


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Classification:
    """The classifier's verdict on one template."""

    name: str
    language: str | None
    declared_category: str | None  # lower case, as the definition carries it, or None
    category: str  # the verdict: "marketing", "utility" or "authentication"
    confidence: float  # 0.0-1.0, rounded to 2 decimals
    reasons: tuple[str, ...]

    @property
    def disagrees(self) -> bool:
        """True when the template declares a category other than the verdict."""
        return self.declared_category is not None and self.declared_category != self.category

    @property
    def recategorization_risk(self) -> bool:
        """True when a utility or authentication template reads as marketing.

        Meta re-categorizes such templates to MARKETING (and bills them as marketing).
        """
        return self.declared_category in (UTILITY, AUTHENTICATION) and self.category == MARKETING

    def to_dict(self) -> dict[str, object]:
        """Return the `classify --format json` object for this template."""
        return {
            "name": self.name,
            "language": self.language,
            "declared_category": self.declared_category,
            "category": self.category,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "recategorization_risk": self.recategorization_risk,
        }


# --------------------------------------------------------------------------- template


@dataclass
class _Parts:
    texts: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    otp_buttons: list[str] = field(default_factory=list)
    copy_code_buttons: list[str] = field(default_factory=list)
    catalog_buttons: list[str] = field(default_factory=list)
    promo_components: list[str] = field(default_factory=list)
    security_recommendation: bool = False
    code_expiration: bool = False


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _upper(value: object) -> str:
    return value.strip().upper() if isinstance(value, str) else ""


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _read_button(button: Mapping[str, Any], parts: _Parts, declared: str | None) -> None:
    kind = _upper(button.get("type"))
    label = _text(button.get("text"))
    url = _text(button.get("url"))
    if label:
        parts.texts.append(label)
    if url:
        parts.urls.append(url)
    otp_type = _upper(button.get("otp_type"))
    if kind == "OTP":
        parts.otp_buttons.append(f"an OTP button ({(otp_type or 'OTP').lower().replace('_', '-')})")
    elif kind == "URL" and url and _WHATSAPP_OTP_URL_RE.search(url):
        parts.otp_buttons.append("an OTP button (WhatsApp OTP link)")
    elif kind == "COPY_CODE":
        if declared == AUTHENTICATION:
            parts.otp_buttons.append("a copy-code button")
        else:
            parts.copy_code_buttons.append(label or "copy code")
    elif kind in ("CATALOG", "MPM", "SPM"):
        parts.catalog_buttons.append(label or kind.lower())


def _read_template(template: Mapping[str, Any], declared: str | None) -> _Parts:
    parts = _Parts()
    for component in _as_list(template.get("components")):
        if not isinstance(component, Mapping):
            continue
        kind = _upper(component.get("type"))
        if kind in ("HEADER", "BODY", "FOOTER"):
            text = _text(component.get("text"))
            if text:
                parts.texts.append(text)
            if kind == "BODY" and component.get("add_security_recommendation") is True:
                parts.security_recommendation = True
            if kind == "FOOTER":
                minutes = component.get("code_expiration_minutes")
                if isinstance(minutes, (int, float)) and not isinstance(minutes, bool):
                    parts.code_expiration = True
        elif kind == "BUTTONS":
            for button in _as_list(component.get("buttons")):
                if isinstance(button, Mapping):
                    _read_button(button, parts, declared)
        elif kind in ("CAROUSEL", "LIMITED_TIME_OFFER"):
            parts.promo_components.append(kind.lower().replace("_", "-"))
            offer = component.get("limited_time_offer")
            if isinstance(offer, Mapping):
                parts.texts.append(_text(offer.get("text")))
            for card in _as_list(component.get("cards")):
                if isinstance(card, Mapping):
                    for inner in _as_list(card.get("components")):
                        if isinstance(inner, Mapping):
                            parts.texts.append(_text(inner.get("text")))
    parts.texts = [text for text in parts.texts if text]
    return parts


# --------------------------------------------------------------------------- scoring


@dataclass
class _Hit:
    key: str
    category: str
    weight: float
    reason: str
    quotes: list[str]
    not_otp: bool = False

    def describe(self) -> str:
        if not self.quotes:
            return self.reason
        if "{quote}" in self.reason:
            return self.reason.replace("{quote}", f'"{self.quotes[0]}"')
        shown = ", ".join(f'"{quote}"' for quote in self.quotes[:2])
        return f"{self.reason}: {shown}"


def _quote(original: str, index: list[int], start: int, end: int) -> str:
    if start >= end or not index:
        return ""
    snippet = original[index[start] : index[min(end, len(index)) - 1] + 1]
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= 60 else snippet[:57] + "..."


def _drop_contained(
    rules: ClassifierRules, found: list[tuple[int, int, int, float]]
) -> list[tuple[int, int, int, float]]:
    """Drop finds that lie inside a longer find of another category, sorted by position.

    The longer phrase says what the word means there: "free shipping" is an offer, not a
    shipping update; "complete your order" is a cart reminder, not an order update.
    """
    kept: list[tuple[int, int, int, float]] = []
    for start, end, signal_index, weight in found:
        category = rules.signals[signal_index].category
        inside = any(
            other_start <= start
            and end <= other_end
            and other_end - other_start > end - start
            and rules.signals[other_index].category != category
            for other_start, other_end, other_index, _ in found
        )
        if not inside:
            kept.append((start, end, signal_index, weight))
    return sorted(kept)


def _match_signals(rules: ClassifierRules, text: str, urls: str) -> list[_Hit]:
    prepared_text, text_index = _prepare_text(text)
    if rules._ignore_matcher is not None:
        # Blank out harmless idioms ("feel free to call us") before looking for signals.
        blanks = rules._ignore_matcher.find(prepared_text)
        if blanks:
            chars = list(prepared_text)
            for start, end, _, _ in blanks:
                chars[start:end] = " " * (end - start)
            prepared_text = "".join(chars)
    found: dict[int, tuple[float, list[tuple[int, int, str]]]] = {}
    scopes: list[tuple[_Matcher | None, str, str, list[int]]] = [
        (rules._text_matcher, prepared_text, text, text_index)
    ]
    if urls:
        prepared_urls, url_index = _prepare_text(urls)
        scopes.append((rules._url_matcher, prepared_urls, urls, url_index))
    for matcher, haystack, original, index in scopes:
        if matcher is None or not haystack:
            continue
        for start, end, signal_index, weight in _drop_contained(rules, matcher.find(haystack)):
            best, spans = found.setdefault(signal_index, (0.0, []))
            found[signal_index] = (max(best, weight), spans)
            # Keep the longest of overlapping finds: quote "10% off", not also "% off".
            if any(s <= start and end <= e for s, e, _ in spans):
                continue
            spans[:] = [span for span in spans if not (start <= span[0] and span[1] <= end)]
            word_start, word_end = start, end
            # Quote whole words: "Bienvenido", not the term's stem "bienvenid".
            while (
                word_start > 0
                and _is_word(haystack[word_start - 1])
                and _is_word(haystack[word_start])
            ):
                word_start -= 1
            while (
                word_end < len(haystack)
                and _is_word(haystack[word_end])
                and _is_word(haystack[word_end - 1])
            ):
                word_end += 1
            spans.append((start, end, _quote(original, index, word_start, word_end)))
    hits: list[_Hit] = []
    for signal_index, (weight, spans) in sorted(found.items()):
        signal = rules.signals[signal_index]
        quotes: list[str] = []
        for _, _, quote in spans:
            if quote and quote.casefold() not in (q.casefold() for q in quotes):
                quotes.append(quote)
        if weight > 0 and quotes:
            hits.append(
                _Hit(signal.key, signal.category, weight, signal.reason, quotes, signal.not_otp)
            )
    return hits


def _structural_hit(
    rules: ClassifierRules, key: str, quote: str | None = None, button: str | None = None
) -> _Hit:
    spec = rules.structural[key]
    reason = str(spec["reason"])
    if button is not None:
        reason = reason.replace("{button}", button)
    quotes = [quote] if quote else []
    return _Hit(key, str(spec["category"]), float(spec["weight"]), reason, quotes)


def _score(hits: Iterable[_Hit], category: str) -> float:
    return sum(hit.weight for hit in hits if hit.category == category)


def _ordered(hits: list[_Hit], category: str) -> list[_Hit]:
    return sorted((hit for hit in hits if hit.category == category), key=lambda hit: -hit.weight)


def _confidence(value: float) -> float:
    return round(min(0.99, max(0.3, value)), 2)


def _declared(template: Mapping[str, Any]) -> str | None:
    value = template.get("category")
    if isinstance(value, str) and value.strip().lower() in CATEGORIES:
        return value.strip().lower()
    return None


def classify_template(
    template: Mapping[str, Any], rules: ClassifierRules | None = None
) -> Classification:
    """Return the category Meta would most likely give `template`, with reasons.

    `template` is one object of Meta's ``GET /<WABA_ID>/message_templates`` response.
    Missing or odd fields are treated as absent; this never raises on template content.
    """
    if rules is None:
        rules = _default_rules()
    if not isinstance(template, Mapping):
        template = {}
    name = _text(template.get("name")) or "(unnamed)"
    language = _text(template.get("language")) or None
    declared = _declared(template)
    parts = _read_template(template, declared)

    text = "\n".join(parts.texts)
    hits = _match_signals(rules, text, "\n".join(parts.urls))
    for button in parts.otp_buttons[:1]:
        hits.append(_structural_hit(rules, "otp_button", button=button))
    if parts.security_recommendation:
        hits.append(_structural_hit(rules, "security_recommendation"))
    if parts.code_expiration:
        hits.append(_structural_hit(rules, "code_expiration"))
    if parts.copy_code_buttons:
        hits.append(_structural_hit(rules, "coupon_button", quote=parts.copy_code_buttons[0]))
    if parts.catalog_buttons:
        hits.append(_structural_hit(rules, "catalog_button", quote=parts.catalog_buttons[0]))
    if parts.promo_components:
        hits.append(_structural_hit(rules, "promo_component", quote=parts.promo_components[0]))

    category, confidence, reasons = _decide(rules, hits, parts, text)
    return Classification(
        name=name,
        language=language,
        declared_category=declared,
        category=category,
        confidence=_confidence(confidence),
        reasons=tuple(reasons),
    )


def classify_templates(
    templates: Iterable[Mapping[str, Any]], rules: ClassifierRules | None = None
) -> list[Classification]:
    """Classify many templates with one compiled rule set."""
    if rules is None:
        rules = _default_rules()
    return [classify_template(template, rules) for template in templates]


def _decide(
    rules: ClassifierRules, hits: list[_Hit], parts: _Parts, text: str
) -> tuple[str, float, list[str]]:
    limits = rules.thresholds
    otp_button = any(hit.key == "otp_button" for hit in hits)
    code_not_otp = [hit for hit in hits if hit.not_otp]
    auth_hits = _ordered(hits, AUTHENTICATION)
    if code_not_otp and not otp_button:
        # A pickup code, booking reference or gift-card code is not a one-time passcode:
        # drop the OTP wording it triggered ("do not share this code").
        hits = [hit for hit in hits if hit.category != AUTHENTICATION]
        auth_hits = []
    marketing_hits = _ordered(hits, MARKETING)
    utility_hits = _ordered(hits, UTILITY)
    m = _score(hits, MARKETING)
    u = _score(hits, UTILITY)
    a = _score(hits, AUTHENTICATION)
    described_m = [hit.describe() for hit in marketing_hits]
    described_u = [hit.describe() for hit in utility_hits]
    described_a = [hit.describe() for hit in auth_hits]

    # Authentication: a one-time code and nothing else.
    if otp_button or a >= limits["authentication"]:
        if m >= limits["marketing"]:
            return (
                MARKETING,
                0.7 + 0.05 * min(m, 4.0),
                (
                    described_m
                    + described_a
                    + ["one-time code mixed with promotional content: counts as marketing"]
                ),
            )
        if otp_button:
            extra = (
                ["also carries other content: " + "; ".join(described_u)]
                if u >= limits["utility"]
                else []
            )
            confidence = 0.97 if u < limits["utility"] else 0.85
            return AUTHENTICATION, confidence, described_a + extra
        if u <= a or u < limits["utility_outweighs_marketing"]:
            confidence = 0.6 + 0.1 * min(a, 3.5) - 0.08 * u
            return (
                AUTHENTICATION,
                confidence,
                [*described_a, "one-time code wording with no other purpose (no OTP button found)"],
            )
        # Lots of order/booking content next to a code: a utility message that has a code.
        return (
            UTILITY,
            0.55,
            [
                *described_u,
                "mentions a code, but the message is about the user's own order or booking",
            ],
        )

    # Mixed or promotional content is marketing, even next to an order update.
    if m >= limits["marketing_strong"] or (
        m >= limits["marketing"] and u < limits["utility_outweighs_marketing"]
    ):
        reasons = list(described_m)
        if u >= limits["utility"]:
            reasons.append(
                "also " + "; ".join(described_u) + " (mixed content counts as marketing)"
            )
            confidence = 0.6 + 0.08 * m - 0.05 * u
        else:
            confidence = 0.62 + 0.1 * m
        return MARKETING, confidence, reasons

    if u >= limits["utility"]:
        reasons = list(described_u)
        if m > 0:
            reasons.append("weak promotional hint outweighed: " + "; ".join(described_m))
        else:
            reasons.append("nothing promotional")
        confidence = 0.55 + 0.1 * min(u, 4.0) - 0.15 * m
        return UTILITY, confidence, reasons

    # Unclear: Meta puts templates with no clear purpose in marketing.
    reasons = list(described_m)
    if described_u:
        reasons.append("too little to make it utility: " + "; ".join(described_u))
    stripped = _PLACEHOLDER_RE.sub(" ", text)
    if not _LETTER_RE.search(stripped):
        placeholder = _PLACEHOLDER_RE.search(text)
        shown = f' ("{placeholder.group(0)}")' if placeholder else ""
        reasons.append(
            f"no real content, only placeholders{shown}: unclear content is marketing"
            if text.strip()
            else "no text to judge: unclear content is marketing"
        )
        return MARKETING, 0.5, reasons
    if m > 0:
        return MARKETING, 0.55 + 0.1 * m, reasons
    reasons.append("no clear transactional or one-time-code purpose: unclear content is marketing")
    return MARKETING, 0.45 + 0.05 * u, reasons
