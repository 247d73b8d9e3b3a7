"""Self-repair of the index: any CURRENT, damaged builds found and rebuilt by plain `index`,
leftovers of dead builds pruned under the lock, and builds killed at random moments.
Real model, real FAISS, the installed `s1assist` command."""

from __future__ import annotations

import fcntl
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from s1assist.config import Settings
from s1assist.embedding import Encoder
from s1assist.errors import IndexMissingError, SearchIndexError
from s1assist.index import LoadedIndex, build_index, index_status, load_index
from s1assist.index.store import BUILDS, CURRENT, LOAD_FAILED
from s1assist.index.upkeep import tidy
from s1assist.types import Document

POINTERS = {
    "not-utf8": b"\xff\n",
    "not-utf8-after-a-name": b"20260101T000000-abcdef\xfe\n",
    "empty": b"",
    "nul": b"\x00\x00",
    "parent-path": b"../../etc\n",
    "absolute-path": b"/etc/passwd\n",
    "huge": b"a" * 100_000,
    "blank-lines": b"\n\n  \n",
}


def live_folder(root: Path) -> Path:
    return root / BUILDS / (root / CURRENT).read_text(encoding="utf-8").strip()


def staging_folders(root: Path) -> list[Path]:
    return sorted((root / BUILDS).glob(".staging-*"))


def run_cli(cli_path: Path, cli_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli_path), *args], env=cli_env, capture_output=True, text=True, timeout=300
    )


# Any content of CURRENT.


@pytest.mark.parametrize("content", POINTERS.values(), ids=POINTERS.keys())
def test_any_current_is_no_current_build_with_the_reason(
    content: bytes,
    index_copy: Path,
    settings: Settings,
    encoder: Encoder,
    corpus_documents: tuple[Document, ...],
) -> None:
    (index_copy / CURRENT).write_bytes(content)
    with pytest.raises(IndexMissingError, match="treated as no current build") as info:
        load_index(index_copy, settings)
    assert str(index_copy / CURRENT) in str(info.value)
    status = index_status(index_copy, corpus_documents, settings)
    assert not status.fresh
    assert status.warnings and str(index_copy / CURRENT) in status.warnings[0]

    report = build_index(corpus_documents, encoder, settings, index_copy)
    assert load_index(index_copy, settings).folder == report.folder
    assert index_status(index_copy, corpus_documents, settings).fresh


def test_search_index_and_rebuild_survive_a_current_that_is_not_utf8(
    index_copy: Path, settings: Settings, cli_path: Path, cli_env: dict[str, str]
) -> None:
    (index_copy / CURRENT).write_bytes(b"\xff\n")
    where = ["--index", str(index_copy)]
    searched = run_cli(cli_path, cli_env, "search", "S1 nerve", *where)
    assert searched.returncode != 0
    assert "Traceback" not in searched.stderr
    assert f"{index_copy / CURRENT}: not UTF-8 at byte 0" in searched.stderr

    indexed = run_cli(cli_path, cli_env, "index", "--corpus", str(settings.paths.corpus), *where)
    assert indexed.returncode == 0, indexed.stderr
    assert "warning:" in indexed.stderr and "not UTF-8" in indexed.stderr
    assert run_cli(cli_path, cli_env, "search", "S1 nerve", *where).returncode == 0

    (index_copy / CURRENT).write_bytes(b"\xff\n")
    rebuilt = run_cli(cli_path, cli_env, "index", "--rebuild", *where)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert load_index(index_copy, settings)


# Plain `index` finds a damaged build and rebuilds it.


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def zero(path: Path) -> None:
    path.write_bytes(bytes(path.stat().st_size))


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


DAMAGE = {"truncated": truncate, "zeroed": zero, "flipped": flip, "deleted": Path.unlink}
FILES = ["vectors.npy", "dense.faiss", "chunks.jsonl", "documents.jsonl", "bm25/data.csc.index.npy"]


