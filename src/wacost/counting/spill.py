"""Writing a RecipientLedger's held records to its spill file (see counting.ledger).

Records are held as each batch gives them: one array per batch, grouped by partition (its
`bounds`). A spill writes them partition by partition, each partition's slices of every held
array back to back, as one chunk: gathered into one buffer (reused from spill to spill, about
GROUP_BYTES) a group of partitions at a time, in C where the extension is built, and written.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Final

import numpy as np

from wacost.numbers import plain

GROUP_BYTES: Final = 8 << 20  # partitions gathered and written together, about this many bytes
_IOV_MAX: Final = 1024  # buffers a pwritev call takes (Linux, macOS)

Held = list[tuple[np.ndarray, np.ndarray]]  # (records, bounds) of each batch held


def counts(held: Held, partitions: int) -> np.ndarray:
    """Records held per partition."""
    total = np.zeros(partitions, dtype=np.int64)
    for _, bounds in held:
        total += np.diff(bounds[: partitions + 1])
    return total


def groups(sizes: np.ndarray, limit: int = GROUP_BYTES) -> Iterator[tuple[int, int]]:
    """[first, last) runs of partitions whose `sizes` (bytes) add up to about `limit` (a larger
    partition alone); the empty ones with their neighbours."""
    first, size = 0, 0
    for p, part in enumerate(sizes.tolist()):
        if size and part and size + part > limit:  # (no group of empty partitions alone)
            yield first, p
            first, size = p, 0
        size += part
    if first < len(sizes):
        yield first, len(sizes)


def gather(held: Held, first: int, last: int, width: int, out: np.ndarray) -> memoryview:
    """Partitions first..last-1 of `held`, each its slices of every array in order, into `out`
    (uint8, large enough); the bytes written."""
    kernel = plain.kernel()
    if kernel is not None:
        records = [np.ascontiguousarray(part) for part, _ in held]
        bounds = [np.ascontiguousarray(b, dtype=np.intp) for _, b in held]
        written = kernel.gather(records, bounds, width, first, last, out)
        view: memoryview = out.data.cast("B")[:written]
        return view
    pieces = [part[b[p] : b[p + 1]] for p in range(first, last) for part, b in held]
    data = np.concatenate(pieces) if pieces else np.zeros((0, width), dtype=np.int64)
    size = data.size * 8
    out[:size] = data.reshape(-1).view(np.uint8)
    view = out.data.cast("B")[:size]
    return view


def write_all(fd: int, pieces: list[memoryview], offset: int) -> None:
    """Write `pieces` one after another at `offset` of `fd`, whatever each call writes."""
    pieces = [piece for piece in pieces if len(piece)]  # (nothing to write is no full disk)
    at = 0
    while at < len(pieces):
        written = os.pwritev(fd, pieces[at : at + _IOV_MAX], offset)
        if written <= 0:
            raise OSError("the ledger's spill file took no more bytes")
        offset += written
        while at < len(pieces) and written >= len(pieces[at]):
            written -= len(pieces[at])
            at += 1
        if written:  # part of a piece: the rest of it next
            pieces[at] = pieces[at][written:]
