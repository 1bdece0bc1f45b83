"""Human formats that fit the terminal, say the verdict first and add up (issue 13)."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SAMPLES

TEMPLATES = SAMPLES / "templates.json"
DATE = "2026-11-25"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _in_terminal(args: list[str], columns: int, **env: str) -> tuple[int, str]:
    """Run wacost as a process whose stdout is a pseudo-terminal `columns` wide."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {
        k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")
    }
    environ.update(PYTHONPATH=str(ROOT / "src"), TERM="xterm-256color", **env)
    process = subprocess.Popen(
        [sys.executable, "-m", "wacost", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environ,
        cwd=ROOT,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


COMMANDS = {
    "estimate": [
        "estimate",
        str(SAMPLES / "campaign.csv"),
        "--templates",
        str(TEMPLATES),
        "--date",
        DATE,
        "--fees",
        "twilio",
        "--compare-date",
        "2026-09-15",
        "--budget",
        "5",
    ],
    "estimate-policy": [
        "estimate",
        str(SAMPLES / "plan.csv"),
        "--templates",
        str(TEMPLATES),
        "--date",
        DATE,
        "--policy",
        str(SAMPLES / "policy.yaml"),
    ],
    "classify": ["classify", str(TEMPLATES)],
    "rates": ["rates", "--date", DATE],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_fits_an_80_column_terminal_in_colour_and_plain_with_no_color(command: str) -> None:
    code, shown = _in_terminal(COMMANDS[command], 80)
    assert code in (0, 1), shown
    assert ANSI.search(shown), "a terminal gets colour"
    plain = ANSI.sub("", shown)
    widest = max(len(line) for line in plain.splitlines())
    assert widest <= 80, f"{command}: a line of {widest} columns"
    code, shown = _in_terminal(COMMANDS[command], 80, NO_COLOR="1")
    assert not ANSI.search(shown), "NO_COLOR: plain text"
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_wider_terminal_is_used(wacost: Any) -> None:
    code, shown = _in_terminal(COMMANDS["estimate-policy"], 140)
    assert code == 0
    plain = ANSI.sub("", shown)
    assert "Per 1,000" in plain and "█" in plain  # the room goes to the cost per 1,000 and bars
    assert max(len(line) for line in plain.splitlines()) <= 140


def test_a_pipe_gets_plain_text_of_columns_width(wacost: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    run = wacost(*COMMANDS["estimate"])
    assert not ANSI.search(run.stdout)
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


def test_verdict_comes_first_and_says_by_how_much(wacost: Any) -> None:
    run = wacost(*COMMANDS["estimate"])
    assert run.exit_code == 1
    first = run.stdout.splitlines()[0]
    # all in: Meta 8.5753 + Twilio's fees 1.5350 = 10.1103 against a budget of 5
    assert first == "OVER BUDGET by 5.1103 USD: 10.1103 of 5.0000 USD"
    run = wacost(*COMMANDS["estimate"][:-1], "50", "--format", "markdown")
    assert "✅ **Within budget: 39.8897 USD left of 50.0000 (20.2% used)**" in run.stdout


def test_quiet_over_budget_still_says_why(wacost: Any) -> None:
    run = wacost(*COMMANDS["estimate"], "--quiet")
    assert run.exit_code == 1
    assert run.stdout == "10.1103 USD\n"
    assert "OVER BUDGET by 5.1103 USD" in run.stderr


def _table_columns(text: str, title: str) -> list[tuple[str, int]]:
    """(name, Messages) per row of a Rich table in text (first column, first number column)."""
    block = text.split(title, 1)[1].split("└", 1)[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) > 2 and cells[0]:
            number = next(c for c in cells[1:] if re.fullmatch(r"[\d,]+", c))
            rows.append((cells[0], int(number.replace(",", ""))))
    return rows


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_tables_messages_add_up_to_its_total(wacost: Any) -> None:
    args = COMMANDS["estimate"][:-2]  # the sample has 4 invalid numbers: in the total only
    report = wacost(*args, "--format", "json").json()
    total = report["totals"]["messages"]
    assert sum(r["messages"] for r in report["by_category"]) < total  # so a row must show them
    text = wacost(*args, "--format", "table").stdout
    for title in ("By category", "By market", "By template"):
        rows = _table_columns(text, title)
        assert rows[-1] == ("Total", total)
        assert ("Not billed", 4) in rows
        assert sum(count for _, count in rows[:-1]) == total, title
    markdown = wacost(*args, "--format", "markdown").stdout
    tables: list[list[list[str]]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append([c.strip() for c in line.split("|")[1:-1]])
        previous = line
    breakdowns = [t for t in tables if "Messages" in t[0] and "Share" in t[0]]
    assert [t[0][0] for t in breakdowns] == ["Category", "Market", "Template"]
    for table in breakdowns:
        column = table[0].index("Messages")
        counts = [(row[0], int(row[column].replace(",", ""))) for row in table[2:]]
        assert counts[-1] == ("**Total**", total)
        assert sum(count for _, count in counts[:-1]) == total
    parser = _Tables()
    parser.feed(wacost(*args, "--format", "html").stdout)
    breakdowns = [t for t in parser.tables if "Messages" in t[0] and "Share" in t[0]]
    assert [t[0][0] for t in breakdowns] == ["Category", "Market", "Template"]
    for table in breakdowns:
        column = table[0].index("Messages")
        counts = [int(row[column].replace(",", "")) for row in table[1:]]
        assert counts[-1] == total and sum(counts[:-1]) == total
    rows = list(csv.DictReader(io.StringIO(wacost(*args, "--format", "csv").stdout)))
    unbilled = sum(int(r["messages"]) for r in rows if r["section"] == "not_billed")
    for section in ("category", "market", "template"):
        part = sum(int(r["messages"]) for r in rows if r["section"] == section)
        assert part + unbilled == total, section


def test_comparison_reads_new_minus_old_in_every_human_format(wacost: Any) -> None:
    args = COMMANDS["estimate"][:-4]  # no fees, no budget
    later = [*args, "--compare-date", "2026-09-15"]  # --date is the newer one
    earlier = [  # --date is the older one: the same comparison, the other way round
        *[a if a != DATE else "2026-09-15" for a in args],
        "--compare-date",
        DATE,
    ]
    for fmt, heading in (
        ("table", "From 2026-09-15"),
        ("markdown", "### From 2026-09-15 to 2026-11-25"),
        ("html", "<h2>From 2026-09-15 to 2026-11-25</h2>"),
    ):
        for run_args in (later, earlier):
            text = wacost(*run_args, "--format", fmt).stdout
            assert heading in text, fmt
            assert "+0.3815 USD" in text  # 8.5753 on the October card, 8.1938 on the July one
            assert "-0.3815" not in text
            assert "Kazakhstan" in text and "service" in text.split(heading, 1)[1], fmt


def test_thousands_separators_and_cost_per_thousand(wacost: Any) -> None:
    args = ["estimate", SAMPLES / "plan.csv", "--templates", TEMPLATES, "--date", DATE]
    table = wacost(*args).stdout
    assert "1,385.8300 USD" in table and "1,087.2800" in table
    assert "23.85 USD per 1,000 messages" in table  # 1,385.83 / 58,100 x 1,000
    markdown = wacost(*args, "--format", "markdown").stdout
    assert "**Total: 1,385.8300 USD**" in markdown and "23.85 USD per 1,000 messages" in markdown
    assert "1,385.8300" in wacost(*args, "--format", "html").stdout
    assert '"cost": "1385.8300"' in wacost(*args, "--format", "json").stdout  # JSON stays plain


def test_help_and_errors_are_unchanged_by_a_narrow_terminal(wacost: Any, tmp_path: Path) -> None:
    code, shown = _in_terminal(["estimate", "--help"], 80)
    assert code == 0 and max(len(line) for line in ANSI.sub("", shown).splitlines()) <= 80
