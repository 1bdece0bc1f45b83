"""The concept lexicon: terms in every language, grouped into concepts, and how they are found.

Compiled from ``wacost/classifier_data/*.yaml`` by ``scripts/train_classifier.py`` and shipped
inside ``model.json``; :class:`Lexicon` finds its phrases in a template's tokens for
:mod:`wacost.classifier.features`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wacost.classifier.text import Token


@dataclass(frozen=True)
class Lexicon:
    """Concept terms in every language, compiled by ``scripts/train_classifier.py``.

    ``exact`` maps a phrase (tokens joined by spaces) to concept ids; ``prefix`` phrases
    may continue at their end ("discount*"), ``suffix`` ones may start inside a word, and
    ``infix`` ones both ("*rabatt*"). ``regex`` patterns run on the prepared text.
    ``ignore`` phrases (harmless idioms) are blanked out before concepts are looked for.
    ``anchors`` are the concepts that cite the user's own item (an order or invoice number,
    an amount due); ``salutations`` the words a greeting opens with.
    """

    concepts: tuple[tuple[str, str, str], ...]  # (key, category, reason)
    exact: Mapping[str, Sequence[int]]
    prefix: Mapping[str, Sequence[int]]
    suffix: Mapping[str, Sequence[int]]
    infix: Mapping[str, Sequence[int]]
    regex: tuple[tuple[re.Pattern[str], int], ...]
    urls: tuple[tuple[str, int], ...]  # (substring of a button URL, concept id)
    ignore: Mapping[str, Sequence[int]]
    max_tokens: int
    starters: frozenset[str] = frozenset()  # first words of phrases of 2+ words
    seconds: frozenset[str] = frozenset()  # second words of such phrases open at the start
    anchors: frozenset[int] = frozenset()  # concepts that cite the user's own item
    salutations: frozenset[str] = frozenset()  # words of a greeting ("hi", "hola", "dear")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lexicon:
        tables = {name: _expand(data[name]) for name in ("exact", "prefix", "suffix", "infix")}
        tables["ignore"] = _expand(data["ignore"])
        # stored by the training script (phrase_heads); worked out here for older files
        starters, seconds = (
            (data["starters"], data["seconds"]) if "starters" in data else phrase_heads(tables)
        )
        return cls(
            starters=frozenset(map(str, starters)),
            seconds=frozenset(map(str, seconds)),
            concepts=tuple((str(k), str(c), str(r)) for k, c, r in data["concepts"]),
            exact=tables["exact"],
            prefix=tables["prefix"],
            suffix=tables["suffix"],
            infix=tables["infix"],
            regex=tuple((re.compile(p), int(i)) for p, i in data["regex"]),
            urls=tuple((str(u), int(i)) for u, i in data["urls"]),
            ignore=tables["ignore"],
            max_tokens=int(data["max_tokens"]),
            anchors=frozenset(int(i) for i in data.get("anchors", ())),
            salutations=frozenset(str(w) for w in data.get("salutations", ())),
        )

    @functools.cached_property
    def _heads(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """The first _HEAD characters of every prefix, suffix and infix phrase (the phrase
        itself when shorter): a string that starts with none of them (nor with its own first
        one or two characters in the set) has no phrase of that table as its prefix, so
        its lookups can be skipped without changing what is found."""
        return (
            frozenset(k[:_HEAD] for k in self.prefix),
            frozenset(k[:_HEAD] for k in self.suffix),
            frozenset(k[:_HEAD] for k in self.infix),
        )

    def _lookup(self, words: Sequence[str], table_keys: str) -> list[int]:
        found: list[int] = []
        last = len(words) - 1
        head = " ".join(words[:-1])
        join = head + " " if last else ""
        word = words[-1]
        prefix_heads, suffix_heads, infix_heads = self._heads
        if "e" in table_keys:
            found.extend(self.exact.get(join + word, ()))
        if "p" in table_keys and _may_start(join + word, prefix_heads):
            for cut in range(1, len(word) + 1):
                found.extend(self.prefix.get(join + word[:cut], ()))
        if "s" in table_keys or "i" in table_keys:
            first = words[0]
            tail = " ".join(words[1:])
            for start in range(len(first)):
                rest = first[start:] + (" " + tail if tail else "")
                if _may_start(rest, suffix_heads):
                    found.extend(self.suffix.get(rest, ()))
                if not _may_start(rest, infix_heads):
                    continue  # every infix key looked up below is a prefix of `rest`
                if not last:
                    for end in range(start + 1, len(first) + 1):
                        found.extend(self.infix.get(first[start:end], ()))
                else:
                    head = first[start:] + (" " + " ".join(words[1:-1]) if last > 1 else "")
                    for cut in range(1, len(word) + 1):
                        found.extend(self.infix.get(head + " " + word[:cut], ()))
        return found

    def find(self, prepared: str, tokens: Sequence[Token]) -> list[tuple[int, int, int]]:
        """Return (concept id, first token, last token + 1) for every concept found."""
        # a word's lookups grow with the cube of its length: no word of a language is longer
        words = [token[:MAX_WORD] for token, _, _ in tokens]
        blank = [False] * len(words)
        hits: list[tuple[int, int, int]] = []
        for start in range(len(words)):
            for concept in self._lookup(words[start : start + 1], "epsi"):
                hits.append((concept, start, start + 1))
            if self.ignore.get(words[start]):
                blank[start] = True
            closed = words[start] in self.starters
            opened = start + 1 < len(words) and words[start + 1] in self.seconds
            if not (closed or opened):
                continue
            tables = ("ep" if closed else "") + ("s" if opened else "")
            for size in range(2, min(self.max_tokens, len(words) - start) + 1):
                gram = words[start : start + size]
                if closed and self.ignore.get(" ".join(gram)):
                    blank[start : start + size] = [True] * size
                for concept in self._lookup(gram, tables):
                    hits.append((concept, start, start + size))
        starts = [s for _, s, _ in tokens]
        ends = [e for _, _, e in tokens]
        for pattern, concept in self.regex:
            for match in pattern.finditer(prepared):
                first = _bisect(ends, match.start() + 1)
                last = _bisect(starts, match.end())
                if first < last:
                    hits.append((concept, first, last))
        hits = [h for h in hits if not any(blank[h[1] : h[2]])]
        return _drop_contained(hits, self.concepts)


MAX_WORD = 64  # letters of a word looked up (the corpus's longest word has 24)
_HEAD = 3  # characters of a phrase's start kept in Lexicon._heads


def _may_start(text: str, heads: frozenset[str]) -> bool:
    """Whether a phrase whose first _HEAD characters are in `heads` can be a prefix of `text`."""
    return text[:3] in heads or text[:2] in heads or text[:1] in heads


def _expand(compact: Sequence[Sequence[Any]]) -> dict[str, Sequence[int]]:
    """[(concept id, "phrase\tphrase..."), ...] as {phrase: (concept id, ...)}."""
    table: dict[str, Sequence[int]] = {}
    shared: dict[str, list[int]] = {}
    for concept, phrases in compact:
        chunk = dict.fromkeys(str(phrases).split("\t"), (int(concept),))
        for phrase in chunk.keys() & table.keys():  # a phrase of two concepts (rare)
            shared.setdefault(phrase, list(table[phrase])).append(int(concept))
        table.update(chunk)
    table.update({phrase: tuple(ids) for phrase, ids in shared.items()})
    return table


def phrase_heads(tables: Mapping[str, Mapping[str, object]]) -> tuple[list[str], list[str]]:
    """The first words of the phrases of 2+ words that start a word (``exact``, ``prefix``,
    ``ignore``) and the second words of those that may start inside one (``suffix``,
    ``infix``): where :meth:`Lexicon.find` looks for a phrase longer than a word."""
    closed = [k for t in ("exact", "prefix", "ignore") for k in tables[t] if " " in k]
    opened = [k for t in ("suffix", "infix") for k in tables[t] if " " in k]
    return (
        sorted({k.split(" ", 1)[0] for k in closed}),
        sorted({k.split(" ", 2)[1] for k in opened}),
    )


def _bisect(values: Sequence[int], target: int) -> int:
    """Number of `values` (sorted) below `target`."""
    low, high = 0, len(values)
    while low < high:
        middle = (low + high) // 2
        if values[middle] < target:
            low = middle + 1
        else:
            high = middle
    return low


def _drop_contained(
    hits: list[tuple[int, int, int]], concepts: Sequence[tuple[str, str, str]]
) -> list[tuple[int, int, int]]:
    """Drop a find inside a longer find of another category: the longer phrase says what
    the word means ("free shipping" is an offer, not a shipping update)."""
    kept = []
    for concept, start, end in hits:
        category = concepts[concept][1]
        inside = any(
            s <= start and end <= e and e - s > end - start and concepts[c][1] != category
            for c, s, e in hits
        )
        if not inside:
            kept.append((concept, start, end))
    return sorted(set(kept), key=lambda h: (h[1], h[2], h[0]))
