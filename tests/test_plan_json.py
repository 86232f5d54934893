"""The sync plan's JSON writer (`fluid_render/plan/nodelabels.py`) against the standard library."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluid_render.plan.nodelabels import dump_plan, with_operations

_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


def _reference(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@given(st.dictionaries(st.text(max_size=6), _VALUES, max_size=6))
def test_dump_plan_writes_the_bytes_of_json_dumps(plan: dict[str, Any]) -> None:
    assert dump_plan(plan) == _reference(plan)


@pytest.mark.parametrize(
    "plan",
    [
        {1: "int key", 2.5: "float key"},
        {True: "bool key", False: "another"},
        {None: "null key"},
        {"nan": float("nan"), "inf": float("inf"), "minus": float("-inf"), "zero": -0.0},
        {"nested": {"empty": {}, "list": [[], {}, ["\u2028", "\x00", '"\\']]}},
    ],
)
def test_dump_plan_spells_keys_and_special_numbers_as_json_does(plan: dict[Any, Any]) -> None:
    assert dump_plan(plan) == _reference(plan)


def test_dump_plan_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        dump_plan({"set": {1}})


def test_with_operations_sorts_the_operations_into_the_plan() -> None:
    plan = dump_plan({"format": 1, "operations": []})
    ops = [{"kind": "DataLoad", "name": "b"}, {"kind": "DataLoad", "name": "a"}]
    assert json.loads(with_operations(plan, ops))["operations"] == [ops[1], ops[0]]
    assert with_operations(plan, []) == plan
