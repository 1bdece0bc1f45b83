"""Issue 10's layout rule: no module under src/wacost is longer than 450 lines."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "wacost"
MAX_LINES = 450


def test_no_module_is_over_the_line_limit() -> None:
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 10, f"no modules found under {SRC}"
    too_long = {}
    for path in modules:
        with path.open("rb") as handle:
            lines = sum(1 for _ in handle)
        if lines > MAX_LINES:
            too_long[str(path.relative_to(SRC))] = lines
    assert not too_long, f"split these modules (over {MAX_LINES} lines): {too_long}"
