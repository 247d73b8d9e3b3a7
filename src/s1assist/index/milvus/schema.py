"""Milvus collections of one index: names, fields, and the client built from settings.

An index is an alias (`milvus.collection`) over one of two generations, `<alias>_a` and
`<alias>_b`. Each generation is four collections: passages (texts, offsets, dense vectors,
and a BM25 function over our own analyzed terms), documents (the cleaned texts citations
point into), terms (document frequencies of our tokenizer, for the follow-up rewriter and
the composer) and meta (model, dimension, chunker and BM25 settings). A build writes the
generation the alias does not point at, then switches the alias: searches see the old index
or the new one, never half of one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s1assist.config import MilvusSettings, Settings
from s1assist.errors import IndexMissingError, SearchIndexError

GENERATIONS = ("a", "b")
MAX_VARCHAR = 65_535
PART_CHARS = 16_000
"""Characters of a document's JSON per row: at most 4 bytes each, under MAX_VARCHAR."""
DUMMY_DIM = 2
"""Milvus needs a vector field in every collection; the side collections carry a tiny one."""
PASSAGE_FIELDS = ["chunk_id", "doc_id", "title", "section", "text", "start", "end", "kind", "block"]


@dataclass(frozen=True, slots=True)
class Names:
    """The alias and the collection names of one generation."""

    alias: str
    generation: str

    @property
    def passages(self) -> str:
        return f"{self.alias}_{self.generation}"

    @property
    def documents(self) -> str:
        return f"{self.passages}_docs"

    @property
    def terms(self) -> str:
        return f"{self.passages}_terms"

    @property
    def meta(self) -> str:
        return f"{self.passages}_meta"

    @property
    def all(self) -> tuple[str, str, str, str]:
        return (self.passages, self.documents, self.terms, self.meta)

    def other(self) -> Names:
        return Names(self.alias, "b" if self.generation == "a" else "a")


def connect(settings: MilvusSettings) -> Any:
    """A `MilvusClient` for the URI: a Milvus server, or a Milvus Lite file."""
    from pymilvus import MilvusClient

    # pymilvus logs every failed call at ERROR with a traceback, even those we expect and
    # turn into our own errors; ours say what went wrong.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    if is_lite_file(settings.uri):
        Path(settings.uri).parent.mkdir(parents=True, exist_ok=True)
        # The embedded server runs in this process; it logs a traceback for each call it
        # does not implement (the timestamp a query iterator asks for first), then serves
        # the call anyway.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    try:
        return MilvusClient(uri=settings.uri, token=settings.token, timeout=settings.timeout_s)
    except Exception as exc:
        raise SearchIndexError(
            f"milvus.uri {settings.uri}: cannot connect to Milvus ({_first_line(exc)})"
        ) from None


def is_lite_file(uri: str) -> bool:
    """A local Milvus Lite file rather than a server address."""
    return "://" not in uri


def disconnect(client: Any, settings: MilvusSettings) -> None:
    """Close the client; for a Milvus Lite file, stop its embedded server too, so another
    process can open the file (Milvus Lite allows one process per file)."""
    client.close()
    if is_lite_file(settings.uri):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(settings.uri)


def live_names(client: Any, alias: str) -> Names | None:
    """The generation the alias points at, or None before the first build."""
    if alias not in client.list_aliases().get("aliases", []):
        return None
    target = str(client.describe_alias(alias)["collection_name"])
    generation = target.rsplit("_", 1)[-1]
    if target != f"{alias}_{generation}" or generation not in GENERATIONS:
        raise SearchIndexError(
            f"Milvus alias {alias!r} points at {target!r}, which s1assist did not build; "
            "choose another milvus.collection"
        )
    return Names(alias, generation)


def require_live(client: Any, settings: MilvusSettings) -> Names:
    names = live_names(client, settings.collection)
    if names is None:
        raise IndexMissingError(
            f"Milvus {settings.uri}: no index {settings.collection!r} built yet; run "
            "`s1assist index --backend milvus`"
        )
    return names


def create_generation(
    client: Any, names: Names, dimension: int, settings: Settings, *, exact: bool
) -> None:
    """Empty collections of one generation, with their indexes, loaded for search. `exact`
    keeps a flat inner-product index (FAISS's exact index below its threshold); else HNSW."""
    from pymilvus import DataType, Function, FunctionType

    cfg: MilvusSettings = settings.milvus
    schema = client.create_schema(auto_id=False)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("title", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("section", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("kind", DataType.VARCHAR, max_length=64)
    schema.add_field("block", DataType.VARCHAR, max_length=64)
    # Our tokenizer's output (stemmed, stop words out, lexicon at query time), joined by
    # spaces: Milvus's standard analyzer splits it back into the same terms.
    analyzer = {"tokenizer": "standard"}
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=MAX_VARCHAR,
        enable_analyzer=True,
        analyzer_params=analyzer,
    )
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )
    index = client.prepare_index_params()
    if exact:
        index.add_index("dense", index_type="FLAT", metric_type="IP")
    else:
        index.add_index(
            "dense", index_type="HNSW", metric_type="IP", params={"M": 16, "efConstruction": 200}
        )
    index.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": settings.index.bm25_k1, "bm25_b": settings.index.bm25_b},
    )
    client.create_collection(
        names.passages, schema=schema, index_params=index, num_shards=cfg.shards
    )
    _side(
        client,
        names.documents,
        "part_id",
        1100,
        [("doc_id", 1024), ("content_hash", 128), ("payload", MAX_VARCHAR)],
    )
    _side(client, names.terms, "term", 1024, [], df=True)
    _side(client, names.meta, "key", 64, [("payload", MAX_VARCHAR)])
    for name in names.all:
        client.release_collection(name)
        client.load_collection(name, replica_number=cfg.replicas)


def _side(
    client: Any,
    name: str,
    key: str,
    key_length: int,
    texts: list[tuple[str, int]],
    *,
    df: bool = False,
) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field(key, DataType.VARCHAR, max_length=key_length, is_primary=True)
    for field, length in texts:
        schema.add_field(field, DataType.VARCHAR, max_length=length)
    if df:
        schema.add_field("df", DataType.INT64)
    if texts and texts[0][0] == "doc_id":
        schema.add_field("part", DataType.INT64)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=DUMMY_DIM)
    index = client.prepare_index_params()
    index.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=index)


def ensure_loaded(client: Any, names: Names, replicas: int) -> None:
    """Load the generation's collections that exist and are not loaded (a Milvus Lite file
    opened by a new process starts with every collection released)."""
    from pymilvus.client.types import LoadState

    for name in names.all:
        if not client.has_collection(name):
            continue
        if client.get_load_state(name).get("state") != LoadState.Loaded:
            client.load_collection(name, replica_number=replicas)


def drop_generation(client: Any, names: Names) -> None:
    for name in names.all:
        if client.has_collection(name):
            client.drop_collection(name)


def literal(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
