"""The composer: every sentence a cited, exact slice; guideline sources first; 1..N numbering."""

from __future__ import annotations

import re

import pytest

from s1assist.answer import answer_to_json, candidates, compose
from s1assist.chat import Assistant
from s1assist.config import Settings
from s1assist.index import LoadedIndex
from s1assist.types import Answer

SEED_QUESTIONS = [
    "Can S1 impingement cause sciatica?",
    "What are the symptoms of S1 radiculopathy?",
    "What does the S1 nerve control?",
    "How long does it take for L5-S1 to heal?",
    "Does SI joint pain show on MRI?",
    "Can S1 nerve damage be repaired?",
    "What tests show whether back pain comes from the SI joint?",
]


def assert_grounded(answer: Answer, index: LoadedIndex) -> None:
    """Every sentence cites; every quote is the exact document slice; numbers run 1..N."""
    assert answer.sentences, "an answer that did not abstain has sentences"
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    first_use = list(dict.fromkeys(n for s in answer.sentences for n in s.citations))
    assert first_use == numbers, "sources are numbered in order of first citation"
    by_n = {c.n: c for c in answer.citations}
    for sentence in answer.sentences:
        assert sentence.citations
        assert 0.0 <= sentence.support <= 1.0
        for n in sentence.citations:
            citation = by_n[n]
            document = index.documents[citation.doc_id]
            assert document.text[citation.start : citation.end] == citation.quote
            # The sentence's words come from its quote (list markers and reference numbers
            # aside): nothing is invented between source and answer.
            assert sentence.text.rstrip(".") in citation.quote
        assert re.search(rf"\[{sentence.citations[0]}\]", answer.answer)


@pytest.mark.parametrize("question", SEED_QUESTIONS)
def test_seed_questions_are_answered_with_exact_citations(
    assistant: Assistant, built_index: LoadedIndex, question: str
) -> None:
    answer = assistant.answer(question, [])
    assert not answer.abstained
    assert 2 <= len(answer.sentences) <= 5
    assert_grounded(answer, built_index)


def test_impingement_answers_yes_and_cites_the_impingement_page(assistant: Assistant) -> None:
    answer = assistant.answer("Can S1 impingement cause sciatica?", [])
    assert answer.sentences[0].text.startswith("S1 impingement can cause sciatica")
    assert answer.citations[0].doc_id == "s1-impingement-sciatica"
    assert answer.citations[0].section == "From the Guidelines"


def test_symptoms_answer_covers_the_classic_findings(assistant: Assistant) -> None:
    answer = assistant.answer("What are the symptoms of S1 radiculopathy?", [])
    text = answer.answer.lower()
    assert "posterior thigh and calf to the lateral aspect of the foot" in text
    assert "numbness" in text
    assert "plantar flexion" in text
    assert "ankle reflex" in text
    assert any(c.doc_id == "s1-radiculopathy-symptoms" for c in answer.citations)


def test_guideline_source_is_preferred_to_a_web_page_saying_the_same(
    assistant: Assistant,
) -> None:
    # Both the guideline page and the general web page say S1 is part of the sciatic
    # picture; the guideline passage leads.
    answer = assistant.answer("Is the S1 nerve root part of the sciatic nerve?", [])
    assert answer.citations[0].doc_id in {"s1-impingement-sciatica", "s1-nerve-distribution"}


def test_a_heading_that_asks_the_question_gives_its_lead_sentences_in_order(
    assistant: Assistant,
) -> None:
    answer = assistant.answer("Does SI joint pain show on MRI?", [])
    assert answer.sentences[0].text == "Yes, SI joint pain can show on MRI."
    starts = [answer.citations[0].quote.index(s.text.rstrip(".")) for s in answer.sentences]
    assert starts == sorted(starts)  # the page's own order


def test_composer_never_quotes_list_stubs_headings_or_meta_sentences(
    retriever_hits: list[object],
) -> None:
    for candidate in candidates(retriever_hits):  # type: ignore[arg-type]
        assert len(candidate.text.split()) >= 5
        assert not candidate.text.endswith(("?", ":"))
        assert not candidate.text.lower().startswith("this article")
        assert not candidate.text.startswith(("•", "- "))


def test_weak_evidence_abstains_without_citations(assistant: Assistant, settings: Settings) -> None:
    hits = assistant.search("What is the capital of France?", k=6)
    answer = compose(
        "What is the capital of France?",
        "What is the capital of France?",
        hits,
        query_vector=assistant.encoder.encode_query("What is the capital of France?")[0],
        encode=assistant.encoder.encode_cached,
        idf=assistant.retriever.index.lexical.idf,
        settings=settings.answer,
    )
    assert answer.abstained
    assert answer.citations == ()
    assert answer.sentences == ()
    assert "don't cover" in answer.answer


def test_json_shape_is_the_documented_one(assistant: Assistant) -> None:
    payload = answer_to_json(assistant.answer("Does SI joint pain show on MRI?", []))
    assert list(payload) == [
        "session_id", "question", "rewritten_query", "answer", "abstained", "confidence",
        "red_flags", "notice", "writer", "dropped", "sentences", "citations",
    ]  # fmt: skip
    assert (payload["writer"], payload["dropped"]) == ("extractive", 0)
    assert set(payload["sentences"][0]) == {"text", "citations", "support"}
    assert set(payload["citations"][0]) == {
        "n", "doc_id", "title", "section", "quote", "start", "end", "score",
    }  # fmt: skip
