"""A range of a plain CSV file split into the columns wacost reads, in C (`split` in
wacost/numbers/_plain.c): the columns as pyarrow's reader gives them for the range (every
column as bytes; quoting on where the range holds a quote character), at about a fifth of its
CPU time.

Only what that reader reads plainly is split here: whole lines with the header's number of
fields, no carriage return, no empty line (which the reader skips), none longer than half a
block (a row longer than a block is an error there), a field either quoted whole ("...", no
quote inside, closed on its line) or without any quote; anything else, and any machine without
the compiled extension, is left to pyarrow (None), which reads it or names its error as it
always has. The tests check that both give the same columns.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from wacost.campaign import CampaignFile
from wacost.numbers import plain


def split_range(data: bytes, source: CampaignFile, block_size: int) -> list[pa.RecordBatch] | None:
    """The lines of `data` (whole lines, not ending inside a quoted field) as record batches of
    about `block_size` bytes each, with the columns `read_batches` reads (c<index>, binary); None
    where pyarrow's reader must read them."""
    kernel = plain.kernel()
    delimiter = source.delimiter.encode()
    if kernel is None or len(delimiter) != 1 or not data or b"\r" in data:
        return None
    if data.startswith(b"\xef\xbb\xbf"):  # pyarrow's reader drops a byte order mark there
        return None
    wanted = sorted(source.columns.values())
    names = [f"c{index}" for index in wanted]
    slot_of = np.full(len(source.header), -1, dtype=np.int32)
    slot_of[wanted] = np.arange(len(wanted), dtype=np.int32)
    view = memoryview(data)
    batches = []
    position, size = 0, len(data)
    while position < size:
        end = data.find(b"\n", min(position + block_size, size) - 1)
        end = size if end < 0 else end + 1  # whole lines: up to the line end past the block
        capacity = end - position
        if capacity > 2**31 - 9:  # int32 offsets (pyarrow's reader refuses such a line too)
            return None
        # a line holds at least its delimiters and its newline (the last, at least a byte)
        max_rows = capacity // len(source.header) + 1
        offsets = np.empty((len(wanted), max_rows + 1), dtype=np.int32)
        values = np.empty((len(wanted), capacity + 8), dtype=np.uint8)  # 8: see _plain.c
        rows = kernel.split(
            view[position:end],
            len(source.header),
            delimiter[0],
            slot_of,
            max_rows,
            block_size // 2,  # a longer line: pyarrow's reader may refuse it (straddling)
            offsets,
            values,
            capacity,
        )
        if rows < 0:
            return None
        columns = [
            pa.Array.from_buffers(
                pa.binary(),
                rows,
                [
                    None,
                    pa.py_buffer(offsets[slot, : rows + 1]),
                    pa.py_buffer(values[slot, : offsets[slot, rows]]),  # (not the room after)
                ],
            )
            for slot in range(len(wanted))
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, names=names))
        position = end
    return batches
