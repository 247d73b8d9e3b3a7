"""The index backend the settings choose: FAISS files under paths.index, or Milvus."""

from __future__ import annotations

from collections.abc import Sequence

from s1assist.config import IndexBackend, Settings
from s1assist.embedding import Encoder
from s1assist.index.build import BuildReport, build_index
from s1assist.index.store import IndexStatus, index_status
from s1assist.types import Document


def backend_status(
    documents: Sequence[Document], settings: Settings, *, thorough: bool = False
) -> IndexStatus:
    """Whether the index of the chosen backend matches this corpus and these settings (for
    FAISS, `thorough` checks every file's checksum too)."""
    if settings.index.backend is IndexBackend.MILVUS:
        from s1assist.index.milvus import milvus_status

        return milvus_status(documents, settings)
    return index_status(settings.paths.index, documents, settings, thorough=thorough)


def backend_build(
    documents: Sequence[Document],
    encoder: Encoder,
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: bool = False,
) -> BuildReport:
    """Build or update the index of the chosen backend; searches keep the old one meanwhile."""
    if settings.index.backend is IndexBackend.MILVUS:
        from s1assist.index.milvus import build_milvus

        return build_milvus(documents, encoder, settings, rebuild=rebuild, progress=progress)
    return build_index(
        documents, encoder, settings, settings.paths.index, rebuild=rebuild, progress=progress
    )


def describe(settings: Settings) -> str:
    """Where the chosen backend's index lives, for messages."""
    if settings.index.backend is IndexBackend.MILVUS:
        return f"Milvus {settings.milvus.uri} collection {settings.milvus.collection}"
    return str(settings.paths.index)