def index_in_process(*args: str) -> tuple[int, str, str]:
    """`s1assist index ARGS` in this process (the same code as the command, no start-up)."""
    from typer.testing import CliRunner

    from s1assist.cli import app

    result = CliRunner().invoke(app, ["index", *args])
    return result.exit_code, result.stdout, result.stderr


# Each damage and each file once in the default run; the rest of the 20 pairs in the slow one.
PAIRS = [
    pytest.param(
        damage,
        name,
        id=f"{label}-{name}",
        marks=() if f == d or (d, f) == (0, len(FILES) - 1) else pytest.mark.slow,
    )
    for d, (label, damage) in enumerate(DAMAGE.items())
    for f, name in enumerate(FILES)
]


@pytest.mark.parametrize(("damage", "name"), PAIRS)
def test_damage_refused_by_a_load_is_repaired_by_plain_index(
    damage, name: str, index_copy: Path, settings: Settings, corpus_documents
) -> None:
    """As a user meets it: a load refuses the build, then `index` (no flag) rebuilds it."""
    damaged = live_folder(index_copy)
    damage(damaged / name)
    with pytest.raises(SearchIndexError, match="s1assist index"):
        load_index(index_copy, settings)

    where = ["--index", str(index_copy), "--corpus", str(settings.paths.corpus)]
    code, out, err = index_in_process(*where)
    assert code == 0, err
    assert "up to date" not in out
    assert live_folder(index_copy) != damaged
    assert not damaged.exists()
    assert not (index_copy / LOAD_FAILED).exists()
    assert load_index(index_copy, settings).chunks
    assert index_status(index_copy, corpus_documents, settings, thorough=True).fresh


def test_search_then_index_repairs_a_zeroed_file(
    index_copy: Path, settings: Settings, cli_path: Path, cli_env: dict[str, str]
) -> None:
    """The same with the installed command, for the damage only a checksum sees."""
    damaged = live_folder(index_copy)
    zero(damaged / "vectors.npy")
    where = ["--index", str(index_copy)]
    searched = run_cli(cli_path, cli_env, "search", "S1 nerve", *where)
    assert searched.returncode != 0 and "s1assist index" in searched.stderr
    indexed = run_cli(cli_path, cli_env, "index", "--corpus", str(settings.paths.corpus), *where)
    assert indexed.returncode == 0, indexed.stderr
    assert "up to date" not in indexed.stdout
    assert run_cli(cli_path, cli_env, "search", "S1 nerve", *where).returncode == 0


@pytest.mark.parametrize("damage", [truncate, Path.unlink], ids=["truncated", "deleted"])
def test_a_wrong_size_is_found_without_hashing(
    damage, index_copy: Path, settings: Settings, corpus_documents
) -> None:
    damage(live_folder(index_copy) / "dense.faiss")
    status = index_status(index_copy, corpus_documents, settings)
    assert not status.fresh
    assert "dense.faiss" in status.reasons[0]


def test_a_flipped_byte_is_found_when_asked(
    index_copy: Path, settings: Settings, corpus_documents, cli_path: Path, cli_env
) -> None:
    flip(live_folder(index_copy) / "chunks.jsonl")
    assert index_status(index_copy, corpus_documents, settings).fresh  # sizes only: unseen
    status = index_status(index_copy, corpus_documents, settings, thorough=True)
    assert not status.fresh and "checksum" in status.reasons[0]
    (index_copy / LOAD_FAILED).unlink()  # that check noted the failure; only --verify is left
    where = ["--index", str(index_copy), "--corpus", str(settings.paths.corpus)]
    verified = run_cli(cli_path, cli_env, "index", "--verify", *where)
    assert verified.returncode == 0, verified.stderr
    assert "rebuilding:" in verified.stderr and "chunks.jsonl" in verified.stderr
    assert index_status(index_copy, corpus_documents, settings, thorough=True).fresh


