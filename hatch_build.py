"""Build hook: compile wacost's one C extension, the reader of plain phone numbers
(src/wacost/numbers/_plain.c, see wacost.numbers.plain), into the wheel.

It needs nothing but a C compiler and Python's headers. Without them (or with
WACOST_PURE_PYTHON=1 at install time) the wheel is built without it, a warning says so, and
wacost reads every number on its numpy path: the same figures, about a fifth more CPU time on
large campaigns. An editable install (`pip install -e .`) compiles it in place, beside the
source, where that install imports wacost from.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # scripts/build_extension.py needs only compile_extension
    BuildHookInterface = object

SOURCE = Path("src", "wacost", "numbers", "_plain.c")


def compile_extension(root: Path, target: Path) -> str | None:
    """Compile the extension to `target`; None, or why it could not be."""
    if sys.platform == "win32":
        return "not built on Windows"
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    include = sysconfig.get_paths()["include"]
    flags = ["-O2", "-shared", "-fPIC", "-fvisibility=hidden", f"-I{include}"]
    if sys.platform == "darwin":
        flags += ["-undefined", "dynamic_lookup"]
    digest = hashlib.sha256((root / SOURCE).read_bytes()).hexdigest()
    flags.append(f'-DWACOST_SOURCE_SHA256="{digest}"')  # checked at import (numbers/plain.py)
    command = [*compiler, *flags, str(root / SOURCE), "-o", str(target)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        return f"no C compiler ({error})"
    if done.returncode != 0:
        return f"{' '.join(command[:1])} failed: {done.stderr.strip()[-400:]}"
    return None


class CompiledReader(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"
    _scratch: Path | None = None

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("WACOST_PURE_PYTHON", "") not in ("", "0"):
            return
        root = Path(self.root)
        name = "_plain" + str(sysconfig.get_config_var("EXT_SUFFIX"))
        if version == "editable":
            target = root / SOURCE.with_name(name)
        else:
            self._scratch = Path(tempfile.mkdtemp(prefix="wacost-build-"))
            target = self._scratch / name
        why = compile_extension(root, target)
        if why is not None and self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
        if why is not None:
            self.app.display_warning(
                f"wacost: the compiled reader (_plain.c) was not built ({why}); "
                "wacost will read campaigns on its pyarrow and numpy path (same figures, more CPU time)"
            )
            return
        if version != "editable":
            build_data["force_include"][str(target)] = f"wacost/numbers/{name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._scratch is not None:  # the wheel holds its copy now
            shutil.rmtree(self._scratch, ignore_errors=True)
