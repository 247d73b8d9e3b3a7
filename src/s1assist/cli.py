"""The `s1assist` command: each command a few lines, heavy imports inside the command."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from s1assist.config import IndexBackend, RetrievalMode, Settings
from s1assist.errors import S1AssistError
from s1assist.types import Writer

if TYPE_CHECKING:
    from s1assist.types import Answer

app = typer.Typer(
    help="Grounded, cited answers about the S1 nerve root, sciatica and the SI joint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CorpusOption = Annotated[
    Path | None, typer.Option("--corpus", help="Folder of source documents [default: corpus].")
]
IndexOption = Annotated[
    Path | None, typer.Option("--index", help="Folder of the built index [default: index].")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
BackendOption = Annotated[
    IndexBackend | None,
    typer.Option("--backend", help="faiss (files) or milvus [default: setting index.backend]."),
]


def make_settings(corpus: Path | None = None, index: Path | None = None) -> Settings:
    """Settings from the environment (S1ASSIST_*), with folders given on the command line."""
    settings = Settings()
    paths = {"corpus": corpus, "index": index}
    update = {key: value for key, value in paths.items() if value is not None}
    if not update:
        return settings
    return settings.model_copy(update={"paths": settings.paths.model_copy(update=update)})


def with_backend(settings: Settings, backend: IndexBackend | None) -> Settings:
    """The settings, with the index backend given on the command line."""
    if backend is None:
        return settings
    update = {"index": settings.index.model_copy(update={"backend": backend})}
    return settings.model_copy(update=update)


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@app.command()
def index(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    rebuild: Annotated[bool, typer.Option(help="Embed every passage again.")] = False,
    verify: Annotated[
        bool, typer.Option(help="Check every file's checksum too, not only its size.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes.")] = False,
    as_json: JsonOption = False,
    backend: BackendOption = None,
) -> None:
    """Build or update the index from the corpus (only changed passages are embedded); a
    damaged build is rebuilt."""
    from s1assist.config import IndexBackend
    from s1assist.corpus import load_corpus
    from s1assist.embedding import Encoder
    from s1assist.index.backends import backend_build, backend_status, describe
    from s1assist.index.store import load_failed
    from s1assist.index.upkeep import clear_load_failure, tidy

    settings = with_backend(make_settings(corpus, index), backend)
    root = settings.paths.index
    faiss = settings.index.backend is IndexBackend.FAISS
    loaded = load_corpus(settings.paths.corpus, settings.corpus.max_file_bytes)
    for line in (*loaded.skipped, *loaded.warnings):
        typer.echo(f"warning: {line}", err=True)
    removed = tidy(root) if faiss else []
    if removed and not quiet and not as_json:
        typer.echo(f"removed {len(removed)} leftovers of earlier builds", err=True)
    thorough = verify or (faiss and load_failed(root))
    status = backend_status(loaded.documents, settings, thorough=thorough)
    for warning in status.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if status.fresh and faiss:
        clear_load_failure(root)
    if status.fresh and not rebuild:
        if as_json:
            _print_json({"up_to_date": True, "index": describe(settings), "build": None})
        elif not quiet:
            typer.echo(f"{describe(settings)}: up to date with {settings.paths.corpus}")
        return
    if not quiet and not as_json:
        for reason in status.reasons:
            if reason not in status.warnings:
                typer.echo(f"rebuilding: {reason}", err=True)
    report = backend_build(
        loaded.documents,
        Encoder(settings.model),
        settings,
        rebuild=rebuild,
        progress=not quiet and sys.stderr.isatty(),
    )
    rate = report.tokens / report.encode_seconds if report.encoded else 0.0
    if as_json:
        _print_json(
            {
                "up_to_date": False,
                "index": describe(settings),
                "build": str(report.folder),
                "documents": report.documents,
                "chunks": report.chunks,
                "embedded": report.encoded,
                "reused": report.reused,
                "tokens": report.tokens,
                "seconds": round(report.seconds, 3),
                "skipped": list(loaded.skipped),
                "warnings": list(loaded.warnings),
            }
        )
    elif not quiet:
        typer.echo(
            f"indexed {report.documents} documents as {report.chunks} passages "
            f"({report.encoded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
            + (f", {rate:,.0f} tokens/s" if report.encoded else "")
        )


@app.command()
def documents(index: IndexOption = None, as_json: JsonOption = False) -> None:
    """List what the index holds: each document's kind, title, passages and URL."""
    from collections import Counter

    from s1assist.index import load_index

    settings = make_settings(index=index)
    loaded = load_index(settings.paths.index, settings, verify=False)
    passages = Counter(chunk.doc_id for chunk in loaded.chunks)
    rows = [
        {
            "doc_id": doc.doc_id,
            "kind": doc.kind.value,
            "title": doc.title,
            "passages": passages[doc.doc_id],
            "pages": len(doc.pages) or None,
            "url": doc.url,
        }
        for doc in sorted(loaded.documents.values(), key=lambda d: (d.kind.rank, d.doc_id))
    ]
    if as_json:
        _print_json({"build": loaded.folder.name, "documents": rows})
        return
    typer.echo(f"{len(rows)} documents in build {loaded.folder.name}:")
    for row in rows:
        pages = f", {row['pages']} pages" if row["pages"] else ""
        typer.echo(f"- {row['title']}  [{row['kind']}, {row['passages']} passages{pages}]")
        typer.echo(f"    {row['doc_id']}" + (f"  {row['url']}" if row["url"] else ""))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 5,
    mode: Annotated[RetrievalMode, typer.Option(help="Which retrievers.")] = RetrievalMode.HYBRID,
    index: IndexOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the passages that best match QUERY, each with where it comes from."""
    from s1assist.retrieval import check_query, open_retriever

    settings = make_settings(index=index)
    check_query(query, settings.retrieval.max_query_chars)
    hits = open_retriever(settings).search(query, k=k, mode=mode)
    if as_json:
        from s1assist.retrieval import hit_to_json

        _print_json({"query": query, "hits": [hit_to_json(hit) for hit in hits]})
        return
    if not hits:
        typer.echo("no passage matches")
    for hit in hits:
        typer.echo(f"{hit.rank}. {hit.chunk.title} › {hit.chunk.section}  ({hit.score:.4f})")
        typer.echo(textwrap.indent(textwrap.fill(hit.chunk.text, 96), "   ") + "\n")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question.")],
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this session (its id).")
    ] = None,
    index: IndexOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer QUESTION from the corpus, citing the source of every sentence."""
    from s1assist.chat import Assistant
    from s1assist.retrieval import check_query

    settings = make_settings(index=index)
    check_query(question, settings.answer.max_question_chars, "answer.max_question_chars")
    reply = Assistant(settings).load(warm=False).ask(question, session)
    if reply.note:
        typer.echo(f"note: {reply.note}", err=True)
    if as_json:
        from s1assist.answering import answer_to_json

        _print_json(answer_to_json(reply.answer))
        return
    typer.echo(render_answer(reply.answer, _terminal_width()))


