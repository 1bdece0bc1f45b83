"""The canonical report as JSON (`wacost.estimate/1`)."""

from __future__ import annotations

from wacost.report.document import to_json
from wacost.report.model import Estimate


def render_json(estimate: Estimate) -> str:
    return to_json(estimate)
