"""The faults an adversarial run found (issue 14), one test per case.

Each case ends in a correct report or one clear line on stderr with exit 2, with nothing
replaced, left behind or leaked. Cases that need a real process (closed streams, signals,
FIFOs, resource limits) run wacost as a subprocess; the others run it in-process.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, write

EDGE = ROOT / "tests" / "edge_cases"
DATE = ("--date", "2026-11-25")
PLAN = "country,template,count\nIN,spring_sale,5\n"


def cli(
    *args: str | Path,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    shell_prefix: str = "",
    shell_suffix: str = "",
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """wacost in a real process (through bash when a prefix/suffix such as a ulimit is given)."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(ROOT / "src")
    if shell_prefix or shell_suffix:
        quoted = " ".join(_quote(str(a)) for a in args)
        command = f"{shell_prefix} {_quote(sys.executable)} -m wacost {quoted} {shell_suffix}"
        return subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=full_env,
            timeout=timeout,
        )
    return subprocess.run(
        [sys.executable, "-m", "wacost", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
    )


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def assert_one_error_line(stderr: str, *contains: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("wacost: error: "), stderr
    assert "internal error" not in lines[0], stderr
    for text in contains:
        assert text in lines[0], stderr


# --- 1. money and counts never wrap past 2^63 ------------------------------------------------


def test_counts_past_int64_are_summed_exactly():
    """9.3M rows of 999,999,999,999 add up past 2^63: the merged table keeps the exact sum."""
    from wacost.counting.pipeline import _Tables

    tables = _Tables(["IN"])
    per_batch = 10**18  # a batch's per-key sum (within int64); 10 batches pass 2^63
    for _ in range(10):
        key = _one_key_batch(per_batch)
        tables.merge(key, 1)
    table = tables.frame({}, None)
    assert table.rows[0].messages == 10 * per_batch


def _one_key_batch(messages: int):
    import numpy as np

    from wacost.counting.batch import RowKind, _BatchCounts

    one = np.zeros(1, dtype=np.int64)
    return _BatchCounts(
        file_index=0,
        first_line=2,
        num_rows=1,
        kind=np.array([RowKind.PLANNED]),
        country=np.array([1]),
        template=one,
        language=one,
        category=one,
        window=one,
        messages=np.array([messages], dtype=np.int64),
        first_row=one,
        templates=["spring_sale"],
        languages=[""],
        planned=["IN"],
        numbers=np.zeros(0, dtype=np.int64),
        labels=np.zeros(0, dtype=np.int32),
        rows=np.zeros(0, dtype=np.int64),
        row_messages=None,
        bounds=np.zeros(2, dtype=np.int64),
    )


def _counts_table(messages: list[int]):
    from wacost.counting.batch import Counts, RowKind
    from wacost.counting.table import CountTable

    rows = [
        (0, int(RowKind.PLANNED), "IN", "spring_sale", "", "", "", m, 2 + i)
        for i, m in enumerate(messages)
    ]
    return Counts(table=CountTable.of(rows), files=("plan.csv",), rows=len(messages))


def test_a_total_past_int64_is_priced_exactly_and_over_budget():
    from wacost.estimate import EstimateOptions, price_counts
    from wacost.prices.loading import load_price_book
    from wacost.templates.definitions import TemplateBook

    messages = [9_300_000 * 999_999_999_999, 5]
    report = price_counts(
        _counts_table(messages),
        load_price_book(),
        TemplateBook(),
        EstimateOptions(date=dt.date(2026, 11, 25), budget=Decimal(1000)),
    )
    assert report.totals.messages == sum(messages)
    cost = report.totals.cost
    assert cost == report.lines[0].rate * sum(messages)
    assert cost > 0
    assert report.over_limit


# --- 2. -o naming an input is refused ----------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["campaign", "templates", "symlink", "hardlink", "usage", "exclude"]
)
def test_output_naming_an_input_is_refused(wacost, tmp_path, target):
    campaign = write(tmp_path / "plan.csv", PLAN)
    templates = write(
        tmp_path / "t.json", '{"data": [{"name": "spring_sale", "category": "MARKETING"}]}'
    )
    usage = write(tmp_path / "usage.csv", "market,category,messages\nIndia,marketing,5\n")
    exclude = write(tmp_path / "optout.txt", "+919876512335\n")
    outputs = {
        "campaign": campaign,
        "templates": templates,
        "usage": usage,
        "exclude": exclude,
        "symlink": tmp_path / "link.csv",
        "hardlink": tmp_path / "hard.csv",
    }
    (tmp_path / "link.csv").symlink_to(campaign)
    os.link(campaign, tmp_path / "hard.csv")
    before = {p: p.read_bytes() for p in (campaign, templates, usage, exclude)}
    run = wacost(
        "estimate",
        campaign,
        "--templates",
        templates,
        "--usage",
        usage,
        "--exclude",
        exclude,
        *DATE,
        "-o",
        outputs[target],
    )
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "--output", "input")
    assert {p: p.read_bytes() for p in before} == before


