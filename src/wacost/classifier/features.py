"""Turn a template into named, interpretable features, each with the evidence behind it.

Feature names (the model's weights are keyed by them):

* ``w:<word>`` / ``b:<word> <word>``: words and word pairs of the text (numbers read as
  ``<n>``, codes such as ``SAVE10`` as ``<code>``, placeholders as ``{{}}``);
* ``bw:<word>``: a word of a button label; ``fw:<word>``: a word of the footer;
* ``p:<letters>``: the first letters of a longer word (its stem, roughly), and
  ``g:<letters>``: runs of letters inside a word (``<`` and ``>`` mark its ends), when the
  model asks for them;
* ``l:<concept>``: a lexicon concept (``discount``, ``order``, ``otp_code``...) found in any
  of the languages of the lexicon; ``c:<concept>><word>`` / ``c:<word><<concept>``: the
  word right after or before it (the object a verb acts on: "offer *letter*");
  ``n:<concept>+<concept>``: two concepts close together;
* ``k:<category>``: how many distinct concepts of that category were found;
  ``f:<category>`` / ``z:<category>``: the category of the first and of the last concept
  found (what the message opens with, its trigger; what it ends on before the footer, its
  call to action);
* ``s:<name>``: the template's shape: button types, OTP buttons, header format, carousel,
  security notice, code expiry, placeholder count, length, percentages, money, emoji;
  whether it cites the user's own item (``s:own_reference``: an order or invoice number,
  an amount due, a personal link; else ``s:no_own_reference`` and ``s:unanchored_<cue>`` for
  its promotional wording, media header or buttons) and what the body's variables stand for
  (``s:greeting_name_only``, ``s:other_variables_<n>``).

Evidence is a span of the template's text (to quote) or a short description.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence

from wacost.classifier.lexicon import Lexicon
from wacost.classifier.text import OTP_URL_RE, TemplateParts, Token, prepare, tokenize

__all__ = ["Evidence", "Lexicon", "extract", "is_letters", "is_word"]

Evidence = tuple[int, int] | str  # a span of the original text, or a description
_CURRENCY = set("$€£₹¥₺₽﷼")
_KEEP_PUNCT = {"%", "!", "?", "#"}
_NAMED_PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}\d\s][^{}]*?)\s*\}\}")
_NEAR = 6  # tokens: how close two concepts must be for an n: feature


def is_word(token: str) -> bool:
    """True for a run of letters or digits, with the vowel signs and other combining marks
    of scripts such as Devanagari or Thai (``str.isalnum`` is False on those marks)."""
    return token.isalnum() or (
        token[:1].isalnum()
        and all(c.isalnum() or unicodedata.category(c).startswith("M") for c in token)
    )


def is_letters(token: str) -> bool:
    """True for a word of letters (and combining marks) only: no digit."""
    return is_word(token) and not any(c.isdigit() for c in token)


def _word_feature(word: str) -> str | None:
    if word == "{{}}":
        return word
    if word.isdigit():
        return "<n>"
    if word[0] in _CURRENCY:
        return "<cur>"
    if is_word(word):
        if any(c.isdigit() for c in word):
            return "<code>"
        return word
    if word in _KEEP_PUNCT:
        return word
    if len(word) == 1 and ord(word) >= 0x2190 and not word.isalpha():
        return "<emoji>"
    return None


class _Builder:
    def __init__(self, original: str, index: list[int]) -> None:
        self.original = original
        self.index = index
        self.values: dict[str, float] = {}
        self.evidence: dict[str, Evidence] = {}

    def add(self, name: str, evidence: Evidence, value: float = 1.0) -> None:
        if name not in self.values:
            self.values[name] = value
            self.evidence[name] = evidence

    def span(self, tokens: Sequence[Token], first: int, last: int) -> tuple[int, int]:
        start, end = tokens[first][1], tokens[last - 1][2]
        return self.index[start], self.index[end - 1] + 1


def _in_spans(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def extract(
    parts: TemplateParts,
    lexicon: Lexicon,
    declared: str | None,
    prefix: int = 0,
    ngrams: tuple[int, int] = (0, 0),
) -> tuple[dict[str, float], dict[str, Evidence]]:
    """Return the template's features (name -> value) and the evidence for each.

    With `prefix` > 0, a word longer than that also gives ``p:<its first letters>``; with
    `ngrams` (n, m), every word gives ``g:<letters>``, its runs of n to m letters ("<" and
    ">" mark its start and end). Either way the inflections and compounds of one stem share
    weights (Italian "prenotazione" and "prenotazioni", Turkish "siparişiniz" and
    "siparişin", German "Lieferstatus" and "Lieferung"); the evidence is the whole word.
    """
    prepared, index = prepare(parts.text)
    tokens = tokenize(prepared)
    out = _Builder(parts.text, index)
    kept: list[tuple[str, int]] = []  # (feature word, token position)
    for position, (word, _, _) in enumerate(tokens):
        feature = _word_feature(word)
        if feature is None:
            continue
        span = out.span(tokens, position, position + 1)
        out.add("w:" + feature, span)
        if _in_spans(span[0], parts.button_spans):
            out.add("bw:" + feature, span)
        if parts.footer_span and parts.footer_span[0] <= span[0] < parts.footer_span[1]:
            out.add("fw:" + feature, span)
        if (prefix or ngrams[1]) and is_letters(feature):
            if prefix and len(feature) > prefix:
                out.add("p:" + feature[:prefix], span)
            padded = f"<{feature}>"
            for size in range(ngrams[0], ngrams[1] + 1):
                for start in range(len(padded) - size + 1):
                    out.add("g:" + padded[start : start + size], span)
        kept.append((feature, position))
    for match in _NAMED_PLACEHOLDER_RE.finditer(parts.text):
        # A named placeholder says what it holds: {{order_number}}, {{discount_code}}.
        for word in re.split(r"[_\W\d]+", match.group(1).lower()):
            if len(word) > 2:
                out.add("w:" + word, (match.start(), match.end()))
    for (a, first), (b, second) in itertools.pairwise(kept):
        out.add(f"b:{a} {b}", out.span(tokens, first, second + 1))
    hits = lexicon.find(prepared, tokens)
    for concept, start, end in hits:
        key = lexicon.concepts[concept][0]
        out.add("l:" + key, out.span(tokens, start, end))
        if end < len(tokens) and (after := _word_feature(tokens[end][0])):
            out.add(f"c:{key}>{after}", out.span(tokens, start, end + 1))
        if start > 0 and (before := _word_feature(tokens[start - 1][0])):
            out.add(f"c:{before}<{key}", out.span(tokens, start - 1, end))
    # How many distinct concepts of each category: this ties a concept the training data
    # rarely shows to what the lexicon says it is (Meta's category for that evidence).
    seen: dict[str, set[str]] = {}
    for concept, start, end in hits:
        key, category, _ = lexicon.concepts[concept]
        if key not in seen.setdefault(category, set()):
            seen[category].add(key)
            if len(seen[category]) == 1:
                out.add("k:" + category, out.span(tokens, start, end), 0.0)
            out.values["k:" + category] += 1.0
    if hits:  # what the message opens with (its trigger) and ends on (its call to action)
        foot = parts.footer_span or (-1, -1)
        body = [h for h in hits if not foot[0] <= out.index[tokens[h[1]][1]] < foot[1]] or hits
        for mark, (concept, start, end) in (("f", hits[0]), ("z", body[-1])):
            out.add(f"{mark}:{lexicon.concepts[concept][1]}", out.span(tokens, start, end))
    for i, (one, one_start, one_end) in enumerate(hits):
        for two, two_start, two_end in hits[i + 1 :]:
            if one != two and two_start - one_end <= _NEAR:
                pair = sorted((lexicon.concepts[one][0], lexicon.concepts[two][0]))
                low, high = min(one_start, two_start), max(one_end, two_end)
                out.add(f"n:{pair[0]}+{pair[1]}", out.span(tokens, low, high))
    for url in (u.lower() for _, _, _, u in parts.buttons if u):
        for term, concept in lexicon.urls:
            if term in url:
                key = lexicon.concepts[concept][0]
                out.add("l:" + key, f"a link to {url[:50]}")
    _shape(parts, tokens, declared, out)
    if "s:otp_button" not in out.values:
        _anchoring(parts, tokens, lexicon, hits, out)
    return out.values, out.evidence


# Shapes that say more when the template cites nothing of the user's own (see _anchoring).
_UNANCHORED = {
    "k:marketing": "promotional wording",
    "k:utility": "wording about orders, accounts or services",
    "s:header_image": "an image header",
    "s:header_video": "a video header",
    "s:button_quick_reply": "quick-reply buttons",
    "s:button_url": "a link button",
    "s:url_fixed": "a link that is the same for everyone",
}


def _anchoring(
    parts: TemplateParts,
    tokens: Sequence[Token],
    lexicon: Lexicon,
    hits: Sequence[tuple[int, int, int]],
    out: _Builder,
) -> None:
    """Is the template specific to the user's own transaction? Meta's reviewers keep a
    template in utility when it cites the user's own item (an order or invoice number, an
    amount due, a personal link) and move to marketing what only greets the user by name
    and asks them to engage. Adds ``s:own_reference`` or ``s:no_own_reference``, what the
    body's variables stand for (only the greeting's name, or more), and the template's other
    cues (promotional wording, media header, buttons) when nothing of the user's is cited."""
    anchor = next(((start, end) for c, start, end in hits if c in lexicon.anchors), None)
    personal = next((u for kind, _, _, u in parts.buttons if kind == "URL" and "{{" in u), "")
    if anchor is not None:
        out.add("s:own_reference", out.span(tokens, *anchor))
    elif personal:
        out.add("s:own_reference", f"a link personal to the user ({personal[:50]})")
    else:
        out.add("s:no_own_reference", "no reference to an order, booking, amount or account")
        for name, what in _UNANCHORED.items():
            if name in out.values:
                shape = name.split(":", 1)[1].removeprefix("button_").removeprefix("header_")
                out.add(f"s:unanchored_{shape}", f"{what} with nothing of the user's own cited")
    if parts.body_span is None:
        return
    body = [
        i
        for i, (word, start, _) in enumerate(tokens)
        if parts.body_span[0] <= out.index[start] < parts.body_span[1]
        and (word == "{{}}" or is_word(word))
    ]
    holders = [p for p, i in enumerate(body) if tokens[i][0] == "{{}}"]
    greeting = [
        p
        for p in holders
        if p <= 3 and any(tokens[i][0] in lexicon.salutations for i in body[max(0, p - 3) : p])
    ]
    others = len(holders) - len(greeting)
    if greeting and not others:
        out.add("s:greeting_name_only", "its only variable is the name in the greeting")
    elif not holders:
        out.add("s:no_body_variables", "no variable in the body")
    out.add(f"s:other_variables_{min(others, 3)}", f"{others} variable(s) besides a greeting name")


