"""The stable answer object of `s1assist ask --json` and `POST /v1/ask`."""

from __future__ import annotations

from typing import Any

from s1assist.types import Answer


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """The answer as plain JSON; fields are only ever added, never renamed."""
    return {
        "session_id": answer.session_id,
        "question": answer.question,
        "rewritten_query": answer.rewritten_query,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "red_flags": list(answer.red_flags),
        "notice": answer.notice,
        "writer": answer.writer.value,
        "dropped": answer.dropped,
        "sentences": [
            {"text": s.text, "citations": list(s.citations), "support": s.support}
            for s in answer.sentences
        ],
        "citations": [
            {
                "n": c.n,
                "doc_id": c.doc_id,
                "title": c.title,
                "section": c.section,
                "quote": c.quote,
                "start": c.start,
                "end": c.end,
                "score": c.score,
                "kind": c.kind.value,
                "url": c.url,
            }
            for c in answer.citations
        ],
        "blocks": [
            {"kind": b.kind.value, "heading": b.heading, "sentences": list(b.sentences)}
            for b in answer.blocks
        ],
        "disagreement": list(answer.disagreement),
    }