def test_report_output_naming_the_saved_report_is_refused(wacost, tmp_path):
    saved = tmp_path / "est.json"
    run = wacost(
        "estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--format", "json", "-o", saved
    )
    assert run.exit_code == 0
    before = saved.read_bytes()
    run = wacost("report", saved, "--format", "markdown", "-o", saved)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "--output", "input")
    assert saved.read_bytes() == before


def test_output_onto_a_read_only_file_is_refused(wacost, tmp_path):
    target = write(tmp_path / "report.txt", "keep me")
    target.chmod(0o444)
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "-o", target)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "read-only")
    assert target.read_text() == "keep me"


# --- 3. an opt-out list with a header but no phone column -------------------------------------
# (tests/edge_cases/exclude_no_phone_column.csv in cases.yaml)


def test_exclude_one_number_per_line_still_works(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "phone,template\n+919876512335,a\n+919876512336,a\n")
    optout = write(tmp_path / "optout.txt", "+919876512335\n")
    run = wacost("estimate", campaign, *DATE, "--exclude", optout, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["totals"]["excluded_messages"] == 1


# --- 5. phone numbers never printed whole -----------------------------------------------------

SEPARATED = [
    "+91 98765–12335",  # en dash
    "+91_98765_12335",
    "+91,98765,12335",
    "+91·98765·12335",  # middle dot
    "+91\u202f98765\u202f12335",  # narrow no-break space
    "+91\u200998765\u200912335",  # thin space
    "+91\u200798765\u200712335",  # figure space
    "+919876512335",
]
_SEPARATORS = re.compile(r"[\s\-–—_,·.()/\u2007\u2009\u202f\u00a0]")


def _digits_leaked(text: str) -> bool:
    return "9876512335" in _SEPARATORS.sub("", text)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
def test_numbers_in_name_columns_are_masked_in_every_format(wacost, tmp_path, fmt):
    rows = "".join(f'+919876512335,"{n}","{n}"\n' for n in SEPARATED)
    campaign = write(tmp_path / "shifted.csv", "phone,template,language\n" + rows)
    run = wacost("estimate", campaign, *DATE, "--format", fmt)
    assert run.exit_code == 0, run.stderr
    assert not _digits_leaked(run.stdout), run.stdout
    assert not _digits_leaked(run.stderr)


@pytest.mark.parametrize("number", SEPARATED)
def test_numbers_in_errors_are_masked(wacost, tmp_path, number):
    campaign = write(tmp_path / "c.csv", f'phone,template,category\n+919876512335,a,"{number}"\n')
    run = wacost("estimate", campaign, *DATE)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "category")
    assert not _digits_leaked(run.stderr), run.stderr


def test_an_ordinary_name_with_a_date_is_not_masked(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "country,template,count\nIN,sale_2026_11_25,3\n")
    run = wacost("estimate", campaign, *DATE, "--format", "json")
    assert run.json()["by_template"][0]["template"] == "sale_2026_11_25"


# --- 6. markup and escapes in names are printed literally -------------------------------------

HOSTILE_NAMES = [
    "[/x]",
    "[bold red]x[/]",
    "\x1b[31mred\x1b[0m",
    "\x9b31mcsi",
    ":smile:",
    "![img](http://evil.example/p.png)",
    "[link](http://evil.example)",
    "@octocat",
    "<img src=x onerror=alert(1)>",
    "&#64;team",
    '=HYPERLINK("http://evil.example")',
    "x\u202eevil",
]


