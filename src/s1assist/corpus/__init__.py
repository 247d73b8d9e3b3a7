"""Reading a folder of source documents into cleaned, sectioned `Document`s."""

from s1assist.corpus.loader import CorpusLoad, load_corpus

__all__ = ["CorpusLoad", "load_corpus"]
