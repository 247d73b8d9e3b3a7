"""The manifest: what an index was built from and with, and a checksum of every file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from s1assist.errors import IndexCorruptError, IndexMismatchError

FORMAT_VERSION = 2
"""The folder index's layout; 2 added the answer sentences' vectors (sentences/)."""
MILVUS_FORMAT_VERSION = 1
"""The Milvus collections' layout, which the folder's version 2 left as it was."""
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class FileEntry:
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    normalized: bool
    precision: str
    dense_index: str
    chunking: dict[str, int]
    bm25: dict[str, float]
    documents: dict[str, str]
    """doc_id -> content hash of the cleaned document."""
    counts: dict[str, int]
    files: dict[str, FileEntry] = field(default_factory=dict)
    created_at: str = ""
    sentence_runtime: str = ""
    """What embedded the sentence vectors (`Encoder.sentence_runtime`); empty without them."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(f"{path}: manifest missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{path}: manifest is not valid JSON ({exc})") from None
        version = raw.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"{path}: index format version {version}, this s1assist reads {FORMAT_VERSION}; "
                "rebuild with `s1assist index --rebuild`"
            )
        try:
            raw["files"] = {name: FileEntry(**entry) for name, entry in raw["files"].items()}
            return cls(**raw)
        except (KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{path}: manifest is incomplete ({exc})") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(folder: Path) -> dict[str, FileEntry]:
    """Checksums of every file below `folder` but the manifest itself."""
    return {
        path.relative_to(folder).as_posix(): FileEntry(sha256_file(path), path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def verify_files(
    folder: Path, manifest: Manifest, *, hashes: bool = True, names: Iterable[str] | None = None
) -> None:
    """Raise `IndexCorruptError` naming the first missing, truncated or altered file (of
    `names`, or of them all); sizes only unless `hashes`."""
    for name in manifest.files if names is None else names:
        path = folder / name
        entry = manifest.files.get(name)
        if entry is None:
            raise IndexCorruptError(f"{folder / MANIFEST}: lists no {name}; run `s1assist index`")
        if not path.is_file():
            raise IndexCorruptError(f"{path}: index file missing; run `s1assist index`")
        size = path.stat().st_size
        if size != entry.bytes:
            raise IndexCorruptError(
                f"{path}: {size} bytes, the manifest says {entry.bytes} (truncated or altered); "
                "run `s1assist index` to rebuild it"
            )
        if hashes and sha256_file(path) != entry.sha256:
            raise IndexCorruptError(
                f"{path}: checksum does not match the manifest (corrupt); "
                "run `s1assist index` to rebuild it"
            )
