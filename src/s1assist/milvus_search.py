"""Hybrid search over a Milvus index, fused exactly as the default backend fuses.

Milvus finds the candidates: the nearest passages by inner product on the unit vectors, and
the best by its BM25 function over our own analyzed terms. The fusion is done here, by the
same function as the FAISS backend (`retrieval.zscore_fusion`, or `reciprocal_rank_fusion`
when chosen), not by Milvus's `hybrid_search`: its rankers are RRF and a weighted sum of
arctan-normalized scores, neither of which is the z-score fusion the project's quality was
measured with, and that fusion needs both scores for every candidate. So every candidate
gets its exact cosine (from its stored vector) and its BM25 score computed from its stored
terms with the corpus statistics recorded at build time, by the formula bm25s uses. Milvus's
own BM25 scores only rank the candidates: Milvus Lite keeps its statistics per segment and
weighs document length differently, so its scores are not those of the FAISS backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from s1assist.config import Fusion, RetrievalMode, RetrievalSettings, Settings
from s1assist.embedding import Encoder
from s1assist.errors import QueryError
from s1assist.index.milvus import MilvusIndex, open_milvus_index
from s1assist.index.milvus.schema import PASSAGE_FIELDS
from s1assist.index.milvus.store import MilvusTerms
from s1assist.index.records import chunk_from_json
from s1assist.lexical import tokenize
from s1assist.lexicon import expand
from s1assist.retrieval import Retriever, check_query, reciprocal_rank_fusion, zscore_fusion
from s1assist.types import Hit

Scored = list[tuple[str, float]]
"""(chunk id, score) pairs, best first."""
_MAX_LIMIT = 16_384  # Milvus's largest top-k


class MilvusRetriever(Retriever):
    """The retriever over a Milvus index: same `Hit`s, same fusion, same settings."""

    def __init__(self, milvus: MilvusIndex, encoder: Encoder, settings: RetrievalSettings) -> None:
        super().__init__(milvus.loaded, encoder, settings)
        self.milvus = milvus

    @property
    def client(self) -> Any:
        return self.milvus.client

    def search(
        self, query: str, k: int | None = None, mode: RetrievalMode | None = None
    ) -> list[Hit]:
        query = check_query(query, self.settings.max_query_chars)
        k = self.settings.k if k is None else k
        if k < 1:
            raise QueryError(f"k must be at least 1, not {k}")
        mode = RetrievalMode(mode or self.settings.mode)
        self.milvus.refresh()
        self.index = self.milvus.loaded
        depth = min(max(k, self.settings.candidates), _MAX_LIMIT)
        vector = self.encoder.encode_query(query)[0] if mode is not RetrievalMode.BM25 else None
        dense = self._dense(vector, depth) if vector is not None else []
        text = expand(query) if self.settings.expand_query else query
        tokens = tokenize(text) if mode is not RetrievalMode.DENSE else []
        found = self._lexical(tokens, depth) if tokens else []
        ids = list(dict.fromkeys([*(cid for cid, _ in dense), *found]))
        terms = self._fields(ids, "terms") if tokens else {}
        bm25 = self._bm25(tokens, [terms.get(cid, "") for cid in ids])
        lexical_all = dict(zip(ids, bm25, strict=True))
        # As top_rows: BM25's ranking keeps passages with a positive score, best first.
        lexical = sorted(
            ((cid, lexical_all[cid]) for cid in found if lexical_all[cid] > 0),
            key=lambda item: -item[1],
        )
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        weights = [self.settings.dense_weight, self.settings.lexical_weight]
        if mode is RetrievalMode.DENSE:
            fused = dense
        elif mode is RetrievalMode.BM25:
            fused = lexical
        elif self.settings.fusion is Fusion.RRF:
            position = {cid: i for i, cid in enumerate(ids)}
            rankings = [[(position[c], s) for c, s in ranking] for ranking in (dense, lexical)]
            merged = reciprocal_rank_fusion(rankings, self.settings.rrf_k, weights)
            fused = [(ids[i], s) for i, s in merged]
        else:
            assert vector is not None
            found_only = [cid for cid in ids if cid not in dense_scores]
            for cid, stored in self._fields(found_only, "dense").items():
                dense_scores[cid] = float(np.asarray(stored, dtype=np.float32) @ vector)
            dense_all = [dense_scores[cid] for cid in ids]
            scores = [dense_all, [lexical_all[cid] for cid in ids]]
            merged = zscore_fusion(list(range(len(ids))), scores, weights)
            fused = [(ids[i], s) for i, s in merged]
            lexical_scores = lexical_all
        if mode is RetrievalMode.HYBRID and self.boost.active:
            fused = self._boosted(query, fused)
        top = fused[:k]
        rows = self._records([cid for cid, _ in top])
        return [
            Hit(
                chunk=chunk_from_json(rows[cid]),
                rank=rank,
                score=float(score),
                dense_score=dense_scores.get(cid),
                lexical_score=lexical_scores.get(cid),
            )
            for rank, (cid, score) in enumerate(top, start=1)
        ]

    def _boosted(self, query: str, fused: Scored) -> Scored:
        """The boost of the default backend, over the same best candidates."""
        head = fused[: self.boost.depth]
        records = self._records([cid for cid, _ in head])
        chunks = [chunk_from_json(records[cid]) for cid, _ in head]
        ranked = self.boost.rerank(
            query, [(i, s) for i, (_, s) in enumerate(head)], chunks, self.nearest_sentence(query)
        )
        return [(head[i][0], s) for i, s in ranked] + fused[self.boost.depth :]

    def _dense(self, vector: npt.NDArray[np.float32], depth: int) -> Scored:
        params = {"metric_type": "IP", "params": {"ef": max(2 * depth, 64)}}
        found = self.client.search(
            self.milvus.names.passages,
            data=[vector.tolist()],
            anns_field="dense",
            limit=depth,
            output_fields=["chunk_id"],
            search_params=params,
        )
        return [(str(hit["chunk_id"]), float(hit["distance"])) for hit in found[0]]

    def _lexical(self, tokens: Sequence[str], depth: int) -> list[str]:
        """Ids of the passages Milvus's BM25 ranks best for the terms, best first."""
        found = self.client.search(
            self.milvus.names.passages,
            data=[" ".join(tokens)],
            anns_field="sparse",
            limit=depth,
            output_fields=["chunk_id"],
            search_params={"metric_type": "BM25"},
        )
        return [str(hit["chunk_id"]) for hit in found[0]]

    def _fields(self, ids: Sequence[str], field: str) -> dict[str, Any]:
        """One stored field of each passage. Fetched field by field and only for the rows
        that need it: a `get` of every field of 200 candidates took three times as long."""
        if not ids:
            return {}
        rows = self.client.get(self.milvus.names.passages, ids=list(ids), output_fields=[field])
        return {str(row["chunk_id"]): row[field] for row in rows}

    def _records(self, ids: Sequence[str]) -> dict[str, Any]:
        if not ids:
            return {}
        rows = self.client.get(
            self.milvus.names.passages, ids=list(ids), output_fields=PASSAGE_FIELDS
        )
        return {str(row["chunk_id"]): row for row in rows}

    def _bm25(self, tokens: Sequence[str], texts: Sequence[str]) -> list[float]:
        """BM25 of each candidate as `LexicalIndex.scores` gives it (bm25s's Lucene form:
        idf x tf / (tf + k1 (1 - b + b dl / avgdl)), a query term counted each time it
        occurs), from the terms and statistics the build stored."""
        if not tokens:
            return [0.0] * len(texts)
        manifest = self.index.manifest
        k1, b = manifest.bm25["k1"], manifest.bm25["b"]
        average = manifest.counts["terms"] / max(manifest.counts["chunks"], 1)
        lexical = self.index.lexical
        assert isinstance(lexical, MilvusTerms)
        idf = lexical.idfs(tokens)
        scores: list[float] = []
        for text in texts:
            terms = text.split()
            counts = Counter(terms)
            norm = k1 * (1 - b + b * len(terms) / average)
            scores.append(
                sum(
                    idf[t] * counts[t] / (counts[t] + norm)
                    for t in tokens
                    if counts[t] and t in idf
                )
            )
        return scores


def open_milvus_retriever(settings: Settings, encoder: Encoder | None = None) -> MilvusRetriever:
    """The Milvus index the settings name, checked against the model that will query it."""
    retriever = MilvusRetriever(
        open_milvus_index(settings), encoder or Encoder(settings.model), settings.retrieval
    )
    retriever.check_model()
    return retriever
