"""A compressed CSV file counted on every core: its decompressed bytes cut into chunks of whole
lines as they are read, each chunk parsed and reduced on a worker as a byte range of a plain
file is (counting.ranges, which also hands the results on in order, and reads serially from a
chunk that ends inside a quoted field or raises an error, as from a range).

Decompression is one stream, read on the calling thread while the workers parse and reduce.
Only a regular file (the serial reader may read it again) in UTF-8 is cut so.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, Final

from wacost.campaign import CampaignFile
from wacost.counting import ranges

_READ: Final = 1 << 23  # bytes asked of the decompressing stream at a time (each call waits
# for the GIL: a few large ones)


def data_start(source: CampaignFile) -> int | None:
    """Where the first data row of a compressed UTF-8 regular file starts in its decompressed
    bytes, or None when it is not cut into chunks (see ranges.first_row)."""
    if source.opener is None or not ranges.utf8_file(source) or not source.path.is_file():
        return None
    try:
        stream: Any = source.opener()
        try:
            head = bytes(stream.read(ranges._SCAN))
        finally:
            stream.close()
    except Exception:  # damaged at once: the serial reader names it
        return None
    return ranges.first_row(head, source.skip_rows, whole=len(head) < ranges._SCAN)


def chunks(source: CampaignFile, start: int) -> Iterator[tuple[int, int, bytes]]:
    """(begin, end, bytes) of each chunk of whole lines from `start`, of about
    ranges.RANGE_BYTES, none starting with a byte order mark; offsets in the decompressed
    bytes. Where the decompression fails, a last chunk (begin, DAMAGED): the serial reader
    reads from there (and names the damaged file, after any error before); so too from a line
    longer than a range (memory stays bounded: a file whose lines end in \r alone has none)."""
    assert source.opener is not None
    stream: Any = source.opener()
    buffer = bytearray()
    ended = False
    begin = start
    try:

        def more() -> None:
            nonlocal ended
            try:
                piece = stream.read(_READ)
            except Exception:  # damaged: the serial reader reads on from here, and names it
                raise _Damaged from None
            ended = not piece
            buffer.extend(piece)

        while len(buffer) < start and not ended:  # the header: read past it
            more()
        del buffer[:start]
        while True:
            while not ended and len(buffer) < ranges.RANGE_BYTES:
                more()
            if not buffer:
                return
            cut = buffer.rfind(b"\n", 0, ranges.RANGE_BYTES) + 1  # whole lines, about a range
            if cut == 0 and not ended:  # no \n in a range (lines ending in \r alone, or one
                raise _Damaged  # that long): not held whole, the serial reader reads on
            if cut == 0:  # the last line, without a line end
                cut = len(buffer)
            # the next chunk must not start with a byte order mark (pyarrow's reader would drop
            # it): its first bytes known, past any line that starts so
            while cut < len(buffer) or not ended:
                if len(buffer) - cut < len(ranges._BOM) and not ended:
                    more()
                    continue
                if buffer[cut : cut + len(ranges._BOM)] != ranges._BOM:
                    break
                found = buffer.find(b"\n", cut)
                if found >= 0:
                    cut = found + 1
                elif ended:
                    cut = len(buffer)
                elif len(buffer) - cut >= ranges.RANGE_BYTES:  # not held whole (as above)
                    raise _Damaged
                else:
                    more()
            yield begin, begin + cut, bytes(buffer[:cut])
            del buffer[:cut]
            begin += cut
    except _Damaged:
        yield begin, DAMAGED, b""  # (the rows before it first, in order)
    finally:
        stream.close()


DAMAGED: Final = -1  # a chunk's end where the decompression failed (or a line too long to
# hold): read serially from begin


class _Damaged(Exception):
    """The decompressing stream raised, or a line is too long to hold: read serially."""


def read_ahead(
    items: Iterator[tuple[int, int, bytes]], depth: int
) -> Iterator[tuple[int, int, bytes]]:
    """`items` produced on a thread of their own (decompression holds no GIL), up to `depth`
    ahead of the consumer; an error of theirs raised here, in order."""
    ready: queue.Queue[tuple[int, int, bytes] | BaseException | None] = queue.Queue(depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(None)
        except BaseException as error:  # handed on: raised in the consumer's thread
            ready.put(error)
        finally:
            ranges._close(items)  # (its stream closed on this thread)

    thread = threading.Thread(target=produce, name="wacost-decompress", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let it go: it stops at its next item
            try:
                ready.get_nowait()
            except queue.Empty:
                thread.join(0.05)
