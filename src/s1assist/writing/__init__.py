"""The optional LLM writer: the model phrases the chosen evidence; a verifier keeps only the
sentences their citations support. Nothing here is imported unless `answer.writer` is llm."""

from s1assist.writing.writer import Draft, assemble, draft, unverified, wants_writer, write

__all__ = ["Draft", "assemble", "draft", "unverified", "wants_writer", "write"]
