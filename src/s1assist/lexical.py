"""Terms: a tokenizer shared by indexing and querying, and a BM25 index (bm25s) over it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lowercase word tokens, stop words out, Snowball-stemmed; any script is accepted."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return list(_stemmer().stemWords(words)) if words else []


def stem_words(words: Sequence[str]) -> list[str]:
    """The Snowball stem of each of `words` (lowercase, none dropped), in one call."""
    return list(_stemmer().stemWords(list(words))) if words else []


class LexicalIndex:
    """BM25 over tokenized passages; saved as bm25s's plain .npy and .json files."""

    def __init__(self, retriever: Any) -> None:
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict

    @classmethod
    def build(cls, texts: Iterable[str], k1: float, b: float) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index([tokenize(t) for t in texts], show_progress=False)
        return cls(retriever)

    @classmethod
    def load(cls, folder: Path, *, mmap: bool = False) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(folder), mmap=mmap, show_progress=False)
        # Plain ndarray views of the mapped files: numpy's memmap subclass runs Python code
        # on every slice, which was 9% of a served search.
        for name, value in retriever.scores.items():
            if isinstance(value, np.memmap):
                retriever.scores[name] = value.view(np.ndarray)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    def scores(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """A BM25 score per passage; zeros when no token is in the vocabulary."""
        known = [t for t in tokens if t in self._vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def idf(self, token: str) -> float | None:
        """Inverse document frequency of a tokenized term; None when no passage has it."""
        row = self._vocab.get(token)
        if row is None:
            return None
        indptr = self._retriever.scores["indptr"]
        if row + 1 >= len(indptr):  # bm25s's empty-token row has no postings
            return None
        df = int(indptr[row + 1] - indptr[row])
        if df == 0:
            return None
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))
