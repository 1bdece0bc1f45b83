#!/usr/bin/env bash
# The project's lint: ruff with the rule set pinned in pyproject.toml, the formatter's check,
# and mypy --strict with the pandas and PyYAML stubs (all in the `dev` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(src tests scripts benchmarks)
ruff check "${paths[@]}"
ruff format --check "${paths[@]}"
mypy --strict src
