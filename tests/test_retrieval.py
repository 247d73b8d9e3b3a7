"""Retrieval with the real model: the answer is found, scores add up, bad queries refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from s1assist.aspects import Aspect, answer_terms, broader_terms
from s1assist.config import Fusion, RetrievalMode
from s1assist.errors import QueryError
from s1assist.index import LoadedIndex
from s1assist.lexical import tokenize
from s1assist.lexicon import expand
from s1assist.retrieval import (
    AspectBoost,
    Retriever,
    check_query,
    reciprocal_rank_fusion,
    zscore_fusion,
)
from s1assist.types import Chunk

# Each question with phrases of sentences that answer it (any one will do).
ANSWERS = {
    "Can S1 impingement cause sciatica?": (
        "S1 impingement can cause sciatica",
        "S1 nerve root impingement can cause sciatica",
    ),
    "What are the symptoms of S1 radiculopathy?": (
        "S1 radiculopathy typically presents with pain that radiates",
    ),
    "What does the S1 nerve control?": (
        "controls the movements and sensations of the big toe, ankle, and heel",
        "It primarily controls plantar flexion",
    ),
    "How long does it take for L5-S1 to heal?": (
        "the healing process can last anywhere from several weeks to several months",
        "L5-S1 should heal within a few months",
    ),
    "Does SI joint pain show on MRI?": ("Yes, SI joint pain can show on MRI",),
    "Can S1 nerve damage be repaired?": (
        "The possibility of repair depends heavily on the injury’s severity",
        "greater intrinsic capacity for repair",
    ),
    "What tests show whether back pain comes from the SI joint?": (
        "The three tests typically used to diagnose SI joint dysfunction include X-rays",
    ),
}


@pytest.mark.parametrize("question", list(ANSWERS))
def test_the_answering_passage_is_in_the_top_three(question: str, retriever: Retriever) -> None:
    hits = retriever.search(question, k=3)
    assert [hit.rank for hit in hits] == [1, 2, 3]
    found = [p for hit in hits for p in ANSWERS[question] if p in hit.chunk.text]
    assert found, f"{question!r}: top 3 were " + " | ".join(
        f"{hit.chunk.doc_id} › {hit.chunk.section}" for hit in hits
    )


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_every_mode_answers(mode: RetrievalMode, retriever: Retriever) -> None:
    hits = retriever.search("Does SI joint pain show on MRI?", k=5, mode=mode)
    assert len(hits) == 5
    assert "Yes, SI joint pain can show on MRI" in hits[0].chunk.text
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        if mode is RetrievalMode.DENSE:
            assert hit.lexical_score is None
            assert hit.score == hit.dense_score
        elif mode is RetrievalMode.BM25:
            assert hit.dense_score is None
            assert hit.score == hit.lexical_score
            assert hit.score > 0


def test_hybrid_hits_carry_dense_lexical_and_fused_scores(retriever: Retriever) -> None:
    retriever = Retriever(retriever.index, retriever.encoder, retriever.settings, AspectBoost())
    query = "Can S1 impingement cause sciatica?"
    settings = retriever.settings
    dense = dict(retriever.dense_ranking(query, settings.candidates))
    lexical = dict(retriever.lexical_ranking(query, settings.candidates))
    candidates = list(dict.fromkeys([*dense, *lexical]))
    # Oracle: both real scores for every candidate, standardized over the candidates, summed.
    vector = retriever.encoder.encode_query(query)[0]
    dense_all = np.array([float(retriever.index.vectors[row] @ vector) for row in candidates])
    lexical_all = retriever.lexical_scores(query)[candidates].astype(np.float64)

    def standardized(values: np.ndarray) -> np.ndarray:
        return (values - values.mean()) / values.std()

    fused = settings.dense_weight * standardized(dense_all)
    fused += settings.lexical_weight * standardized(lexical_all)
    expected = dict(zip(candidates, fused.tolist(), strict=True))
    rows = {chunk.chunk_id: row for row, chunk in enumerate(retriever.index.chunks)}
    hits = retriever.search(query, k=5, mode=RetrievalMode.HYBRID)
    assert [hit.score for hit in hits] == pytest.approx(sorted(fused, reverse=True)[:5])
    for hit in hits:
        row = rows[hit.chunk.chunk_id]
        assert hit.score == pytest.approx(expected[row])
        # Both scores are real even for a passage only one retriever found.
        assert hit.dense_score == pytest.approx(dense_all[candidates.index(row)], abs=1e-5)
        assert hit.lexical_score == pytest.approx(lexical_all[candidates.index(row)])
        if row in dense:
            assert hit.dense_score == pytest.approx(dense[row], abs=1e-5)
        assert -1.0 <= hit.dense_score <= 1.0


def test_hybrid_with_rrf_fusion_sums_reciprocal_ranks(retriever: Retriever) -> None:
    settings = retriever.settings.model_copy(update={"fusion": Fusion.RRF})
    rrf = Retriever(retriever.index, retriever.encoder, settings, AspectBoost())
    query = "Can S1 impingement cause sciatica?"
    dense = rrf.dense_ranking(query, settings.candidates)
    lexical = rrf.lexical_ranking(query, settings.candidates)
    dense_rank = {row: rank for rank, (row, _) in enumerate(dense, start=1)}
    lexical_rank = {row: rank for rank, (row, _) in enumerate(lexical, start=1)}
    rows = {chunk.chunk_id: row for row, chunk in enumerate(rrf.index.chunks)}
    hits = rrf.search(query, k=5, mode=RetrievalMode.HYBRID)
    assert hits[0].dense_score is not None
    assert hits[0].lexical_score is not None
    for hit in hits:
        row = rows[hit.chunk.chunk_id]
        expected = 0.0
        if row in dense_rank:
            expected += settings.dense_weight / (settings.rrf_k + dense_rank[row])
            assert hit.dense_score == pytest.approx(dict(dense)[row])
        if row in lexical_rank:
            expected += settings.lexical_weight / (settings.rrf_k + lexical_rank[row])
            assert hit.lexical_score == pytest.approx(dict(lexical)[row])
        assert hit.score == pytest.approx(expected)


def test_hits_cite_exact_spans_of_their_documents(
    retriever: Retriever, built_index: LoadedIndex, corpus_documents
) -> None:
    docs = {doc.doc_id: doc for doc in corpus_documents}
    assert built_index.documents.keys() == docs.keys()
    for question in ANSWERS:
        for hit in retriever.search(question, k=5):
            chunk = hit.chunk
            doc = docs[chunk.doc_id]
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert built_index.documents[chunk.doc_id].text == doc.text
            assert chunk.title == doc.title
            sections = [s for s in doc.sections if s.start <= chunk.start and chunk.end <= s.end]
            assert [s.heading for s in sections] == [chunk.section]


def test_k_limits_the_hits(retriever: Retriever) -> None:
    passages = len(retriever.index.chunks)
    assert len(retriever.search("sciatica", k=1)) == 1
    assert len(retriever.search("sciatica", k=passages)) == passages
    assert len(retriever.search("sciatica", k=passages + 50)) == passages
    assert len(retriever.search("sciatica")) == retriever.settings.k


# Fusion as a pure function, on hand-made rankings.


def test_rrf_on_hand_made_rankings() -> None:
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    lexical = [(3, 5.0), (1, 4.0), (4, 1.0)]
    fused = reciprocal_rank_fusion([dense, lexical], k=60)
    # 1: 1/61 + 1/62; 3: 1/63 + 1/61; 2: 1/62; 4: 1/63
    assert [row for row, _ in fused] == [1, 3, 2, 4]
    assert [score for _, score in fused] == pytest.approx(
        [0.0325224749, 0.0322664585, 0.0161290323, 0.0158730159], abs=1e-9
    )


def test_rrf_weights_scale_each_ranking() -> None:
    dense = [(1, 0.9), (2, 0.8)]
    lexical = [(2, 3.0), (1, 2.0)]
    fused = dict(reciprocal_rank_fusion([dense, lexical], k=1, weights=[2.0, 1.0]))
    # 1: 2/2 + 1/3; 2: 2/3 + 1/2
    assert fused == pytest.approx({1: 4 / 3, 2: 7 / 6})
    fused = reciprocal_rank_fusion([dense, lexical], k=1, weights=[0.0, 1.0])
    assert [row for row, _ in fused] == [2, 1]


def test_rrf_ties_keep_first_seen_order_and_ignore_raw_scores() -> None:
    fused = reciprocal_rank_fusion([[(10, 0.1), (20, 0.0)], [(20, 99.0), (10, -5.0)]], k=1)
    assert fused == [(10, pytest.approx(0.5 + 1 / 3)), (20, pytest.approx(0.5 + 1 / 3))]


def test_rrf_of_nothing() -> None:
    assert reciprocal_rank_fusion([[], []], k=60) == []
    assert reciprocal_rank_fusion([[(7, 1.0)], []], k=60) == [(7, pytest.approx(1 / 61))]


def test_zscore_fusion_on_hand_made_scores() -> None:
    dense = [0.9, 0.5, 0.1]  # mean 0.5, sd sqrt(0.32 / 3) = 0.3265986: z = 1.2247, 0, -1.2247
    lexical = [0.0, 3.0, 6.0]  # mean 3, sd sqrt(18 / 3) = 2.4494897: z = -1.2247, 0, 1.2247
    z = 0.4 / (0.32 / 3) ** 0.5
    fused = zscore_fusion([7, 8, 9], [dense, lexical], [1.0, 2.0])
    # 7: z - 2z = -z; 8: 0; 9: -z + 2z = z
    assert [row for row, _ in fused] == [9, 8, 7]
    assert [score for _, score in fused] == pytest.approx([z, 0.0, -z])
    fused = zscore_fusion([7, 8, 9], [dense, lexical], [2.0, 1.0])
    assert [row for row, _ in fused] == [7, 8, 9]


def test_zscore_fusion_ties_keep_row_order_and_constant_scores_add_nothing() -> None:
    # Equal weights on mirrored scores: every row sums to 0, so the given order stands.
    assert [row for row, _ in zscore_fusion([3, 1, 2], [[1, 2, 3], [3, 2, 1]], [1, 1])] == [3, 1, 2]
    # No query term matched: BM25 is all zeros and the dense order decides.
    fused = zscore_fusion([4, 5], [[0.2, 0.8], [0.0, 0.0]], [1.0, 1.0])
    assert [row for row, _ in fused] == [5, 4]
    assert zscore_fusion([], [[], []], [1.0, 1.0]) == []


# Query expansion through the lexicon.


def test_si_joint_expands_to_sacroiliac() -> None:
    expanded = expand("Does SI joint pain show on MRI?")
    assert expanded.startswith("Does SI joint pain show on MRI?")
    assert "sacroiliac" in expanded
    assert "magnetic resonance imaging" in expanded
    assert "sacroiliac" in tokenize(expanded)


def test_expansion_matches_whole_terms_only() -> None:
    assert expand("Where do I sit?") == "Where do I sit?"
    assert expand("Is S10 a nerve?") == "Is S10 a nerve?"
    assert expand("heel pain") == "heel pain"


def test_expansion_lets_bm25_find_passages_in_other_words(retriever: Retriever) -> None:
    """The corpus never says "pins and needles", but it does say "tingling" and "numbness"."""
    plain = Retriever(
        retriever.index,
        retriever.encoder,
        retriever.settings.model_copy(update={"expand_query": False}),
    )
    assert plain.lexical_ranking("pins and needles", 10) == []
    expanded = retriever.lexical_ranking("pins and needles", 10)
    assert expanded
    top = retriever.index.chunks[expanded[0][0]].text.lower()
    assert "tingling" in top or "numbness" in top


# Bad queries.


@pytest.mark.parametrize("query", ["", "   ", "\n\t  \n"])
def test_empty_queries_are_refused(query: str, retriever: Retriever) -> None:
    with pytest.raises(QueryError, match="empty"):
        retriever.search(query)


def test_overlong_query_is_refused_naming_the_limit(retriever: Retriever) -> None:
    with pytest.raises(QueryError) as info:
        retriever.search("sciatica " * 2500)
    message = str(info.value)
    assert "2,000" in message
    assert "max_query_chars" in message


def test_query_at_the_limit_is_accepted(retriever: Retriever) -> None:
    assert check_query("  " + "s" * 2000 + "  ", 2000) == "s" * 2000


@pytest.mark.parametrize(
    "query", ["坐骨神经痛是什么？", "🦵💥", "Ischias – was hilft? Schmerzen im Bein 😣", "\u200b?"]
)
@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_other_scripts_and_emoji_do_not_crash(
    query: str, mode: RetrievalMode, retriever: Retriever
) -> None:
    hits = retriever.search(query, k=3, mode=mode)
    assert len(hits) <= 3
    for hit in hits:
        assert hit.chunk.text


def test_the_aspect_boost_ranks_the_passage_on_the_asked_aspect_first(retriever: Retriever) -> None:
    query = "is surgery needed for S1 radiculopathy?"
    plain = Retriever(retriever.index, retriever.encoder, retriever.settings, AspectBoost())
    boosted = Retriever(
        retriever.index, retriever.encoder, retriever.settings, AspectBoost(1.0, 0.5)
    )
    surgical = "When Surgical Intervention Is Necessary"
    assert surgical not in {h.chunk.section for h in plain.search(query, k=5)}
    assert surgical in {h.chunk.section for h in boosted.search(query, k=3)}
    # A query that asks no aspect is left as fused.
    neutral = "S1 radiculopathy"
    assert [h.chunk.chunk_id for h in boosted.search(neutral, k=5)] == [
        h.chunk.chunk_id for h in plain.search(neutral, k=5)
    ]


def test_a_heading_on_the_broader_aspect_lifts_a_narrow_question(retriever: Retriever) -> None:
    # Medicines are named under "Diagnosis and Treatment", not under a heading of their own.
    query = "Is gabapentin ever used for S1 nerve pain?"
    treatment = "Diagnosis and Treatment"
    settings = retriever.settings
    narrow = Retriever(retriever.index, retriever.encoder, settings, AspectBoost(1.0))
    fitted = Retriever(retriever.index, retriever.encoder, settings)  # fitted.json's boost
    assert fitted.boost.broader > 0
    assert treatment not in {h.chunk.section for h in narrow.search(query, k=3)}
    top = fitted.search(query, k=3)
    assert treatment in {h.chunk.section for h in top}
    assert any("gabapentin" in h.chunk.text for h in top)


def test_a_broader_heading_counts_only_without_the_asked_aspects_own() -> None:
    boost = AspectBoost(heading=1.0, broader=0.5)
    terms = answer_terms((Aspect.MEDICINE,))
    wider = broader_terms((Aspect.MEDICINE,))
    assert boost.heading_boost("Medications for Sciatica", terms, wider) == 1.0
    assert boost.heading_boost("Diagnosis and Treatment", terms, wider) == 0.5
    assert boost.heading_boost("Anatomical Location", terms, wider) == 0.0
    assert broader_terms((Aspect.TREATMENT,)) == frozenset()


def test_the_passage_holding_the_sentence_on_what_is_asked_ranks_higher(
    retriever: Retriever,
) -> None:
    # The answer is one sentence of a passage on SI joint pain; passages about the SI joint
    # throughout outrank it on the passage's own vector and words.
    query = "What makes the SI joint go wrong in the first place?"
    cause = "A misalignment of the SI joint due to injury or inflammation"
    fitted = retriever.boost
    assert fitted.sentence > 0
    plain = Retriever(
        retriever.index, retriever.encoder, retriever.settings, replace(fitted, sentence=0.0)
    )

    def rank(searcher: Retriever) -> int:
        return next(h.rank for h in searcher.search(query, k=10) if cause in h.chunk.text)

    assert rank(retriever) < rank(plain) <= 3


def test_the_sentence_signal_lifts_the_passage_with_the_nearest_sentence() -> None:
    chunks = [_chunk(f"p{i}") for i in range(4)]
    fused = [(0, 3.0), (1, 2.0), (2, 1.0), (3, 0.0)]
    nearest = {"p0": 0.30, "p1": 0.30, "p2": 0.30, "p3": 0.90}

    def similarity(picked: Sequence[Chunk]) -> np.ndarray:
        return np.array([nearest[c.chunk_id] for c in picked], dtype=np.float32)

    boost = AspectBoost(sentence=2.0)
    ranked = boost.rerank("what is it?", fused, chunks, similarity)
    assert [row for row, _ in ranked] == [3, 0, 1, 2]
    # Without the similarity, or with no weight, the fused order stands.
    assert boost.rerank("what is it?", fused, chunks) == fused
    assert AspectBoost().rerank("what is it?", fused, chunks, similarity) == fused
    # Equal similarities tell nothing apart.
    level = AspectBoost(sentence=2.0).rerank(
        "what is it?", fused, chunks, lambda picked: np.full(len(picked), 0.5, np.float32)
    )
    assert level == fused
    # A passage the signal does not read (NaN: a one-section document) keeps its score.
    unread = dict(nearest, p0=float("nan"))
    kept = boost.rerank(
        "what is it?",
        fused,
        chunks,
        lambda picked: np.array([unread[c.chunk_id] for c in picked], dtype=np.float32),
    )
    assert dict(kept)[0] == 3.0
    assert [row for row, _ in kept] == [0, 3, 1, 2]


def _chunk(chunk_id: str) -> Chunk:
    return Chunk(
        chunk_id=chunk_id,
        doc_id="d",
        title="t",
        section="Overview",
        text="Some words here.",
        start=0,
        end=16,
    )


def test_a_chiropractor_is_found_as_chiropractic_care(retriever: Retriever) -> None:
    # The stems differ ("chiropractor", "chiropract"); the lexicon names them as one.
    assert "chiropractic" in expand("Should I see a chiropractor for sciatica?")
    hits = retriever.search("Should I see a chiropractor for sciatica?", k=3)
    assert any("Chiropractic care" in h.chunk.text for h in hits)
