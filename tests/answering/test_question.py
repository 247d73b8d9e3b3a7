"""Question analysis and its cues: pure logic, no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from s1assist.answering.abstention import body_part_missing, other_entity
from s1assist.answering.question import analyze, says_yes_or_no, specificity
from s1assist.aspects import (
    Aspect,
    answer_terms,
    asked_aspects,
    aspect_match,
    excluded_aspects,
    is_yes_no,
    only_narrow,
    section_terms,
    stems,
)
from s1assist.errors import ConfigError
from s1assist.fitted import load_fitted
from s1assist.lexicon import sites


def test_the_story_is_set_apart_from_what_is_asked() -> None:
    question = analyze(
        "I've had sciatica for two weeks and this morning I tripped. Is this still S1 irritation?"
    )
    assert question.ask == "Is this still S1 irritation?"
    assert question.story.startswith("I've had sciatica")
    assert question.yes_no
    assert "s1" in question.subject


def test_an_ask_that_names_nothing_is_read_with_its_story() -> None:
    question = analyze(
        "I sit at a desk all day and my sciatica gets worse by the evening. Could that be why?"
    )
    assert question.ask == "Could that be why?"
    assert question.reading.startswith("I sit at a desk all day")
    assert question.reading.endswith("Could that be why?")


def test_an_ask_that_names_its_subject_is_read_alone() -> None:
    question = analyze("I tripped this morning on the stairs. Is this still S1 irritation?")
    assert "tripped" not in question.reading
    assert question.reading.startswith("Is this still S1 irritation?")


def test_a_statement_is_its_own_ask_and_lay_words_bring_the_corpus_terms() -> None:
    question = analyze("I can't stand on my tiptoes on my left side")
    assert question.ask == question.text
    assert "plantar flexion" in question.lay_terms
    assert "plantar flexion" in question.reading


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("is surgery needed for S1 radiculopathy?", Aspect.SURGERY),
        ("how is S1 radiculopathy treated?", Aspect.TREATMENT),
        ("can nerve damage be permanent?", Aspect.RECOVERY),
        ("How long does it take to heal?", Aspect.RECOVERY),
        ("What painkillers can I take?", Aspect.MEDICINE),
        ("Which stretches help?", Aspect.EXERCISE),
        ("What causes S1 impingement?", Aspect.CAUSE),
        ("Does SI joint pain show on MRI?", Aspect.DIAGNOSIS),
        ("What does the S1 nerve control?", Aspect.ANATOMY),
        ("What makes a nerve root go wrong?", Aspect.CAUSE),
        ("How does a bulging disc end up pressing on the root?", Aspect.CAUSE),
        ("Could my long commute be part of the problem?", Aspect.CAUSE),
        ("Is the S1 root part of the sciatic nerve?", Aspect.ANATOMY),
        ("Which reflexes depend on the S1 root?", Aspect.ANATOMY),
        ("Does it usually take a while?", Aspect.RECOVERY),
        ("Is there anything to speed it up?", Aspect.RECOVERY),
        ("When does the numbness wear off?", Aspect.RECOVERY),
    ],
)
def test_the_asked_aspect_is_read_from_cue_words(text: str, aspect: Aspect) -> None:
    assert aspect in asked_aspects(text)


def test_part_of_it_asks_what_contributes_not_where() -> None:
    assert Aspect.ANATOMY not in asked_aspects("Could all that lifting be part of it?")
    assert Aspect.CAUSE not in asked_aspects("Is the S1 root part of the sacral plexus?")


def test_words_that_only_colour_the_ask_name_no_subject() -> None:
    question = analyze("How long does full recovery actually take, honestly?")
    assert Aspect.RECOVERY in question.aspects
    assert not {"full", "actual", "honest"} & set(question.subject)


def test_story_words_and_everyday_words_name_no_subject_the_sources_lack() -> None:
    question = analyze("Since Monday my sciatica keeps flaring up after 10 hours of driving?")
    assert not {"monday", "10", "flare"} & set(question.subject)
    assert "worse" in question.lay_terms  # "flaring up" in the corpus's words
    assert "sciatica" in question.subject


def test_what_a_nerve_helps_with_is_its_function_not_a_treatment() -> None:
    asked = asked_aspects("Does the S1 nerve help with bending the knee?")
    assert Aspect.ANATOMY in asked
    assert Aspect.TREATMENT not in asked
    assert Aspect.TREATMENT in asked_aspects("Will an SI joint injection help sciatica?")


def test_what_helps_find_or_form_something_is_no_treatment() -> None:
    diagnose = asked_aspects("Can a spinal fluid test help diagnose nerve root compression?")
    assert diagnose == (Aspect.DIAGNOSIS,)
    assert Aspect.TREATMENT not in asked_aspects("Which opening does the nerve S1 helps form use?")
    assert Aspect.TREATMENT in asked_aspects("What helps L5-S1 pain?")
    # The corpus's "diagnostic parameters" address a diagnosis question.
    assert aspect_match("used as diagnostic parameters", answer_terms(diagnose))


def test_what_does_x_do_keeps_x_as_the_subject() -> None:
    question = analyze("What does the sacroiliac joint actually do?")
    assert Aspect.ANATOMY in question.aspects
    assert "sacroiliac" in question.subject


def test_everyday_movements_bring_the_corpus_terms() -> None:
    assert "knee flexion" in analyze("Does the S1 nerve help with bending the knee?").lay_terms
    assert "plantar flexion" in analyze("It hurts when I point my toes").lay_terms
    assert "lifestyle changes" in analyze("What can I do at home to ease it?").lay_terms


def test_the_corpus_names_for_everyday_words_join_the_subject() -> None:
    question = analyze("Which S1 muscles let you rise up onto your toes?")
    assert "plantar flexion" in question.lay_terms
    assert any(stem.startswith("plantar") for stem in question.subject)
    assert "healthy weight" in analyze("would losing a few pounds help my back?").lay_terms


def test_everyday_words_are_read_whole() -> None:
    # "bumpy" does not hold "bum"; "calf muscles" is one term, not "gastrocnemius" plus "s".
    assert "buttocks" not in analyze("Walking on bumpy ground hurts, is that normal?").lay_terms
    question = analyze("Which calf muscles does the first sacral root supply?")
    assert "gastrocnemius" in question.subject
    assert not [stem for stem in question.subject if stem.startswith("gastrocnemiuss")]
    assert "pain" in analyze("My lower back aches").lay_terms
    assert "rehabilitation" in analyze("Does rehab matter after surgery?").lay_terms


@pytest.mark.parametrize(
    "text",
    [
        "Switching topics: which medicines are used for S1 impingement?",
        "OK, different question - which medicines are used for S1 impingement?",
    ],
)
def test_a_remark_about_the_conversation_is_not_part_of_the_ask(text: str) -> None:
    question = analyze(text)
    assert question.ask == "which medicines are used for S1 impingement?"
    assert "topic" not in question.subject
    assert analyze("What is a new question?").ask == "What is a new question?"


def test_nerve_damage_as_a_subject_does_not_ask_for_symptoms() -> None:
    assert Aspect.SYMPTOM not in asked_aspects("can nerve damage be permanent?")
    assert Aspect.SYMPTOM in asked_aspects("What happens when it's damaged?")


def test_whether_something_causes_a_symptom_asks_for_the_symptom_too() -> None:
    assert asked_aspects("Can a bulging disc cause tingling in my heel?") == (
        Aspect.CAUSE,
        Aspect.SYMPTOM,
    )
    assert Aspect.SYMPTOM not in asked_aspects("What causes S1 impingement?")


def test_which_nerve_gives_feeling_somewhere_asks_where_it_supplies() -> None:
    assert asked_aspects("Which root gives the feeling to my heel?") == (Aspect.ANATOMY,)
    assert asked_aspects("What does it feel like?") == (Aspect.SYMPTOM,)


def test_a_question_on_medicines_reads_the_sections_on_treatment() -> None:
    heading = stems("Diagnosis and Treatment")
    assert section_terms((Aspect.MEDICINE,)) & heading
    assert not section_terms((Aspect.ANATOMY,)) & heading
    assert section_terms(()) == frozenset()


def test_yes_no_questions_are_told_apart() -> None:
    assert is_yes_no("Can S1 impingement cause sciatica?")
    assert not is_yes_no("What causes sciatica?")


def test_rare_words_name_the_subject_everyday_words_hardly() -> None:
    assert specificity("femoral") > 3 > specificity("stay")
    question = analyze("With low back pain, should I stay in bed?")
    weights = dict(zip(question.subject, question.specificity, strict=True))
    assert weights["pain"] > weights["stay"] > 0


def test_a_name_the_evidence_never_uses_is_found() -> None:
    assert other_entity("Which part of the hand does the median nerve supply?", []) > 2
    assert other_entity("Does the S1 nerve control the ankle?", []) > 0  # no evidence read
    assert other_entity("What does my pinched nerve do?", []) == 0.0  # describes, names not


def test_a_part_of_the_body_the_evidence_never_mentions_is_found() -> None:
    about_the_leg = "Pain that radiates down the leg into the foot."
    assert body_part_missing("Can a pinched nerve cause arm numbness?", about_the_leg) == 1.0
    assert body_part_missing("Why does my wrist hurt?", about_the_leg) == 1.0
    assert body_part_missing("Why do my feet tingle?", about_the_leg) == 0.0  # foot
    assert body_part_missing("Does it spread down the leg?", about_the_leg) == 0.0
    assert body_part_missing("What is sciatica?", about_the_leg) == 0.0  # names none
    muscles = "It supplies the medial head of gastrocnemius and the soleus."
    assert body_part_missing("Which calf muscles does S1 supply?", muscles) == 0.0


def test_fitted_weights_load_and_a_broken_file_is_named(tmp_path: Path) -> None:
    fitted = load_fitted()
    assert fitted.sentence.features and len(fitted.sentence.weights) == len(
        fitted.sentence.features
    )
    assert 0 < fitted.answerable_below < 1
    broken = tmp_path / "fitted.json"
    broken.write_text(json.dumps({"sentence": {}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=str(broken)):
        load_fitted(broken)


def test_spinal_levels_and_the_si_joint_are_read_by_their_own_and_the_lexicons_names() -> None:
    assert sites("How long does it take for L5-S1 to heal?") == {"l5", "s1"}
    assert sites("the first sacral root") == {"s1"}
    assert sites("S1 nerve, sciatica and the SI joint") == {"s1", "si"}  # "SI" is a joint
    assert sites("Where is sacroiliac pain typically felt?") == {"si"}
    assert sites("What are 3 tests to tell you if your back pain is caused by SI?") == {"si"}
    assert sites("si no") == frozenset()
    assert sites("Conservative Treatments to Support Healing") == frozenset()


def test_set_phrases_name_no_subject() -> None:
    question = analyze("What makes the SI joint go wrong in the first place?")
    assert {"si", "joint"} <= set(question.subject)
    assert not {"first", "place"} & set(question.subject)


def test_a_statement_asks_nothing() -> None:
    assert analyze("my ankle reflex is gone on one side").statement
    assert not analyze("My ankle reflex is gone. Is that S1?").statement
    assert not analyze("how is S1 radiculopathy treated").statement


def test_how_long_a_feeling_lasts_asks_when_not_what_is_felt() -> None:
    assert asked_aspects("how long until my foot stops feeling numb after sciatica?") == (
        Aspect.RECOVERY,
    )
    assert Aspect.SYMPTOM in asked_aspects("What does S1 nerve pain feel like?")


def test_a_yes_no_question_is_answered_by_a_sentence_on_what_it_asks_about() -> None:
    surgery = analyze("is surgery needed for S1 radiculopathy?")
    assert says_yes_or_no(surgery, "Surgery is typically reserved for cases where ...")
    assert not says_yes_or_no(surgery, "The goal of surgery is always decompression.")
    # S1 is what nearly every sentence is about: it gives no verdict on its own.
    permanent = analyze("Can S1 nerve damage be permanent?")
    assert permanent.topic == ""
    assert not says_yes_or_no(permanent, "The S1 nerve root belongs to the peripheral system.")
    assert not says_yes_or_no(analyze("What is surgery for?"), "Surgery is typically ...")


def test_physical_therapy_is_matched_as_a_phrase_not_by_physical_alone() -> None:
    exercise = answer_terms((Aspect.EXERCISE,))
    assert aspect_match("Physical therapy is a cornerstone of conservative treatment", exercise)
    assert not aspect_match("Proper diagnosis through physical examination", exercise)
    treatment = answer_terms((Aspect.TREATMENT,))
    assert not aspect_match("Proper diagnosis through physical examination", treatment)
    assert aspect_match("Lifestyle changes can involve simple modifications", treatment)
    # The phrase's words still name no subject: "physio" is read as "physical therapy",
    # which is what is asked, not what it is asked about.
    assert "physic" not in analyze("Which exercises does a physio give for S1 pain?").subject


def test_a_bare_help_beside_a_narrower_aspect_asks_that_aspect() -> None:
    def narrow(question: str) -> tuple[Aspect, ...]:
        return only_narrow(question, asked_aspects(question))

    assert narrow("what exercises help?") == (Aspect.EXERCISE,)
    assert narrow("What medicines help S1 nerve pain?") == (Aspect.MEDICINE,)
    # Asked as treatment in so many words, treatment stays.
    assert Aspect.TREATMENT in narrow("And is it treated with surgery?")
    # An injection is a narrower treatment of its own (and a steroid a medicine).
    assert narrow("How does a steroid injection help?") == (Aspect.INJECTION, Aspect.MEDICINE)
    # The question's own reading keeps every aspect: abstention and search read them all.
    assert Aspect.TREATMENT in analyze("what exercises help?").aspects


def test_an_injection_question_is_answered_by_injections_and_read_as_treatment() -> None:
    question = "My S1 nerve is irritated. Will injections help?"
    # Search and abstention read a treatment question; the epidural still names the subject.
    assert asked_aspects(question) == (Aspect.TREATMENT,)
    assert "epidur" in analyze("Will an epidural help my sciatica?").subject
    # The sentences that answer are those on injections.
    assert only_narrow(question, asked_aspects(question)) == (Aspect.INJECTION,)
    # A shot of pain is no injection.
    shot = "What helps when I get a shot of pain down my leg?"
    assert only_narrow(shot, asked_aspects(shot)) == (Aspect.TREATMENT,)
    cortisone = "Will a cortisone shot help my sciatica?"
    assert only_narrow(cortisone, asked_aspects(cortisone)) == (Aspect.INJECTION,)
    treated = "How is sciatica treated, with injections?"
    assert only_narrow(treated, asked_aspects(treated)) == asked_aspects(treated)


def test_what_a_question_sets_aside_is_not_asked() -> None:
    asked = asked_aspects("can you fix a slipped disc without surgery?")
    assert asked == (Aspect.TREATMENT,)
    assert excluded_aspects("can you fix a slipped disc without surgery?") == {Aspect.SURGERY}
    assert excluded_aspects("What helps nerve pain besides pills?") == {Aspect.MEDICINE}
    # Asked outright as well, it stays asked.
    assert excluded_aspects("Is surgery better than physio, or can I do without surgery?") == set()
    assert Aspect.SURGERY in asked_aspects("Is surgery better than physio?")


def test_an_operation_named_as_when_recovery_starts_is_not_asked() -> None:
    recovery = (Aspect.RECOVERY,)
    assert asked_aspects("Will my foot strength come back after surgery for S1?") == recovery
    assert asked_aspects("How long is recovery after a microdiscectomy?") == recovery
    assert asked_aspects("Will my strength come back after back surgery?") == recovery
    assert asked_aspects("Since my operation my foot is numb, will it get better?") == recovery
    # Asked outright, or with no recovery beside it, the operation stays asked.
    assert Aspect.SURGERY in asked_aspects("Does surgery speed up recovery?")
    assert Aspect.SURGERY in asked_aspects("Is surgery needed after six weeks of pain?")
    assert Aspect.SURGERY in asked_aspects("What happens after surgery?")
