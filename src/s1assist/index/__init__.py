"""Building, saving, loading and verifying the FAISS + BM25 index and its manifest."""

from s1assist.index.build import BuildReport, build_index
from s1assist.index.store import LoadedIndex, index_status, load_index

__all__ = ["BuildReport", "LoadedIndex", "build_index", "index_status", "load_index"]
