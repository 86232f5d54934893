"""Loading keeps positions of every key and item, and reports bad YAML precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from fluid_render.errors import BuildError, Position, Problem
from fluid_render.inject import Facts, inject_documents
from fluid_render.load import load_inputs, parse_documents
from fluid_render.sources import read_sources


def test_positions_point_at_keys_and_items() -> None:
    text = "kind: A\nspec:\n  mounts:\n    - name: x\n      path: /y\n"
    [doc] = parse_documents(text, "f.yaml")
    assert doc.position_of(("spec", "mounts", 0, "path")) == Position("f.yaml", 5, 7)
    assert doc.position_of(("spec", "mounts", 0)) == Position("f.yaml", 4, 7)
    # a path that does not exist falls back to its nearest parent
    assert doc.position_of(("spec", "missing", "deeper")) == Position("f.yaml", 2, 1)


def test_multi_document_and_empty_documents() -> None:
    docs = parse_documents("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n", "f")
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
    assert docs[1].text == "b: 2\n"


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(BuildError) as error:
        parse_documents("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert str(error.value) == "f.yaml:3:1: a: duplicate key (first defined at line 1)"


def test_syntax_error_is_positioned() -> None:
    with pytest.raises(BuildError) as error:
        parse_documents("a: [1, 2\nb: 3\n", "f.yaml")
    assert str(error.value).startswith("f.yaml:2:")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(BuildError, match="f:1:1: a document must be a mapping"):
        parse_documents("- 1\n- 2\n", "f")


def test_folders_are_read_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "two.yml").write_text("n: 2\n")
    (tmp_path / "one.yaml").write_text("n: 1\n")
    (tmp_path / "notes.txt").write_text("n: 3\n")
    (tmp_path / ".git" / "x.yaml").write_text("n: 4\n")
    assert [d.data["n"] for d in load_inputs([str(tmp_path)])] == [2, 1]


def test_all_problems_of_all_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: [\n")
    (tmp_path / "b.yaml").write_text("x: 1\nx: 2\n")
    with pytest.raises(BuildError) as error:
        load_inputs([str(tmp_path), str(tmp_path / "missing.yaml")])
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert "missing.yaml: no such file or folder" in lines[0]


# PyYAML's emitter (our oracle here) mangles control characters such as NEL in plain keys.
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")))
JSONISH = st.recursive(
    st.one_of(TEXT, st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(TEXT.filter(bool), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(TEXT.filter(bool), JSONISH, min_size=1, max_size=4))
def test_loaded_data_equals_what_was_written(data: dict[str, object]) -> None:
    """Any mapping dumped by a YAML emitter loads back equal, with a position for every key."""
    text = yaml.safe_dump(data, allow_unicode=True)
    [doc] = parse_documents(text, "f")
    assert doc.data == data
    for key in data:
        assert (key,) in doc.positions


YAML_PIECES = st.sampled_from(
    [
        *(": ", "- ", "&a ", "*a", "!!int ", "!!binary ", "!!timestamp ", "<<: ", "? ", "|\n"),
        *("[", "]", "{", "}", ",", "'", '"', "#", "\n", "  ", "---\n", "...\n", "%YAML 1.1\n"),
        *("1e400", ".nan", "2001-13-45", "0x", "0o9", "9" * 120, "\x85", "\ufeff", "\x00", ">-\n"),
    ]
)


@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=6)), max_size=30).map("".join))
def test_any_text_loads_or_is_a_positioned_error(text: str) -> None:
    """Whatever the text, the loader returns documents or raises positioned problems only."""
    try:
        documents = parse_documents(text, "f")
    except BuildError as error:
        assert error.problems
        assert all(p.position is not None and p.position.file == "f" for p in error.problems)
    else:
        assert all(isinstance(d.data, dict) for d in documents)


@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=6)), max_size=30).map("".join))
def test_loaded_data_is_what_pyyamls_constructor_builds(text: str) -> None:
    """The direct construction of plain documents gives PyYAML's own data (NaN compared by
    repr), and every other document is built by PyYAML itself."""
    try:
        documents = parse_documents(text, "f")
    except BuildError:
        return
    expected = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d is not None]
    assert repr([d.data for d in documents]) == repr(expected)


def test_aliases_still_share_their_anchors_object() -> None:
    [doc] = parse_documents("a: &x {k: [1, 2]}\nb: *x\nc: {<<: *x, j: 0x1f}\n", "f")
    assert doc.data["b"] is doc.data["a"]
    assert doc.data["c"] == {"k": [1, 2], "j": 31}


@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=6)), max_size=30).map("".join))
def test_inject_reads_any_text_or_reports_positioned_problems(text: str) -> None:
    """The same for ruamel's round-trip reader, which `inject` edits files with."""
    try:
        inject_documents({"f": text}, Facts(datasets={}))
    except BuildError as error:
        assert error.problems
        assert all(p.position is not None and p.position.file == "f" for p in error.problems)


@example(
    "kind: A\nspec:\n  mounts:\n    - {name: x, path: /y}\n    - [1, 2.5, true, ~, 2001-01-01]\n"
)
@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=6)), max_size=30).map("".join))
def test_the_one_walk_of_plain_documents_equals_the_three_step_path(text: str) -> None:
    """Where `_plain` takes a document, its positions (in order), data and budget charge are
    what `check_document`, `_index` and `construct_document` give; where it declines, it charged
    nothing."""
    from fluid_render.limits import Budget
    from fluid_render.load import _index, _Loader, _plain
    from fluid_render.nodelimits import check_document

    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            fast, slow = Budget(), Budget()
            plain = _plain(loader, node, fast)
            if plain is None:
                assert fast == Budget()
                continue
            check_document(node, "f", slow)
            positions: dict[tuple[str | int, ...], tuple[int, int]] = {}
            problems: list[Problem] = []
            _index(node, (), "f", positions, problems)
            assert problems == []
            assert list(plain[0].items()) == list(positions.items())
            assert repr(plain[1]) == repr(loader.construct_document(node))
            assert fast == slow
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()


def test_documents_the_one_walk_declines_are_still_checked() -> None:
    """An alias, a duplicate key and a deep nesting go the three-step way, which reports them."""
    assert parse_documents("a: &x [1]\nb: *x\n", "f")[0].data == {"a": [1], "b": [1]}
    with pytest.raises(BuildError, match="duplicate key"):
        parse_documents("a: 1\na: 2\n", "f")
    with pytest.raises(BuildError, match="nested deeper"):
        parse_documents("a: " + "[" * 120 + "]" * 120 + "\n", "f")


def test_sources_read_once_are_parsed_instead_of_the_files(tmp_path: Path) -> None:
    """`build -o` reads its inputs once (for the memo's fingerprint) and loads those texts."""
    spec = tmp_path / "a.yaml"
    spec.write_text("a: 1\n")
    sources = read_sources([str(tmp_path), str(spec)])
    assert sources == [(str(spec), "a: 1\n"), (str(spec), "a: 1\n")]
    spec.write_text("a: 2\n")
    assert [d.data for d in load_inputs([str(tmp_path)], sources=sources)] == [{"a": 1}] * 2
    assert [d.data for d in load_inputs([str(tmp_path)])] == [{"a": 2}]
