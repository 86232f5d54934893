"""No input string can change the structure of the output: property tests of the quoting."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fluid_render.render.quote import block, quote, scalar, to_yaml

ADVERSARIAL = st.one_of(
    st.text(),
    st.sampled_from(
        [
            "",
            "true",
            "no",
            "~",
            "null",
            "1e3",
            "0x1F",
            "12:30",
            "2001-12-14",
            "- a",
            "a: b",
            "#c",
            "---",
            "...",
            "{{ x }}",
            "{% if %}",
            "'q'",
            '"q"',
            " lead",
            "trail ",
            "a\nb",
            "\t",
            "\u2028",
            "\ufeff",
            "é",
            "😀",
            "*ref",
            "&anchor",
            "!tag",
            "%YAML",
            "@",
            "`",
            "|",
            ">",
            "? k",
            "[a]",
            "{a: 1}",
            ".inf",
            "-.5",
            "+1",
            "0o17",
            "1_000",
            "=",
            "<<",
        ]
    ),
)
KEYS = st.one_of(st.text(min_size=1), st.sampled_from(["true", "a: b", "- x", "#", "<<", "1"]))
VALUES = st.recursive(
    st.one_of(ADVERSARIAL, st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


@given(ADVERSARIAL)
def test_scalar_reads_back_as_the_same_string(value: str) -> None:
    assert _load(f"key: {quote(value)}\nnext: 1\n") == {"key": value, "next": 1}


@given(ADVERSARIAL)
def test_plain_output_only_where_it_is_unambiguous(value: str) -> None:
    text = scalar(value)
    if not text.startswith('"'):
        assert _load(text) == value


@settings(max_examples=300)
@given(VALUES)
def test_structures_read_back_exactly(value: Any) -> None:
    """A nested value printed at an indent under a key holds exactly that value and no more."""
    text = f"outer:\n  inner:{to_yaml(value, 4)}\n  after: 1\nlast: 2\n"
    assert _load(text) == {"outer": {"inner": value, "after": 1}, "last": 2}


@given(st.text())
def test_block_reads_back_exactly(value: str) -> None:
    text = f"data:\n  script: {block(value, 4)}\n  after: x\n"
    assert _load(text) == {"data": {"script": value, "after": "x"}}


def test_scripts_stay_readable_blocks() -> None:
    assert block("set -e\necho ${X}\n", 4).startswith("|\n    set -e")
    assert block("no newline at end", 4) == '"no newline at end"'
