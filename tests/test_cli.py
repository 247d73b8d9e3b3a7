"""The `s1assist` command, run as a user runs it: the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from s1assist.config import Settings
from s1assist.index import LoadedIndex, load_index
from s1assist.index.store import BUILDS, CURRENT

HEAVY = ("torch", "sentence_transformers", "transformers", "faiss", "bm25s")
SEARCH_JSON = ("search", "What does the S1 nerve control?", "--json", "-k", "3")
SEARCH_TEXT = ("search", "Does SI joint pain show on MRI?", "-k", "2")


def run(cli_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli_path), *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "argv", [["--help"], ["search", "--help"], ["index", "--help"], ["ask", "--help"]]
)
def test_help_does_not_import_the_heavy_libraries(argv: list[str], cli_env) -> None:
    probe = (
        "import sys\n"
        f"sys.argv = ['s1assist', *{argv!r}]\n"
        "from s1assist import cli\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code or 0\n"
        "else:\n"
        "    code = 0\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_help_lists_the_commands(cli_path: Path, cli_env) -> None:
    result = run(cli_path, cli_env, "--help")
    assert result.returncode == 0, result.stderr
    assert "index" in result.stdout
    assert "search" in result.stdout


def test_search_json(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex, corpus_documents
) -> None:
    result = run(cli_path, cli_env, *SEARCH_JSON, "--index", str(settings.paths.index))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == SEARCH_JSON[1]
    hits = payload["hits"]
    assert [hit["rank"] for hit in hits] == [1, 2, 3]
    docs = {doc.doc_id: doc for doc in corpus_documents}
    for hit in hits:
        assert {"doc_id", "title", "section", "text", "start", "end", "score"} <= hit.keys()
        doc = docs[hit["doc_id"]]
        assert doc.text[hit["start"] : hit["end"]] == hit["text"]
        assert hit["title"] == doc.title
        assert hit["section"] in [s.heading for s in doc.sections]
        assert isinstance(hit["score"], float)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert any("big toe, ankle, and heel" in hit["text"] for hit in hits)


def test_search_human_output_shows_rank_title_and_section(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex
) -> None:
    result = run(cli_path, cli_env, *SEARCH_TEXT, "--index", str(settings.paths.index))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "1. S1 nerve, sciatica and the SI joint: common questions › Does SI joint pain show on MRI?"
    )
    assert any(line.startswith("2. ") for line in lines)
    assert "Yes, SI joint pain can show on MRI" in result.stdout


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_a_one_line_error(
    query: str, cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex
) -> None:
    result = run(cli_path, cli_env, "search", query, "--index", str(settings.paths.index))
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip() == "s1assist: error: the query is empty"
    assert "Traceback" not in result.stderr


def test_search_without_an_index_says_how_to_build_one(
    cli_path: Path, cli_env, tmp_path: Path
) -> None:
    missing = tmp_path / "no-index"
    result = run(cli_path, cli_env, "search", "sciatica", "--index", str(missing))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("s1assist: error:")
    assert str(missing) in result.stderr
    assert "s1assist index" in result.stderr


def test_index_with_a_missing_corpus_names_the_folder(
    cli_path: Path, cli_env, tmp_path: Path
) -> None:
    missing = tmp_path / "no-corpus-here"
    result = run(cli_path, cli_env, "index", "--corpus", str(missing), "--index", str(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(missing) in result.stderr
    assert "not found" in result.stderr
    assert not (tmp_path / BUILDS).exists()


def test_index_on_an_up_to_date_index_does_not_rebuild(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex
) -> None:
    root = settings.paths.index
    builds_before = sorted(p.name for p in (root / BUILDS).iterdir())
    current_before = (root / CURRENT).read_text(encoding="utf-8")
    args = ["index", "--corpus", str(settings.paths.corpus), "--index", str(root)]
    result = run(cli_path, cli_env, *args)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert sorted(p.name for p in (root / BUILDS).iterdir()) == builds_before
    assert (root / CURRENT).read_text(encoding="utf-8") == current_before

    quiet = run(cli_path, cli_env, *args, "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == ""

    as_json = run(cli_path, cli_env, *args, "--json")
    assert json.loads(as_json.stdout) == {"up_to_date": True, "index": str(root), "build": None}


def test_quiet_build_prints_nothing_and_builds(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex, tmp_path: Path
) -> None:
    fresh_index = tmp_path / "index"
    corpus = str(settings.paths.corpus)
    result = run(
        cli_path, cli_env, "index", "--quiet", "--corpus", corpus, "--index", str(fresh_index)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    loaded = load_index(fresh_index, settings)
    assert loaded.manifest.counts == built_index.manifest.counts
    assert loaded.manifest.documents == built_index.manifest.documents


def test_ask_json_then_a_follow_up_in_the_same_session(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex, tmp_path: Path
) -> None:
    env = {**cli_env, "S1ASSIST_PATHS__DATA": str(tmp_path / "data")}
    index = ["--index", str(settings.paths.index)]
    first = run(cli_path, env, "ask", "Does SI joint pain show on MRI?", "--json", *index)
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    assert not payload["abstained"]
    assert payload["citations"][0]["doc_id"] == "s1-sciatica-si-joint-faq"
    follow = run(
        cli_path, env, "ask", "What other tests are used?", "--session", payload["session_id"],
        *index,
    )  # fmt: skip
    assert follow.returncode == 0, follow.stderr
    assert "(searched for: What other tests are used?" in follow.stdout
    assert "X-rays" in follow.stdout
    assert "Sources" in follow.stdout and "[1]" in follow.stdout
    assert "not medical advice" in follow.stdout


def test_chat_keeps_context_starts_over_on_new_and_leaves_on_eof(
    cli_path: Path, cli_env, settings: Settings, built_index: LoadedIndex, tmp_path: Path
) -> None:
    env = {**cli_env, "S1ASSIST_PATHS__DATA": str(tmp_path / "data")}
    script = "Does SI joint pain show on MRI?\nWhat other tests are used?\n/new\nhi\n"
    result = subprocess.run(
        [str(cli_path), "chat", "--index", str(settings.paths.index)],
        input=script, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "SI joint pain can show on MRI" in out
    assert "(searched for: What other tests are used?" in out
    assert "(new session)" in out
    assert "Hello." in out
    assert "Traceback" not in result.stderr


def test_data_goes_to_the_user_folder_not_the_working_directory(
    built_index: LoadedIndex, settings: Settings, cli_path: Path, cli_env, tmp_path: Path
) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in cli_env.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), S1ASSIST_MODEL__ONNX_CACHE=str(settings.model.onnx_cache))
    result = subprocess.run(
        [
            str(cli_path),
            "ask",
            "Can S1 impingement cause sciatica?",
            "--index",
            str(settings.paths.index),
        ],
        env=env,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.iterdir()) == []  # no ./data, nothing at all
    assert (home / ".local" / "share" / "s1assist" / "sessions.sqlite3").is_file()
