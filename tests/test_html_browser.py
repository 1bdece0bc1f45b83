"""The sample's HTML report in a real headless browser: the page renders and its bar charts are visible.

Chromium comes from Debian packages (`.ci/run` installs it); without it this test fails rather
than skips, so CI cannot pass silently without having looked. Set WACOST_CHROMIUM to use another
Chromium-based browser binary.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wacost.render.html import BAR_COLOURS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str:
    override = os.environ.get("WACOST_CHROMIUM")
    if override:
        return override
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "no Chromium found: install it (`apt-get install -y chromium`, as .ci/run does) "
        "or set WACOST_CHROMIUM to a Chromium binary"
    )


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (
                    line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)
                ) & 0xFF
        rows.append(
            bytes(line) if channels == 3 else bytes(b for j, b in enumerate(line) if j % 4 != 3)
        )
        previous = line
    return width, height, rows


def count_colour(rows: list[bytes], hex_colour: str, tolerance: int = 6) -> int:
    want = bytes.fromhex(hex_colour.lstrip("#"))
    count = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if all(abs(row[i + k] - want[k]) <= tolerance for k in range(3)):
                count += 1
    return count


def test_sample_html_report_renders_with_visible_charts(wacost, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("WACOST_BUDGET", raising=False)
    page = tmp_path / "plan.html"
    run = wacost(
        "estimate",
        "samples/plan.csv",
        "--templates",
        "samples/templates.json",
        "--date",
        "2026-11-25",
        "--policy",
        "samples/policy.yaml",
        "--format",
        "html",
        "--output",
        page,
    )
    assert run.exit_code == 0, run.stderr
    shot = tmp_path / "plan.png"
    browser = find_browser()
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), (
        f"{browser} wrote no screenshot (exit {result.returncode}): {result.stderr[-2000:]}"
    )
    if os.environ.get("WACOST_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["WACOST_KEEP_SCREENSHOT"])
    width, height, rows = read_png(shot)
    assert (width, height) == (1200, 1600)
    # The category and market charts are in the first screen; each bar colour covers thousands of
    # pixels (marketing is 78.5% of a 440-pixel track, Brazil 54.1%), a blank or unstyled page none.
    category = count_colour(rows, BAR_COLOURS["category"])
    market = count_colour(rows, BAR_COLOURS["market"])
    assert category > 3000, (
        f"category bars hardly visible: {category} pixels of {BAR_COLOURS['category']}"
    )
    assert market > 3000, f"market bars hardly visible: {market} pixels of {BAR_COLOURS['market']}"
    # The page is not blank: most of it is the light background, some of it text.
    dark = sum(1 for row in rows[::4] for i in range(0, len(row), 12) if max(row[i : i + 3]) < 90)
    assert dark > 500, "no text drawn"
