"""Fuzzing where the adversarial run found faults (issue 14): sums near the integer limit,
hostile names in every format, random bytes as every optional input file, every codec name,
and every command with closed or failing standard streams.

Deterministic (Hypothesis derandomized) and modest, so CI stays fast: the example counts
are in FUZZ_CASES below, and the closing note of issue 14 quotes their total.
"""

from __future__ import annotations

import datetime as dt
import encodings.aliases
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SAMPLES
from tests.test_adversarial import _counts_table, assert_one_error_line

EXAMPLES = {"sums": 60, "tables": 30, "names": 40, "inputs": 25}
FUZZ_CASES = {}  # test name -> examples per CI run (asserted by test_fuzz_case_count)


def fuzz(name: str, examples: int) -> settings:
    FUZZ_CASES[name] = examples
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# --- sums near the integer limit ----------------------------------------------------------

NEAR_LIMIT = st.integers(min_value=2**62, max_value=2**63 - 1) | st.integers(0, 999_999_999_999)


@fuzz("sums", EXAMPLES["sums"])
@given(st.lists(NEAR_LIMIT, min_size=1, max_size=40), st.integers(1, 5))
def test_exact_sums_never_wrap(values, groups):
    from wacost.counting.ledger import exact_sum, exact_sums_by

    array = np.array(values, dtype=np.int64)
    labels = np.arange(len(values)) % groups
    assert exact_sum(array) == sum(values)
    expected = [sum(v for v, g in zip(values, labels) if g == k) for k in range(groups)]
    assert exact_sums_by(labels, array, groups) == expected


@fuzz("tables", EXAMPLES["tables"])
@given(st.lists(st.integers(min_value=2**60, max_value=2**64), min_size=1, max_size=12))
def test_priced_totals_near_the_limit_are_exact(messages):
    from wacost.estimate import EstimateOptions, price_counts
    from wacost.prices.loading import load_price_book
    from wacost.templates.definitions import TemplateBook

    report = price_counts(
        _counts_table(messages),
        _BOOK,
        TemplateBook(),
        EstimateOptions(date=dt.date(2026, 11, 25)),
    )
    assert report.totals.messages == sum(messages)
    assert report.totals.cost == report.lines[0].rate * sum(messages)
    assert load_price_book  # the book is loaded once, below


def _book():
    from wacost.prices.loading import load_price_book

    return load_price_book()


_BOOK = _book()

# --- hostile names in every format ----------------------------------------------------------

HOSTILE = st.lists(
    st.sampled_from(
        [
            *"[]()!<>@&#`*_|\\/:=+-.;,'\"x ",
            *["\x1b", "\x9b", "\x07", "\x00", "\u202e", "\u2066", "http://", "www.", "[/"],
            *["[bold]", "\ud800", "\n", "\r", "\t", ":smile:", "&#64;", "=HYPERLINK("],
        ]
    ),
    min_size=1,
    max_size=12,
).map("".join)
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


_REPORT = None


def _report_with(name: str) -> dict:
    """A priced report whose template and language are `name` (as a saved report may hold)."""
    global _REPORT
    from wacost.estimate import EstimateOptions, price_counts
    from wacost.templates.definitions import TemplateBook

    if _REPORT is None:
        table = _counts_table([3]).table
        row = table.rows[0]._replace(template="PLACEHOLDER", language="PLACEHOLDER")
        counts = type(_counts_table([3]))(table=type(table)((row,)), files=("plan.csv",), rows=1)
        _REPORT = price_counts(
            counts, _BOOK, TemplateBook(), EstimateOptions(date=dt.date(2026, 11, 25))
        )

    def swap(value):
        if isinstance(value, str):
            return value.replace("PLACEHOLDER", name)
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    from wacost.report.document import from_dict, to_dict

    return from_dict(swap(to_dict(_REPORT)))


