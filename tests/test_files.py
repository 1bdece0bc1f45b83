"""wacost.files: the one home for reading text, JSON and YAML (bounded, data only)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, write
from wacost.errors import InputFileError
from wacost.files import load_yaml_text, parse_json, read_text_file

CAMPAIGN = [SAMPLES / "campaign.csv", "--date", "2026-11-25"]
DEVICE = Path("/dev/zero")


@pytest.fixture(autouse=True)
def _no_ci_budget(monkeypatch):
    monkeypatch.delenv("WACOST_BUDGET", raising=False)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("total: 100\ncategories: {marketing: 5}\ntotal: 900\n", "total"),
        ("markets:\n  India: {rates: {marketing: 1}}\n  India: {rates: {marketing: 2}}\n", "India"),
        ("per_message: 0.01\nper_message: 0.02\n", "per_message"),
    ],
)
def test_a_key_written_twice_is_an_error_naming_it(text, key):
    """The last one used to win silently (a policy's total, a market in a card, a fee)."""
    with pytest.raises(InputFileError, match=f"duplicated key '{key}'"):
        load_yaml_text(text, "f.yaml")


def test_merge_keys_are_not_duplicates():
    data = load_yaml_text("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n", "f.yaml")
    assert data["other"] == {"x": 1, "y": 2}


def test_a_policy_with_its_total_twice_is_exit_2_naming_the_key(wacost, tmp_path):
    policy = write(tmp_path / "p.yaml", "total: 100\ntotal: 100000\n")
    run = wacost("estimate", *CAMPAIGN, "--policy", policy)
    assert run.exit_code == 2
    assert f"{policy}:2: not valid YAML: duplicated key 'total'" in run.stderr
    assert run.stderr.count("\n") == 1


@pytest.mark.skipif(not DEVICE.exists(), reason="no /dev/zero on this system")
@pytest.mark.parametrize(
    "args",
    [
        ["estimate", *CAMPAIGN, "--templates", DEVICE],
        ["estimate", *CAMPAIGN, "--policy", DEVICE],
        ["estimate", *CAMPAIGN, "--usage", DEVICE],
        ["estimate", *CAMPAIGN, "--fees", DEVICE],
        ["estimate", *CAMPAIGN, "--pricing", DEVICE],
        ["report", DEVICE],
    ],
    ids=["templates", "policy", "usage", "fees", "pricing", "report"],
)
def test_a_device_file_is_refused_after_a_bounded_read(wacost, args):
    """/dev/zero has no size to check: it used to be read until memory ran out."""
    run = wacost(*args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "/dev/zero: too large for a" in run.stderr


def test_a_bounded_read_of_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    pid = os.fork()
    if pid == 0:  # the writer: more than the limit, then it is cut off
        try:
            with open(fifo, "wb") as handle:
                handle.write(b"a" * 4096)
        finally:
            os._exit(0)
    with pytest.raises(InputFileError, match="too large for a policy file"):
        read_text_file(fifo, "policy", max_bytes=1024)
    os.waitpid(pid, 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": ', "f.json:1:7: not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "f.json: JSON nested too deeply"),
        ("1" * 5000, "f.json: not usable JSON"),
    ],
    ids=["truncated", "deep", "huge-integer"],
)
def test_json_errors_are_one_clear_line(text, message):
    with pytest.raises(InputFileError, match=message):
        parse_json(text, "f.json", "give the file as exported")
