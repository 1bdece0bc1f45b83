"""A large campaign sets glibc's malloc thresholds once (counting.allocator); a small one not."""

from __future__ import annotations

import platform
import sys

from tests.conftest import write
from wacost.counting import allocator, pipeline
from wacost.counting.allocator import keep_freed_memory
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book


def test_thresholds_are_set_where_there_is_glibc() -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is glibc
    assert keep_freed_memory() is glibc  # once: the answer is kept


def test_only_a_campaign_larger_than_a_block_sets_them_when_allowed(tmp_path, monkeypatch) -> None:
    """The thresholds are the process's: the library sets them only where allowed (the CLI)."""
    calls: list[None] = []
    monkeypatch.setattr(pipeline, "keep_freed_memory", lambda: calls.append(None))
    monkeypatch.setattr(allocator, "_reuse_allowed", False)
    rows = "".join(f"+9198765{i:05d},spring_sale\n" for i in range(2000))
    path = write(tmp_path / "c.csv", "phone,template\n" + rows)
    resolver = NumberResolver(load_price_book().numbering)
    pipeline.count_campaign([path], resolver, block_size=4096)
    assert calls == []  # a library call, not allowed
    allocator.allow_reuse()
    small = pipeline.count_campaign([path], resolver)
    assert calls == []
    large = pipeline.count_campaign([path], resolver, block_size=4096)
    assert len(calls) == 1
    assert small.table == large.table and small.rows == large.rows == 2000
