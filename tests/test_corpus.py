"""Reading the corpus: chrome out, references aside, sections found, bad files named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from s1assist.corpus import load_corpus
from s1assist.errors import CorpusError
from s1assist.types import Document, EvidenceBlock, SourceKind

CHROME = (
    "Help us tailor your experience",
    "Skip to Content",
    "Professional Medical Disclaimer",
    "Have a follow-up question?",
    "Which best describes you?",
    "View editorial policy",
    "Article Review Status",
    "Medical Advisory Board",
    "Dr.Oracle assumes no liability",
    "Our Medical A.I. is used by practicing medical doctors",
    "Personalize",
    "Related Questions",
)
GOOD_TEXT = "Stretching helps.\n\nSciatica often improves with time and gentle movement.\n"


def by_id(documents: tuple[Document, ...]) -> dict[str, Document]:
    return {doc.doc_id: doc for doc in documents}


def headings(doc: Document) -> list[str]:
    return [section.heading for section in doc.sections]


def test_the_real_corpus_loads_every_document(corpus_dir: Path) -> None:
    loaded = load_corpus(corpus_dir)
    assert loaded.skipped == ()
    assert sorted(by_id(loaded.documents)) == [
        "s1-impingement-sciatica",
        "s1-nerve-damage-repair",
        "s1-nerve-distribution",
        "s1-radiculopathy-symptoms",
        "s1-sciatica-si-joint-faq",
    ]


@pytest.mark.parametrize("chrome", CHROME)
def test_no_site_chrome_left_in_any_document(corpus_documents, chrome: str) -> None:
    for doc in corpus_documents:
        assert chrome.lower() not in doc.text.lower(), f"{doc.doc_id} still has {chrome!r}"


def test_article_text_is_kept(corpus_documents) -> None:
    docs = by_id(corpus_documents)
    assert "S1 impingement can cause sciatica" in docs["s1-impingement-sciatica"].text
    assert "Diminished or absent ankle reflex" in docs["s1-radiculopathy-symptoms"].text
    assert "With a proper care plan, therapy, and rest" in docs["s1-sciatica-si-joint-faq"].text
    assert "Wallerian degeneration" in docs["s1-nerve-damage-repair"].text


def test_impingement_references_are_metadata_not_text(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-impingement-sciatica"]
    assert any("Nucleus pulposus-induced nerve root injury" in ref for ref in doc.references)
    assert any("Acute traumatic L5-S1 spondylolisthesis" in ref for ref in doc.references)
    assert "Nucleus pulposus-induced nerve root injury" not in doc.text
    assert "Zeitschrift fur Orthopadie" not in doc.text
    assert "References" not in headings(doc)


def test_faq_numbered_references_are_metadata_not_text(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-sciatica-si-joint-faq"]
    assert doc.references == (
        "Sciatica and radiculopathy: Peculiar names",
        "Sciatica Treatment Clearwater",
        "Is Your Sciatica Coming From Your Spine or Your SI Joint?",
        "Sciatica or Radicular Leg Pain – Welcome Back Clinic",
        "Sciatica Symptoms, Diagnosis, and Treatments",
    )
    for ref in doc.references:
        assert ref not in doc.text
    assert "Welcome Back Clinic" not in doc.text


def test_question_headings_become_sections(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-sciatica-si-joint-faq"]
    assert headings(doc) == [
        "Is S1 nerve same as sciatica?",
        "What does the S1 nerve control?",
        "What are the symptoms of S1 nerve damage?",
        "How do you fix S1 nerve pain?",
        "Is the SI joint related to sciatica?",
        "Will SI joint injection help sciatica?",
        "Does SI joint pain show on MRI?",
        "What are 3 tests to tell you if your back pain is caused by SI?",
        "Where is SI joint pain typically felt?",
        "How debilitating is SI joint pain?",
        "What is S1 sciatic nerve pain?",
        "How do you get rid of L5-S1 pain fast?",
        "How long does it take for L5-S1 to heal?",
    ]
    section = doc.sections[1]
    body = doc.text[section.start : section.end]
    assert body.startswith("The S1 nerve, also known as the first sacral nerve")
    assert body.endswith("muscles involved in those processes.")
    assert "What does the S1 nerve control?" not in body


def test_short_title_lines_become_sections(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-nerve-damage-repair"]
    assert headings(doc) == [
        "Can S1 Nerve Damage Be Repaired?",
        "Understanding S1 Nerve Function and Common Causes of Damage",
        "The Biological Potential for Nerve Regeneration",
        "Conservative Treatments to Support Healing",
        "When Surgical Intervention Is Necessary",
        "Prognosis and Long-Term Recovery Factors",
    ]


def test_sections_are_ordered_and_disjoint_spans_of_body_text(corpus_documents) -> None:
    for doc in corpus_documents:
        assert doc.sections, doc.doc_id
        previous_end = 0
        for section in doc.sections:
            assert previous_end <= section.start < section.end <= len(doc.text)
            body = doc.text[section.start : section.end]
            assert body == body.strip()
            assert section.heading, f"{doc.doc_id}: a section without a heading"
            previous_end = section.end


def test_evidence_blocks_mark_guideline_and_research_sections(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-impingement-sciatica"]
    blocks = {section.heading: section.block for section in doc.sections}
    assert blocks == {
        "From the Guidelines": EvidenceBlock.GUIDELINES,
        "Common Causes of S1 Impingement": EvidenceBlock.GUIDELINES,
        "Diagnosis and Treatment": EvidenceBlock.GUIDELINES,
        "Key Points for Clinicians": EvidenceBlock.GUIDELINES,
        "S1 Nerve Root Impingement and Sciatica": EvidenceBlock.RESEARCH,
        "Mechanisms of Nerve Root Injury": EvidenceBlock.RESEARCH,
        "Clinical Implications": EvidenceBlock.RESEARCH,
    }
    distribution = by_id(corpus_documents)["s1-nerve-distribution"]
    blocks = {section.heading: section.block for section in distribution.sections}
    assert blocks["Key Points"] is EvidenceBlock.GUIDELINES
    assert blocks["Anatomical Location of the S1 Nerve"] is EvidenceBlock.RESEARCH
    faq = by_id(corpus_documents)["s1-sciatica-si-joint-faq"]
    assert {section.block for section in faq.sections} == {EvidenceBlock.NONE}


def test_body_before_any_heading_is_filed_under_the_title(corpus_documents) -> None:
    doc = by_id(corpus_documents)["s1-radiculopathy-symptoms"]
    assert headings(doc) == ["What are the symptoms of S1 (first sacral) radiculopathy?"]
    body = doc.text[doc.sections[0].start : doc.sections[0].end]
    assert body.startswith("S1 radiculopathy typically presents with pain")


def test_sources_toml_gives_titles_kinds_and_dates(corpus_documents) -> None:
    docs = by_id(corpus_documents)
    expected = {
        "s1-nerve-distribution": (
            "Distribution of the S1 (first sacral) nerve",
            SourceKind.GUIDELINE,
            None,
        ),
        "s1-impingement-sciatica": (
            "Can S1 (first sacral) nerve root impingement cause sciatica?",
            SourceKind.GUIDELINE,
            "2025-03-22",
        ),
        "s1-radiculopathy-symptoms": (
            "What are the symptoms of S1 (first sacral) radiculopathy?",
            SourceKind.GUIDELINE,
            "2025-04-24",
        ),
        "s1-sciatica-si-joint-faq": (
            "S1 nerve, sciatica and the SI joint: common questions",
            SourceKind.WEB_PAGE,
            None,
        ),
        "s1-nerve-damage-repair": (
            "Can S1 Nerve Damage Be Repaired?",
            SourceKind.HEALTH_ARTICLE,
            None,
        ),
    }
    actual = {doc_id: (d.title, d.kind, d.date) for doc_id, d in docs.items()}
    assert actual == expected


def test_content_hashes_are_stable_and_distinct(corpus_dir: Path, corpus_documents) -> None:
    again = by_id(load_corpus(corpus_dir).documents)
    hashes = {doc.doc_id: doc.content_hash for doc in corpus_documents}
    assert hashes == {doc_id: doc.content_hash for doc_id, doc in again.items()}
    assert len(set(hashes.values())) == len(hashes)


# Other formats, written here with known content.


def test_markdown_headings_become_sections(tmp_path: Path) -> None:
    (tmp_path / "piriformis.md").write_text(
        "# Piriformis notes\n\n"
        "## What is piriformis syndrome?\n\n"
        "Piriformis syndrome is irritation of the sciatic nerve by the piriformis muscle.\n\n"
        "## How is it treated\n\n"
        "Stretching and physical therapy are the usual first steps.\n",
        encoding="utf-8",
    )
    (doc,) = load_corpus(tmp_path).documents
    assert doc.doc_id == "piriformis"
    assert doc.title == "Piriformis notes"
    assert "#" not in doc.text
    assert [(s.heading, doc.text[s.start : s.end]) for s in doc.sections] == [
        (
            "What is piriformis syndrome?",
            "Piriformis syndrome is irritation of the sciatic nerve by the piriformis muscle.",
        ),
        ("How is it treated", "Stretching and physical therapy are the usual first steps."),
    ]


def test_html_headings_become_sections_and_scripts_are_dropped(tmp_path: Path) -> None:
    (tmp_path / "heel.html").write_text(
        "<!doctype html><html><head><title>Heel pain guide</title>"
        "<style>body { color: red; } .secret-css-rule {}</style>"
        '<script>var tracking = "secret-script-text";</script></head><body>'
        "<nav>Home | About us</nav>"
        "<h2>Why does my heel hurt?</h2>"
        "<p>Heel pain often comes from the plantar fascia. It is worse in the <b>morning</b>.</p>"
        "<h2>When should I see a doctor?</h2>"
        "<p>See a doctor if the pain lasts more than a few weeks.</p>"
        "<ul><li>Numbness in the foot</li><li>Fever</li></ul>"
        "<footer>Copyright footer text</footer></body></html>",
        encoding="utf-8",
    )
    (doc,) = load_corpus(tmp_path).documents
    assert doc.title == "Heel pain guide"
    for hidden in ("secret-css-rule", "secret-script-text", "color: red", "About us", "footer"):
        assert hidden not in doc.text
    assert "<" not in doc.text
    assert [(s.heading, doc.text[s.start : s.end]) for s in doc.sections] == [
        (
            "Why does my heel hurt?",
            "Heel pain often comes from the plantar fascia. It is worse in the morning.",
        ),
        (
            "When should I see a doctor?",
            "See a doctor if the pain lasts more than a few weeks.\n\n"
            "- Numbness in the foot\n- Fever",
        ),
    ]


def test_sources_toml_in_a_new_corpus(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (tmp_path / "sources.toml").write_text(
        '[a]\ntitle = "Moving with sciatica"\nkind = "research summary"\ndate = 2024-01-31\n'
        'url = "https://example.org/a"\n',
        encoding="utf-8",
    )
    (doc,) = load_corpus(tmp_path).documents
    assert (doc.title, doc.kind, doc.date, doc.url) == (
        "Moving with sciatica",
        SourceKind.RESEARCH,
        "2024-01-31",
        "https://example.org/a",
    )


# Bad input: a clear error, or one skipped-file line naming the file.


def corpus_with_good_file(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    return folder


def skipped_line(folder: Path, name: str, **kwargs: int) -> str:
    loaded = load_corpus(folder, **kwargs)
    assert [doc.doc_id for doc in loaded.documents] == ["good"], "the good file must still load"
    lines = [line for line in loaded.skipped if name in line]
    assert len(lines) == 1, loaded.skipped
    assert "skipped" in lines[0]
    assert str(folder / name) in lines[0]
    return lines[0]


def test_missing_corpus_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    with pytest.raises(CorpusError, match="not found") as info:
        load_corpus(missing)
    assert str(missing) in str(info.value)


def test_corpus_path_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    with pytest.raises(CorpusError, match="not found") as info:
        load_corpus(path)
    assert str(path) in str(info.value)


def test_empty_corpus_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no documents") as info:
        load_corpus(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_binary_file_is_skipped_naming_the_nul_byte(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "image.txt").write_bytes(b"GIF89a\x01\x02\x00\x00\xff")
    line = skipped_line(folder, "image.txt")
    assert "binary" in line
    assert "NUL byte at byte 8" in line


def test_non_utf8_file_is_skipped_naming_the_byte_offset(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "latin1.txt").write_bytes("Sciatica in the café.".encode("latin-1"))
    line = skipped_line(folder, "latin1.txt")
    assert "not UTF-8 at byte 19" in line


def test_non_utf8_offset_counts_from_the_start_of_the_file_with_a_bom(tmp_path: Path) -> None:
    """The offset names where the bad byte is in the file, byte-order mark included."""
    folder = corpus_with_good_file(tmp_path)
    data = b"\xef\xbb\xbf" + "Sciatica in the café.".encode("latin-1")
    assert data.index(b"\xe9") == 22
    (folder / "bom.txt").write_bytes(data)
    line = skipped_line(folder, "bom.txt")
    assert "not UTF-8 at byte 22" in line


def test_utf8_with_bom_and_crlf_reads_cleanly(tmp_path: Path) -> None:
    (tmp_path / "windows.txt").write_bytes(
        b"\xef\xbb\xbfWhat helps?\r\n\r\nWalking helps many people.\r\n"
    )
    (doc,) = load_corpus(tmp_path).documents
    assert "\ufeff" not in doc.text
    assert "\r" not in doc.text
    assert [(s.heading, doc.text[s.start : s.end]) for s in doc.sections] == [
        ("What helps?", "Walking helps many people.")
    ]


def test_zero_byte_file_is_skipped(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "empty.md").write_bytes(b"")
    line = skipped_line(folder, "empty.md")
    assert "empty" in line
    assert "0 bytes" in line


def test_file_over_the_size_limit_is_skipped(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "huge.txt").write_text("Sciatica. " * 100, encoding="utf-8")
    line = skipped_line(folder, "huge.txt", max_file_bytes=500)
    assert "1,000 bytes" in line
    assert "limit of 500 bytes" in line


def test_a_50_mb_file_is_skipped_under_the_default_limit(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    with (folder / "dump.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, instant to write
    line = skipped_line(folder, "dump.txt")
    assert "52,428,800 bytes is over the limit of 10,000,000 bytes" in line


def test_unsupported_file_type_is_named_not_silently_ignored(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "letter.docx").write_bytes(b"PK\x03\x04")
    line = skipped_line(folder, "letter.docx")
    assert "unsupported file type '.docx'" in line
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4")  # read now, and refused by name
    assert "not a readable PDF" in skipped_line(folder, "scan.pdf")


def test_file_of_only_chrome_is_skipped(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "chrome.txt").write_text(
        "Skip to Content\n\nHelp us tailor your experience\n\nProfessional Medical Disclaimer\n\n"
        "This information is intended for healthcare professionals only.\n",
        encoding="utf-8",
    )
    line = skipped_line(folder, "chrome.txt")
    assert "no text left" in line


def test_invalid_sources_toml(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "sources.toml").write_text('[good\ntitle = "unterminated', encoding="utf-8")
    with pytest.raises(CorpusError, match="not valid TOML") as info:
        load_corpus(folder)
    assert str(folder / "sources.toml") in str(info.value)


def test_sources_toml_with_an_unknown_kind_lists_the_valid_kinds(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "sources.toml").write_text('[good]\nkind = "blog"\n', encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_corpus(folder)
    message = str(info.value)
    assert "sources.toml" in message
    assert "'blog'" in message
    for kind in SourceKind:
        assert repr(kind.value) in message


def test_sources_toml_with_an_unknown_field(tmp_path: Path) -> None:
    folder = corpus_with_good_file(tmp_path)
    (folder / "sources.toml").write_text('[good]\nauthor = "someone"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="unknown field 'author'"):
        load_corpus(folder)


def test_every_file_bad_is_an_error_listing_each_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01")
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9")
    with pytest.raises(CorpusError, match="no usable documents") as info:
        load_corpus(tmp_path)
    message = str(info.value)
    for name in ("empty.txt", "binary.txt", "latin1.md"):
        assert str(tmp_path / name) in message


def test_files_in_hidden_folders_are_not_read(tmp_path: Path) -> None:
    """An editor's backup copy (.ipynb_checkpoints/, .git/) is not a document; read as one,
    its lines recur in the real document and get removed from it as boilerplate."""
    text = "What helps at home?\n\nMost people with sciatica improve with simple care.\n"
    (tmp_path / "care.txt").write_text(text, encoding="utf-8")
    hidden = tmp_path / ".ipynb_checkpoints"
    hidden.mkdir()
    (hidden / "care-checkpoint.txt").write_text(text, encoding="utf-8")
    loaded = load_corpus(tmp_path)
    assert [doc.doc_id for doc in loaded.documents] == ["care"]
    assert "Most people with sciatica improve" in loaded.documents[0].text


def test_real_corpus_with_bad_files_added_still_loads(tmp_path: Path, corpus_dir: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(corpus_dir, folder)
    (folder / "zero.txt").write_bytes(b"")
    (folder / "blob.html").write_bytes(b"<p>\x00</p>")
    loaded = load_corpus(folder)
    assert len(loaded.documents) == 5
    assert len(loaded.skipped) == 2
    assert all("skipped" in line for line in loaded.skipped)