def _hostile_campaign(tmp_path: Path) -> Path:
    rows = "".join(f'IN,"{n}",1\n' for n in HOSTILE_NAMES)
    return write(tmp_path / "hostile.csv", "country,template,count\n" + rows)


def test_markup_and_escapes_in_names_are_literal_in_the_table(wacost, tmp_path):
    run = wacost("estimate", _hostile_campaign(tmp_path), *DATE)
    assert run.exit_code == 0, run.stderr
    assert "[bold red]x[/]" in run.stdout
    assert "[/x]" in run.stdout
    assert ":smile:" in run.stdout
    for control in ("\x1b", "\x9b", "\r", "\u202e"):
        assert control not in run.stdout
        assert control not in run.stderr


@pytest.mark.parametrize("fmt", ["markdown", "csv", "html", "table"])
def test_no_control_characters_in_any_human_format(wacost, tmp_path, fmt):
    run = wacost("estimate", _hostile_campaign(tmp_path), *DATE, "--format", fmt)
    assert run.exit_code == 0, run.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", run.stdout)


def test_control_characters_in_classify_and_rates_are_inert(wacost, tmp_path):
    templates = write(
        tmp_path / "t.json",
        '{"data": [{"name": "\\u001b[31mred\\u009b[bold]x[/]", "category": "MARKETING"}]}',
    )
    for fmt in ("table", "json"):
        run = wacost("classify", templates, "--format", fmt)
        assert run.exit_code == 0, run.stderr
        assert "\x1b" not in run.stdout and "\x9b" not in run.stdout
        # markup printed as written (the table may cut a long name with "…")
        assert "[bold]x" in run.stdout
    run = wacost("classify", templates, "--format", "json")
    import json

    assert json.loads(run.stdout)[0]["name"].startswith("\x1b[31m")  # JSON keeps the data


# --- 7. Markdown: no live images, links, mentions; CSV rates without formulas ----------------


def test_markdown_names_are_neutralised(wacost, tmp_path):
    saved = tmp_path / "est.json"
    run = wacost("estimate", _hostile_campaign(tmp_path), *DATE, "--format", "json", "-o", saved)
    assert run.exit_code == 0
    # a CR can come in through a saved report (a CSV field with one is refused)
    saved.write_text(saved.read_text().replace("@octocat", "@octocat\\r\\nx"))
    run = wacost("report", saved, "--format", "markdown")
    assert run.exit_code == 0
    out = run.stdout
    assert "![img]" not in out
    assert "[link](" not in out
    assert "@octocat" not in out
    assert "<img" not in out
    assert "&#64;" not in out
    assert "http://evil" not in out  # no bare autolink either
    assert "\r" not in out


def test_rates_csv_neutralises_formula_market_names(wacost, tmp_path):
    card = (EDGE / "card_minimal_valid.yaml").read_text()
    card = card.replace("  Sweden:", "  '=HYPERLINK(\"http://x\")':")
    path = write(tmp_path / "card.yaml", card)
    run = wacost("rates", "--pricing", path, "--format", "csv", "--date", "2026-11-25")
    assert run.exit_code == 0, run.stderr
    assert "'=HYPERLINK" in run.stdout
    assert not re.search(r"(^|,)\"?=HYPERLINK", run.stdout, re.M)


# --- 9. FIFOs and process substitution --------------------------------------------------------


def test_a_fifo_as_the_campaign_is_read(tmp_path):
    fifo = tmp_path / "campaign.fifo"
    os.mkfifo(fifo)
    body = "country,template,count\n" + "IN,spring_sale,1\n" * 20000  # more than the sniff

    def feed() -> None:
        with open(fifo, "w") as handle:
            handle.write(body)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    run = cli("estimate", fifo, *DATE, "--format", "json", timeout=60)
    writer.join(5)
    assert run.returncode == 0, run.stderr
    assert '"messages": 20000' in run.stdout


