"""The fast paths give what the plain ones give: libyaml against the bounded pure-Python loader,
pyarrow's factorize against pandas', the small ledger's sorts against pandas' hash tables."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from wacost import arrow, files, yaml_loading
from wacost.campaign import _may_hold_line_break, inspect_campaign, read_batches
from wacost.counting import ledger
from wacost.counting.batch import _keys, factorize
from wacost.counting.columns import _dictionary
from wacost.counting.table import CountTable
from wacost.errors import InputFileError
from wacost.numbers import plan
from wacost.prices import parsed
from wacost.prices.loading import load_price_book

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    p
    for folder in ("pricing", "samples", "src/wacost/classifier_data", "tests/data")
    for p in (ROOT / folder).rglob("*.y*ml")
)


def _same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (True == 1 and 1.0 == 1.00 are not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_libyaml_reads_every_shipped_file_as_the_bounded_loader(path):
    text = files.read_text_file(path, "test")
    bounded = yaml.load(text, Loader=yaml_loading._BoundedSafeLoader)
    if yaml_loading._FastSafeLoader is None:  # PyYAML without libyaml: the bounded loader reads all
        assert yaml_loading._load_fast(text) is None
        return
    assert _same(yaml.load(text, Loader=yaml_loading._FastSafeLoader), bounded)


def test_there_are_yaml_files_to_compare():
    assert len(YAML_FILES) > 20


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # an anchor: the bounded loader counts the aliases
        "x" * (yaml_loading.FAST_YAML_CHARS + 1),  # too long to be sure of the node bound
    ],
)
def test_anchors_and_long_files_go_to_the_bounded_loader(text):
    assert yaml_loading._load_fast(text) is None


def test_an_error_is_worded_by_the_bounded_loader():
    with pytest.raises(Exception) as fast:
        files.load_yaml_text("a: 1\nb: [1, 2\n", "f.yaml")
    with pytest.raises(yaml.YAMLError) as bounded:
        yaml.load("a: 1\nb: [1, 2\n", Loader=yaml_loading._BoundedSafeLoader)
    assert str(fast.value).startswith("f.yaml:")
    mark = bounded.value.problem_mark  # type: ignore[attr-defined]
    assert f"f.yaml:{mark.line + 1}: not valid YAML" in str(fast.value)


@pytest.mark.parametrize("high", [3, 5000, 10**12])
def test_factorize_is_pandas_factorize(high):
    values = np.random.default_rng(high).integers(0, high, 50_000).astype(np.int64)
    labels, uniques = factorize(values)
    expected_labels, expected_uniques = pd.factorize(values)
    assert labels.tolist() == expected_labels.tolist()
    assert uniques.tolist() == expected_uniques.tolist()


@pytest.mark.parametrize("high", [1, 3, 5000, 70_000, 10**7, 10**12])
def test_batch_keys_are_pandas_factorize_in_order_of_first_row(high):
    # small codes take the table indexed by code, large ones factorize: the same keys
    values = np.random.default_rng(high).integers(0, high, 8_000).astype(np.int64)
    labels, uniques, first_row = _keys(values)
    expected_labels, expected_uniques = pd.factorize(values)
    assert labels.tolist() == expected_labels.tolist()
    assert uniques.tolist() == expected_uniques.tolist()
    assert first_row.tolist() == [values.tolist().index(u) for u in uniques.tolist()]


@pytest.mark.parametrize("bits", [0, 1, 4, 7, 10])
def test_a_numbers_partition_is_the_top_bits_of_its_fibonacci_hash(bits):
    numbers = np.random.default_rng(bits).integers(-(2**63), 2**63 - 1, 10_000, dtype=np.int64)
    expected = [((int(x) % 2**64) * 0x9E3779B97F4A7C15 % 2**64) >> (64 - bits) for x in numbers]
    assert ledger.partition_of(numbers, bits).tolist() == (expected if bits else [0] * 10_000)


@pytest.mark.parametrize("high", [2, 100, 10**12])
def test_the_ledger_sorts_and_hash_tables_agree(monkeypatch, high):
    values = np.random.default_rng(high).integers(0, high, 20_000).astype(np.int64)
    values = np.concatenate([values, values[::-50]])  # repeats, whatever the range
    wanted = values[::37].copy()
    small = ledger._duplicated(values), ledger._isin(values, wanted)
    monkeypatch.setattr(ledger, "HASH_RECORDS", 0)
    big = ledger._duplicated(values), ledger._isin(values, wanted)
    assert small[0].tolist() == big[0].tolist() == pd.Series(values).duplicated().tolist()
    assert small[1].tolist() == big[1].tolist()
    assert small[0].any() and small[1].any()


def test_a_count_table_round_trips_through_pandas():
    table = CountTable.of(
        [
            (0, 2, "IN", "spring_sale", "en", "", "", 2**70, 2),
            (1, 0, "BR", "login_code", "", "authentication", "csw", 3, 9),
        ]
    )
    frame = table.to_pandas()
    assert frame["messages"].tolist() == [2**70, 3]
    assert str(frame["file"].dtype) == "int32"
    assert CountTable.from_pandas(frame) == table


def test_the_parsed_tables_are_current():
    """Rebuild with `python scripts/build_parsed_tables.py` after editing pricing/*.yaml."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_parsed_tables.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    recorded = parsed._recorded()
    for path in sorted((ROOT / "pricing").glob("*.yaml")):
        text = files.read_text_file(path, "price table")
        entry = recorded[parsed.digest(text)]
        assert entry["file"] == path.name
        assert _same(parsed.decode(entry["data"]), files.load_yaml_text(text, str(path)))


def test_a_stale_record_is_never_used(tmp_path, monkeypatch):
    """An edited card is read from its YAML, even with the old card's record shipped."""
    for path in (ROOT / "pricing").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    card = tmp_path / "rate-card-2026-10-01-USD.yaml"
    text = card.read_text(encoding="utf-8")
    assert parsed.digest(text) in parsed._recorded()
    edited = text.replace("marketing: 0.0618", "marketing: 0.0999", 1)
    assert edited != text
    card.write_text(edited, encoding="utf-8")
    parsed_here = []
    real = parsed.load_yaml_text

    def spy(text: str, where: str) -> object:
        parsed_here.append(where)
        return real(text, where)

    monkeypatch.setattr(parsed, "load_yaml_text", spy)
    book = load_price_book(tmp_path)
    assert parsed_here == [str(card)]  # the edited file is parsed; the others are recorded
    assert "0.0999" in repr(book.cards)
    assert "0.0999" not in repr(load_price_book().cards)


def test_the_record_keeps_every_type():
    value = {
        "a": [Decimal("0.0100"), dt.date(2026, 10, 1), None, True, 3, "x"],
        1: {"$decimal": "not a tag"},
        dt.date(2026, 1, 1): [],
    }
    assert _same(parsed.decode(json.loads(json.dumps(parsed.encode(value)))), value)
    with pytest.raises(parsed.Uncacheable):
        parsed.encode({"when": dt.datetime(2026, 1, 1)})


@pytest.mark.parametrize("start", [0, 1, 3])
def test_the_byte_scan_finds_every_line_break(start):
    values = ["+919876512345", "a\nb", "", "x\ry", "é\u2028", "plain", "ünï"]
    column = pa.array(values).slice(start)
    for offset in range(len(column)):
        for length in range(len(column) - offset + 1):
            part = column.slice(offset, length)
            broken = any("\n" in v or "\r" in v for v in part.to_pylist())
            assert _may_hold_line_break(part) == broken, (start, offset, length)


def test_a_line_break_in_a_value_is_still_refused(tmp_path):
    path = tmp_path / "c.csv"
    rows = "".join(f"+9198765{i:05d},spring_sale\n" for i in range(3000))
    path.write_text("phone,template\n" + rows + '+919876500001,"spring\nsale"\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"c.csv:3002: the template field"):
        for _ in read_batches(inspect_campaign(path), block_size=4096):
            pass


def test_the_number_patterns_record_is_current_and_used():
    """Rebuild with `python scripts/build_number_patterns.py` after upgrading phonenumbers.

    Under another phonenumbers release than the record's, the record is not used at all."""
    recorded = json.loads(plan.PATTERNS.read_text(encoding="utf-8"))["phonenumbers"]
    if recorded == plan.phonenumbers.__version__:
        run = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "build_number_patterns.py"), "--check"],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr
        assert plan._recorded_patterns() is not None
    else:
        assert plan._recorded_patterns() is None
    for strict in (False, True):
        assert plan._national_patterns(strict) == plan._metadata_patterns(strict)


def test_the_number_patterns_of_another_release_are_read_from_its_metadata(monkeypatch):
    monkeypatch.setattr(plan.phonenumbers, "__version__", "0.0.0")
    plan._recorded_patterns.cache_clear()
    plan._national_patterns.cache_clear()
    try:
        assert plan._recorded_patterns() is None
        assert plan._national_patterns(True) == plan._metadata_patterns(True)
    finally:
        monkeypatch.undo()
        plan._recorded_patterns.cache_clear()
        plan._national_patterns.cache_clear()


@pytest.mark.parametrize(
    "values",
    [
        np.array([True, False, True] * 7),
        np.arange(-5, 30, dtype=np.int64),
        np.arange(9, dtype=np.int32)[::2],
        np.array([0, 2**64 - 1, 919876543210], dtype=np.uint64),
        np.zeros(0, dtype=np.int64),
    ],
)
def test_arrays_from_numpy_are_pyarrows(values):
    made = arrow.from_numpy(values)
    assert made.equals(pa.array(values))
    for start in range(min(len(values), 4)):
        part = made.slice(start)
        assert arrow.to_numpy(part).tolist() == part.to_numpy(zero_copy_only=False).tolist()


def test_strings_and_scalars_are_pyarrows():
    values = ["", "spring_sale", None, "é€😀", "a,b"]
    assert arrow.strings(values).equals(pa.array(values, pa.string()))
    assert arrow.strings([]).equals(pa.array([], pa.string()))
    assert arrow.utf8("x").equals(pa.scalar("x", pa.string()))
    assert arrow.utf8(None).equals(pa.scalar(None, pa.string()))
    assert arrow.boolean(False).equals(pa.scalar(False))


def test_the_sample_is_priced_without_loading_pandas():
    """pandas costs a quarter of a second to import: the small path never needs it."""
    code = (
        "import sys\n"
        "from wacost.cli import main\n"
        "sys.argv = ['wacost', 'estimate', 'samples/campaign.csv', '--templates',\n"
        "            'samples/templates.json', '--date', '2026-11-25', '--format', 'json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "print('pandas' in sys.modules, file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert '"schema": "wacost.estimate/1"' in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(
    "codes",
    [
        np.zeros(1000, dtype=np.int64),  # one value
        np.arange(5000, dtype=np.int64) << 40,  # values alike in their low bits
        np.arange(5000, dtype=np.int64) % 7,
        np.random.default_rng(3).integers(0, 2**62, 30_000).astype(np.int64),
        np.random.default_rng(4).integers(0, 50, 3).astype(np.int64),
        np.array([5], dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    ],
)
def test_duplicates_are_pandas_duplicated(codes):
    codes = np.concatenate([codes, codes[::-3]])
    assert ledger._duplicated(codes).tolist() == pd.Series(codes).duplicated().tolist()


def test_an_automaton_is_taken_from_the_record_only_for_its_exact_patterns():
    code, patterns = 91, plan._national_patterns()[91]
    recorded = plan._recorded_patterns()  # None under another phonenumbers release
    automata = recorded["automata"] if recorded is not None else {}
    assert (plan.dfa_key(code, patterns) in automata) == (recorded is not None)
    for got, want in zip(plan.recorded_dfa(code, patterns), plan.build_dfa(code, patterns)):
        assert np.array_equal(got, want)
    changed = [*patterns[:-1], patterns[-1] + "9"]  # another pattern text: built, not recorded
    assert plan.dfa_key(code, changed) not in automata
    for got, want in zip(plan.recorded_dfa(code, changed), plan.build_dfa(code, changed)):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("memory_records", [1, 700, 10**9])
def test_a_spilled_ledger_settles_as_one_held_in_memory(tmp_path, memory_records):
    # spilled chunks are read back into one array, the held records after them: the same
    # duplicates, exclusions and first lines as a ledger that never spills
    rng = np.random.default_rng(11)
    batches = []
    for at in range(0, 6_000, 1_000):
        numbers = rng.integers(10**10, 10**10 + 3_000, 1_000)
        batches.append((numbers, rng.integers(0, 4, 1_000), at + np.arange(1_000)))
    blocked = rng.integers(10**10, 10**10 + 3_000, 200)

    def settle(memory: int) -> ledger._Settled:
        with ledger.RecipientLedger(
            True, 50_000, memory_records=memory, partition_records=2_000, directory=str(tmp_path)
        ) as book:
            book.add(blocked, ledger._OPTED_OUT, 0)
            for numbers, keys, ordinals in batches:
                book.add(numbers, keys, ordinals, rng.integers(1, 5, len(numbers)))
            assert book.spilled == (memory < 10**9)
            return book.settle(np.array([0, 1, 0, 2]), 3)

    rng_state = rng.bit_generator.state
    expected = settle(10**9)
    rng.bit_generator.state = rng_state
    got = settle(memory_records)
    assert got.duplicate_messages == expected.duplicate_messages > 0
    assert got.duplicate_first == expected.duplicate_first
    assert got.excluded_messages == expected.excluded_messages > 0
    assert got.excluded_first == expected.excluded_first
    assert got.excluded_by_key == expected.excluded_by_key
    assert got.first_kept is not None and expected.first_kept is not None
    assert got.first_kept.tolist() == expected.first_kept.tolist()


@pytest.mark.parametrize("case", ["prefix", "later", "many", "nulls", "short"])
def test_a_columns_dictionary_is_pyarrows_dictionary_encode(case):
    # names looked up in those of the first rows, the later ones encoded apart: the same
    # dictionary, in order of first row, and the same indices
    rng = np.random.default_rng(5)
    names = ["spring_sale", "order_shipped", "login_code", "cart_reminder"]
    values = [names[i] for i in rng.integers(0, 4, 5_000)]
    if case == "later":  # names that first show past the first rows, one of them twice
        values[3_000] = values[4_321] = "appointment_reminder"
        values[2_000] = "Black_Friday"
    elif case == "many":
        values = [f"t{i % 3_000}" for i in rng.integers(0, 10**6, 5_000)]
    elif case == "short":
        values = values[:100]
    column = pa.array(values, pa.string())
    if case == "nulls":
        column = pa.array([None if i % 7 == 0 else v for i, v in enumerate(values)], pa.string())
    got, expected = _dictionary(column), pc.dictionary_encode(column)
    assert got.dictionary.to_pylist() == expected.dictionary.to_pylist()
    assert got.indices.to_pylist() == expected.indices.to_pylist()
