"""The compiled reader of plain numbers (wacost/numbers/_plain.c) gives every row the figures
the numpy path gives it: number, country, validity, whether something is written, and the
row's country mismatch, for numbers of every calling code and length, written every which way,
with and without a row's own country and --default-country."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import phonenumbers
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wacost.numbers import plain, sevens
from wacost.numbers.resolver import NumberResolver, ResolvedNumbers
from wacost.prices.loading import load_price_book

BOOK = load_price_book()
SOURCE = Path(plain.__file__).with_name("_plain.c")


def _fields(resolved: ResolvedNumbers) -> dict[str, object]:
    mismatch = resolved.mismatch
    return {
        "numbers": resolved.numbers.tolist(),
        "country_ids": resolved.country_ids.tolist(),
        "valid": resolved.valid_mask.tolist(),
        "present": resolved.present.tolist(),
        "mismatch": None if mismatch is None else mismatch.tolist(),
    }


def _check(
    values: list[str | None],
    regions: list[str] | None = None,
    default: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> int:
    """Resolve `values` on the numpy path, then twice with the compiled reader (the first on an
    empty seven-digit table, the second on the table the first filled); all three agree.
    Returns how many rows the compiled reader decided on its second reading."""
    assert monkeypatch is not None
    column = pa.array(values, pa.string())
    region_column = None if regions is None else pa.array(regions, pa.string())
    with monkeypatch.context() as patched:
        patched.setattr(plain, "_KERNEL", None)
        expected = _fields(NumberResolver(BOOK.numbering, default).resolve(column, region_column))
    resolver = NumberResolver(BOOK.numbering, default)
    for _ in range(2):
        assert _fields(resolver.resolve(column, region_column)) == expected
    table = resolver._sevens[False].table()
    decided = plain.decide(column.fill_null(""), table, national=regions is None and not default)
    assert decided is not None
    return len(values) - decided.undecided.size


def _numbers_of_every_code(seed: int) -> list[str | None]:
    """For every calling code: numbers of every national length from 1 to 17, with '+', without,
    with '00', and a few written with spaces; the digits random."""
    rng = np.random.default_rng(seed)
    values: list[str | None] = []
    for code in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
        for national in range(1, 18):
            digits = "".join(map(str, rng.integers(0, 10, national)))
            if digits[0] == "0" and rng.random() < 0.8:
                digits = str(rng.integers(1, 10)) + digits[1:]
            values += [f"+{code}{digits}", f"{code}{digits}", f"00{code}{digits}"]
            if national % 5 == 0:
                values += [f"+{code} {digits}", f"{digits}", f"0{digits}"]
    return values


def _examples(seed: int) -> list[str | None]:
    """libphonenumber's example number of every region and number type (valid ones, of every
    length a plan allows), each also with its last digits changed, one digit more and less,
    after '00', '+00', '+0' and '0', and written with spaces, dashes and dots."""
    rng = np.random.default_rng(seed)
    values: list[str | None] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(11):  # PhoneNumberType: FIXED_LINE .. VOICEMAIL
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            text = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            tail = "".join(map(str, rng.integers(0, 10, 3)))
            values += [text, text[:-3] + tail, text + tail[0], text[:-1], text[1:]]
            values += ["00" + text[1:], "+00" + text[1:], "+0" + text[1:], "0" + text[1:]]
            spaced = f"{text[:3]} {text[3:6]}-{text[6:]}"  # separators the numpy path drops
            values += [spaced, spaced[1:], spaced + " ", " " + spaced, spaced.replace(" ", "  ")]
            values += [spaced + "-", "+ " + text[1:], spaced.replace("-", "."), text + "-" + tail]
            values += [text + ".0", text[1:] + ".00", " 00" + text[1:], "-" + text[1:]]
    return values


def test_every_example_number_reads_as_on_the_numpy_path(monkeypatch):
    """Valid numbers of every type, among them those whose first digits leave their validity to
    the rest (the automaton's walk): the compiled reader leaves those to the numpy path."""
    values = _examples(5)
    decided = _check(values, monkeypatch=monkeypatch)
    assert decided > len(values) // 3  # (those with '00', '0', dots or odd spaces are not)


def test_the_reader_is_compiled():
    """The install built it (hatch_build.py); only WACOST_PURE_PYTHON=1 turns it off."""
    if os.environ.get("WACOST_PURE_PYTHON", "") not in ("", "0"):
        assert not plain.compiled()
    else:
        assert plain.compiled(), "wacost/numbers/_plain.c was not built: see hatch_build.py"


def test_the_entry_layout_is_the_tables():
    """The C source's copy of the seven-digit table's layout is the table's."""
    text = SOURCE.read_text()
    defined = dict(re.findall(r"#define (\w+) (\w+)", text))
    assert int(defined["NONE_SHIFT"]) == sevens.NONE_SHIFT
    assert int(defined["LENGTH_SHIFT"]) == sevens.LENGTH_SHIFT
    assert int(defined["LENGTH_MASK"], 16) == sevens.LENGTH_MASK
    assert int(defined["REGEX_SHIFT"]) == sevens.REGEX_SHIFT
    assert int(defined["COUNTRY_SHIFT"]) == sevens.COUNTRY_SHIFT
    assert int(defined["COUNTRY_MASK"], 16) == sevens.COUNTRY_MASK
    assert int(defined["TABLE_SIZE"]) == sevens._SIZE


@pytest.mark.parametrize("seed", [1, 2])
def test_every_calling_code_and_length_reads_as_on_the_numpy_path(seed, monkeypatch):
    values = _numbers_of_every_code(seed)
    decided = _check(values, monkeypatch=monkeypatch)
    assert decided > len(values) // 3  # it does read most '+' numbers itself


def test_with_a_default_country_and_each_rows_own(monkeypatch):
    values = _numbers_of_every_code(3)
    rng = np.random.default_rng(3)
    regions = [str(r) for r in rng.choice(["", "IN", "GB", "US", "DE", "XX", "BR"], len(values))]
    assert _check(values, regions=regions, monkeypatch=monkeypatch) > 0
    assert _check(values, default="IN", monkeypatch=monkeypatch) > 0


def test_near_the_buffers_start_and_in_a_slice(monkeypatch):
    """Short numbers first in a column (no eight bytes before them) and a sliced column."""
    values: list[str | None] = ["+1234", "+12345", "1234567", "+44207946", None, "", "+"]
    values += ["+919876543210", "+4915123456789", "+12125550123", "+79123456789"] * 3
    _check(values, monkeypatch=monkeypatch)
    column = pa.array(["x" * 11, *[v or "" for v in values]], pa.string()).slice(1)
    with monkeypatch.context() as patched:
        patched.setattr(plain, "_KERNEL", None)
        expected = _fields(NumberResolver(BOOK.numbering).resolve(column))
    resolver = NumberResolver(BOOK.numbering)
    for _ in range(2):
        assert _fields(resolver.resolve(column)) == expected


def test_only_empty_strings(monkeypatch):
    _check(["", "", None], monkeypatch=monkeypatch)


WRITTEN = st.lists(
    st.text(alphabet="+0123456789 -()abc.\u0661", min_size=0, max_size=24)
    | st.from_regex(r"\+?[1-9][0-9]{3,18}", fullmatch=True)
    | st.none(),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(values=WRITTEN)
def test_anything_written_reads_as_on_the_numpy_path(values):
    with pytest.MonkeyPatch.context() as monkeypatch:
        _check(values, monkeypatch=monkeypatch)
        _check(values, default="GB", monkeypatch=monkeypatch)


def test_a_short_buffer_is_refused():
    """The extension checks the sizes of what it is given (no read past a buffer)."""
    from wacost.numbers import _plain as kernel  # built by the install, whatever the environment

    offsets = np.array([0, 3], dtype=np.int32)
    data = np.frombuffer(b"+12", dtype=np.uint8)
    out = (np.empty(1, np.int64), np.empty(1, np.int16), np.empty(1, np.uint8))
    with pytest.raises(ValueError, match="table"):
        kernel.resolve(1, offsets, data, np.zeros(10, np.int64), True, *out)
    with pytest.raises(ValueError, match="offsets"):
        kernel.resolve(2, offsets, data, np.zeros(10**7, np.int64), True, *out)
    with pytest.raises(ValueError, match="numbers"):
        kernel.resolve(1, offsets, data, np.zeros(10**7, np.int64), True, out[0][:0], *out[1:])


@pytest.mark.parametrize("bits", [0, 1, 6, 10])
def test_recipients_grouped_by_partition_as_by_a_radix_sort(bits, monkeypatch):
    """The counting sort in C groups a batch's valid rows as the numpy path does."""
    from wacost.counting import ledger

    rng = np.random.default_rng(bits)
    numbers = rng.integers(10**9, 10**15, 5000, dtype=np.int64)
    numbers[::7] = numbers[3]  # repeats
    valid = rng.random(5000) < 0.9
    got = ledger.group_by_partition(valid, numbers, bits)
    with monkeypatch.context() as patched:
        patched.setattr(plain, "_KERNEL", None)
        expected = ledger.group_by_partition(valid, numbers, bits)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.tolist() == theirs.tolist()
    assert len(got[0]) == int(valid.sum())
    empty = ledger.group_by_partition(np.zeros(0, bool), np.zeros(0, np.int64), bits)
    assert [len(a) for a in empty] == [0, 0, (1 << bits) + 1]
    planned = ledger.group_by_partition(np.zeros(5, bool), np.zeros(0, np.int64), bits)
    assert [len(a) for a in planned] == [0, 0, (1 << bits) + 1]  # planning rows: no numbers


@pytest.mark.parametrize("width", [3, 4])
def test_duplicates_in_a_partition_as_on_the_numpy_path(width, monkeypatch):
    """The hash set in C finds the numpy path's repeats: their count of messages (exact past
    2**63) and first ordinal, with and without an opt-out list among the records."""
    from wacost.counting import ledger

    rng = np.random.default_rng(width)
    n = 20_000
    records = np.empty((n, width), dtype=np.int64)
    records[:, 0] = rng.integers(10**10, 10**10 + 3000, n)  # many repeats
    records[:, 1] = rng.integers(0, 7, n)
    records[:, 2] = rng.permutation(n) + (1 << 40)
    if width == 4:
        records[:, 3] = rng.integers(1, 2**62, n)  # sums past 2**63
    key_template = np.array([0, 1, 1, 2, 3, 3, 4], dtype=np.int64)
    for track_first in (False, True):
        chunk = records.copy()
        if track_first:
            chunk[::50, 1] = -1  # numbers of an opt-out list
        got = ledger._settle_chunk(chunk, key_template, 5, track_first)
        with monkeypatch.context() as patched:
            patched.setattr(plain, "_KERNEL", None)
            expected = ledger._settle_chunk(chunk, key_template, 5, track_first)
        if width == 4:
            assert expected.duplicate_messages > 2**63
        assert (got.duplicate_messages, got.duplicate_first) == (
            expected.duplicate_messages,
            expected.duplicate_first,
        )
        assert got.duplicate_messages > 0


def test_a_batchs_records_as_on_the_numpy_path(monkeypatch):
    """add_batch writes each recipient's record (number, global key, ordinal) in C as the
    numpy path does, partition by partition, held and spilled alike."""
    from wacost.counting import ledger

    rng = np.random.default_rng(9)
    n = 3000
    valid = rng.random(n) < 0.95
    numbers = rng.integers(10**9, 10**13, n, dtype=np.int64)
    labels = rng.integers(0, 40, n).astype(np.int32)
    global_ids = rng.permutation(100)[:40].astype(np.int32)

    def records(kernel: bool) -> list[list[int]]:
        with monkeypatch.context() as patched:
            if not kernel:
                patched.setattr(plain, "_KERNEL", None)
            with ledger.RecipientLedger(False, n, memory_records=1000) as book:
                for at in range(0, n, 700):  # batches, the ledger spilling between them
                    part = slice(at, at + 700)
                    rows, kept, bounds = ledger.group_by_partition(
                        valid[part], numbers[part], book.bits
                    )
                    book.add_batch(
                        kept, labels[part][rows], global_ids, rows, (1 << 40) + at, None, bounds
                    )
                assert book.spilled
                return [book._partition(p).tolist() for p in range(book.partitions)]

    assert records(kernel=True) == records(kernel=False)


def test_the_spill_is_whole_when_the_system_writes_a_little_at_a_time(monkeypatch):
    """pwritev may write less than it is given (a signal, a pipe-like file): the rest follows."""
    import os

    from wacost.counting import ledger

    real = os.pwritev
    calls = []

    def short(fd, buffers, offset):
        calls.append(len(buffers))
        first = bytes(buffers[0])[:1000]  # at most the first 1000 bytes of the first buffer
        return real(fd, [first], offset)

    rng = np.random.default_rng(2)
    numbers = rng.integers(10**9, 10**13, 5000, dtype=np.int64)
    expected = None
    for patch in (False, True):
        with monkeypatch.context() as patched:
            if patch:
                patched.setattr(ledger.os, "pwritev", short)
            with ledger.RecipientLedger(False, 5000, memory_records=600) as book:
                for at in range(0, 5000, 500):
                    book.add(numbers[at : at + 500], 3, np.arange(at, at + 500))
                assert book.spilled
                held = [book._partition(p).tolist() for p in range(book.partitions)]
        expected = held if expected is None else expected
        assert held == expected
    assert len(calls) > 100


def test_pieces_written_a_little_at_a_time_are_whole(tmp_path, monkeypatch):
    """spill.write_all resumes a short pwritev inside a piece and across pieces."""
    import os

    from wacost.counting import spill

    real = os.pwritev
    monkeypatch.setattr(
        spill.os, "pwritev", lambda fd, buffers, offset: real(fd, [bytes(buffers[0])[:7]], offset)
    )
    pieces = [memoryview(bytes([i % 256]) * (5 + i % 7)) for i in range(2000)]  # past IOV_MAX
    expected = b"".join(bytes(piece) for piece in pieces)
    with open(tmp_path / "spill", "w+b") as handle:
        spill.write_all(handle.fileno(), list(pieces), 11)
        handle.seek(11)
        assert handle.read() == expected


def test_held_batches_gathered_partition_by_partition(monkeypatch):
    """spill.gather in C and in numpy: each partition's slices of every batch, in order."""
    from wacost.counting import spill

    rng = np.random.default_rng(6)
    held = []
    for n in (0, 5, 300, 41):
        part = np.sort(rng.integers(0, 8, n))
        records = rng.integers(0, 10**12, (n, 3))
        held.append((records, np.searchsorted(part, np.arange(9)).astype(np.intp)))
    sizes = spill.counts(held, 8) * 24
    assert sizes.sum() == 346 * 24
    runs = list(spill.groups(sizes, limit=2000))
    assert runs[0][0] == 0 and runs[-1][1] == 8 and len(runs) > 2
    for first, last in [(0, 8), *runs]:
        got = bytes(spill.gather(held, first, last, 3, np.empty(10_000, np.uint8)))
        with monkeypatch.context() as patched:
            patched.setattr(plain, "_KERNEL", None)
            expected = bytes(spill.gather(held, first, last, 3, np.empty(10_000, np.uint8)))
        rows = [r[b[p] : b[p + 1]] for p in range(first, last) for r, b in held]
        assert got == expected == b"".join(row.tobytes() for row in rows)


def test_an_extension_built_from_an_older_source_is_not_used(monkeypatch):
    """An editable install compiles _plain.c once, in place; a checkout of a later _plain.c does
    not rebuild it. 5bd25f2's extension had no `split`: every campaign file larger than a range
    then failed ("internal error: AttributeError ... 'split'"). One without a function wacost
    calls, or built with another seven-digit table layout, is left unused (the numpy path)."""
    import types

    import wacost.numbers
    from wacost.numbers import _plain as built

    assert plain._load() is built  # this build: its functions and the table's layout
    older = types.ModuleType("wacost.numbers._plain")
    older.resolve = built.resolve  # type: ignore[attr-defined]
    for stale in (older, types.ModuleType("wacost.numbers._plain")):
        monkeypatch.setitem(sys.modules, "wacost.numbers._plain", stale)
        monkeypatch.setattr(wacost.numbers, "_plain", stale)
        assert plain._load() is None
    assert built.NONE_SHIFT == sevens.NONE_SHIFT
    names = [*plain._FUNCTIONS, *plain._LAYOUT, "SOURCE_SHA256"]

    def copy(**changed: object) -> types.ModuleType:
        module = types.ModuleType("wacost.numbers._plain")
        for name in names:
            setattr(module, name, changed.get(name, getattr(built, name)))
        return module

    assert len(built.SOURCE_SHA256) == 64
    for name, value in (("SOURCE_SHA256", "0" * 64), ("COUNTRY_SHIFT", built.COUNTRY_SHIFT + 1)):
        monkeypatch.setitem(sys.modules, "wacost.numbers._plain", copy(**{name: value}))
        monkeypatch.setattr(wacost.numbers, "_plain", copy(**{name: value}))
        assert plain._load() is None, name  # another source, or another layout
    monkeypatch.setitem(sys.modules, "wacost.numbers._plain", copy())
    monkeypatch.setattr(wacost.numbers, "_plain", copy())
    assert plain._load() is not None  # (the copy itself is taken: the checks above are each)


def test_gather_refuses_a_last_partition_its_bounds_cannot_hold():
    """A `last` so large that the bytes of bounds it needs, (last + 1) * 8, wrap round passed
    the length check, and gather read far past the bounds array: a crash (SIGSEGV at 2**60).
    It is refused (ValueError); run apart, so that a crash fails this test alone."""
    import subprocess

    code = (
        "import numpy as np\n"
        "from wacost.numbers import _plain\n"
        "rec = np.arange(12, dtype=np.int64).reshape(4, 3)\n"
        "b = np.array([0, 2, 4], dtype=np.intp)\n"
        "out = np.empty(1000, np.uint8)\n"
        "assert _plain.gather([rec], [b], 3, 0, 2, out) == 96\n"
        "for first, last in ((2**60, 2**60), (0, 2**62), (2**61, 2**61), (0, 2**63 - 1)):\n"
        "    try:\n"
        "        _plain.gather([rec], [b], 3, first, last, out)\n"
        "    except ValueError:\n"
        "        print('refused')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert (run.returncode, run.stdout.split()) == (0, ["refused"] * 4), run.stderr


def test_a_spill_of_one_large_partition_and_empty_ones_after_it(tmp_path):
    """One recipient over and over (a test send): a spill holds one partition larger than a
    group (spill.GROUP_BYTES) and only empty ones after it. Those were a group of their own,
    0 bytes to write, and write_all took pwritev's 0 for a full disk: 'cannot write wacost's
    temporary file of recipients' (wacost estimate on 2.1M rows to one number, exit 2)."""
    from wacost.counting import ledger, spill

    assert list(spill.groups(np.array([9 << 20, 0, 0]))) == [(0, 3)]
    assert list(spill.groups(np.array([0, 9 << 20, 0, 5, 9 << 20, 0]))) == [(0, 3), (3, 4), (4, 6)]
    n = (spill.GROUP_BYTES // 24) + 1000
    settled = []
    for memory in (n, 10**9):  # spilled; held
        with ledger.RecipientLedger(
            False, 0, memory_records=memory, directory=str(tmp_path)
        ) as book:
            assert book.partitions == 2
            candidates = np.arange(10**10, 10**10 + 100, dtype=np.int64)
            number = candidates[ledger.partition_of(candidates, book.bits) == 0][0]
            book.add(np.full(n, number), 0, np.arange(n))
            assert book.spilled == (memory == n)
            settled.append(book.settle(np.zeros(1, dtype=np.int64), 1))
    assert settled[0].duplicate_messages == settled[1].duplicate_messages == n - 1
    assert settled[0].duplicate_first == settled[1].duplicate_first
