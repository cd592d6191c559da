"""Reading a file into text the way Python would, and writing it back unchanged in form.

Encoding follows PEP 263 and the BOM (``tokenize.detect_encoding``); line
endings are kept exactly as they are (no universal-newline translation), so a
fix never turns CRLF into LF.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


class Unreadable(Exception):
    """The file cannot be read or decoded; the message is user-facing.

    ``line``/``column`` (1-based) point at the offending byte when it is known,
    so that DK001 lands where CPython would report the problem.
    """

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str  # "utf-8-sig" when the file starts with a BOM
    raw: bytes


def decode(raw: bytes) -> SourceText:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:
        if not _INVALID_UTF8_HEADER.match(error.msg):
            raise Unreadable(f"unreadable file: {error.msg}") from None
        # detect_encoding says only "invalid or missing encoding declaration"
        # when one of the first two lines is not UTF-8; decoding as UTF-8
        # finds the byte, so DK001 points at it like CPython's message does.
        encoding = "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line, column = _byte_position(raw, error.start, encoding)
        raise Unreadable(
            f"unreadable file: cannot decode as {encoding}: {error}", line, column
        ) from None
    except LookupError as error:
        raise Unreadable(f"unreadable file: cannot decode as {encoding}: {error}") from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding, raw)


_INVALID_UTF8_HEADER = re.compile(r"invalid or missing encoding declaration")
_RAW_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _byte_position(raw: bytes, index: int, encoding: str) -> tuple[int, int]:
    """1-based line and column (in characters) of the byte at ``index``."""
    breaks = list(_RAW_LINE_BREAK.finditer(raw, 0, index))
    line_start = breaks[-1].end() if breaks else 0
    column = len(raw[line_start:index].decode(encoding, errors="replace")) + 1
    return len(breaks) + 1, column


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise Unreadable("unreadable file: is a directory") from None
    except OSError as error:
        raise Unreadable(f"unreadable file: {error.strerror or error}") from None


def encode(text: str, encoding: str) -> bytes:
    # "utf-8-sig" re-adds the BOM the file had.
    return text.encode(encoding)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Offsets of the first character of each line (index 0 = line 1)."""
    return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]


def offset(starts: list[int], line: int, column: int) -> int:
    """1-based line and column to a string offset."""
    return starts[line - 1] + column - 1


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path``'s content without ever leaving a half-written file.

    The new content goes to a temporary file in the same directory (same file
    system, so the rename is atomic), takes the original's permission bits,
    is flushed to disk, and only then replaces the original.
    """
    mode = path.stat().st_mode & 0o7777
    handle, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".darklint-tmp"
    )
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
