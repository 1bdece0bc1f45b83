"""Review of the sixth session's speed work: the seven-digit table (numbers/sevens.py), the '+'
written as '0', and the environment `wacost estimate` sets before its imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.conftest import ROOT, SAMPLES
from wacost.numbers.plan import _validity_pattern
from wacost.numbers.resolver import NumberResolver
from wacost.prices.loading import load_price_book

BOOK = load_price_book()

# calling codes of 1, 2 and 3 digits that share leading digits, and the table's edges
HEADS = [
    *("1", "1242", "1441", "1649", "1876", "7", "76", "77", "70", "44", "441", "4420", "4475"),
    *("599", "5999", "5997", "5993", "590", "39", "379", "3906698", "47", "4779", "6189164"),
    *("262", "269", "290", "247", "800", "808", "870", "878", "881", "882", "883", "888", "979"),
    *("2", "20", "21", "210", "211", "3", "38", "383", "8", "89", "9", "96", "999", "0", "01"),
]


def _adversarial() -> list[str]:
    rng = np.random.default_rng(6)
    digits: list[str] = []
    for head in HEADS:
        for total in range(1, 20):
            for fill in ("0", "9", None):
                rest = total - len(head)
                tail = (
                    "".join(map(str, rng.integers(0, 10, max(rest, 0))))
                    if fill is None
                    else fill * max(rest, 0)
                )
                digits.append((head + tail)[:total])
    return digits


def _reference(digits: list[str]) -> list[tuple[bool, str | None]]:
    """A number written after '+', checked the slow way: libphonenumber's patterns as one
    regular expression, the country by the numbering plan's longest prefix."""
    valid = pc.match_substring_regex(pa.array(digits, pa.string()), _validity_pattern())
    prefixes = BOOK.numbering.prefixes
    out = []
    for ok, number in zip(valid.to_pylist(), digits):
        country = next((prefixes[number[:n]] for n in (4, 3, 2, 1) if number[:n] in prefixes), None)
        ok = bool(ok) and country is not None
        out.append((ok, country if ok else None))
    return out


def test_numbers_near_the_tables_edges_resolve_as_the_patterns_say() -> None:
    """Shared calling-code prefixes (1/1242, 7/76/77, 44/441, 599), lengths 1 to 19, all 0s
    and all 9s after the code: the seven-digit table's verdict and country are the patterns'."""
    digits = _adversarial()
    expected = _reference(digits)
    assert any(ok for ok, _ in expected) and not all(ok for ok, _ in expected)
    resolver = NumberResolver(BOOK.numbering)
    for written in (["+" + d for d in digits], ["00" + d for d in digits]):
        # twice: the second reading takes every entry from the table the first one filled
        for _ in range(2):
            out = resolver.resolve(pa.array(written, pa.string()))
            got = [
                (bool(v), out.countries[c] if v else None)
                for v, c in zip(out.valid_mask, out.country_ids)
            ]
            assert got == expected


def test_the_table_shared_by_threads_gives_what_one_thread_gives() -> None:
    digits = _adversarial()
    parts = [["+" + d for d in digits[i::8]] for i in range(8)]
    alone = [NumberResolver(BOOK.numbering, "IN").resolve(pa.array(p)) for p in parts]
    shared = NumberResolver(BOOK.numbering, "IN")
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda p: shared.resolve(pa.array(p)), parts))
    for a, b in zip(together, alone):
        assert (a.numbers == b.numbers).all() and (a.country_ids == b.country_ids).all()
        assert (a.valid_mask == b.valid_mask).all()


@pytest.mark.parametrize("written", ["+", "++", "+++1", "+0", "+ 1", "0", "", "+\u0661"])
def test_a_plus_sign_alone_or_doubled_is_not_a_number(written: str) -> None:
    out = NumberResolver(BOOK.numbering).resolve(pa.array([written, "+447911123456"]))
    assert out.valid_mask.tolist() == [False, True]


_PROBE = """
import json, os, sys
import wacost.counting.allocator as allocator
seen = {}
set_arrow = allocator.keep_arrow_memory
def probe():
    seen["pyarrow"], seen["numpy"] = "pyarrow" in sys.modules, "numpy" in sys.modules
    set_arrow()
allocator.keep_arrow_memory = probe
if sys.argv[1] == "cli":
    from wacost.cli import main  # the console script's entry point
    sys.argv = ["wacost", *sys.argv[2:]]
    try:
        main()
    except SystemExit as done:
        assert not done.code, done.code
else:
    import datetime as dt
    from pathlib import Path
    from wacost.estimate import EstimateOptions, estimate_campaign
    from wacost.prices.loading import load_price_book
    from wacost.templates.definitions import load_templates
    estimate_campaign([Path(sys.argv[2])], load_price_book(), load_templates([Path(sys.argv[3])]),
                      EstimateOptions(date=dt.date(2026, 11, 25)))
names = ("MIMALLOC_PURGE_DELAY", "OPENBLAS_NUM_THREADS")
print(json.dumps({"env": [os.environ.get(n) for n in names], **seen}))
"""


def _probe(*args: str, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MIMALLOC_PURGE_DELAY", "OPENBLAS_NUM_THREADS")
    }
    clean["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + str(ROOT)
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict = json.loads(run.stdout.strip().splitlines()[-1])
    return result


CAMPAIGN, TEMPLATES = str(SAMPLES / "campaign.csv"), str(SAMPLES / "templates.json")


def test_the_library_leaves_the_environment_alone() -> None:
    assert _probe("library", CAMPAIGN, TEMPLATES) == {"env": [None, None]}


def test_estimate_sets_them_before_pyarrow_and_numpy_and_a_users_own_value_wins() -> None:
    args = ("cli", "estimate", CAMPAIGN, "--templates", TEMPLATES, "--date", "2026-11-25", "-q")
    assert _probe(*args) == {"env": ["-1", "1"], "pyarrow": False, "numpy": False}
    mine = _probe(*args, MIMALLOC_PURGE_DELAY="250", OPENBLAS_NUM_THREADS="3")
    assert mine["env"] == ["250", "3"]
