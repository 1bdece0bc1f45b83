"""Help text: argument usage as Unix tools write it (`CAMPAIGN...`, `[NUMBER...]`).

Typer has no hook for this per argument, so its argument class is patched here, once, on
import (`wacost.cli.common` imports this module). The patch changes help text only.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument


def _argument_usage(self: TyperArgument) -> str:
    """`CAMPAIGN...` (or `[NUMBER...]` when optional) in a usage line, as Unix tools write it.

    Typer writes a required list argument as `{CAMPAIGN...}...`; wacost's metavars already say
    how many (`CAMPAIGN...`), so the usage line shows them as they are.
    """
    name = self.metavar or (self.name or "").upper()
    if self.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if self.required else f"[{name}]"


def _argument_pieces(self: TyperArgument, ctx: Any) -> list[str]:
    return [_argument_usage(self)]


# Typer below 0.29 (pyproject caps it there) builds an argument's usage in get_usage_pieces.
TyperArgument.get_usage_pieces = _argument_pieces  # type: ignore[method-assign]
