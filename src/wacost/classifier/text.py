"""Read a template's parts and turn its text into normalized tokens that remember their source.

Normalization: lower case (Unicode case folding, so ``ß`` is ``ss``), accents removed from
Latin letters (``código`` -> ``codigo``, Turkish ``ı`` -> ``i``), Arabic short vowels and
tatweel removed and alef/yeh/teh-marbuta forms folded, Hebrew points removed; Devanagari,
Cyrillic, Hangul, kana and Thai keep their letters and marks (Hangul syllables and kana
stay composed). Every placeholder (``{{1}}``, ``{{first_name}}``) becomes the token ``{{}}``.

Words are runs of letters, except in scripts written without spaces between words (Chinese,
Japanese, Thai, Lao, Khmer, Myanmar): there a run becomes its overlapping character bigrams
("您的订单" -> "您的", "的订", "订单"; a lone character stays one token), each with its own span,
so a lexicon phrase of n characters is n - 1 consecutive bigrams. A Thai, Lao, Khmer or
Myanmar "character" is a letter with the marks that follow it. Korean has spaces: words
(a run of Hangul is a word of its own, so "10분" is "10" and "분").
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ARABIC_TASHKEEL = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670", "\u0640"}
# Hebrew cantillation and vowel points (not the maqaf, paseq, sof pasuq or nun hafukha).
_HEBREW_POINTS = {chr(c) for c in range(0x0591, 0x05C8)} - {"\u05be", "\u05c0", "\u05c3", "\u05c6"}
_ARABIC_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
_EXTRA_FOLD = {
    # the zero-width joiner only shapes a glyph (Marathi's eyelash ra, "र्\u200dह"): it must
    # not split the word (the non-joiner, a morpheme boundary in Persian, stays)
    "\u200d": "",
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
# Scripts written without spaces between words: Han (with its iteration marks), Hiragana,
# Katakana (with the prolonged sound mark), Thai, Lao, Myanmar, Khmer.
_UNSPACED = (
    "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
)
# A token: a placeholder, a run of unspaced-script characters (split into bigrams by
# `tokenize`), a run of Hangul, a run of letters/digits (with the marks of Indic scripts), or one other
# visible character (punctuation, a currency sign, an emoji).
# Hangul: spaced words, but a run of its own, so that a number or a Latin word written
# against it is a separate token ("10분" -> "10", "분"; "OTP를" -> "otp", "를").
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_TOKEN_PATTERN = (
    rf"\{{\{{\}}\}}|(?P<unspaced>[{_UNSPACED}]+)|[{_HANGUL}]+"
    rf"|(?:[^\W_{_UNSPACED}{_HANGUL}]|[\u0900-\u0dff])+|[^\s\w]|_"
)
# The same pattern for a text with no character from U+0E00 up (no unspaced script, no
# Hangul): its second and third branches cannot match and the fourth's class is [^\W_]
# there. Compiling the whole pattern costs ~3 ms (its classes cover tens of thousands of
# characters), so it is compiled only for a text that needs it (see tokenize).
_WIDE = "\u0e00"  # the lowest character of _UNSPACED and _HANGUL
_NARROW_TOKEN_RE = re.compile(r"\{\{\}\}|(?:[^\W_]|[\u0900-\u0dff])+|[^\s\w]|_")


@functools.cache
def token_re() -> re.Pattern[str]:
    """The tokenizer's pattern for any text (compiled on first use)."""
    return re.compile(_TOKEN_PATTERN)


# Scripts whose vowel and tone marks are separate code points: a letter and its marks are one
# character for the bigrams.
_CLUSTERED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
OTP_URL_RE = re.compile(r"whatsapp\.com/otp", re.IGNORECASE)