def test_process_substitution_as_the_campaign(tmp_path):
    plan = write(tmp_path / "plan.csv", PLAN)
    run = subprocess.run(
        [
            "bash",
            "-c",
            f"{_quote(sys.executable)} -m wacost estimate <(cat {_quote(str(plan))}) "
            "--date 2026-11-25 --format json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert '"messages": 5' in run.stdout


def test_a_fifo_without_a_writer_does_not_hang_when_it_is_the_exclude_list(tmp_path):
    fifo = tmp_path / "optout.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w") as handle:
            handle.write("+919876512335\n")

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    campaign = write(tmp_path / "c.csv", "phone,template\n+919876512335,a\n+919876512336,a\n")
    run = cli("estimate", campaign, "--exclude", fifo, *DATE, "--format", "json", timeout=60)
    assert run.returncode == 0, run.stderr
    assert '"excluded_messages": 1' in run.stdout


# --- 10. the ledger's spill files: few open files, gone whatever ends the process ------------


def test_spilling_ledger_keeps_few_files_open(tmp_path):
    import numpy as np

    from wacost.counting.ledger import RecipientLedger

    rng = np.random.default_rng(7)
    with RecipientLedger(
        False, 300_000_000, memory_records=1000, directory=str(tmp_path)
    ) as ledger:
        assert ledger.partitions == 1024
        fds_before = len(os.listdir("/proc/self/fd"))
        for _ in range(20):
            numbers = rng.integers(10**10, 10**11, 5000)
            ledger.add(numbers, 0, np.arange(5000))
        assert ledger.spilled
        assert len(os.listdir("/proc/self/fd")) - fds_before <= 2
        assert list(tmp_path.iterdir()) == []  # the spill file has no name on disk
        settled = ledger.settle(np.zeros(1, dtype=np.int64), 1)
    all_numbers = np.random.default_rng(7)
    drawn = np.concatenate([all_numbers.integers(10**10, 10**11, 5000) for _ in range(20)])
    assert settled.duplicate_messages == len(drawn) - len(np.unique(drawn))


def _spilling_campaign(tmp_path: Path, rows: int = 600_000) -> Path:
    import numpy as np

    numbers = np.random.default_rng(1).integers(10**9, 10**10 - 1, rows)
    lines = "\n".join(f"+9191{n}" for n in numbers.tolist())
    return write(tmp_path / "big.csv", "phone,template\n" + lines.replace("\n", ",a\n") + ",a\n")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
def test_no_spill_file_survives_a_signal(tmp_path, sig):
    """A run held mid-campaign (its input is a FIFO still open) after its ledger spilled."""
    import numpy as np

    fifo = tmp_path / "campaign.fifo"
    os.mkfifo(fifo)
    spill = tmp_path / "tmp"
    spill.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "TMPDIR": str(spill),
        "WACOST_LEDGER_MEMORY_RECORDS": "2000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "wacost", "estimate", str(fifo), *DATE, "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    numbers = np.random.default_rng(1).integers(10**7, 10**8 - 1, 300_000)
    writer = open(fifo, "w")
    try:
        writer.write("phone,template\n" + "".join(f"+9198{n},a\n" for n in numbers.tolist()))
        writer.flush()
        deadline = time.monotonic() + 60

        # wait until it spills: the spill file is open with no name ("(deleted)"); a named
        # file open there first is the probe tempfile.gettempdir() writes and removes at once
        def spilled() -> bool:
            return any(str(spill) in t and t.endswith("(deleted)") for t in _fds_of(proc.pid))

        while time.monotonic() < deadline and proc.poll() is None:
            if spilled():
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it spilled"
        assert spilled()
        assert list(spill.iterdir()) == []  # the spill file has no name, even while in use
        proc.send_signal(sig)
        time.sleep(0.2)
    finally:
        try:
            writer.close()
        except BrokenPipeError:
            pass
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert list(spill.iterdir()) == []
    assert b"Traceback" not in stderr


def _fds_of(pid: int) -> list[str]:
    out = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                out.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                pass
    except OSError:
        pass
    return out


def test_spilling_run_under_a_low_open_file_limit(tmp_path):
    campaign = _spilling_campaign(tmp_path, 100_000)
    run = cli(
        "estimate",
        campaign,
        *DATE,
        "--format",
        "json",
        env={
            "WACOST_LEDGER_MEMORY_RECORDS": "2000",
            "WACOST_BLOCK_SIZE": "65536",
            "TMPDIR": str(tmp_path),
        },
        shell_prefix="ulimit -n 64;",
    )
    assert run.returncode == 0, run.stderr
    assert '"messages": 100000' in run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv"]


# --- 11. distinct template names: a clear limit ----------------------------------------------


def test_too_many_distinct_template_names_is_a_clear_error(wacost, tmp_path, monkeypatch):
    from wacost.counting import pipeline

    monkeypatch.setattr(pipeline, "MAX_DISTINCT_NAMES", 1000)
    rows = "".join(f"IN,t{i},1\n" for i in range(1500))
    run = wacost("estimate", write(tmp_path / "c.csv", "country,template,count\n" + rows), *DATE)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "distinct template", "1,000")


