"""Every edge-case file gets the outcome cases.yaml names: a report, or one clear line and exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

EDGE = Path(__file__).resolve().parent / "edge_cases"
CASES = yaml.safe_load((EDGE / "cases.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_edge_case(wacost, tmp_path, monkeypatch, case):
    monkeypatch.chdir(EDGE)
    args = [str(a) for a in case["args"]]
    if args[0] == "estimate" and "--date" not in args:
        args += ["--date", "2026-11-25"]
    output = tmp_path / "report.out"
    if args[0] in ("estimate", "report"):
        args += ["--output", str(output)]
    run = wacost(*args)
    assert run.exit_code == case["exit"], run.stderr
    if case["exit"] == 2:
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith("wacost: error: ")
        assert case["error"] in lines[0]
        assert "Traceback" not in run.stderr
        assert not output.exists()
        assert list(tmp_path.iterdir()) == []  # no temporary file left behind either
        assert run.stdout == ""
    else:
        assert output.exists()


def test_no_yaml_runs_code(wacost, monkeypatch):
    marker = Path("/tmp/wacost-pwned")
    marker.unlink(missing_ok=True)
    monkeypatch.chdir(EDGE)
    wacost("estimate", "invalid_phone.csv", "--templates", "yaml_python_tag.yaml")
    assert not marker.exists()


def test_debug_shows_the_traceback(wacost, monkeypatch):
    monkeypatch.chdir(EDGE)
    with pytest.raises(Exception, match="no such file"):
        wacost("estimate", "no_such_file.csv", "--debug")


def test_errors_never_show_a_whole_phone_number(wacost, monkeypatch):
    monkeypatch.chdir(EDGE)
    for name in ("ragged_row.csv", "unbalanced_quotes.csv"):
        run = wacost("estimate", name)
        assert run.exit_code == 2
        assert "46701234567" not in run.stderr


def test_csv_report_escapes_formulas(wacost, monkeypatch):
    monkeypatch.chdir(EDGE)
    run = wacost("estimate", "formula_template_name.csv", "--format", "csv", "--date", "2026-11-25")
    assert run.exit_code == 0
    assert "'=HYPERLINK" in run.stdout
    assert ",=HYPERLINK" not in run.stdout


def test_reports_contain_no_phone_numbers(wacost):
    from tests.conftest import SAMPLES

    numbers = [
        line.split(",")[0].replace(" ", "").lstrip("+0")
        for line in (SAMPLES / "campaign.csv").read_text().splitlines()[1:]
    ]
    for fmt in ("json", "csv", "markdown", "table"):
        run = wacost(
            "estimate",
            SAMPLES / "campaign.csv",
            "--templates",
            SAMPLES / "templates.json",
            "--format",
            fmt,
            "--date",
            "2026-11-25",
        )
        compact = run.stdout.replace(" ", "")
        assert not [n for n in numbers if len(n) > 7 and n in compact]


def test_output_replaces_only_on_success(wacost, tmp_path, monkeypatch):
    monkeypatch.chdir(EDGE)
    target = tmp_path / "report.json"
    target.write_text("previous report")
    run = wacost("estimate", "ragged_row.csv", "--output", target)
    assert run.exit_code == 2
    assert target.read_text() == "previous report"
    shutil.copy(EDGE / "windows_newlines.csv", tmp_path / "ok.csv")
    run = wacost(
        "estimate",
        tmp_path / "ok.csv",
        "--output",
        target,
        "--format",
        "json",
        "--date",
        "2026-11-25",
    )
    assert run.exit_code == 0
    assert target.read_text().startswith("{")


def test_broken_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys

    numbers = tmp_path / "numbers.txt"
    numbers.write_text("+46701234567\n" * 20000)
    run = subprocess.run(
        f"{sys.executable} -m wacost lookup --file {numbers} --format json --date 2026-11-25 | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout == "[\n  {\n    "
    assert run.stderr == ""


def test_output_file_gets_ordinary_permissions(wacost, tmp_path):
    import os

    from tests.conftest import SAMPLES

    target = tmp_path / "report.json"
    run = wacost(
        "estimate",
        SAMPLES / "plan.csv",
        "--date",
        "2026-11-25",
        "--format",
        "json",
        "--output",
        target,
    )
    assert run.exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", "samples/plan.csv", "--no-such-flag"],
        ["estimate"],
        ["lookup", "--format"],
        ["frobnicate"],
    ],
)
def test_usage_errors_are_one_line(args):
    import subprocess
    import sys

    from tests.conftest import ROOT

    run = subprocess.run(
        [sys.executable, "-m", "wacost", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("wacost: error: ")
    assert "Traceback" not in run.stderr and run.stdout == ""
