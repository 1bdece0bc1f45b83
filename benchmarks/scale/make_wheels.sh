#!/bin/bash
# Build the wheels scale.sh installs on a machine that has only Python, numpy, pandas and pyarrow:
# wacost and the packages its library imports besides numpy, pandas and pyarrow.
set -euo pipefail
R=$(cd "$(dirname "$0")" && pwd)
rm -rf "$R/wheels" && mkdir -p "$R/wheels"
python3 -m pip wheel -q --no-deps -w "$R/wheels" "$R/../.."
# what the library imports besides numpy, pandas and pyarrow (the CLI's typer and rich are not needed)
python3 -m pip download -q --no-deps --only-binary=:all: -d "$R/wheels" phonenumbers PyYAML
ls "$R/wheels"
