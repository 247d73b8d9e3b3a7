"""Questions the seed pages answer, shared by the tests of every backend and stage."""

SEED_QUESTIONS = [
    "Can S1 impingement cause sciatica?",
    "What are the symptoms of S1 radiculopathy?",
    "What does the S1 nerve control?",
    "How long does it take for L5-S1 to heal?",
    "Does SI joint pain show on MRI?",
    "Can S1 nerve damage be repaired?",
    "What tests show whether back pain comes from the SI joint?",
]
