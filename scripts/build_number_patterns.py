"""Record libphonenumber's number patterns per calling code, and their automata (numbers/patterns.json).

    python scripts/build_number_patterns.py          # rewrite the record
    python scripts/build_number_patterns.py --check  # exit 1 if it is not current

The record names the phonenumbers release it was read from; under any other release wacost
reads the patterns from phonenumbers' metadata as before (slower at start, same results).
Run after upgrading phonenumbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import phonenumbers  # noqa: E402
from recording import write_or_check  # noqa: E402

from wacost.numbers.plan import (  # noqa: E402
    PATTERNS,
    _metadata_patterns,
    build_dfa,
    dfa_key,
    encode_dfa,
)


def record() -> str:
    general = _metadata_patterns(False)
    document = {
        "phonenumbers": phonenumbers.__version__,
        "general": {str(code): p for code, p in general.items()},
        "strict": {str(code): p for code, p in _metadata_patterns(True).items()},
        # the automata of the general patterns (the strict ones, read rarely, are built as needed)
        "automata": {dfa_key(c, p): encode_dfa(build_dfa(c, p)) for c, p in general.items()},
    }
    return json.dumps(document, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def main() -> None:
    write_or_check(PATTERNS, record, "build_number_patterns.py", __doc__.split("\n")[0])


if __name__ == "__main__":
    main()