# --- 13. every "internal error" becomes a clear line ------------------------------------------


def _json_deep(tmp_path: Path) -> Path:
    return write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)


def _json_bigint(tmp_path: Path) -> Path:
    return write(tmp_path / "big.json", '{"data": [{"name": "a", "id": ' + "9" * 5000 + "}]}")


@pytest.mark.parametrize(
    "option, make, contains",
    [
        ("--templates", _json_deep, "nested"),
        ("--templates", _json_bigint, "digits"),
        ("--usage", _json_deep, "nested"),
        ("--usage", _json_bigint, "digits"),
    ],
)
def test_hostile_json_inputs(wacost, tmp_path, option, make, contains):
    plan = write(tmp_path / "p.csv", PLAN)
    run = wacost("estimate", plan, *DATE, option, make(tmp_path))
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, contains)


@pytest.mark.parametrize("make", [_json_deep, _json_bigint])
def test_hostile_json_as_a_saved_report(wacost, tmp_path, make):
    run = wacost("report", make(tmp_path))
    assert run.exit_code == 2
    assert_one_error_line(run.stderr)


def test_usage_row_with_a_trailing_comma_is_read(wacost, tmp_path):
    usage = write(tmp_path / "u.csv", "market,category,messages\nIndia,marketing,5,\n")
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--usage", usage)
    assert run.exit_code == 0, run.stderr
    usage = write(tmp_path / "u.csv", "market,category,messages\nIndia,marketing,5,7\n")
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--usage", usage)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "u.csv:2", "more fields")


@pytest.mark.parametrize(
    "usage",
    [
        "market,category,messages\nIndia,marketing," + "9" * 140_000 + "\n",
        "market,category,messages\n" + "x" * 140_000 + ",marketing,5\n",
    ],
    ids=["huge count", "huge field"],
)
def test_hostile_usage_csv(wacost, tmp_path, usage):
    run = wacost(
        "estimate",
        write(tmp_path / "p.csv", PLAN),
        *DATE,
        "--usage",
        write(tmp_path / "u.csv", usage),
    )
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "u.csv")


def _analytics(start: object, end: object) -> str:
    import json

    point = {
        "start": start,
        "end": end,
        "country": "IN",
        "pricing_category": "MARKETING",
        "volume": 5,
        "cost": 0.1,
    }
    return json.dumps({"pricing_analytics": {"data": [{"data_points": [point]}]}}).replace(
        '"NAN"', "NaN"
    )


@pytest.mark.parametrize("start", [1e300, "NAN", -5, 10**30])
def test_hostile_usage_times(wacost, tmp_path, start):
    usage = write(tmp_path / "u.json", _analytics(start, 1764000000))
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--usage", usage)
    assert run.exit_code in (0, 2), run.stderr
    if run.exit_code == 2:
        assert_one_error_line(run.stderr, "u.json")


def test_lone_surrogate_in_a_saved_report(wacost, tmp_path):
    saved = tmp_path / "est.json"
    run = wacost(
        "estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--format", "json", "-o", saved
    )
    text = saved.read_text().replace('"spring_sale"', '"spring\\ud800sale"')
    saved.write_text(text)
    for fmt in ("table", "json", "csv", "markdown", "html"):
        run = wacost("report", saved, "--format", fmt)
        assert run.exit_code in (0, 2), run.stderr
        if run.exit_code == 2:
            assert_one_error_line(run.stderr)