def test_a_damaged_faiss_file_keeps_the_intact_vectors(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    zero(live_folder(index_copy) / "dense.faiss")
    report = build_index(corpus_documents, encoder, settings, index_copy)
    assert report.encoded == 0 and report.reused == report.chunks
    assert load_index(index_copy, settings).folder == report.folder


def test_damaged_vectors_are_embedded_again(
    index_copy: Path, settings: Settings, encoder: Encoder, corpus_documents
) -> None:
    flip(live_folder(index_copy) / "vectors.npy")
    report = build_index(corpus_documents, encoder, settings, index_copy)
    assert report.encoded == report.chunks
    assert load_index(index_copy, settings).folder == report.folder


# Leftovers of dead builds.


def plant_leftovers(root: Path) -> list[Path]:
    builds = root / BUILDS
    planted = [builds / ".staging-0123456789ab", builds / ".staging-ba9876543210"]
    planted.append(builds / "20250101T000000-0123456789ab")
    for folder in planted:
        folder.mkdir()
        (folder / "vectors.npy").write_bytes(b"half")
    pointer = root / f".{CURRENT}.deadbeef"
    pointer.write_text("20250101T000000-0123456789ab\n", encoding="utf-8")
    return [*planted, pointer]


def test_an_up_to_date_index_run_prunes_leftovers(
    index_copy: Path, settings: Settings, cli_path: Path, cli_env
) -> None:
    live = live_folder(index_copy)
    planted = plant_leftovers(index_copy)
    where = ["--index", str(index_copy), "--corpus", str(settings.paths.corpus)]
    indexed = run_cli(cli_path, cli_env, "index", *where)
    assert indexed.returncode == 0, indexed.stderr
    assert "up to date" in indexed.stdout
    assert not any(path.exists() for path in planted)
    assert [p.name for p in (index_copy / BUILDS).iterdir()] == [live.name]
    assert live_folder(index_copy) == live


def test_leftovers_stay_while_a_build_holds_the_lock(index_copy: Path) -> None:
    planted = plant_leftovers(index_copy)
    with (index_copy / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert tidy(index_copy) == []
    assert all(path.exists() for path in planted)
    assert len(tidy(index_copy)) == len(planted)


def test_builds_stay_while_current_names_none(index_copy: Path) -> None:
    live = live_folder(index_copy)
    (index_copy / CURRENT).write_bytes(b"\xff")
    staging, other = index_copy / BUILDS / ".staging-0a", index_copy / BUILDS / "2025-old"
    staging.mkdir()
    other.mkdir()
    tidy(index_copy)
    assert not staging.exists()
    assert live.is_dir() and other.is_dir()


# Builds killed at random moments.


@pytest.mark.slow
def test_twenty_random_kills_then_index_leaves_a_valid_build(
    index_copy: Path,
    settings: Settings,
    corpus_documents,
    cli_path: Path,
    cli_env: dict[str, str],
) -> None:
    """SIGKILL `s1assist index --rebuild` 20 times at random moments of its run (timed from a
    full run), then a plain `index` must leave one valid build and no staging folder."""
    where = ["--index", str(index_copy), "--corpus", str(settings.paths.corpus)]
    started = time.monotonic()
    assert run_cli(cli_path, cli_env, "index", "--rebuild", *where).returncode == 0
    full_run = time.monotonic() - started
    chance = random.Random(15)
    for _kill in range(20):
        process = subprocess.Popen(
            [str(cli_path), "index", "--rebuild", *where],
            env=cli_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.2, full_run))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    indexed = run_cli(cli_path, cli_env, "index", *where)
    assert indexed.returncode == 0, indexed.stderr
    assert staging_folders(index_copy) == []
    assert len(list((index_copy / BUILDS).iterdir())) == 1
    assert index_status(index_copy, corpus_documents, settings, thorough=True).fresh
    loaded: LoadedIndex = load_index(index_copy, settings)
    assert loaded.folder == live_folder(index_copy)
    shutil.rmtree(index_copy)
