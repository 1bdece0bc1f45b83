"""The counts of a campaign merged across its batches: one entry per distinct key (see
counting.pipeline), with the strings of its keys (countries, templates, languages) as ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from wacost.counting.batch import _CATEGORIES, _LINE_BITS, _LINE_MASK, _WINDOWS, _BatchCounts
from wacost.counting.table import CountRow, CountTable
from wacost.masking import mask_phone_numbers


class _Vocabulary:
    """Strings -> dense ids, across batches."""

    def __init__(self, initial: Iterable[str] = ("",)) -> None:
        self.values: list[str] = []
        self._ids: dict[str, int] = {}
        for value in initial:
            self.id(value)

    def id(self, value: str) -> int:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self.values)
            self.values.append(value)
        return found

    def ids(self, values: Sequence[str]) -> np.ndarray:
        return np.array([self.id(v) for v in values], dtype=np.int64)


class _Tables:
    """The merged counts: one entry per distinct key across the whole campaign."""

    def __init__(self, countries: Sequence[str]) -> None:
        self.countries = _Vocabulary(countries)
        self.templates = _Vocabulary()
        self.languages = _Vocabulary()
        self.keys: dict[tuple[int, ...], int] = {}
        self.key_tuples: list[tuple[int, ...]] = []
        self.messages: list[int] = []
        self.first: list[int] = []  # ordinal
        self._resolver_ids = np.zeros(0, dtype=np.int64)

    def merge(
        self, part: _BatchCounts, resolver_countries: int, lines: np.ndarray | None = None
    ) -> np.ndarray:
        """Add a batch's counts (`lines`: the line of each key's first row, if not as counted);
        the global key of each of its local keys."""
        if lines is None:
            lines = part.first_line + part.first_row
        if len(self._resolver_ids) != resolver_countries:  # the resolver's: once, not per batch
            self._resolver_ids = self.countries.ids(self.countries.values[:resolver_countries])
        country_ids = np.concatenate([self._resolver_ids, self.countries.ids(part.planned)])
        template_ids = self.templates.ids(part.templates)
        language_ids = self.languages.ids(part.languages)
        columns = zip(
            part.kind.tolist(),
            country_ids[part.country].tolist(),
            template_ids[part.template].tolist(),
            language_ids[part.language].tolist(),
            part.category.tolist(),
            part.window.tolist(),
            part.messages.tolist(),
            lines.tolist(),
        )
        base = part.file_index << _LINE_BITS
        global_ids = np.empty(len(part.kind), dtype=np.int32)
        for local, (
            kind,
            country,
            template,
            language,
            category,
            window,
            messages,
            first,
        ) in enumerate(columns):
            key = (part.file_index, kind, country, template, language, category, window)
            gid = self.keys.get(key)
            if gid is None:
                gid = self.keys[key] = len(self.key_tuples)
                self.key_tuples.append(key)
                self.messages.append(0)
                self.first.append(base + first)
            self.messages[gid] += messages
            self.first[gid] = min(self.first[gid], base + first)
            global_ids[local] = gid
        return global_ids

    def key_template(self) -> np.ndarray:
        return np.array([key[3] for key in self.key_tuples] or [0], dtype=np.int64)

    def frame(self, excluded: dict[int, int], first_kept: np.ndarray | None) -> CountTable:
        rows = []
        for gid, (file, kind, country, template, language, category, window) in enumerate(
            self.key_tuples
        ):
            messages = self.messages[gid] - excluded.get(gid, 0)
            if messages <= 0:
                continue
            first = (
                int(first_kept[gid])
                if gid in excluded and first_kept is not None
                else self.first[gid]
            )
            rows.append(
                CountRow(
                    file,
                    kind,
                    self.countries.values[country],
                    mask_phone_numbers(self.templates.values[template]),
                    mask_phone_numbers(self.languages.values[language]),
                    _CATEGORIES[category],
                    _WINDOWS[window],
                    messages,  # a Python int: a sum past 2^63 stays exact
                    first & _LINE_MASK,
                )
            )
        return CountTable(tuple(rows))