def _shape(
    parts: TemplateParts, tokens: Sequence[Token], declared: str | None, out: _Builder
) -> None:
    for kind, otp_type, label, url in parts.buttons:
        shown = f'a "{label}" button' if label else f"a {kind.lower() or 'blank'} button"
        if kind == "OTP" or (kind == "URL" and OTP_URL_RE.search(url)):
            name = (otp_type or "copy_code").lower()
            out.add("s:otp_button", f"an OTP button ({name.replace('_', '-')})")
            out.add("s:otp_" + name, f"an OTP button ({name.replace('_', '-')})")
        elif kind == "COPY_CODE" and declared == "authentication":
            out.add("s:otp_button", "an OTP button (copy-code)")
        elif kind:
            out.add("s:button_" + kind.lower(), shown)
            if kind == "URL" and url:
                dynamic = "{{" in url
                out.add("s:url_" + ("personal" if dynamic else "fixed"), shown)
    if parts.header_format:
        out.add("s:header_" + parts.header_format, f"a {parts.header_format} header")
    for kind in parts.components:
        if kind in ("carousel", "limited_time_offer"):
            out.add("s:" + kind, f"a {kind.replace('_', '-')} component")
    if parts.security_recommendation:
        out.add("s:security_notice", "Meta's preset security notice")
    if parts.code_expiration:
        out.add("s:code_expiry", "a code expiry in the footer")
    words = [t for t, _, _ in tokens]
    holders = words.count("{{}}")
    letters = sum(1 for w in words if is_letters(w))
    if letters == 0 and "s:otp_button" in out.values:
        # An authentication template may leave all its text to Meta's preset wording: its
        # length says nothing (and no other kind of template can carry an OTP button).
        out.add("s:preset_text", "Meta's preset one-time-code text")
        return
    out.add(f"s:placeholders_{min(holders, 4)}", f"{holders} placeholder(s)")
    size = (
        "tiny" if letters < 4 else "short" if letters < 12 else "medium" if letters < 30 else "long"
    )
    out.add("s:length_" + size, f"{letters} words")
    if letters == 0:
        out.add("s:no_words", "no words, only placeholders or nothing")
