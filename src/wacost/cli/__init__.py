"""The wacost command line: options -> core calls -> renderer -> exit code. No business logic.

Results go to stdout (or --output), problems to stderr as one line; tracebacks only with --debug.
The app and what the commands share are in `cli.common`, the options several commands take in
`cli.options` (each declared once); `estimate` in `cli.estimate`; `report`,
`lookup`, `rates` and `classify` in `cli.commands`; `reconcile` in `cli.reconcile`;
`pull templates` and `pull analytics` in `cli.pull`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.exceptions import TyperException

from wacost.cli import commands, estimate, pull, reconcile  # noqa: F401  (registers the commands, in this order)
from wacost.cli.common import _stderr, app, debugging
from wacost.models import ExitCode

__all__ = ["app", "main"]


def _quiet_unraisable(info: Any) -> None:
    if debugging():
        sys.__unraisablehook__(info)


def main() -> None:
    """Console-script entry point: run the app, and end quietly on a closed pipe."""
    # pyarrow reports a row it cannot decode for our invalid-row handler as an "unraisable"
    # exception; the parse error that follows is what we report, so keep stderr to one line.
    sys.unraisablehook = _quiet_unraisable
    try:
        code = app(standalone_mode=False)
    except BrokenPipeError:
        # `wacost ... | head`: the reader left; say nothing and stop.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain `wacost`: show the help
            sys.stdout.write(error.format_message() + "\n")
            sys.exit(0)
        # A usage error (unknown option, missing argument): one line, like every other error.
        ctx = getattr(error, "ctx", None)
        command = ctx.command_path if ctx is not None else "wacost"
        _stderr(f"wacost: error: {error.format_message()} (see {command} --help)")
        sys.exit(ExitCode.ERROR)
    except (KeyboardInterrupt, typer.Abort):
        _stderr("wacost: interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
