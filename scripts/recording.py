"""What the build_*.py scripts share: write a generated record, or check that it is current."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def write_or_check(path: Path, record: Callable[[], str], script: str, description: str) -> None:
    """`script` (no arguments) rewrites `path` with `record()`; `script --check` exits 1 if the
    file differs from what `record()` gives now."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if the record is stale")
    args = parser.parse_args()
    text = record()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if text != current:
            raise SystemExit(f"{path} is stale: run python scripts/{script}")
        print(f"{path.name} is current")
        return
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text):,} bytes)")
