"""The reduced campaign as plain rows: one per key (see `batch.KEYS`), with its messages and the
first line where one of them is written.

A campaign reduces to a few hundred keys at most, so the table is a tuple of named tuples, not
a DataFrame: pricing needs no pandas, and a small file is priced without importing it.
`to_pandas` gives the DataFrame (as library users and the Spark engine know it) on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd


class CountRow(NamedTuple):
    """One key of the counts: where, what kind of recipient, and what is sent; how many."""

    file: int
    kind: int
    country: str
    template: str
    language: str
    category: str
    window: str
    messages: int  # a Python int: a sum past 2^63 stays exact
    first_line: int


COLUMNS = CountRow._fields


@dataclass(frozen=True)
class CountTable:
    """The counts, one row per key, in the order the keys were first met."""

    rows: tuple[CountRow, ...] = ()

    @classmethod
    def of(cls, rows: Iterable[Iterable[Any]]) -> CountTable:
        """A table of rows given as (file, kind, country, ..., messages, first_line)."""
        return cls(tuple(_row(values) for values in rows))

    @classmethod
    def from_pandas(cls, frame: pd.DataFrame) -> CountTable:
        """The table of a DataFrame with the columns of CountRow."""
        return cls.of(frame[list(COLUMNS)].itertuples(index=False, name=None))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[CountRow]:
        return iter(self.rows)

    def column(self, name: str) -> list[Any]:
        """The values of one column, in row order."""
        index = COLUMNS.index(name)
        return [row[index] for row in self.rows]

    def in_reading_order(self) -> list[CountRow]:
        """The rows by file, then first line (a stable sort: ties keep their order)."""
        return sorted(self.rows, key=lambda row: (row.file, row.first_line))

    def to_pandas(self) -> pd.DataFrame:
        """The table as a DataFrame: file int32, kind int8, first_line int64, messages as
        Python ints (object), the others strings."""
        import numpy as np
        import pandas as pd

        table = pd.DataFrame(list(self.rows), columns=list(COLUMNS))
        table = table.astype({"file": np.int32, "kind": np.int8, "first_line": np.int64})
        table["messages"] = pd.Series([row.messages for row in self.rows], dtype=object)
        return table


def _row(values: Iterable[Any]) -> CountRow:
    file, kind, country, template, language, category, window, messages, first = values
    return CountRow(
        int(file),
        int(kind),
        str(country),
        str(template),
        str(language),
        str(category),
        str(window),
        int(messages),
        int(first),
    )