@app.command()
def chat(
    session: Annotated[
        str | None, typer.Option("--session", help="Continue this session (its id).")
    ] = None,
    index: IndexOption = None,
) -> None:
    """Talk with the assistant: follow-up questions keep their context. /new starts over,
    Ctrl-D leaves."""
    from s1assist.chat import Assistant

    assistant = Assistant(make_settings(index=index)).load()
    _line_editing()
    typer.echo(
        "Ask about the S1 nerve root, sciatica or the SI joint. /new starts over; Ctrl-D leaves."
    )
    while True:
        try:
            question = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            typer.echo()
            return
        if question.strip() == "/new":
            session = None
            typer.echo("(new session)")
            continue
        if not question.strip():
            continue
        try:
            reply = assistant.ask(question, session)
        except S1AssistError as exc:
            typer.echo(f"error: {exc}", err=True)
            continue
        session = reply.answer.session_id
        typer.echo(render_answer(reply.answer, _terminal_width()))


def _line_editing() -> None:
    """Arrow keys, Home/End and Up for earlier questions in `input()` (GNU readline). The
    history stays in memory: questions about one's health are not written to disk."""
    try:
        import readline
    except ImportError:  # no readline on this platform: plain input still works
        return
    readline.parse_and_bind("set enable-bracketed-paste on")


def _terminal_width() -> int:
    """Text width for wrapping: the terminal's, within 40..100 columns."""
    import shutil

    return max(40, min(100, shutil.get_terminal_size((96, 24)).columns - 1))


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option(help="The gold set.")] = Path("eval/gold.jsonl"),
    baseline: Annotated[Path, typer.Option(help="Aggregates and per-case scores to beat.")] = Path(
        "eval/baseline.json"
    ),
    update_baseline: Annotated[
        bool, typer.Option("--update-baseline", help="Rewrite the baseline from this run.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write eval.json, eval.md and eval.png to this folder.")
    ] = None,
    index: IndexOption = None,
    corpus: Annotated[
        Path | None,
        typer.Option(help="Run on this corpus instead (indexed in a temporary folder); no gate."),
    ] = None,
    distractors: Annotated[
        Path | None,
        typer.Option(
            help="A BEIR folder: run on the corpus plus passages of it as documents; no gate."
        ),
    ] = None,
    distractor_count: Annotated[
        int, typer.Option(min=1, help="Passages taken from --distractors (a fixed sample).")
    ] = 2000,
    as_json: JsonOption = False,
    writer: Annotated[
        Writer,
        typer.Option(
            help="llm: score the LLM writer (settings llm.*) before and after verification "
            "beside the extractive answers; exit 1 unless its verified output has citation "
            "precision 1.0 and unsupported rate 0."
        ),
    ] = Writer.EXTRACTIVE,
) -> None:
    """Answer every gold case and compare the metrics with the baseline; exit 1 when one
    falls further below it than its tolerance. With --corpus or --distractors, report the
    metrics on that bigger corpus (dev and test apart) without gating."""
    import tempfile

    if writer is Writer.LLM:
        _evaluate_writer(gold, report, make_settings(index=index), as_json)
        return

    from s1assist.evaluation.distractors import index_corpus, write_distractor_corpus
    from s1assist.evaluation.gate import run_eval
    from s1assist.evaluation.report import outcome_json, summary, write_reports

    settings = make_settings(index=index)
    progress = not as_json and sys.stderr.isatty()
    with tempfile.TemporaryDirectory(prefix="s1assist-eval-") as scratch:
        folder = Path(scratch)
        if distractors is not None:
            corpus = write_distractor_corpus(
                corpus or settings.paths.corpus,
                distractors,
                folder / "corpus",
                count=distractor_count,
            )
        gated = corpus is None
        if corpus is not None:
            settings = index_corpus(settings, corpus, folder)
        outcome = run_eval(
            settings,
            gold,
            baseline,
            update_baseline=update_baseline and gated,
            progress=progress,
            gate=gated,
        )
    for path in write_reports(outcome, report) if report is not None else []:
        typer.echo(f"wrote {path}", err=True)
    if as_json:
        _print_json(outcome_json(outcome))
    else:
        typer.echo(summary(outcome))
    if not outcome.passed:
        assert outcome.gate is not None
        for check in outcome.gate.failures:
            typer.echo(f"s1assist: eval: {check.describe()}", err=True)
        raise typer.Exit(1)


