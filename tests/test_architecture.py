"""Data flows one way: a stage imports only from the stages before it, and nothing heavy
(torch, the model and index libraries) is imported when a module is imported."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import s1assist

PACKAGE = Path(s1assist.__file__).resolve().parent
# Stage order: a module may import from its own rank and earlier ranks only.
# followup (question -> query terms, used by answer and chat) and sessions (the chat's
# store) sit with answer and safety: they need nothing later than lexical and types.
ORDER: tuple[tuple[str, ...], ...] = (
    ("types", "errors"),
    ("config", "fitted"),
    ("sentences", "corpus", "chunking"),
    ("embedding", "onnx_encoder", "lexical", "lexicon", "aspects", "support"),
    ("index",),
    ("retrieval", "milvus_search"),
    ("answering", "sessions"),
    ("writing",),
    ("chat",),
    ("api", "evaluation"),
    ("cli", "__main__"),
)
RANK = {stage: rank for rank, stages in enumerate(ORDER) for stage in stages}
HEAVY = frozenset(
    {"torch", "sentence_transformers", "transformers", "faiss", "bm25s", "onnxruntime", "onnx"}
)


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    line: int
    top_level: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str | None:
    """`s1assist.index.build` -> "index"; the package itself has no stage."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(source: str, module: str, is_package: bool) -> list[Import]:
    """Every import in `source`, resolved to absolute names; top_level means it runs when
    the module is imported (not inside a function, not under `if TYPE_CHECKING:`)."""
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, top_level: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            top_level = False
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, top_level)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno, top_level) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            found.append(Import(base, node.lineno, top_level))
            # `from s1assist import retrieval` imports the retrieval stage.
            if base == "s1assist":
                found.extend(
                    Import(f"s1assist.{a.name}", node.lineno, top_level) for a in node.names
                )
        for child in ast.iter_child_nodes(node):
            visit(child, top_level)

    visit(ast.parse(source), True)
    return found


def layering_violations(source: str, module: str, is_package: bool = False) -> list[str]:
    own = stage_of(module)
    if own is None:
        return []
    problems = []
    for imp in imports(source, module, is_package):
        if not imp.module.startswith("s1assist."):
            continue
        target = stage_of(imp.module)
        if target in RANK and own in RANK and RANK[target] > RANK[own]:
            problems.append(f"{module}:{imp.line} imports {imp.module} (a later stage)")
    return problems


def heavy_violations(source: str, module: str, is_package: bool = False) -> list[str]:
    return [
        f"{module}:{imp.line} imports {imp.module} at module level; import it inside the "
        "function that needs it"
        for imp in imports(source, module, is_package)
        if imp.top_level and imp.module.split(".")[0] in HEAVY
    ]


def package_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(path), path) for path in PACKAGE.rglob("*.py"))


def test_the_package_is_found() -> None:
    names = [name for name, _ in package_modules()]
    assert "s1assist.retrieval" in names
    assert "s1assist.index.build" in names


def test_every_module_has_a_stage() -> None:
    unknown = sorted(
        name
        for name, _ in package_modules()
        if (stage := stage_of(name)) is not None and stage not in RANK
    )
    assert not unknown, (
        f"{unknown}: not in the stage order of tests/test_architecture.py; add each to ORDER "
        "at the rank of the stage it belongs to"
    )


def test_no_stage_imports_a_later_stage() -> None:
    problems = []
    for name, path in package_modules():
        source = path.read_text(encoding="utf-8")
        problems += layering_violations(source, name, path.name == "__init__.py")
    assert not problems, "\n".join(problems)


def test_no_heavy_import_at_module_level() -> None:
    problems = []
    for name, path in package_modules():
        source = path.read_text(encoding="utf-8")
        problems += heavy_violations(source, name, path.name == "__init__.py")
    assert not problems, "\n".join(problems)


# The checker itself, on made-up modules, so it is known to catch what it should.


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from s1assist.retrieval import Retriever\n", "s1assist.index.build"),
        ("import s1assist.chat\n", "s1assist.answering"),
        ("from s1assist import cli\n", "s1assist.api"),
        ("from ..retrieval import Retriever\n", "s1assist.index.store"),
        ("def f():\n    from s1assist.index import load_index\n", "s1assist.chunking"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from s1assist.answering import Question\n",
            "s1assist.retrieval",
        ),
    ],
)
def test_checker_catches_a_backward_import(source: str, module: str) -> None:
    assert layering_violations(source, module)


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("from s1assist.types import Chunk\n", "s1assist.retrieval"),
        ("from s1assist.corpus.clean import clean\n", "s1assist.corpus.loader"),
        ("from .clean import clean\n", "s1assist.corpus.loader"),
        ("from . import clean\n", "s1assist.corpus"),
        ("from s1assist.sentences import word_count\n", "s1assist.chunking"),
        ("import numpy\n", "s1assist.types"),
    ],
)
def test_checker_allows_a_forward_import(source: str, module: str) -> None:
    assert layering_violations(source, module, is_package=module == "s1assist.corpus") == []


@pytest.mark.parametrize(
    "source",
    [
        "import torch\n",
        "import faiss as f\n",
        "from sentence_transformers import SentenceTransformer\n",
        "from bm25s.tokenization import Tokenized\n",
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n",
        "class Model:\n    import torch\n",
        "import typing\nif typing.TYPE_CHECKING:\n    pass\nelse:\n    import faiss\n",
    ],
)
def test_checker_catches_a_heavy_module_level_import(source: str) -> None:
    assert heavy_violations(source, "s1assist.embedding")


@pytest.mark.parametrize(
    "source",
    [
        "def load():\n    import torch\n",
        "class E:\n    def load(self):\n        from sentence_transformers import X\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import faiss\n",
        "import numpy\nimport torchvision_like_name\n",
    ],
)
def test_checker_allows_lazy_and_type_only_heavy_imports(source: str) -> None:
    assert heavy_violations(source, "s1assist.embedding") == []
