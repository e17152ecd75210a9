"""A cache of validated item files, keyed by their content and the validating code.

Cold, reading and validating 200,000 items costs seconds; most runs read files
that have not changed since the last one. An entry is only used when the file's
bytes, the tenant's assignee policy and the loader's own source are all what
they were when it was written, and its checksum holds; anything else is a miss.
Entries are written whole (temporary file, then rename) and only for files that
had no problems, one entry per state file so the cache cannot grow without end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from reconciler.desired.items import ItemRecord

logger = logging.getLogger(__name__)

CACHE_DIR = Path(".reconciler") / "cache" / "items"

# Changing any of these modules changes what a file validates to.
_VALIDATING_MODULES = (
    "caching.py",
    "checks.py",
    "enums.py",
    "items.py",
    "fastpath.py",
    "models.py",
    "nodes.py",
    "yamlreader.py",
)


@cache
def loader_fingerprint() -> str | None:
    """A digest of the validating code; None (no caching) if it cannot be read."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    try:
        for name in _VALIDATING_MODULES:
            digest.update(name.encode())
            digest.update((package / name).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def content_key(data: bytes, context: str) -> str:
    """The key of one file's validated content; `context` holds what else it used."""
    digest = hashlib.sha256(str(loader_fingerprint()).encode())
    digest.update(context.encode())
    digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


class ItemCache:
    """Validated item records on disk under the repository's .reconciler/."""

    def __init__(self, repo_root: Path | None) -> None:
        usable = repo_root is not None and loader_fingerprint() is not None
        self.directory = repo_root / CACHE_DIR if usable and repo_root else None
        self.hits = 0

    def get(self, source: str, key: str) -> list[ItemRecord] | None:
        if self.directory is None:
            return None
        try:
            raw = self._entry(source).read_bytes()
            records = _decode(raw, key)
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            logger.debug("no usable cache entry for %s", source)
            return None
        if records is not None:
            self.hits += 1
        return records

    def put(self, source: str, key: str, records: list[ItemRecord]) -> None:
        if self.directory is None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(self._entry(source), _encode(records, key))
        except OSError as error:
            # A read-only checkout still validates; it only stays cold.
            logger.debug("cannot cache %s: %s", source, error)

    def _entry(self, source: str) -> Path:
        assert self.directory is not None
        name = hashlib.sha256(source.encode()).hexdigest()[:32]
        return self.directory / f"{name}.json"


def _encode(records: list[ItemRecord], key: str) -> bytes:
    body = json.dumps(
        records,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    header = json.dumps({"key": key, "sha256": hashlib.sha256(body).hexdigest()})
    return header.encode() + b"\n" + body


def _decode(raw: bytes, key: str) -> list[ItemRecord] | None:
    header_line, _, body = raw.partition(b"\n")
    header: dict[str, Any] = json.loads(header_line)
    if header["key"] != key or header["sha256"] != hashlib.sha256(body).hexdigest():
        return None
    records = []
    for item_id, line, column, fields in json.loads(body):
        tags = fields.get("customTags")
        if tags is not None:
            fields["customTags"] = tuple(tags)
        records.append((item_id, line, column, fields))
    return records


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=".tmp-", suffix=".json"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
