"""The build lock, and clearing what dead builds leave behind, only ever under that lock."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from s1assist.errors import SearchIndexError
from s1assist.index.store import BUILDS, CURRENT, LOAD_FAILED, current_folder

STAGING_PREFIX = ".staging-"
_POINTER_TEMP = f".{CURRENT}."


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold `<root>/.lock`; `SearchIndexError` at once if another build holds it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SearchIndexError(f"{root}: another build is running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prune_leftovers(root: Path) -> list[str]:
    """Remove staging folders and pointer files of builds that died, and builds CURRENT does
    not name; the caller holds the build lock. Returns what was removed, relative to `root`.

    While CURRENT names no usable build, the old builds stay: the next build replaces them,
    and until then they are what someone repairing by hand would want."""
    builds = root / BUILDS
    removed: list[str] = []
    try:
        live: str | None = current_folder(root).name
    except SearchIndexError:
        live = None
    if builds.is_dir():
        for folder in sorted(builds.iterdir()):
            if not folder.is_dir() or folder.is_symlink():
                continue
            dead = folder.name.startswith(STAGING_PREFIX)
            if dead or (live is not None and folder.name != live):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(f"{BUILDS}/{folder.name}")
    if root.is_dir():
        for path in sorted(root.glob(_POINTER_TEMP + "*")):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path.name)
    return removed


def tidy(root: Path) -> list[str]:
    """`prune_leftovers` under the build lock; nothing (and no error) while a build runs,
    since its staging folder is live."""
    if not root.is_dir():
        return []
    try:
        with build_lock(root):
            return prune_leftovers(root)
    except SearchIndexError:
        return []


def clear_load_failure(root: Path) -> None:
    """The live build was checked whole (or replaced): forget that a load failed."""
    (root / LOAD_FAILED).unlink(missing_ok=True)
