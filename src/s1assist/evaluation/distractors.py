"""A bigger corpus for checking that abstention carries over: the default corpus plus
passages of a BEIR dataset, written as documents of their own in a folder.

Each passage becomes `bioasq-<id>.txt` (its title, if any, as the first line) with an entry
in `sources.toml` as a research summary, so it is read, cleaned and chunked like any
document a user adds. The sample is drawn with a fixed seed: the same folder every run.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

from s1assist.config import Settings
from s1assist.corpus.sources import SOURCES_FILE
from s1assist.errors import CorpusError

CORPUS = "corpus.jsonl"
_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def write_distractor_corpus(
    corpus: Path, beir: Path, out: Path, *, count: int, seed: int = 0
) -> Path:
    """`out` filled with `corpus`'s files and `count` passages of `beir`; returns `out`."""
    rows = _passages(beir / CORPUS)
    if count > len(rows):
        raise CorpusError(f"{beir / CORPUS}: {len(rows):,} passages, fewer than {count:,} asked")
    out.mkdir(parents=True, exist_ok=True)
    for path in corpus.iterdir():
        if path.is_file():
            shutil.copy2(path, out / path.name)
    sources = (
        (out / SOURCES_FILE).read_text(encoding="utf-8") if (out / SOURCES_FILE).exists() else ""
    )
    entries = [sources.rstrip("\n")]
    for passage_id, title, text in random.Random(seed).sample(rows, count):
        doc_id = "bioasq-" + _SAFE.sub("-", passage_id)
        body = f"{title}\n\n{text}\n" if title else f"{text}\n"
        (out / f"{doc_id}.txt").write_text(body, encoding="utf-8")
        heading = title or " ".join(text.split()[:8])
        entries.append(f'\n[{doc_id}]\ntitle = {json.dumps(heading)}\nkind = "research summary"')
    (out / SOURCES_FILE).write_text("\n".join(entries) + "\n", encoding="utf-8")
    return out


def _passages(path: Path) -> list[tuple[str, str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read the passages ({exc})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append((str(row["_id"]), str(row.get("title") or ""), str(row["text"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path}:{number}: not a BEIR passage ({exc!r})") from None
    return rows


def index_corpus(settings: Settings, corpus: Path, folder: Path) -> Settings:
    """Settings reading `corpus` through an index built (or brought up to date) in
    `folder`/index, so a gold set can be run against another corpus."""
    from s1assist.corpus import load_corpus
    from s1assist.embedding import Encoder
    from s1assist.index import build_index, index_status

    paths = settings.paths.model_copy(update={"corpus": corpus, "index": folder / "index"})
    settings = settings.model_copy(update={"paths": paths})
    documents = load_corpus(corpus, settings.corpus.max_file_bytes).documents
    if not index_status(paths.index, documents, settings).fresh:
        build_index(documents, Encoder(settings.model), settings, paths.index)
    return settings
