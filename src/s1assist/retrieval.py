"""Dense, lexical and fused retrieval over a loaded index; returns typed `Hit`s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.aspects import answer_terms, asked_aspects, aspect_match, broader_terms
from s1assist.config import Fusion, IndexBackend, RetrievalMode, RetrievalSettings, Settings
from s1assist.embedding import Encoder
from s1assist.errors import IndexMismatchError, QueryError
from s1assist.fitted import load_fitted
from s1assist.index import LoadedIndex, load_index
from s1assist.index.dense import search_dense
from s1assist.lexical import tokenize
from s1assist.lexicon import expand
from s1assist.types import Chunk, Hit

Ranking = Sequence[tuple[int, float]]
"""(row, score) pairs, best first."""
_NO_SCORES = np.zeros(0, dtype=np.float32)


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking], k: int, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Sum of weight / (k + rank) over the rankings a row appears in; ties keep first-seen order."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (row, _) in enumerate(ranking, start=1):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def zscore_fusion(
    rows: Sequence[int], scores: Sequence[npt.ArrayLike], weights: Sequence[float]
) -> list[tuple[int, float]]:
    """Rows by the weighted sum of each retriever's scores standardized over `rows` (mean 0,
    sd 1), best first; a retriever whose scores are all equal adds nothing. Ties keep the
    order of `rows`."""
    if not rows:
        return []
    fused = np.zeros(len(rows), dtype=np.float64)
    for values, weight in zip(scores, weights, strict=True):
        column = np.asarray(values, dtype=np.float64)
        spread = column.std()
        if spread > 0:
            fused += weight * (column - column.mean()) / spread
    order = np.argsort(-fused, kind="stable")
    return [(int(rows[i]), float(fused[i])) for i in order]


@dataclass(frozen=True, slots=True)
class AspectBoost:
    """What search adds to a passage's fused score when it addresses the asked aspect:
    `heading` when its section heading does, `broader` when instead its heading names the
    broader aspect ("Treatment" for a medicines question), `text` when its words do (fitted
    weights)."""

    heading: float = 0.0
    text: float = 0.0
    broader: float = 0.0
    depth: int = 30
    """Only the best `depth` fused candidates are re-ranked."""

    def rerank(
        self, query: str, fused: list[tuple[int, float]], chunks: Sequence[Chunk]
    ) -> list[tuple[int, float]]:
        """`fused` re-sorted with the boost; unchanged when the query asks no aspect."""
        if not (self.heading or self.text or self.broader):
            return fused
        aspects = asked_aspects(query)
        terms = answer_terms(aspects)
        if not terms:
            return fused
        wider = broader_terms(aspects) if self.broader else frozenset()
        head = [
            (
                row,
                score
                + self.heading_boost(chunks[row].section, terms, wider)
                + (self.text and self.text * aspect_match(chunks[row].text, terms)),
            )
            for row, score in fused[: self.depth]
        ]
        head.sort(key=lambda item: -item[1])
        return head + fused[self.depth :]

    def heading_boost(self, heading: str, terms: frozenset[str], wider: frozenset[str]) -> float:
        if aspect_match(heading, terms):
            return self.heading
        return self.broader * aspect_match(heading, wider)


def check_query(query: str, max_chars: int, setting: str = "retrieval.max_query_chars") -> str:
    """The query stripped; `QueryError` for an empty one or one over the length limit, which
    names `setting`, the setting the limit came from."""
    stripped = query.strip()
    if not stripped:
        raise QueryError("the query is empty")
    if len(stripped) > max_chars:
        raise QueryError(
            f"the query is {len(stripped):,} characters; the limit is {max_chars:,} "
            f"(setting {setting})"
        )
    return stripped


class Retriever:
    """Hybrid search: dense (FAISS) and BM25 candidates, fused by standardized scores or RRF."""

    def __init__(
        self,
        index: LoadedIndex,
        encoder: Encoder,
        settings: RetrievalSettings,
        boost: AspectBoost | None = None,
    ) -> None:
        """`boost` defaults to the fitted aspect boost; `AspectBoost()` turns it off."""
        self.index = index
        self.encoder = encoder
        self.settings = settings
        self.boost = fitted_boost() if boost is None else boost

    def check_model(self) -> None:
        """Refuse an index whose vectors the encoder cannot have made."""
        if self.encoder.dimension != self.index.manifest.dimension:
            raise IndexMismatchError(
                f"{self.index.folder}: vectors of dimension {self.index.manifest.dimension}, "
                f"model {self.encoder.model_name!r} makes {self.encoder.dimension}"
            )

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        query = check_query(query, self.settings.max_query_chars)
        k = self.settings.k if k is None else k
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        mode = RetrievalMode(mode or self.settings.mode)
        depth = max(k, self.settings.candidates)
        dense = self.dense_ranking(query, depth) if mode is not RetrievalMode.BM25 else []
        # BM25 scores every passage at once; the ranking and the fusion both read this array.
        bm25 = self.lexical_scores(query) if mode is not RetrievalMode.DENSE else _NO_SCORES
        lexical = top_rows(bm25, depth)
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        weights = [self.settings.dense_weight, self.settings.lexical_weight]
        if mode is RetrievalMode.DENSE:
            fused = list(dense)
        elif mode is RetrievalMode.BM25:
            fused = list(lexical)
        elif self.settings.fusion is Fusion.RRF:
            fused = reciprocal_rank_fusion([dense, lexical], self.settings.rrf_k, weights)
        else:
            # Every candidate gets both scores, so one retriever missing a passage does not
            # read as a zero from it.
            rows = list(dict.fromkeys(row for row, _ in (*dense, *lexical)))
            dense_all = self.dense_scores(query, rows)
            lexical_all = bm25[rows]
            fused = zscore_fusion(rows, [dense_all, lexical_all], weights)
            dense_scores = dict(zip(rows, dense_all.tolist(), strict=True))
            lexical_scores = dict(zip(rows, lexical_all.tolist(), strict=True))
        if mode is RetrievalMode.HYBRID:
            fused = self.boost.rerank(query, fused, self.index.chunks)
        return [
            Hit(
                chunk=self.index.chunks[row],
                rank=rank,
                score=float(score),
                dense_score=dense_scores.get(row),
                lexical_score=lexical_scores.get(row),
            )
            for rank, (row, score) in enumerate(fused[:k], start=1)
        ]

    def dense_ranking(self, query: str, depth: int) -> list[tuple[int, float]]:
        vector = self.encoder.encode_query(query)
        index = self.index
        return search_dense(index.dense, index.vectors, vector, depth, self.settings.ann_rerank)

    def dense_scores(self, query: str, rows: Sequence[int]) -> npt.NDArray[np.float32]:
        """Cosine similarity of the query to each of `rows` (the vectors are unit length)."""
        vector = self.encoder.encode_query(query)
        passages = self.index.vectors[np.asarray(rows, dtype=np.int64)]
        return np.asarray(passages @ vector[0], dtype=np.float32)

    def lexical_scores(self, query: str) -> npt.NDArray[np.float32]:
        """A BM25 score for every passage."""
        text = expand(query) if self.settings.expand_query else query
        return self.index.lexical.scores(tokenize(text))

    def lexical_ranking(self, query: str, depth: int) -> list[tuple[int, float]]:
        return top_rows(self.lexical_scores(query), depth)


def top_rows(scores: npt.NDArray[np.float32], depth: int) -> list[tuple[int, float]]:
    """The `depth` best rows with a positive score, best first (ties by row)."""
    depth = min(depth, len(scores))
    if depth < 1:
        return []
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(r), float(scores[r])) for r in top if scores[r] > 0]


def fitted_boost() -> AspectBoost:
    """The aspect boost with the weights of `fitted.json`."""
    fitted = load_fitted()
    return AspectBoost(fitted.aspect_heading, fitted.aspect_text, fitted.aspect_broader)


def open_retriever(settings: Settings) -> Retriever:
    """Load the index under the settings' index folder and the model that reads it."""
    if settings.index.backend is IndexBackend.MILVUS:
        from s1assist.milvus_search import open_milvus_retriever

        return open_milvus_retriever(settings)
    index = load_index(settings.paths.index, settings)
    retriever = Retriever(index, Encoder(settings.model), settings.retrieval)
    retriever.check_model()
    return retriever


def hit_to_json(hit: Hit) -> dict[str, Any]:
    """One hit as `s1assist search --json` and `POST /v1/search` show it."""
    chunk = hit.chunk
    return {
        "rank": hit.rank,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "start": chunk.start,
        "end": chunk.end,
        "score": hit.score,
        "dense_score": hit.dense_score,
        "lexical_score": hit.lexical_score,
    }
