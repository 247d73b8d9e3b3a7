"""The Milvus backend of the index: the same passages and documents, kept in Milvus (a
server, a cluster, or a Milvus Lite file), so an API replica needs no index files."""

from s1assist.index.milvus.build import build_milvus
from s1assist.index.milvus.store import MilvusIndex, milvus_status, open_milvus_index

__all__ = ["MilvusIndex", "build_milvus", "milvus_status", "open_milvus_index"]
