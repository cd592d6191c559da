"""Reading a file into text the way Python would, and writing it back unchanged in form.

Encoding follows PEP 263 and the BOM (``tokenize.detect_encoding``); line
endings are kept exactly as they are (no universal-newline translation), so a
fix never turns CRLF into LF.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import tempfile
import tokenize
import warnings
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
    # Bytes that do not decode were replaced by U+FFFD (see ``decode``): the
    # text can be linted but must never be written back.
    lossy: bool = False


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
    lossy = False
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        if not _cpython_accepts(raw):
            line, column = _byte_position(raw, error.start, encoding)
            raise Unreadable(
                f"unreadable file: cannot decode as {encoding}: {error}", line, column
            ) from None
        # CPython's parser checks the encoding only of what it tokenizes, so
        # ast.parse (and import) accept undecodable bytes in a comment.  DK001
        # follows ast.parse: such a file is linted with those bytes replaced.
        text, lossy = raw.decode(encoding, errors="replace"), True
    except (UnicodeError, LookupError) as error:
        # LookupError: not a text encoding ("hex"); UnicodeError: a codec that
        # fails without a position ("punycode").
        raise Unreadable(f"unreadable file: cannot decode as {encoding}: {error}") from None
    if encoding == "utf-8-sig" and text.startswith("\ufeff"):
        text = text[1:]
    return SourceText(text, encoding, raw, lossy)


def _cpython_accepts(raw: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(raw)
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError...
        return False
    return True


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
    system, so the rename is atomic), takes the original's owner and
    permission bits, is flushed to disk, and only then replaces the original.
    A symlink is written through: its target gets the new content (renaming
    onto the link would replace it by a plain file).
    """
    path = Path(os.path.realpath(path))
    try:
        status: os.stat_result | None = path.stat()
    except FileNotFoundError:  # a new file (a baseline): the permissions of any new file
        status = None
    handle, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".darklint-tmp"
    )
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        if status is not None:
            _keep_owner(temp_name, status)
            os.chmod(temp_name, status.st_mode & 0o7777)
        else:
            os.chmod(temp_name, 0o666 & ~_umask())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _keep_owner(temp_name: str, original: os.stat_result) -> None:
    """Give the new file the original's owner (run as root, it would be root's)."""
    if not hasattr(os, "chown"):  # Windows
        return
    created = os.stat(temp_name)
    if (created.st_uid, created.st_gid) != (original.st_uid, original.st_gid):
        # Only root may give a file away; anyone else keeps a file of their own.
        with contextlib.suppress(PermissionError):
            os.chown(temp_name, original.st_uid, original.st_gid)
