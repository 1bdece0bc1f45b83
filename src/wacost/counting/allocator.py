"""Keep freed memory for reuse while a large campaign is counted (glibc's malloc only).

Counting a large file allocates and frees arrays of 0.25 to 30 MiB a few hundred thousand
times. glibc serves each one above its mmap threshold (128 KiB at first, raised as such blocks
are freed) with a fresh mapping, and gives freed memory at the top of its heap back to the
system past its trim threshold: each reuse then faults every page in again. Measured on 10M
rows (benchmarks/bench_estimate.py's campaign, 2 threads): 124,000-133,000 minor page faults
and 0.47-0.49 s of system time, against 54,000-59,000 and 0.30-0.35 s with the thresholds
below; peak memory the same (about 300 MiB). Where there is no glibc (musl, macOS, Windows),
nothing changes.

The thresholds hold for the whole process, so a library does not set them unasked: the
command line allows it (`allow_reuse`, a short-lived process of its own); a program that
calls wacost may too.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Final

_M_TRIM_THRESHOLD: Final = -1
_M_MMAP_THRESHOLD: Final = -3
MMAP_THRESHOLD: Final = 32 * 1024 * 1024  # glibc's largest on 64-bit (HEAP_MAX_SIZE / 2)
TRIM_THRESHOLD: Final = 64 * 1024 * 1024  # free memory a heap keeps before giving it back


_reuse_allowed = False


def allow_reuse() -> None:
    """Let a large campaign's counting set the thresholds (`keep_freed_memory`) in this process."""
    global _reuse_allowed
    _reuse_allowed = True


def keep_arrow_memory() -> None:
    """Let Arrow's allocator (mimalloc, pyarrow's default pool) keep the memory it frees for
    reuse in this process. By default it gives freed pages back to the system within
    milliseconds, and pyarrow's next block (every parsed block, every kernel's output) faults
    them in again. Takes effect only before pyarrow is first imported (the allocator reads it
    once); a MIMALLOC_PURGE_DELAY already set wins, and child processes inherit it, so only a
    process of its own calls this (the command line does, first thing).

    Measured on 10M rows (benchmarks/bench_estimate.py's campaign, 2 cores, 8 runs side by
    side): CPU time 3.09 -> 2.94 s (median; 0.90-0.99 of the default in each pair), system
    time 0.43 -> 0.33 s, minor page faults 53-59K -> 51-52K; peak memory 301 -> 319 MiB.
    """
    os.environ.setdefault("MIMALLOC_PURGE_DELAY", "-1")


def no_blas_threads() -> None:
    """Start numpy's OpenBLAS with one thread (OPENBLAS_NUM_THREADS=1 unless set): at import it
    starts a thread per core that spins a while, and wacost does no linear algebra. Takes
    effect only before numpy is first imported; for a process of its own (the command line),
    as child processes inherit it. Measured: `import numpy, pyarrow` 0.186 -> 0.130 s of CPU
    (median of 20 interleaved runs, 2 cores)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def own_process() -> None:
    """All of the above, for a process of its own (the command line, the benchmark's child),
    first thing: before pyarrow and numpy are imported."""
    keep_arrow_memory()
    no_blas_threads()
    allow_reuse()


def reuse_allowed() -> bool:
    return _reuse_allowed


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds for this process, once; whether they were set."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