def _evaluate_writer(gold: Path, report: Path | None, settings: Settings, as_json: bool) -> None:
    from s1assist.evaluation.writer_eval import run_writer_eval, writer_json, writer_summary

    result = run_writer_eval(settings, gold)
    payload = writer_json(result)
    if report is not None:
        report.mkdir(parents=True, exist_ok=True)
        path = report / "eval-writer.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        typer.echo(f"wrote {path}", err=True)
    if as_json:
        _print_json(payload)
    else:
        typer.echo(writer_summary(result))
    for failure in result.failures:
        typer.echo(f"s1assist: eval --writer llm: {failure}", err=True)
    if result.failures:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    index: IndexOption = None,
) -> None:
    """Serve the HTTP API and the chat page until Ctrl-C or SIGTERM (requests in flight
    finish). With S1ASSIST_API_KEY set, /v1/* needs that key."""
    from s1assist.api import serve as run_server

    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"s1assist: serving on http://{shown}:{port}/ (API docs at /docs)")
    run_server(make_settings(index=index), host, port)


@app.command("eval-beir")
def eval_beir(
    folder: Annotated[
        Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")
    ],
    mode: Annotated[RetrievalMode, typer.Option(help="Which retrievers.")] = RetrievalMode.HYBRID,
    as_json: JsonOption = False,
    backend: BackendOption = None,
) -> None:
    """Score retrieval on a BEIR dataset: nDCG@10, recall@10/100, MRR@10 (index cached in
    the data folder's beir/, or in a Milvus collection named after the dataset)."""
    from s1assist.evaluation import run_beir

    settings = with_backend(make_settings(), backend)
    report = run_beir(folder, mode, settings, progress=sys.stderr.isatty())
    if as_json:
        _print_json(report.to_json())
    else:
        typer.echo(report.summary())


def render_answer(answer: Answer, width: int = 96) -> str:
    """The answer, its numbered sources with the quoted spans, and the notice, wrapped on
    word boundaries to `width`. An answer without sources ends with its session id alone:
    "information from the documents cited" would name documents that are not there."""
    wrap = textwrap.TextWrapper(width=width, break_long_words=False, break_on_hyphens=False)
    lines: list[str] = []
    if answer.rewritten_query != answer.question:
        lines.append(wrap.fill(f"(searched for: {answer.rewritten_query})") + "\n")
    # Blocks stay apart, each heading on its own line and each key point a line of its own.
    blocks = [
        "\n".join(wrap.fill(line) for line in part.split("\n"))
        for part in answer.answer.split("\n\n")
    ]
    lines.append("\n\n".join(blocks))
    if answer.citations:
        lines.append("\nSources")
    quoted = textwrap.TextWrapper(
        width=width, initial_indent="     ", subsequent_indent="     ", break_long_words=False
    )
    for c in answer.citations:
        quote = c.quote if len(c.quote) <= 160 else c.quote[:157] + "..."
        lines.append(quoted.fill(f"[{c.n}] {c.title} › {c.section}  ({c.kind.value})")[4:])
        lines.append(quoted.fill(f'"{quote}"'))
    session = f"(session {answer.session_id})"
    notice = f"{answer.notice}  " if answer.citations and answer.notice else ""
    lines.append("\n" + wrap.fill(notice + session))
    return "\n".join(lines)


def main() -> None:
    try:
        app()
    except S1AssistError as exc:
        typer.echo(f"s1assist: error: {exc}", err=True)
        raise SystemExit(1) from None
