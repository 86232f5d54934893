"""Hostile YAML (alias bombs, deep nesting, huge numbers and files) ends as a positioned error,
found before anything expands it, in memory bounded by the size of the text."""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fluid_render.errors import BuildError, Position
from fluid_render.inject import Facts, inject_documents
from fluid_render.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    MAX_NUMBER_LENGTH,
    MAX_SCALAR_LENGTH,
    MAX_TOTAL_BYTES,
    Budget,
    check_size,
)
from fluid_render.load import load_inputs, parse_documents
from fluid_render.plan.lock import parse_lock
from fluid_render.runtimes.registry import PORT_NAMES

# Rejecting a bomb composes its few KB of text and nothing more (about 30 KB measured);
# expanding even the smallest bomb below (MAX_NODES nodes) would take hundreds of MB.
MEMORY_BOUND = 1024 * 1024


def bomb(fan_out: int, levels: int, in_sequences: bool = True) -> str:
    """A billion-laughs document: each anchor holds `fan_out` aliases of the one before."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: bomb}", "data:"]
    lines.append("  l0: &l0 " + ("[lol]" if in_sequences else "{k: lol}"))
    for level in range(1, levels + 1):
        refs = [f"*l{level - 1}" for _ in range(fan_out)]
        body = (
            "[" + ", ".join(refs) + "]"
            if in_sequences
            else "{" + ", ".join(f"k{i}: {r}" for i, r in enumerate(refs)) + "}"
        )
        lines.append(f"  l{level}: &l{level} {body}")
    return "\n".join(lines) + "\n"


def peak_memory(action: Callable[[], Any]) -> int:
    """The peak of memory allocated while `action` ran (it must raise BuildError)."""
    tracemalloc.start()
    try:
        with pytest.raises(BuildError) as error:
            action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "limit: " in str(error.value)
    return peak


BOMBS = st.integers(2, 12).flatmap(
    lambda fan_out: st.tuples(
        st.just(fan_out),
        st.integers(1, 3).map(lambda extra: math.ceil(math.log(MAX_NODES, fan_out)) + extra),
        st.booleans(),
    )
)


@settings(max_examples=25, deadline=None)
@given(BOMBS)
def test_alias_bombs_in_specs_are_rejected_in_bounded_memory(shape: tuple[int, int, bool]) -> None:
    text = bomb(*shape)
    assert len(text) < 4096
    assert peak_memory(lambda: parse_documents(text, "bomb.yaml")) < MEMORY_BOUND


@settings(max_examples=10, deadline=None)
@given(BOMBS)
def test_alias_bombs_in_inject_inputs_are_rejected_before_ruamel_reads_them(
    shape: tuple[int, int, bool],
) -> None:
    text = bomb(*shape)
    facts = Facts(datasets={}, namespace_labels={})
    assert peak_memory(lambda: inject_documents({"app.yaml": text}, facts)) < MEMORY_BOUND


def test_alias_bomb_in_the_lock_is_rejected() -> None:
    text = bomb(10, 7).replace("data:", "runtimes:")
    with pytest.raises(BuildError, match=r"^lock:\d+:\d+: limit: the inputs hold more than"):
        parse_lock(text, "lock", PORT_NAMES)


def test_alias_bomb_in_a_passthrough_file_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(bomb(9, 9))
    assert peak_memory(lambda: load_inputs([str(tmp_path)])) < MEMORY_BOUND


def test_the_node_budget_is_shared_by_every_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files that each fit the budget cannot together expand past it (a small budget here)."""
    one_file = Budget()
    parse_documents(bomb(10, 2), "a.yaml", one_file)
    used = MAX_NODES - one_file.nodes
    # Aliases count as copies of their anchors: levels of 2, 1 + 10 * 2 and 1 + 10 * 21 nodes,
    # and 14 for the rest of the document.
    assert used == 2 + 21 + 211 + 14
    monkeypatch.setattr("fluid_render.load.Budget", lambda: Budget(nodes=used * 3 // 2))
    (tmp_path / "a.yaml").write_text(bomb(10, 2))
    (tmp_path / "b.yaml").write_text(bomb(10, 2))
    load_inputs([str(tmp_path / "a.yaml")])
    load_inputs([str(tmp_path / "b.yaml")])
    with pytest.raises(BuildError, match=r"b\.yaml:.*limit: the inputs hold more than"):
        load_inputs([str(tmp_path)])


SHARED = st.recursive(
    st.one_of(st.integers(), st.text(max_size=5), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(), inner)),
    max_leaves=8,
)


@given(st.lists(SHARED, min_size=1, max_size=4), st.lists(st.integers(0, 3), max_size=12))
def test_small_aliases_load_as_their_anchors(shared: list[Any], uses: list[int]) -> None:
    """PyYAML's emitter writes an anchor and aliases for an object used twice: it loads back."""
    data = {"kind": "K", "uses": [shared[i % len(shared)] for i in uses], "all": shared}
    text = yaml.safe_dump(data)
    budget = Budget()
    [doc] = parse_documents(text, "f", budget)
    assert doc.data == data
    # the budget was charged with exactly the nodes of the expanded data
    assert MAX_NODES - budget.nodes == expanded_nodes(data)


class _WrittenOut(yaml.SafeDumper):
    """Writes every use of a shared object out in full, without anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@given(SHARED, st.integers(1, 3))
def test_an_alias_costs_what_its_copy_written_out_costs(shared: Any, uses: int) -> None:
    data = {"all": [shared] * uses, "kind": "K"}
    with_aliases, written_out = Budget(), Budget()
    parse_documents(yaml.safe_dump(data), "a", with_aliases)
    parse_documents(yaml.dump(data, Dumper=_WrittenOut), "b", written_out)
    assert (with_aliases.nodes, with_aliases.chars) == (written_out.nodes, written_out.chars)


def expanded_nodes(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(expanded_nodes(k) + expanded_nodes(v) for k, v in value.items())
    if isinstance(value, list):
        return 1 + sum(expanded_nodes(item) for item in value)
    return 1


def test_a_merge_key_still_works() -> None:
    [doc] = parse_documents("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "f")
    assert doc.data["item"] == {"x": 1, "y": 3}


def test_a_recursive_alias_is_an_error() -> None:
    with pytest.raises(BuildError, match=r"^f:2:4: limit: an alias refers to its own anchor"):
        parse_documents("a: 1\nb: &x [1, *x]\n", "f")


def test_too_many_aliases() -> None:
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * MAX_ALIASES) + "]\n"
    assert parse_documents(many, "f")[0].data["b"] == [1] * MAX_ALIASES
    with pytest.raises(BuildError, match=rf"f:2:4: limit: more than {MAX_ALIASES} aliases"):
        parse_documents(many.replace("]", ", *a]"), "f")


def nested(depth: int) -> str:
    """A mapping holding sequences: `depth` levels of nesting."""
    return "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"


def test_nesting_depth() -> None:
    parse_documents(nested(MAX_DEPTH), "f")
    with pytest.raises(BuildError, match=f"f:1:{MAX_DEPTH + 3}: limit: nested deeper than"):
        parse_documents(nested(MAX_DEPTH + 1), "f")


def test_nesting_depth_counts_what_aliases_expand_to() -> None:
    half = MAX_DEPTH // 2
    text = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    with pytest.raises(BuildError, match="f:2:"):
        parse_documents(text, "f")


def test_long_numbers_are_errors_and_quoted_ones_text() -> None:
    digits = "9" * 5000
    with pytest.raises(BuildError) as error:
        parse_documents(f"kind: K\nreplicas: {digits}\n", "f")
    assert str(error.value) == (
        f"f:2:11: limit: a number of 5000 characters; at most {MAX_NUMBER_LENGTH} "
        "(quote it if it is text)"
    )
    assert parse_documents(f"a: '{digits}'\n", "f")[0].data == {"a": digits}
    for number in ("1" * MAX_NUMBER_LENGTH, "1." + "5" * (MAX_NUMBER_LENGTH - 2)):
        parse_documents(f"a: {number}\n", "f")
    for number in ("1" * (MAX_NUMBER_LENGTH + 1), "1.0e+" + "4" * MAX_NUMBER_LENGTH):
        with pytest.raises(BuildError, match="limit: a number of"):
            parse_documents(f"a: {number}\n", "f")


def test_long_values() -> None:
    parse_documents("a: " + "x" * MAX_SCALAR_LENGTH + "\n", "f")
    with pytest.raises(BuildError, match=r"f:1:4: limit: a value of \d+ characters"):
        parse_documents("a: " + "x" * (MAX_SCALAR_LENGTH + 1) + "\n", "f")


def test_a_file_too_large_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(BuildError, match=rf"big.yaml:1:1: limit: larger than {MAX_FILE_BYTES}"):
        load_inputs([str(big)])


def test_the_inputs_together_are_bounded() -> None:
    budget = Budget()
    for index in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES):
        check_size(MAX_FILE_BYTES, f"{index}.yaml", budget)
    with pytest.raises(BuildError, match=r"last\.yaml:1:1: limit: the inputs together are larger"):
        check_size(1, "last.yaml", budget)


@pytest.mark.parametrize(
    ("text", "position", "tag"),
    [
        ("a: 2001-13-45\n", (1, 4), "timestamp"),
        ("a: !!int abc\n", (1, 4), "int"),
        ("a:\n  b: !!timestamp x\n", (2, 6), "timestamp"),
        ("a: !!bool maybe\n", (1, 4), "bool"),
        ("a: !!float secret-value\n", (1, 4), "float"),
    ],
)
def test_values_libyaml_cannot_construct_are_positioned_errors(
    text: str, position: tuple[int, int], tag: str
) -> None:
    with pytest.raises(BuildError) as error:
        parse_documents(text, "f")
    [problem] = error.value.problems
    assert problem.position == Position("f", *position)
    assert problem.message == f"invalid YAML: cannot read this value as {tag}"


def test_a_file_that_is_not_utf8_is_a_positioned_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"kind: K\nname: caf\xe9\n")
    with pytest.raises(BuildError, match=r"latin1.yaml:2:10: not UTF-8 text"):
        load_inputs([str(tmp_path)])


@pytest.mark.parametrize(
    "key", ["../etc", "a/b/c", "Default/alpha", "default/1alpha", "n" * 64 + "/a", "default/", "/x"]
)
def test_lock_keys_are_a_namespace_and_a_name(key: str) -> None:
    text = f"version: 1\nruntimes:\n  {key!r}:\n    master.rpc: 20000\n"
    with pytest.raises(BuildError, match=r"^lock:3:3: key must be <namespace>/<name>"):
        parse_lock(text, "lock", PORT_NAMES)


def test_a_lock_key_of_the_longest_names_is_read() -> None:
    key = "n" * 63 + "/" + "a" * 63
    lock = parse_lock(
        f"version: 1\nruntimes:\n  {key}:\n    master.rpc: 20000\n", "lock", PORT_NAMES
    )
    assert lock.runtimes == {key: {"master.rpc": 20000}}