def test_lone_surrogate_in_template_definitions(wacost, tmp_path):
    templates = write(
        tmp_path / "t.json",
        '{"data": [{"name": "spring\\ud800sale", "category": "MARKETING", "language": "en"}]}',
    )
    run = wacost("classify", templates)
    assert run.exit_code in (0, 2)
    if run.exit_code == 2:
        assert_one_error_line(run.stderr)


@pytest.mark.parametrize(
    "codec",
    [
        "hex",
        "rot13",
        "zlib",
        "base64",
        "bz2",
        "uu",
        "quopri",
        "undefined",
        "punycode",
        "idna",
        "unicode_escape",
        "raw_unicode_escape",
    ],
)
def test_encodings_that_are_not_text_encodings(wacost, tmp_path, codec):
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--encoding", codec)
    assert run.exit_code in (0, 2)
    if run.exit_code == 2:
        assert_one_error_line(run.stderr, "--encoding")


def test_fx_rate_at_its_maximum_with_a_large_campaign(wacost, tmp_path):
    plan = write(
        tmp_path / "p.csv", "country,template,count\n" + "IN,spring_sale,999999999999\n" * 50
    )
    run = wacost(
        "estimate",
        plan,
        *DATE,
        "--currency",
        "EUR",
        "--fx-rate",
        "1000000000000000",
        "--format",
        "json",
    )
    assert run.exit_code == 0, run.stderr
    cost = Decimal(run.json()["totals"]["cost"])
    assert cost == Decimal("0.0118") * 50 * 999999999999 * 10**15


@pytest.mark.parametrize("rate", ["1e30", "99999999999999999999999999999999.5", "1e-30"])
def test_absurd_rates_on_a_card(wacost, tmp_path, rate):
    card = (
        (EDGE / "card_minimal_valid.yaml")
        .read_text()
        .replace("marketing: 0.0500", f"marketing: {rate}")
    )
    path = write(tmp_path / "card.yaml", card)
    plan = write(
        tmp_path / "p.csv", "country,template,count\n" + "SE,spring_sale,999999999999\n" * 5
    )
    run = wacost("estimate", plan, *DATE, "--pricing", path, "--format", "json")
    assert run.exit_code in (0, 2), run.stderr
    if run.exit_code == 2:
        assert_one_error_line(run.stderr, "card.yaml")


def test_absurd_fees(wacost, tmp_path):
    fees = write(
        tmp_path / "fees.yaml",
        "schema: wacost.fees/1\nname: absurd\ncurrency: USD\nsource: test\n"
        "default: {per_message: 1e40, markup_percent: 1e40}\n",
    )
    plan = write(
        tmp_path / "p.csv", "country,template,count\n" + "IN,spring_sale,999999999999\n" * 5
    )
    run = wacost("estimate", plan, *DATE, "--fees", fees, "--format", "json")
    assert run.exit_code in (0, 2), run.stderr
    if run.exit_code == 2:
        assert_one_error_line(run.stderr, "fees.yaml")


# --- 13/14. closed and failing standard streams --------------------------------------------


def test_stdout_closed(tmp_path):
    plan = write(tmp_path / "p.csv", PLAN)
    run = cli("estimate", plan, *DATE, shell_suffix=">&-")
    assert run.returncode == 2
    assert_one_error_line(run.stderr, "standard output")


def test_stdout_on_a_full_disk(tmp_path):
    plan = write(tmp_path / "p.csv", PLAN)
    run = cli("estimate", plan, *DATE, shell_suffix="> /dev/full")
    assert run.returncode == 2
    assert_one_error_line(run.stderr, "standard output")


def test_stdout_failing_leaves_output_unwritten(tmp_path):
    plan = write(tmp_path / "p.csv", PLAN)
    target = tmp_path / "report.json"
    run = cli(
        "estimate", plan, *DATE, "--format", "json", "-o", target, "-q", shell_suffix="> /dev/full"
    )
    assert run.returncode == 2
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_stderr_closed_an_error_still_exits_2(tmp_path):
    run = cli("estimate", "no_such.csv", *DATE, shell_suffix="2>&-")
    assert run.returncode == 2


def test_stderr_on_a_full_disk_an_error_still_exits_2(tmp_path):
    run = cli("estimate", "no_such.csv", *DATE, shell_suffix="2> /dev/full")
    assert run.returncode == 2


