"""The vectors of every passage's sentences and headings, embedded by the build, so an
answer looks them up instead of running the model on them (at 20k passages that was most
of an answer's time).

An answer embeds the sentences it may quote, as it quotes them, and the headings of their
passages. The build embeds each passage's sentences written the same way (past a list
marker and trailing reference numbers, first letter capital, ending in a stop); the
answering stage picks among them, and what it asks for is looked up by its exact text, so
a text it writes otherwise is embedded when asked for: a difference costs time, not a
different answer. The vectors come from the runtime the answer would use
(`Encoder.sentence_runtime`, recorded in the manifest; a table of another runtime is not
used), so they equal what the answer would compute to within what that runtime's result for
one text varies with the texts packed beside it (bf16: under 1e-3 a component).

On disk, in `sentences/`, all memory-mapped, nothing parsed at load: `keys.npy` (a 64-bit
hash of each text, sorted), `texts.npy` (the texts' UTF-8 bytes end to end) with
`offsets.npy`, and `vectors.npy`; a lookup finds the hash and compares the text itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.embedding import Encoder, Lookup, Vectors
from s1assist.errors import IndexCorruptError
from s1assist.sentences import sentence_spans, strip_bullet
from s1assist.types import Chunk

SENTENCES = "sentences"
_KEYS = "keys.npy"
_TEXTS = "texts.npy"
_OFFSETS = "offsets.npy"
_VECTORS = "vectors.npy"
_ENCODE_STEP = 1024  # texts per progress-bar step
# "... foramen 1." is quoted as "... foramen.": reference numbers end it, not words (the
# answering stage's rule; a sentence it trims otherwise is embedded when asked for).
_TRAILING_REFS = re.compile(r"\s+\d{1,2}(?:,\s*\d{1,2})*\.?$")


def quoted(chunk: Chunk) -> list[str]:
    """The passage's sentences as an answer quotes them."""
    text = chunk.text
    found = []
    for start, end in sentence_spans(text):
        quote = text[strip_bullet(text, start, end) : end]
        trailing = _TRAILING_REFS.search(quote)
        quote = quote[: trailing.start()] if trailing else quote
        if quote:
            shown = quote if quote[-1] in ".!?" else quote + "."
            found.append(shown[0].upper() + shown[1:])
    return found


@lru_cache(maxsize=65_536)
def quoted_sentences(chunk: Chunk) -> tuple[str, ...]:
    """`quoted(chunk)`, computed once per passage (search reads it on every query)."""
    return tuple(quoted(chunk))


def texts_to_embed(chunks: Iterable[Chunk]) -> list[str]:
    """Each distinct sentence and heading of the passages, in order of first appearance."""
    return list(dict.fromkeys(t for c in chunks for t in (*quoted(c), c.section)))


def embed_sentences(
    texts: Sequence[str],
    encoder: Encoder,
    previous: Lookup,
    progress: bool,
) -> tuple[Vectors, int]:
    """Vectors of `texts` in order, taken from `previous` where it has them (a build of
    the same runtime); and how many were embedded now."""
    vectors = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    missing: list[int] = []
    for i, text in enumerate(texts):
        vector = previous(text)
        if vector is None:
            missing.append(i)
        else:
            vectors[i] = vector
    # Longest first, as the passages: rows of the packed graph fill alike.
    missing.sort(key=lambda i: -len(texts[i]))
    bar = None
    if progress and missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), unit="sentence", desc="sentences", leave=True)
    for offset in range(0, len(missing), _ENCODE_STEP):
        rows = missing[offset : offset + _ENCODE_STEP]
        vectors[rows] = encoder.encode_sentences([texts[i] for i in rows])
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return vectors, len(missing)


def save_sentences(folder: Path, texts: Sequence[str], vectors: Vectors) -> None:
    """Write the table under `folder`/sentences/."""
    keys = np.array([_key(text) for text in texts], dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    encoded = [texts[i].encode("utf-8") for i in order]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(raw) for raw in encoded], out=offsets[1:])
    target = folder / SENTENCES
    target.mkdir()
    np.save(target / _KEYS, keys[order])
    np.save(target / _TEXTS, np.frombuffer(b"".join(encoded), dtype=np.uint8))
    np.save(target / _OFFSETS, offsets)
    np.save(target / _VECTORS, np.ascontiguousarray(vectors[order], dtype=np.float32))


class SentenceVectors:
    """Text -> vector of one build's sentences and headings; `runtime` says what made them.
    Called with a text, it returns its vector, or None for a text the build did not embed."""

    def __init__(self, folder: Path, runtime: str, dimension: int) -> None:
        target = folder / SENTENCES
        try:
            self._keys: npt.NDArray[np.uint64] = _load(target / _KEYS)
            self._texts: npt.NDArray[np.uint8] = _load(target / _TEXTS)
            self._offsets: npt.NDArray[np.int64] = _load(target / _OFFSETS)
            self._vectors: Vectors = _load(target / _VECTORS)
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"{target}: cannot be read ({exc}); run `s1assist index` to rebuild it"
            ) from None
        count = len(self._keys)
        if (
            self._vectors.shape != (count, dimension)
            or len(self._offsets) != count + 1
            or int(self._offsets[-1]) != len(self._texts)
        ):
            raise IndexCorruptError(
                f"{target}: {count} texts, {len(self._offsets) - 1} offsets and vectors of "
                f"shape {self._vectors.shape} disagree; run `s1assist index`"
            )
        self.runtime = runtime

    def __len__(self) -> int:
        return len(self._keys)

    def __call__(self, text: str) -> Vectors | None:
        raw = text.encode("utf-8")
        key = np.uint64(_key(text))
        i = int(np.searchsorted(self._keys, key))
        while i < len(self._keys) and self._keys[i] == key:
            if self._texts[self._offsets[i] : self._offsets[i + 1]].tobytes() == raw:
                vector: Vectors = self._vectors[i]
                return vector
            i += 1  # another text with the same hash
        return None


def _key(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _load(path: Path) -> npt.NDArray[Any]:
    loaded: npt.NDArray[Any] = np.load(path, mmap_mode="r").view(np.ndarray)  # see lexical.py
    return loaded
