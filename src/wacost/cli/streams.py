"""Where a report goes, safely: standard streams that may be closed or full, and --output files
that are written whole or not at all, never over an input, and never left half-made.

A report reaches --output in two steps: `stage` writes it to a temporary file beside the
target, `commit` renames it into place. The command commits only after everything else it
prints (the --quiet total on stdout) is written, so a failing stdout leaves --output alone.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wacost.errors import InputFileError, OptionError

# Control characters (but tab and newline), DEL, C1 controls and bidi overrides: what could
# steer a terminal or reorder text. Every command's output passes through `inert`.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# Rich's own colour codes (Select Graphic Rendition only: colours and weights, never cursor
# moves or titles), kept on a terminal; names reach the renderers already made printable.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def inert(text: str, keep_colour: bool = False) -> str:
    """`text` with every control character written as a \\uXXXX escape (still valid inside a
    JSON string, where it decodes back to the same character); with `keep_colour`, colour codes
    (SGR sequences) stay as they are."""
    if not _CONTROL.search(text):
        return text
    if keep_colour:
        parts = _SGR.split(text)
        codes = _SGR.findall(text)
        out = [inert(parts[0])]
        for code, part in zip(codes, parts[1:]):
            out += [code, inert(part)]
        return "".join(out)
    return _CONTROL.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)


def write_stderr(line: str) -> None:
    """One line on stderr; a closed or failing stderr is no reason to fail (the exit code says it)."""
    stream = sys.stderr
    if stream is None:
        return
    line = inert(line).replace("\n", "\\u000a")  # one line, whatever a file name holds
    try:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = line.encode(encoding, "backslashreplace").decode(encoding, "replace")
        stream.write(text + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def write_stdout(text: str | bytes) -> None:
    """`text` on stdout; a closed stdout or a full disk is an InputFileError (exit 2).

    Characters the stream's encoding cannot hold (PYTHONIOENCODING=ascii) and lone surrogates
    come out as '?' rather than failing the run. Bytes (an xlsx workbook) go to a pipe or a
    file, never to a terminal.
    """
    stream = sys.stdout
    if stream is None:
        raise OptionError("standard output is closed", "redirect it, or use --output FILE")
    if isinstance(text, bytes):
        if stream.isatty():
            raise OptionError(
                "--format xlsx: a workbook is a binary file, not for the terminal",
                "write it to a file: -o report.xlsx",
            )
        _write_binary(stream, text)
        return
    text = inert(text, keep_colour=_is_terminal(stream))

    def write() -> None:
        try:
            stream.write(text)
        except UnicodeEncodeError:  # encoded whole before anything is written
            encoding = getattr(stream, "encoding", None) or "utf-8"
            stream.write(text.encode(encoding, "replace").decode(encoding))
        stream.flush()

    _guarded_stdout(write)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _write_binary(stream: Any, data: bytes) -> None:
    def write() -> None:
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()

    _guarded_stdout(write)


def _guarded_stdout(write: Callable[[], None]) -> None:
    """Run `write`; a closed stdout or a full disk is one OptionError (exit 2), a broken pipe
    goes on up (the CLI ends quietly, as `... | head` expects)."""
    try:
        write()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:
        _silence_stdout()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OptionError(
            f"cannot write to standard output ({reason})", "free some space, or use --output FILE"
        ) from None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def check_output(
    output: Path | None, inputs: Iterable[Path | str | None], flag: str = "--output"
) -> None:
    """Refuse an --output (or another `flag`'s file) that is one of the inputs (by any name:
    symlink, hard link) or read-only."""
    if output is None:
        return
    try:
        info = output.stat()
    except OSError:  # a new file: it cannot be an input; its folder must be there
        folder = Path(os.path.realpath(output)).parent
        if not folder.is_dir():
            raise OptionError(
                f"{flag} {output}: folder {folder} does not exist", "create it first"
            ) from None
        return
    if stat.S_ISDIR(info.st_mode):
        raise OptionError(f"{flag} {output}: is a directory", "name a file")
    if not stat.S_ISREG(info.st_mode):
        return  # a FIFO or a device (/dev/stdout) is written as it is, nothing is replaced
    for item in inputs:
        if item is None:
            continue
        path = Path(item)
        try:
            same = os.path.samefile(path, output)
        except OSError:
            continue
        if same:
            raise OptionError(
                f"{flag} {output}: is the input {path}; it would be replaced by the report",
                "write the report to another file",
            )
    if not info.st_mode & 0o222 or not os.access(output, os.W_OK):
        raise OptionError(
            f"{flag} {output}: the file is read-only", "make it writable or choose another file"
        )


@dataclass
class StagedOutput:
    """A report written to a temporary file beside its target, waiting for `commit`."""

    target: Path
    temporary: Path | None

    def commit(self) -> None:
        if self.temporary is None:
            return
        try:
            os.replace(self.temporary, self.target)
        except OSError as exc:
            self.discard()
            raise InputFileError(
                f"--output {self.target}: cannot write ({exc.strerror})", "check the path"
            ) from None
        self.temporary = None

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


def _open_text(handle_or_path: Any, text: str | bytes, opener: Any) -> Any:
    """Open for `text`: binary for bytes (a workbook), UTF-8 text otherwise."""
    if isinstance(text, bytes):
        return opener(handle_or_path, "wb")
    return opener(handle_or_path, "w", encoding="utf-8", errors="replace", newline="")


def stage_output(text: str | bytes, output: Path) -> StagedOutput:
    """Write `text` next to `output` (not yet in place); a FIFO or device is written directly."""
    if isinstance(text, str):
        text = inert(text)
    if output.is_dir():
        raise InputFileError(f"--output {output}: is a directory", "name a file")
    if output.exists() and not output.is_file():
        # A FIFO or a device (/dev/stdout): written as it is; there is nothing to replace.
        try:
            with _open_text(output, text, open) as handle:
                handle.write(text)
        except OSError as exc:
            raise InputFileError(
                f"--output {output}: cannot write ({exc.strerror})", "check the path"
            ) from None
        return StagedOutput(output, None)
    target = Path(os.path.realpath(output))  # write through a symlink, not over it
    directory = target.parent
    if not directory.is_dir():
        raise InputFileError(
            f"--output {output}: folder {directory} does not exist", "create it first"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputFileError(
            f"--output {output}: cannot write in {directory} ({exc.strerror})",
            "choose a folder you can write to",
        ) from None
    staged = StagedOutput(target, Path(tmp))
    try:
        with _open_text(fd, text, os.fdopen) as handle:
            handle.write(text)
        # mkstemp makes the file private; a report gets the permissions any new file would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    except BaseException as exc:
        staged.discard()
        if isinstance(exc, OSError):
            raise InputFileError(
                f"--output {target}: cannot write ({exc.strerror})", "check the path"
            ) from None
        raise
    return staged


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGINT wait while a report file is made and moved into place, so
    the temporary file never outlives the process; a signal that came meanwhile acts after."""
    wanted = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    except (AttributeError, ValueError, OSError):  # not the main thread, or no POSIX signals
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
