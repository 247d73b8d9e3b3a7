"""Red flags come from the user's own words, by rule; ordinary questions raise none."""

from __future__ import annotations

import pytest

from s1assist.answering.safety import RedFlag, check, without_signs

# Worded apart from eval/gold.jsonl, so the rules are not only tuned to the gold set.
SHOULD_FLAG = [
    ("Since Tuesday I can't control my bladder and my sciatica is bad", RedFlag.BLADDER_BOWEL),
    ("I've lost control of my bowels and my back is agony", RedFlag.BLADDER_BOWEL),
    ("I wet myself twice today, and my leg pain is worse", RedFlag.BLADDER_BOWEL),
    ("My groin has gone numb since my disc flared up", RedFlag.SADDLE_NUMBNESS),
    ("I have numbness between my legs when I sit on the toilet", RedFlag.SADDLE_NUMBNESS),
    ("Both my legs feel weak and I keep stumbling", RedFlag.BILATERAL_WEAKNESS),
    ("I have weakness in both legs since this morning", RedFlag.BILATERAL_WEAKNESS),
    ("My foot drop is getting worse each week", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My leg is getting weaker every day despite physio", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I have a fever and terrible lower back pain", RedFlag.FEVER),
    ("I've had chills and back pain since my injection", RedFlag.FEVER),
    ("I was treated for lung cancer and now my back aches all night", RedFlag.CANCER_HISTORY),
    ("I fell down the stairs and now my back and leg hurt", RedFlag.MAJOR_TRAUMA),
    ("After a car accident last night my lower back is killing me", RedFlag.MAJOR_TRAUMA),
    # Everyday wording.
    ("I've got a fever of 39 and my back is agony", RedFlag.FEVER),
    ("My temperature is 38.5 tonight and my lower back aches", RedFlag.FEVER),
    ("I have a high temperature and sciatica", RedFlag.FEVER),
    ("I've had chills and sweats all night with this back pain", RedFlag.FEVER),
    ("My foot is dropping and it's getting worse every day", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I can't feel anything when I wipe", RedFlag.SADDLE_NUMBNESS),
    ("My leg went numb and now I can't feel the toilet paper when I wipe", RedFlag.SADDLE_NUMBNESS),
    ("I barely feel it when I wipe since my disc went", RedFlag.SADDLE_NUMBNESS),
    ("I've gone numb down there since my back went", RedFlag.SADDLE_NUMBNESS),
    ("I wet myself this morning and my sciatica is bad", RedFlag.BLADDER_BOWEL),
    ("My legs gave way on the stairs today", RedFlag.BILATERAL_WEAKNESS),
    # Any tense of "getting weaker", and a vehicle as the subject of the accident.
    ("My calf got weaker over the weekend and now it's worse again", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My foot feels weaker and weaker since Monday", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My ankle grows weaker each morning", RedFlag.PROGRESSIVE_WEAKNESS),
    ("A van struck me on my bike on Friday and my back is sore", RedFlag.MAJOR_TRAUMA),
    ("I was knocked over by a motorbike and now my leg tingles", RedFlag.MAJOR_TRAUMA),
    (
        "I fell off my bike years ago, and yesterday I fell again; my back is agony",
        RedFlag.MAJOR_TRAUMA,
    ),
    # More everyday words for the same signs.
    ("I'm burning up and shivering and my back is killing me", RedFlag.FEVER),
    ("I've been sweating at night and my back aches", RedFlag.FEVER),
    ("My foot has gone floppy and it's worse than yesterday", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I'm tripping over my foot more and more each day", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My leg keeps giving way and it's getting worse", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I can't lift my foot and it's spreading up my leg", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I've lost all feeling in my private parts", RedFlag.SADDLE_NUMBNESS),
    ("I can't feel anything down below since this morning", RedFlag.SADDLE_NUMBNESS),
    ("I slipped on the ice and fell down the steps, now my back hurts", RedFlag.MAJOR_TRAUMA),
    ("Hot and cold sweats all night, and my back is killing me", RedFlag.FEVER),
    ("My foot is flopping and dragging more each day", RedFlag.PROGRESSIVE_WEAKNESS),
    ("I've had difficulty starting to urinate since yesterday", RedFlag.BLADDER_BOWEL),
    ("I'm struggling to pee and my leg is numb", RedFlag.BLADDER_BOWEL),
    ("I lose control of my bladder when I cough now", RedFlag.BLADDER_BOWEL),
    ("I had breast cancer and now my back hurts, could it be spread?", RedFlag.CANCER_HISTORY),
    ("I keep having accidents and can't make it to the toilet in time", RedFlag.BLADDER_BOWEL),
    ("I haven't had a wee since last night and my back is agony", RedFlag.BLADDER_BOWEL),
    ("My bladder feels full but nothing comes out", RedFlag.BLADDER_BOWEL),
    ("I've had some bowel accidents this week with my sciatica", RedFlag.BLADDER_BOWEL),
    ("I can't control when I go to the loo", RedFlag.BLADDER_BOWEL),
    ("My wife and I fell off a ladder this morning", RedFlag.MAJOR_TRAUMA),
    ("My husband was driving when we had a car crash yesterday", RedFlag.MAJOR_TRAUMA),
    ("Could my pain be related to my cancer treatment?", RedFlag.CANCER_HISTORY),
    ("My legs gave way after a walk and I can barely stand", RedFlag.BILATERAL_WEAKNESS),
    ("I'm worried because I lose control of my bladder now", RedFlag.BLADDER_BOWEL),
    ("I keep wetting myself", RedFlag.BLADDER_BOWEL),
    ("I have a fever of 39 and I'm not feeling better", RedFlag.FEVER),
    ("My foot is getting weaker and it's not getting better", RedFlag.PROGRESSIVE_WEAKNESS),
    # A time of now between a long-past one and the sign makes the sign present.
    ("I hurt my back years ago and now I've wet myself", RedFlag.BLADDER_BOWEL),
    ("I had sciatica in 2015 and now I can't pee", RedFlag.BLADDER_BOWEL),
    ("I've had back pain since 2015 and now I wet myself", RedFlag.BLADDER_BOWEL),
    ("I had a car accident in 2015 and yesterday I fell down the stairs", RedFlag.MAJOR_TRAUMA),
    ("I'm 70 and fell over in the garden this morning", RedFlag.MAJOR_TRAUMA),
    ("It's getting harder to lift my foot and it's getting worse", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My foot catches on the stairs more and more", RedFlag.PROGRESSIVE_WEAKNESS),
    # A second set, written apart from the gold set by a reviewer of the rules.
    (
        "My bladder feels full but I can't get anything out. Is that related to my back?",
        RedFlag.BLADDER_BOWEL,
    ),
    (
        (
            "I've started leaking a bit of wee when I stand up, which never happened before "
            "my back went. Should I worry?"
        ),
        RedFlag.BLADDER_BOWEL,
    ),
    (
        (
            "For the last two days I haven't been able to tell when I need the loo. My "
            "sciatica is really bad, is this normal?"
        ),
        RedFlag.BLADDER_BOWEL,
    ),
    (
        (
            "I keep having to rush to the bathroom and last night I didn't make it in time. "
            "My lower back is killing me, could it be connected?"
        ),
        RedFlag.BLADDER_BOWEL,
    ),
    (
        (
            "My bum and the inside of my thighs have gone numb since yesterday, along with "
            "the sciatica. Is that serious?"
        ),
        RedFlag.SADDLE_NUMBNESS,
    ),
    (
        (
            "Sex feels different, I can barely feel anything down there since my back went. "
            "Should I be concerned?"
        ),
        RedFlag.SADDLE_NUMBNESS,
    ),
    (
        "My saddle area feels dead and rubbery since I lifted the sofa. What should I do?",
        RedFlag.SADDLE_NUMBNESS,
    ),
    (
        "Both of my legs feel like jelly and I nearly fell on the stairs today. Is this the disc?",
        RedFlag.BILATERAL_WEAKNESS,
    ),
    (
        "I can hardly stand up because my legs have no strength anymore. Is this sciatica?",
        RedFlag.BILATERAL_WEAKNESS,
    ),
    (
        "My left leg was weak already but now my right leg is going weak too. Is that bad?",
        RedFlag.BILATERAL_WEAKNESS,
    ),
    (
        "Now the weakness has spread to my other leg as well. What should I do?",
        RedFlag.BILATERAL_WEAKNESS,
    ),
    (
        "Now the weakness has spread to my other leg as well. What should I do?",
        RedFlag.PROGRESSIVE_WEAKNESS,
    ),
    (
        (
            "My right foot has started slapping on the floor when I walk and it's worse every"
            " day. What's going on?"
        ),
        RedFlag.PROGRESSIVE_WEAKNESS,
    ),
    (
        (
            "I can't stand on tiptoe on my left side anymore and it's getting worse by the "
            "week. Should I see someone?"
        ),
        RedFlag.PROGRESSIVE_WEAKNESS,
    ),
    (
        "I feel hot and shivery and my sciatica has suddenly flared. What should I do?",
        RedFlag.FEVER,
    ),
    (
        (
            "I've been waking up drenched in sweat every night for a week along with this "
            "back pain. Is that a worry?"
        ),
        RedFlag.FEVER,
    ),
    (
        (
            "Two years ago I had a melanoma removed and now I have this nerve pain in my leg."
            " Could it be related?"
        ),
        RedFlag.CANCER_HISTORY,
    ),
    (
        (
            "I'm in remission from leukaemia and I've developed back pain and numb toes. Is "
            "this sciatica?"
        ),
        RedFlag.CANCER_HISTORY,
    ),
    (
        (
            "I slipped on black ice last week and landed hard on my back, and now I have pain"
            " down my leg. Should I get it checked?"
        ),
        RedFlag.MAJOR_TRAUMA,
    ),
    (
        (
            "I got rear-ended at a junction on Monday and my back and leg have been terrible "
            "since. Is this whiplash or sciatica?"
        ),
        RedFlag.MAJOR_TRAUMA,
    ),
    ("My mum says my foot is dragging more each day", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My legs gave way and my husband had to catch me", RedFlag.BILATERAL_WEAKNESS),
    ("My private parts feel tingly and numb", RedFlag.SADDLE_NUMBNESS),
    ("I've lost sensation in my vagina", RedFlag.SADDLE_NUMBNESS),
    ("My penis feels numb since my back went", RedFlag.SADDLE_NUMBNESS),
    ("My legs are both weak and I keep falling", RedFlag.BILATERAL_WEAKNESS),
    ("My foot slaps when I walk and it's worse than last week", RedFlag.PROGRESSIVE_WEAKNESS),
    ("My toes drag and it's progressively worse", RedFlag.PROGRESSIVE_WEAKNESS),
]
SHOULD_NOT_FLAG = [
    "Can sitting make S1 pain worse?",
    "Can sciatica cause loss of bladder control?",
    "What is cauda equina syndrome?",
    "Is foot drop a symptom of S1 radiculopathy?",
    "Does a history of cancer matter for back pain?",
    "I had a fever last month but it's gone; can sciatica come back?",
    "My leg tingles after a long drive; is that the S1 nerve?",
    "How long does it take for L5-S1 to heal?",
    "I sit all day at work and my buttock aches. Is it the SI joint?",
    "Which muscles does the S1 nerve supply?",
    "My dad had sciatica; is it hereditary?",
    "hi",
    # Look-alikes of the everyday wordings: a denial, a relative, a past or improving sign.
    "I don't have a fever but my back hurts",
    "My temperature is normal and my back is stiff",
    "I use hot and cold therapy on my back; does it help sciatica?",
    "My foot drop is getting better since the surgery",
    "My legs feel heavy after leg day at the gym",
    "No numbness in my groin and my bladder's fine, just a burning foot",
    "My grandad had bowel cancer, but I'm fine",
    "I've never had cancer and I'm not feverish",
    "I dropped my phone on my foot",
    "I had a high temperature last week with the flu but it's gone now",
    "I have no symptoms myself; why does worsening weakness change the plan for surgery?",
    "I'm asking for a patient: does loss of bladder control mean cauda equina?",
    "My physio says my weak calf is getting stronger each week",
    "I saw a car hit a cyclist yesterday; can that injure the S1 root?",
    "Does numbness when wiping mean cauda equina?",
    # An accident long past is no recent trauma.
    "Since my car accident five years ago I've had a dull ache in my buttock",
    "I had a bad fall as a child and now my SI joint hurts",
    # Someone else's fall, a sign long past, a fear, burning pain, a sign that has gone.
    "My dog fell down the stairs and I hurt my back catching him",
    "I had a fever as a child",
    "I wet the bed when I was a kid; can sciatica do that?",
    "I'm worried about cancer, can sciatica be a sign?",
    "My leg feels like it's burning up at night",
    "The weakness in my foot has gone away",
    "I can't feel my foot when I walk on gravel",
    "I fell asleep on the sofa and woke up with a sore back",
    "I fell ill last week with a cold and my back aches",
    "My dad had cancer, could my sciatica be cancer?",
    "I'm afraid I might lose bladder control one day, is that possible?",
    "Will I lose control of my bladder if this gets worse?",
    "My legs feel weak after a long run",
    "I fell in love with yoga and it helps my back",
    "My friend's dad was hit by a car",
    "I can't sit on the toilet for long because of the pain",
    "I haven't had a wee break at work all day, my back is sore from sitting",
    "My physio sessions are useless, nothing comes out of them",
    "My bum is sore from sitting",
    "I can't control my pain with ibuprofen",
    "The bottom of my foot is numb",
    "I'm seeing a private physio for the tingling in my calf",
    "I can't control the pain when I go for a walk",
    "I still make it to the toilet in time",
    "My kids keep having accidents at night",
    "I'm having difficulty with a wee bit of pain in my calf",
    "I haven't had a poo in three days since starting codeine",
    "My calf is still a bit weak, but I'm walking more each day",
    "I don't get cold sweats",
    "My sister has numbness in her groin",
    "I got weaker during the flu but I'm better now",
    "I can't hold my baby for long because of my back",
    "My dog tripped and fell over",
    # A second set, written apart from the gold set by a reviewer of the rules.
    (
        "I have no trouble peeing and my bowels are fine, I just have pain down my leg. "
        "Is that sciatica?"
    ),
    "I'm scared I'll end up incontinent like my gran did. Is that common with sciatica?",
    (
        "Is it true that you can lose bowel control with a slipped disc? I don't have "
        "that, just curious."
    ),
    "After cycling for two hours my bum goes numb from the saddle. Is that related to sciatica?",
    (
        "My weak ankle has stayed the same for six months and is not getting worse. Is "
        "surgery still an option?"
    ),
    (
        "My son has had a temperature of 39 all weekend and now I'm stressed and my "
        "sciatica has flared. Any tips?"
    ),
    (
        "I had a scan to rule out a tumour and it was clear. My sciatica is still bad "
        "though, what next?"
    ),
    "I work as an oncology nurse and I lift cancer patients all day. Is that why I have sciatica?",
    (
        "I had a minor car accident in 2015 and have had back pain on and off since. Is "
        "that why my S1 nerve is irritated?"
    ),
    "I came off my antidepressants recently and my leg pain feels worse. Is that linked?",
]


@pytest.mark.parametrize(("text", "flag"), SHOULD_FLAG)
def test_red_flag_is_raised(text: str, flag: RedFlag) -> None:
    result = check(text)
    assert flag in result.flags
    assert result.urgent_notice.startswith("URGENT:")
    assert "urgent medical care" in result.urgent_notice


@pytest.mark.parametrize("text", SHOULD_NOT_FLAG)
def test_no_red_flag_for_ordinary_questions(text: str) -> None:
    result = check(text)
    assert result.flags == ()
    assert result.urgent_notice == ""


def test_several_flags_are_all_named_once() -> None:
    result = check("I came off my bike at speed and now I can't feel my groin and wet myself")
    assert set(result.flags) == {
        RedFlag.MAJOR_TRAUMA,
        RedFlag.SADDLE_NUMBNESS,
        RedFlag.BLADDER_BOWEL,
    }
    assert result.urgent_notice.count("cauda equina") == 1  # one clause for the two signs


def test_what_else_a_red_flag_report_asks_is_read_without_the_sign() -> None:
    text = "I'm running a temperature of 38.6 tonight. Do painkillers help sciatica?"
    safety = check(text)
    assert safety.flags == (RedFlag.FEVER,)
    rest = without_signs(text, safety)
    assert "temperature" not in rest
    assert rest.endswith("Do painkillers help sciatica?")
    # A report that asks nothing else is read as it is.
    assert without_signs("I wet myself", check("I wet myself")) == "I wet myself"