def test_ascii_stdout(tmp_path):
    plan = write(tmp_path / "p.csv", PLAN)
    for fmt in ("table", "markdown", "json"):
        run = cli("estimate", plan, *DATE, "--format", fmt, env={"PYTHONIOENCODING": "ascii"})
        assert run.returncode == 0, run.stderr
        assert "0.0590" in run.stdout


def test_low_virtual_memory_limit(tmp_path):
    plan = write(tmp_path / "p.csv", PLAN)
    run = cli("estimate", plan, *DATE, shell_prefix="ulimit -v 400000;")
    assert run.returncode in (0, 2), run.stderr
    if run.returncode == 2:
        assert_one_error_line(run.stderr)
    else:
        assert "0.0590" in run.stdout


# --- 15. wide headers, sep= hints, big cards -------------------------------------------------


def test_a_header_wider_than_the_sniff_keeps_its_phone_column(wacost, tmp_path):
    filler = ",".join(f"note_{i:05d}" for i in range(8000))  # ~90 KiB
    campaign = write(
        tmp_path / "wide.csv", f"{filler},phone,template\n{',' * 8000}+919876512335,a\n"
    )
    run = wacost("estimate", campaign, *DATE, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["totals"]["billable_messages"] == 1


def test_a_million_column_header_is_a_clear_error(tmp_path):
    campaign = tmp_path / "wide.csv"
    campaign.write_text("phone," + ",".join("x" * 1_000_000) + "\n+919876512335\n")
    run = cli("estimate", campaign, *DATE)
    assert run.returncode == 2
    assert_one_error_line(run.stderr, "columns")


def test_a_huge_card_is_rejected_by_size(wacost, tmp_path):
    card = tmp_path / "card.yaml"
    with card.open("w") as handle:
        handle.write((EDGE / "card_minimal_valid.yaml").read_text())
        handle.write("notes:\n")
        for i in range(600_000):
            handle.write(f"  - item {i:032d}\n")
    assert card.stat().st_size > 20 * 1024 * 1024
    start = time.monotonic()
    run = wacost("estimate", write(tmp_path / "p.csv", PLAN), *DATE, "--pricing", card)
    elapsed = time.monotonic() - start
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, "too large")
    print(f"huge card rejected in {elapsed:.2f} s")


def test_excel_sep_tab_hint(wacost, tmp_path):
    campaign = write(tmp_path / "c.csv", "sep=\t\ncountry\ttemplate\tcount\nIN\tspring_sale\t5\n")
    run = wacost("estimate", campaign, *DATE, "--format", "json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["totals"]["messages"] == 5


# --- 16. an unterminated quote swallowing rows ------------------------------------------------
# (tests/edge_cases/unterminated_quote_swallows_rows.csv in cases.yaml)


# --- 17. a malformed row that is not UTF-8: no traceback from the library ---------------------


def test_an_undecodable_malformed_row_prints_no_traceback(wacost, tmp_path, monkeypatch, capfd):
    """pyarrow decodes a malformed row's text before it calls our row handler: a row that is
    not UTF-8 raises there, and pyarrow prints it through the unraisable hook. The library (not
    only the command line) keeps it off stderr and names the row on its line."""
    from wacost.counting.pipeline import count_campaign
    from wacost.errors import InputFileError
    from wacost.numbers.resolver import NumberResolver
    from wacost.prices.loading import load_price_book

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # a plain process's
    data = b"phone,template,notes\n+919876543210,spring_sale,x\n"
    data += b"+919876543211,spring_sale,\xff\xfe,extra\n+919876543212,spring_sale,y\n"
    path = write(tmp_path / "bad.csv", data)
    with pytest.raises(InputFileError) as caught:
        count_campaign([path], NumberResolver(load_price_book().numbering))
    assert str(caught.value).startswith(f"{path}:3: a row has 4 fields where the header has 3")
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    run = wacost("estimate", path, *DATE)
    assert run.exit_code == 2
    assert_one_error_line(run.stderr, f"{path}:3: a row has 4 fields", "header has 3")
    assert "9876543211" not in run.stderr
    assert "Traceback" not in capfd.readouterr().err
