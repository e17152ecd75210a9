"""Reading a state file safely: inside the repository, bounded, UTF-8, no tabs."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from reconciler.desired.problems import FileProblems

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 4 * 1024 * 1024
_BOM = "\ufeff"


def relative_name(root: Path, path: Path) -> str:
    """`path` as the repository-relative POSIX path used in every message."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def is_present(path: Path) -> bool:
    """Whether anything, even a dangling link, is at `path`.

    True when that cannot be told (no permission, say), so that reading the
    path reports why instead of the file being taken as absent.
    """
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def escapes_root(root: Path, path: Path) -> bool:
    """True when `path`, once every symlink is followed, lies outside `root`."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        # A symlink loop or an unreadable link cannot be shown to stay inside.
        return True
    return not resolved.is_relative_to(root.resolve())


def read_bytes(root: Path, path: Path, problems: FileProblems) -> bytes | None:
    """The file's bytes, or None after recording why they cannot be used."""
    if escapes_root(root, path):
        problems.add(
            1,
            1,
            "this path is a symlink that leads outside the repository; "
            "state files must live inside it, so replace the link with the file",
        )
        return None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            problems.add(1, 1, "not a regular file; replace it with a YAML file")
            return None
        if info.st_size > MAX_FILE_BYTES:
            problems.add(1, 1, _too_large(info.st_size))
            return None
        with path.open("rb") as stream:
            # The size can change between stat and read; never read past the bound.
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        problems.add(
            1,
            1,
            f"cannot read the file ({error.strerror or error}); "
            "check that it exists and is readable",
        )
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.add(1, 1, _too_large(len(data)))
        return None
    return data


def decode(data: bytes, problems: FileProblems) -> str | None:
    """The text without its BOM; None if it is not UTF-8 or indents with tabs."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(data, error.start)
        problems.add(
            line,
            column,
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} here); "
            "save it with UTF-8 encoding",
        )
        return None
    text = text.removeprefix(_BOM)
    if "\t" in text and not _indentation_is_spaces(text, problems):
        return None
    return text


def _indentation_is_spaces(text: str, problems: FileProblems) -> bool:
    clean = True
    for number, line in enumerate(text.split("\n"), start=1):
        body = line.lstrip(" \t")
        indent = line[: len(line) - len(body)]
        if "\t" in indent and body.strip():
            problems.add(
                number,
                indent.index("\t") + 1,
                "a tab is used for indentation; YAML indents with spaces only",
            )
            clean = False
    return clean


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _too_large(size: int) -> str:
    return (
        f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes "
        f"({MAX_FILE_BYTES // (1024 * 1024)} MiB) for one state file; "
        "declare fewer items in it"
    )