@fuzz("names", EXAMPLES["names"])
@given(HOSTILE)
def test_hostile_names_in_every_format(name):
    from wacost.render import RENDERERS, render_report

    report = _report_with(name)
    for fmt in RENDERERS:
        text = render_report(report, fmt)
        assert not _UNSAFE.search(text), (fmt, name)
        text.encode("utf-8")  # no lone surrogate survives
        if fmt == "markdown":
            body = text.split("\n", 1)[1]  # after wacost's own marker comment
            assert "<" not in body.replace("<details>", "").replace("</details>", "").replace(
                "<summary>", ""
            ).replace("</summary>", "").replace("<b>", "").replace("</b>", "")
            body = body.split("Rate card:")[0]  # wacost's own source link comes after
            assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", body)  # no live link or image
            assert not re.search(r"@\w", body)  # no @-mention
            assert not re.search(r"https?://|www\.", body)


# --- random bytes as every optional input file ----------------------------------------------

OPTIONAL_INPUTS = ["--templates", "--usage", "--fees", "--policy", "--pricing", "--exclude"]
SEEDS = st.sampled_from(
    [
        b"",
        b"{",
        b"[" * 5000,
        b"\xff\xfe\x00",
        b"market,category,messages\n",
        b"- a\n- b\n",
        b"number,name\n1,2\n",
        b"schema: wacost.rate_card/1\n",
        b"\x00\x01\x02",
        b"a: &a [1]\nb: *a\n",
    ]
)


@fuzz("inputs", EXAMPLES["inputs"])
@given(st.sampled_from(OPTIONAL_INPUTS), SEEDS, st.binary(max_size=200))
def test_random_bytes_as_every_optional_input(wacost_inline, option, seed, tail):
    path = _FUZZ_DIR / "input.yaml"
    path.write_bytes(seed + tail)
    run = wacost_inline(
        "estimate", SAMPLES / "plan.csv", "--date", "2026-11-25", option, path, "--format", "json"
    )
    assert run.exit_code in (0, 1, 2), run.stderr
    if run.exit_code == 2:
        assert_one_error_line(run.stderr)


_FUZZ_DIR = Path(__import__("tempfile").mkdtemp(prefix="wacost-fuzz-adv-"))
__import__("atexit").register(__import__("shutil").rmtree, _FUZZ_DIR, True)  # made at import


@pytest.fixture(scope="module")
def wacost_inline():
    from typer.testing import CliRunner

    from tests.conftest import Run
    from wacost.cli import app

    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


# --- every codec name ----------------------------------------------------------------------

CODECS = sorted(set(encodings.aliases.aliases.values()) | {"rot13", "undefined", "mbcs", "oem"})


def test_every_codec_name_as_encoding(wacost_inline, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text("country,template,count\nIN,spring_sale,5\n")
    outcomes = {0: 0, 2: 0}
    for codec in CODECS:
        run = wacost_inline("estimate", plan, "--date", "2026-11-25", "--encoding", codec, "-q")
        assert run.exit_code in (0, 2), (codec, run.stderr)
        if run.exit_code == 2:
            assert_one_error_line(run.stderr)
        outcomes[run.exit_code] += 1
    FUZZ_CASES["codecs"] = len(CODECS)
    assert outcomes[0] > 20 and outcomes[2] > 5  # text encodings read; the others refused


# --- closed and failing standard streams, every command -------------------------------------

COMMANDS = {
    "estimate": ["estimate", str(SAMPLES / "plan.csv"), "--date", "2026-11-25"],
    "report": ["report", str(ROOT / "tests" / "golden" / "plan.json")],
    "lookup": ["lookup", "+46701234567"],
    "rates": ["rates", "--date", "2026-11-25"],
    "classify": ["classify", str(SAMPLES / "templates.json")],
}
STREAMS = {"stdout closed": ">&-", "stdout full": "> /dev/full", "stderr closed": "2>&-"}


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_with_broken_streams(command, stream):
    import os
    import shlex

    args = " ".join(shlex.quote(a) for a in COMMANDS[command])
    run = subprocess.run(
        ["bash", "-c", f"{shlex.quote(sys.executable)} -m wacost {args} {STREAMS[stream]}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
    )
    if stream == "stderr closed":
        assert run.returncode == 0
    else:
        assert run.returncode == 2
        assert_one_error_line(run.stderr, "standard output")


def test_fuzz_case_count():
    """The examples one CI run feeds the properties above (quoted in the closing note)."""
    assert FUZZ_CASES["sums"] + FUZZ_CASES["tables"] + FUZZ_CASES["names"] > 100
    print("fuzz cases per run:", FUZZ_CASES)
