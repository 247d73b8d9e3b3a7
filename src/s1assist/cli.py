"""The `s1assist` command: each command a few lines, heavy imports inside the command."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from s1assist.config import RetrievalMode, Settings
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


def make_settings(corpus: Path | None = None, index: Path | None = None) -> Settings:
    """Settings from the environment (S1ASSIST_*), with folders given on the command line."""
    settings = Settings()
    paths = {"corpus": corpus, "index": index}
    update = {key: value for key, value in paths.items() if value is not None}
    if not update:
        return settings
    return settings.model_copy(update={"paths": settings.paths.model_copy(update=update)})


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@app.command()
def index(
    corpus: CorpusOption = None,
    index: IndexOption = None,
    rebuild: Annotated[bool, typer.Option(help="Embed every passage again.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or notes.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Build or update the index from the corpus (only changed passages are embedded)."""
    from s1assist.corpus import load_corpus
    from s1assist.embedding import Encoder
    from s1assist.index import build_index, index_status

    settings = make_settings(corpus, index)
    loaded = load_corpus(settings.paths.corpus, settings.corpus.max_file_bytes)
    for line in loaded.skipped:
        typer.echo(f"warning: {line}", err=True)
    status = index_status(settings.paths.index, loaded.documents, settings)
    if status.fresh and not rebuild:
        if as_json:
            _print_json({"up_to_date": True, "index": str(settings.paths.index), "build": None})
        elif not quiet:
            typer.echo(f"{settings.paths.index}: up to date with {settings.paths.corpus}")
        return
    if not quiet and not as_json:
        for reason in status.reasons:
            typer.echo(f"rebuilding: {reason}", err=True)
    report = build_index(
        loaded.documents,
        Encoder(settings.model),
        settings,
        settings.paths.index,
        rebuild=rebuild,
        progress=not quiet and sys.stderr.isatty(),
    )
    rate = report.tokens / report.encode_seconds if report.encoded else 0.0
    if as_json:
        _print_json(
            {
                "up_to_date": False,
                "index": str(settings.paths.index),
                "build": str(report.folder),
                "documents": report.documents,
                "chunks": report.chunks,
                "embedded": report.encoded,
                "reused": report.reused,
                "tokens": report.tokens,
                "seconds": round(report.seconds, 3),
                "skipped": list(loaded.skipped),
            }
        )
    elif not quiet:
        typer.echo(
            f"indexed {report.documents} documents as {report.chunks} passages "
            f"({report.encoded} embedded, {report.reused} reused) in {report.seconds:.1f} s"
            + (f", {rate:,.0f} tokens/s" if report.encoded else "")
        )


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
    check_query(question, settings.answer.max_question_chars)
    reply = Assistant(settings).load(warm=False).ask(question, session)
    if reply.note:
        typer.echo(f"note: {reply.note}", err=True)
    if as_json:
        from s1assist.answer import answer_to_json

        _print_json(answer_to_json(reply.answer))
        return
    typer.echo(render_answer(reply.answer))


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
        typer.echo(render_answer(reply.answer))


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
    falls further below it than its tolerance."""
    if writer is Writer.LLM:
        _evaluate_writer(gold, report, make_settings(index=index), as_json)
        return
    from s1assist.evaluation.gate import run_eval
    from s1assist.evaluation.report import outcome_json, summary, write_reports

    settings = make_settings(index=index)
    progress = not as_json and sys.stderr.isatty()
    outcome = run_eval(settings, gold, baseline, update_baseline=update_baseline, progress=progress)
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
) -> None:
    """Score retrieval on a BEIR dataset: nDCG@10, recall@10/100, MRR@10 (index cached in
    data/beir)."""
    from s1assist.evaluation import run_beir

    report = run_beir(folder, mode, make_settings(), progress=sys.stderr.isatty())
    if as_json:
        _print_json(report.to_json())
    else:
        typer.echo(report.summary())


def render_answer(answer: Answer) -> str:
    """The answer, its numbered sources with the quoted spans, and the notice."""
    lines: list[str] = []
    if answer.rewritten_query != answer.question:
        lines.append(f"(searched for: {answer.rewritten_query})\n")
    lines.extend(textwrap.fill(part, 96) for part in answer.answer.split("\n\n"))
    if answer.citations:
        lines.append("\nSources")
    for c in answer.citations:
        quote = c.quote if len(c.quote) <= 160 else c.quote[:157] + "..."
        lines.append(f" [{c.n}] {c.title} › {c.section}")
        lines.append(textwrap.indent(textwrap.fill(f'"{quote}"', 90), "     "))
    lines.append(f"\n{answer.notice}  (session {answer.session_id})")
    return "\n".join(lines)


def main() -> None:
    try:
        app()
    except S1AssistError as exc:
        typer.echo(f"s1assist: error: {exc}", err=True)
        raise SystemExit(1) from None
