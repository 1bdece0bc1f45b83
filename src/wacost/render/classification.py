"""`wacost classify`: verdicts as a table (flagging disagreements) or as the contract's JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table


def render_classifications(results: Sequence[Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
    table = Table(title="Template categories", title_justify="left", show_lines=True)
    for name in ("Template", "Language", "Declared", "Verdict", "Confidence", "Reasons"):
        table.add_column(name)
    flagged = 0
    for r in results:
        declared = r.declared_category or "–"
        verdict = r.category
        if r.disagrees:
            flagged += 1
            verdict = f"{r.category} ⚠"
        table.add_row(
            r.name, r.language or "", declared, verdict, f"{r.confidence:.2f}", "\n".join(r.reasons)
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, markup=False, emoji=False)
    console.print(table)
    if flagged:
        console.print(
            f"⚠ {flagged} template(s) where the declared category differs from the verdict; "
            "a utility template that reads as marketing may be moved to marketing by Meta "
            "and billed at the marketing rate."
        )
    return buffer.getvalue()
