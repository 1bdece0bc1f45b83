"""`wacost classify`: verdicts as a table (flagging disagreements) or as the contract's JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from wacost.render.common import printable, report_console


def render_classifications(
    results: Sequence[Any], fmt: str, width: int = 120, color: bool = False
) -> str:
    """The verdicts as JSON, or as a table `width` columns wide (colour codes only if `color`)."""
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
    table = Table(title="Template categories", title_justify="left", show_lines=True)
    for name in ("Template", "Language", "Declared", "Verdict", "Confidence", "Reasons"):
        # the reasons take the room left; short columns stay whole
        table.add_column(name, no_wrap=name in ("Language", "Declared", "Confidence"))
    flagged = 0
    for r in results:
        declared = r.declared_category or "–"
        verdict: str | Text = r.category
        if r.disagrees:
            flagged += 1
            verdict = Text(f"{r.category} ⚠", style="bold yellow")
        table.add_row(
            printable(r.name),
            printable(r.language or ""),
            declared,
            verdict,
            f"{r.confidence:.2f}",
            "\n".join(printable(reason) for reason in r.reasons),
        )
    buffer = io.StringIO()
    console = report_console(buffer, width, color)
    console.print(table)
    if flagged:
        console.print(
            Text(
                f"⚠ {flagged} template(s) where the declared category differs from the verdict; "
                "a utility template that reads as marketing may be moved to marketing by Meta "
                "and billed at the marketing rate.",
                style="yellow",
            )
        )
    return buffer.getvalue()
