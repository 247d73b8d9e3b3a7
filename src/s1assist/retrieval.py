"""Dense, lexical and fused retrieval over a loaded index; returns typed `Hit`s."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from s1assist.index.sentences import quoted_sentences
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
        fused += weight * standardized(np.asarray(values))
    order = np.argsort(-fused, kind="stable")
    return [(int(rows[i]), float(fused[i])) for i in order]


SentenceSimilarity = Callable[[Sequence[Chunk]], npt.NDArray[np.float32]]
"""For each passage, the similarity of its sentence nearest the query; NaN for a passage
the signal does not read."""


@dataclass(frozen=True, slots=True)
class AspectBoost:
    """What search adds to a passage's fused score for addressing what is asked (fitted
    weights): `heading` when its section heading addresses the asked aspect, `broader` when
    instead its heading names the broader aspect ("Treatment" for a medicines question),
    `text` when its words do, and `sentence` times how far the similarity of its sentence
    nearest the query stands above the other candidates' (standardized). A passage that
    holds the one sentence on what is asked ("A misalignment of the SI joint due to injury
    or inflammation" for what makes the SI joint go wrong) among others on the topic ranks
    above one that is about the topic throughout."""

    heading: float = 0.0
    text: float = 0.0
    broader: float = 0.0
    sentence: float = 0.0
    depth: int = 30
    """Only the best `depth` fused candidates are re-ranked."""

    @property
    def active(self) -> bool:
        return bool(self.heading or self.text or self.broader or self.sentence)

    def rerank(
        self,
        query: str,
        fused: list[tuple[int, float]],
        chunks: Sequence[Chunk],
        nearest_sentence: SentenceSimilarity | None = None,
    ) -> list[tuple[int, float]]:
        """`fused` re-sorted with the boost (`nearest_sentence` gives the sentence signal;
        without it that part adds nothing); unchanged when nothing applies."""
        head = fused[: self.depth]
        bonus = np.zeros(len(head), dtype=np.float64)
        if self.sentence and nearest_sentence is not None:
            nearest = nearest_sentence([chunks[row] for row, _ in head])
            read = ~np.isnan(nearest)
            if read.sum() > 1:
                bonus[read] += self.sentence * standardized(nearest[read])
        aspects = asked_aspects(query)
        terms = answer_terms(aspects)
        if terms and (self.heading or self.text or self.broader):
            wider = broader_terms(aspects) if self.broader else frozenset()
            bonus += [
                self.heading_boost(chunks[row].section, terms, wider)
                + (self.text and self.text * aspect_match(chunks[row].text, terms))
                for row, _ in head
            ]
        if not bonus.any():
            return fused
        ranked = [(row, score + float(b)) for (row, score), b in zip(head, bonus, strict=True)]
        ranked.sort(key=lambda item: -item[1])
        return ranked + fused[self.depth :]

    def heading_boost(self, heading: str, terms: frozenset[str], wider: frozenset[str]) -> float:
        if aspect_match(heading, terms):
            return self.heading
        return self.broader * aspect_match(heading, wider)


def standardized(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """`values` less their mean, over their standard deviation (all 0 when they are equal)."""
    column = np.asarray(values, dtype=np.float64)
    spread = column.std()
    return (column - column.mean()) / spread if spread > 0 else np.zeros_like(column)


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
        if index.sentences is not None:
            encoder.know(index.sentences, index.sentences.runtime)

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
            fused = self.boost.rerank(query, fused, self.index.chunks, self.nearest_sentence(query))
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

    def nearest_sentence(self, query: str) -> SentenceSimilarity:
        """Each passage's best cosine between one of its sentences (as an answer quotes
        them) and `query`: looked up in the build's sentence table, embedded where a build
        has none (Milvus) and remembered. Only passages of documents under several headings
        are read (NaN for the others): a page on many things holds the sentence on what is
        asked among others on its topic, while a one-section document (a research
        abstract) is on one thing throughout and its passage vector reads it whole; read for
        every passage, the signal (at weight 0.75) took BioASQ hybrid nDCG@10 from 0.830 to
        0.822."""
        vector = self.encoder.encode_query(query)[0]
        documents = self.index.documents

        def sectioned(chunk: Chunk) -> bool:
            document = documents.get(chunk.doc_id)
            return document is not None and len(document.sections) > 1

        def similarity(chunks: Sequence[Chunk]) -> npt.NDArray[np.float32]:
            texts = [quoted_sentences(c) if sectioned(c) else () for c in chunks]
            flat = [t for group in texts for t in group]
            if not flat:
                return np.full(len(chunks), np.nan, dtype=np.float32)
            cosines = self.encoder.encode_cached(flat) @ vector
            ends = np.cumsum([len(group) for group in texts]).tolist()
            best = [
                float(cosines[end - len(group) : end].max()) if group else np.nan
                for group, end in zip(texts, ends, strict=True)
            ]
            return np.asarray(best, dtype=np.float32)

        return similarity

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
    return AspectBoost(
        fitted.aspect_heading, fitted.aspect_text, fitted.aspect_broader, fitted.best_sentence
    )


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
