"""Record the parsed data of the shipped price tables (src/wacost/prices/parsed_tables.json).

    python scripts/build_parsed_tables.py          # rewrite the record
    python scripts/build_parsed_tables.py --check  # exit 1 if it is not current

Run after editing any pricing/*.yaml. A stale record is never used (each entry is keyed by the
SHA-256 of its file's text), only slower; tests/test_speed_paths.py fails until it is rebuilt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from recording import write_or_check  # noqa: E402

from wacost.files import load_yaml_text, read_text_file  # noqa: E402
from wacost.prices.parsed import PARSED, SCHEMA, decode, digest, encode  # noqa: E402


def record() -> str:
    files = {}
    for path in sorted((ROOT / "pricing").glob("*.yaml")):
        text = read_text_file(path, "price table")
        data = load_yaml_text(text, str(path))
        encoded = encode(data)
        if decode(encoded) != data:  # pragma: no cover - encode/decode are exact by design
            raise SystemExit(f"{path}: does not survive the JSON record")
        files[digest(text)] = {"file": path.name, "data": encoded}
    document = {"schema": SCHEMA, "files": files}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def main() -> None:
    write_or_check(PARSED, record, "build_parsed_tables.py", __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
