"""A digit automaton built from a libphonenumber regular expression (see `numbers.plan`)."""

from __future__ import annotations

import re._constants as sre_constants
from typing import Any

import numpy as np


class _Unsupported(Exception):
    """A pattern construct the digit automaton does not handle (the check falls back to RE2)."""


class _Automaton:
    """A nondeterministic automaton over the digits, built from a parsed regular expression."""

    _ALL = (1 << 10) - 1

    def __init__(self) -> None:
        self.empty: list[list[int]] = []  # state -> states reached without a digit
        self.moves: list[list[tuple[int, int]]] = []  # state -> (digit bit mask, state)

    def state(self) -> int:
        self.empty.append([])
        self.moves.append([])
        return len(self.empty) - 1

    def _digits(self, items: Any) -> int:
        mask, negate = 0, False
        for op, av in items:
            if op is sre_constants.LITERAL:
                mask |= 1 << (av - 48) if 48 <= av <= 57 else 0
            elif op is sre_constants.RANGE:
                mask |= sum(1 << (c - 48) for c in range(max(av[0], 48), min(av[1], 57) + 1))
            elif op is sre_constants.CATEGORY and av is sre_constants.CATEGORY_DIGIT:
                mask |= self._ALL
            elif op is sre_constants.NEGATE:
                negate = True
            else:
                raise _Unsupported(str(op))
        return (self._ALL & ~mask) if negate else mask

    def add(self, sequence: Any, start: int) -> int:
        """States for `sequence` from `start`; the state it ends in."""
        at = start
        for op, av in sequence:
            if op is sre_constants.LITERAL or op is sre_constants.IN:
                mask = self._digits([(op, av)]) if op is sre_constants.LITERAL else self._digits(av)
                target = self.state()
                self.moves[at].append((mask, target))
                at = target
            elif op is sre_constants.SUBPATTERN:
                at = self.add(av[3], at)
            elif op is sre_constants.BRANCH:
                end = self.state()
                for alternative in av[1]:
                    begin = self.state()
                    self.empty[at].append(begin)
                    self.empty[self.add(alternative, begin)].append(end)
                at = end
            elif op is sre_constants.MAX_REPEAT or op is sre_constants.MIN_REPEAT:
                low, high, item = av
                for _ in range(low):
                    at = self.add(item, at)
                if high is sre_constants.MAXREPEAT:
                    loop = self.state()
                    self.empty[at].append(loop)
                    self.empty[self.add(item, loop)].append(loop)
                    at = loop
                else:
                    end = self.state()
                    for _ in range(high - low):
                        self.empty[at].append(end)
                        at = self.add(item, at)
                    self.empty[at].append(end)
                    at = end
            else:
                raise _Unsupported(str(op))
        return at

    def deterministic(self, start: int, final: int) -> tuple[np.ndarray, np.ndarray]:
        """Subset construction: (state x digit -> state, accepting), state 0 dead, 1 the start."""
        closures: dict[int, frozenset[int]] = {}

        def closure_of(state: int) -> frozenset[int]:
            """The states reached from `state` without a digit (itself included), memoized."""
            found = closures.get(state)
            if found is None:
                seen, stack = {state}, [state]
                while stack:
                    for nxt in self.empty[stack.pop()]:
                        if nxt not in seen:
                            seen.add(nxt)
                            stack.append(nxt)
                found = closures[state] = frozenset(seen)
            return found

        order = [frozenset(), closure_of(start)]
        index = {subset: i for i, subset in enumerate(order)}
        table = [[0] * 10]
        i = 1
        while i < len(order):
            targets: list[set[int]] = [set() for _ in range(10)]
            for s in order[i]:
                for mask, t in self.moves[s]:
                    for digit in _DIGITS_OF[mask]:
                        targets[digit].add(t)
            row = []
            for digit in range(10):
                subset = frozenset().union(*map(closure_of, targets[digit]))
                j = index.get(subset)
                if j is None:
                    j = index[subset] = len(order)
                    order.append(subset)
                row.append(j)
            table.append(row)
            i += 1
        return np.array(table, dtype=np.int32), np.array([final in s for s in order], dtype=bool)


# the digits of each 10-bit digit mask
_DIGITS_OF = [tuple(d for d in range(10) if mask >> d & 1) for mask in range(1 << 10)]
