"""Sentence selection: a lead that answers what was asked, then what adds to it.

The lead is the best-scoring whole sentence. A sentence that opens with a reference to the
one before it ("It is also ...", "These cells ...") is only read right after that sentence,
from the same passage; generic advice ("talk to your doctor") is left out unless asked for;
a general web page adds only what the better sources have not said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from s1assist.answering.evidence import Candidate, sentence_before
from s1assist.answering.scoring import FEATURES, Scored
from s1assist.config import AnswerSettings
from s1assist.types import SourceKind

_MOST_ANTECEDENTS = 2
"""The most sentences a dangling sentence is read after."""


def select(
    pool: Sequence[Candidate],
    scored: Scored,
    settings: AnswerSettings,
    *,
    advice: bool,
    bears: Sequence[bool] | None = None,
    verdicts: Sequence[bool] = (),
) -> list[int]:
    """Indexes into `pool`: the lead first, each dangling sentence right after the one it
    continues, the rest in score order. When some sentences bear on the asked aspect
    (`bears`), only those are chosen; a sentence that gives a yes/no question its verdict
    (`verdicts`) leads when it scores within `settings.verdict_margin` of the best."""
    scores = scored.scores
    usable = [
        i
        for i in np.argsort(-scores, kind="stable").tolist()
        if not pool[i].item and (advice or not pool[i].filler)
    ]
    if bears is not None and any(bears[i] for i in usable):
        usable = [i for i in usable if bears[i]]
    if not usable:
        return []
    # A yes/no question is led by the sentence that gives its verdict ("Surgery is typically
    # reserved for ...") when one scores close to the best.
    floor = float(scores[usable[0]]) - settings.verdict_margin
    verdict = next((i for i in usable if verdicts and verdicts[i] and scores[i] >= floor), None)
    if verdict is not None:
        usable = [verdict, *(i for i in usable if i != verdict)]
    previous = sentence_before(pool)
    lead: list[int] = []
    for i in usable:
        lead = _with_antecedent(i, pool, previous)
        if lead:
            break
    if not lead:
        return []
    best = float(scores[lead[-1]])
    chosen = list(lead)
    # The text under the lead's heading goes on answering: its next sentences follow.
    head = pool[lead[-1]]
    after = sorted(
        (
            i
            for i in usable
            if (pool[i].chunk.doc_id, pool[i].chunk.section)
            == (head.chunk.doc_id, head.chunk.section)
            and pool[i].start > head.start
        ),
        key=lambda i: pool[i].start,
    )
    for i in after[: settings.continuation]:
        group = _with_antecedent(i, pool, previous, chosen)
        if not group or len(chosen) + len(group) > settings.max_sentences:
            continue
        if not any(_redundant(j, chosen, pool, scored, settings) for j in group):
            chosen += [j for j in group if j not in chosen]
    for i in usable:
        if len(chosen) >= settings.max_sentences:
            break
        if i in chosen:
            continue
        margin = (
            settings.min_margin if len(chosen) < settings.min_sentences else settings.keep_margin
        )
        if float(scores[i]) < best - margin:
            break
        group = _with_antecedent(i, pool, previous, chosen)
        if not group or len(chosen) + len(group) > settings.max_sentences:
            continue
        if any(_redundant(j, chosen, pool, scored, settings) for j in group):
            continue
        chosen += [j for j in group if j not in chosen]
    return chosen


def asked_section(
    pool: Sequence[Candidate],
    scored: Scored,
    settings: AnswerSettings,
    *,
    advice: bool,
    bears: Sequence[bool] | None = None,
) -> list[int]:
    """When a section's heading asks the question ("What does the S1 nerve control?") and
    its best sentence scores within `settings.heading_margin` of the best sentence anywhere,
    its first sentences in reading order and its best one (past its opening, only those that
    bear on the asked aspect, `bears`, when some do); empty otherwise (a heading that asks
    does not override a clearly better sentence elsewhere)."""
    column = FEATURES.index("heading_similarity")
    quotable = [i for i, c in enumerate(pool) if not c.item]
    if not quotable:
        return []
    top = max(quotable, key=lambda i: float(scored.scores[i]))
    previous = sentence_before(pool)
    sections: dict[tuple[str, str], list[int]] = {}
    for i, candidate in enumerate(pool):
        if float(scored.features[i, column]) >= settings.heading_match and not candidate.item:
            sections.setdefault((candidate.chunk.doc_id, candidate.chunk.section), []).append(i)
    ranked = sorted(
        sections.values(), key=lambda members: -float(scored.features[members[0], column])
    )
    best = float(scored.scores[top])
    for members in ranked:
        if max(float(scored.scores[i]) for i in members) < best - settings.heading_margin:
            continue  # a clearly better sentence is elsewhere: it leads, not this heading
        # With sentences on the asked aspect under it, the section's opening (its answer to
        # the heading's question) and those sentences are read, each after what it leans on.
        on_aspect = bears if bears is not None and any(bears[i] for i in members) else None
        chosen: list[int] = []
        for i in sorted(members, key=lambda i: pool[i].start):
            if pool[i].filler and not advice:
                continue
            if on_aspect is not None:
                if chosen and not on_aspect[i]:
                    continue
                group = _with_antecedent(i, pool, previous, chosen)
            else:
                group = [] if pool[i].dangling and not _continues(pool, chosen, i) else [i]
            if not group:
                continue  # it would follow a sentence it does not continue
            if (
                chosen
                and float((scored.vectors[chosen] @ scored.vectors[i]).max())
                > settings.max_redundancy
            ):
                continue
            chosen += [j for j in group if j not in chosen]
        if chosen:
            return _with_best(chosen, pool, scored.scores, settings.max_sentences)
    return []


def _with_best(
    members: Sequence[int], pool: Sequence[Candidate], scores: np.ndarray, most: int
) -> list[int]:
    """The first `most` of `members` (in reading order), the best-scoring one among them
    even when it comes later: a long section's best sentence is never cut for its opening
    ones (it takes the last place, after the sentences it continues when it dangles)."""
    if len(members) <= most:
        return list(members)
    best = max(members, key=lambda i: float(scores[i]))
    at = members.index(best)
    if at < most:
        return list(members[:most])
    start = at
    while pool[members[start]].dangling and start > 0 and at - start < _MOST_ANTECEDENTS:
        start -= 1
    tail = list(members[start : at + 1])
    return [*members[: max(0, most - len(tail))], *tail]


def _continues(pool: Sequence[Candidate], chosen: Sequence[int], i: int) -> bool:
    """True when the last of `chosen` is the sentence right before `pool[i]`."""
    if not chosen:
        return False
    last = pool[chosen[-1]]
    return last.chunk.chunk_id == pool[i].chunk.chunk_id and last.position == pool[i].position - 1


def _with_antecedent(
    i: int,
    pool: Sequence[Candidate],
    previous: Mapping[int, int],
    chosen: Sequence[int] = (),
) -> list[int]:
    """`[i]`, or `i` after the sentences it leans on when it dangles: the one before it,
    and the one before that when that one dangles too ("SI joint pain is typically felt in
    the lower back ... It may be experienced as an ache ... It may also spread down the
    leg"), up to `_MOST_ANTECEDENTS`; empty when it dangles with nothing to lean on."""
    group = [i]
    while pool[group[0]].dangling:
        if len(group) > _MOST_ANTECEDENTS:
            return []
        before = previous.get(group[0])
        if before is None or pool[before].item:
            return []
        if before in chosen:
            return group
        group.insert(0, before)
    return group


def _redundant(
    i: int,
    chosen: Sequence[int],
    pool: Sequence[Candidate],
    scored: Scored,
    settings: AnswerSettings,
) -> bool:
    similarity = scored.vectors[list(chosen)] @ scored.vectors[i]
    if float(similarity.max()) > settings.max_redundancy:
        return True
    # A web page only adds what a better source has not already said.
    if pool[i].chunk.kind is SourceKind.WEB_PAGE:
        better = [
            k for k, j in enumerate(chosen) if pool[j].chunk.kind.rank < SourceKind.WEB_PAGE.rank
        ]
        if better and float(similarity[better].max()) > settings.tier_redundancy:
            return True
    return False
