"""Compile wacost's C extension in place (src/wacost/numbers/_plain.c), as an editable install
does: after editing _plain.c, or after a checkout that changed it (wacost does not use an
extension built from another source: see wacost.numbers.plain).

    python scripts/build_extension.py
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hatch_build import SOURCE, compile_extension  # noqa: E402

if __name__ == "__main__":
    target = ROOT / SOURCE.with_name("_plain" + str(sysconfig.get_config_var("EXT_SUFFIX")))
    why = compile_extension(ROOT, target)
    if why is not None:
        sys.exit(f"not built: {why}")
    print(f"built {target.relative_to(ROOT)}")