@functools.lru_cache(maxsize=8192)
def _normalize_char(char: str) -> str:
    if char in _ARABIC_TASHKEEL or char in _HEBREW_POINTS:
        return ""
    if "\u3040" <= char <= "\u30ff" or "\uac00" <= char <= "\ud7a3" or "\u0e00" <= char <= "\u0eff":
        # kana and Hangul stay composed (が, not か + a voicing mark; 한, not its jamo);
        # Thai and Lao stay as written (no case, no accents to strip)
        return char
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


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalized text and, for each of its characters, the original index."""
    if text.isascii() and "`" not in text:
        return text.lower(), list(range(len(text)))
    pieces: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        piece = _normalize_char(char)
        pieces.append(piece)
        index.extend([position] * len(piece))
    return "".join(pieces), index


def normalize_text(text: str) -> str:
    """Return `text` as the classifier reads it (see the module docstring)."""
    return normalize_with_map(text)[0]


_SQUEEZE_RE = re.compile(r"\s+|\{\{[^{}]*\}\}")


def prepare(text: str) -> tuple[str, list[int]]:
    """Normalize `text`; white space runs become one space, placeholders ``{{}}``. Also
    return, for each character, its index in `text` (to quote the original words)."""
    normalized, index = normalize_with_map(text)
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


Token = tuple[str, int, int]  # (normalized token, start, end) in the prepared text


def _units(run: str, start: int) -> list[tuple[int, int]]:
    """Spans of the characters of an unspaced run: a letter with its following marks."""
    if not _CLUSTERED.search(run):
        return [(start + i, start + i + 1) for i in range(len(run))]
    spans: list[tuple[int, int]] = []
    for i, char in enumerate(run):
        if spans and unicodedata.category(char).startswith("M"):
            spans[-1] = (spans[-1][0], start + i + 1)
        else:
            spans.append((start + i, start + i + 1))
    return spans


def tokenize(prepared: str) -> list[Token]:
    """Split prepared text (see :func:`prepare`) into tokens with their spans (the spans
    of two neighbouring bigrams overlap by one character)."""
    tokens: list[Token] = []
    narrow = not prepared or max(prepared) < _WIDE
    for match in (_NARROW_TOKEN_RE if narrow else token_re()).finditer(prepared):
        if match.lastgroup != "unspaced":
            tokens.append((match.group(0), match.start(), match.end()))
            continue
        units = _units(match.group(0), match.start())
        if len(units) == 1:
            tokens.append((match.group(0), match.start(), match.end()))
        for (start, _), (_, end) in itertools.pairwise(units):
            tokens.append((prepared[start:end], start, end))
    return tokens


def term_tokens(term: str) -> list[str]:
    """Tokens of a lexicon term, normalized the way template text is."""
    return [token for token, _, _ in tokenize(prepare(term)[0])]


@dataclass
class TemplateParts:
    """What the classifier reads from one template object of Meta's API."""

    text: str = ""  # header, body, footer, button labels and cards, one per line
    button_spans: list[tuple[int, int]] = field(default_factory=list)  # label spans in text
    footer_span: tuple[int, int] | None = None
    body_span: tuple[int, int] | None = None
    buttons: list[tuple[str, str, str, str]] = field(default_factory=list)  # type, otp, label, url
    header_format: str = ""
    components: list[str] = field(default_factory=list)
    security_recommendation: bool = False
    code_expiration: bool = False


# Meta's template texts are short (a body at most 1,024 characters, a whole carousel a few
# thousand): the classifier reads that much of a file's template, however long it is written
# (its cost grows faster than the text: a 320,000-character body took a minute).
MAX_TEXT = 4096
MAX_TEMPLATE_TEXT = 16384
MAX_BUTTONS = 100


def _text(value: object) -> str:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


def _upper(value: object) -> str:
    return value.strip().upper() if isinstance(value, str) else ""


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def read_template(template: Mapping[str, Any]) -> TemplateParts:
    """Collect texts, buttons and component kinds; odd or missing fields are skipped."""
    parts = TemplateParts()
    lines: list[str] = []
    length = 0

    def add(text: str) -> tuple[int, int]:
        nonlocal length
        start = length + (1 if lines else 0)
        if start >= MAX_TEMPLATE_TEXT:  # read enough: the rest is left out
            return length, length
        text = text[: min(MAX_TEXT, MAX_TEMPLATE_TEXT - start)]
        lines.append(text)
        length = start + len(text)
        return start, length

    for component in _as_list(template.get("components")):
        if not isinstance(component, Mapping):
            continue
        kind = _upper(component.get("type"))
        parts.components.append(kind.lower())
        if kind in ("HEADER", "BODY", "FOOTER"):
            text = _text(component.get("text"))
            if kind == "HEADER":
                parts.header_format = _upper(component.get("format")).lower()
            if text:
                span = add(text)
                if kind == "FOOTER":
                    parts.footer_span = span
                elif kind == "BODY" and parts.body_span is None:
                    parts.body_span = span
            if kind == "BODY" and component.get("add_security_recommendation") is True:
                parts.security_recommendation = True
            minutes = component.get("code_expiration_minutes")
            if kind == "FOOTER" and isinstance(minutes, (int, float)):
                parts.code_expiration = not isinstance(minutes, bool)
        elif kind == "BUTTONS":
            for button in _as_list(component.get("buttons"))[:MAX_BUTTONS]:
                if not isinstance(button, Mapping):
                    continue
                label = _text(button.get("text"))
                entry = (
                    _upper(button.get("type")),
                    _upper(button.get("otp_type")),
                    label,
                    _text(button.get("url")),
                )
                parts.buttons.append(entry)
                if label:
                    parts.button_spans.append(add(label))
        elif kind in ("CAROUSEL", "LIMITED_TIME_OFFER"):
            offer = component.get("limited_time_offer")
            if isinstance(offer, Mapping) and _text(offer.get("text")):
                add(_text(offer.get("text")))
            for card in _as_list(component.get("cards")):
                for inner in _as_list(card.get("components") if isinstance(card, Mapping) else 0):
                    if isinstance(inner, Mapping) and _text(inner.get("text")):
                        add(_text(inner.get("text")))
    parts.text = "\n".join(lines)
    return parts
