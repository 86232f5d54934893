"""Node labels: the pure reconcile (table tests and properties: convergence, idempotence, and
labels the syncer does not own are never touched)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fluid_render.sync.labels import (
    OWNED_ANNOTATION,
    NodeLabelPatch,
    Rules,
    Scope,
    read_owned,
    reconcile_node,
)

NUM = "fluid.io/dataset-num"
EXCLUSIVE = "fluid_exclusive"
ALL = Scope()


def apply_patch(node: Mapping[str, Any], patch: NodeLabelPatch) -> dict[str, Any]:
    """The node as the API server returns it after the merge patch."""
    metadata = dict(node.get("metadata") or {})
    labels = dict(metadata.get("labels") or {})
    for key, value in patch.labels.items():
        if value is None:
            labels.pop(key, None)
        else:
            labels[key] = value
    annotations = dict(metadata.get("annotations") or {})
    if patch.owned is None:
        annotations.pop(OWNED_ANNOTATION, None)
    else:
        annotations[OWNED_ANNOTATION] = patch.owned
    return {**node, "metadata": {**metadata, "labels": labels, "annotations": annotations}}


def rules(key: str, exclusive: bool = False, policy: str = "OnRuntimeDeleted") -> Rules:
    ns, name = key.split("/")
    labels = {f"fluid.io/s-{ns}-{name}": "true", f"fluid.io/s-alluxio-{ns}-{name}": "true"}
    if exclusive:
        labels[EXCLUSIVE] = f"{ns}_{name}"
    return Rules(labels, f"fluid.io/f-{ns}-{name}", policy)


def node(labels: dict[str, str], owned: str | None = None) -> dict[str, Any]:
    annotations = {OWNED_ANNOTATION: owned} if owned else {}
    return {"metadata": {"name": "n1", "labels": labels, "annotations": annotations}}


def converge(
    obj: dict[str, Any],
    plans: dict[str, Rules],
    running: frozenset[str],
    scope: Scope = ALL,
) -> dict[str, Any]:
    for _ in range(3):
        patch = reconcile_node(obj, plans, running, scope)
        if patch is None:
            return obj
        obj = apply_patch(obj, patch)
    raise AssertionError("no fixed point after three passes")


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj["metadata"]["labels"])


def test_a_worker_node_gets_the_plan_labels_and_a_count() -> None:
    plans = {"default/a": rules("default/a", exclusive=True)}
    done = converge(node({"zone": "x"}), plans, frozenset(plans))
    assert labels_of(done) == {
        "zone": "x",
        "fluid.io/s-default-a": "true",
        "fluid.io/s-alluxio-default-a": "true",
        EXCLUSIVE: "default_a",
        NUM: "1",
    }
    assert read_owned(done["metadata"]["annotations"]).runtimes["default/a"][EXCLUSIVE] == (
        "default_a"
    )


def test_the_patch_is_minimal_and_carries_the_resource_version() -> None:
    obj = node({"zone": "x"})
    obj["metadata"]["resourceVersion"] = "7"
    patch = reconcile_node(obj, {"d/a": rules("d/a")}, frozenset({"d/a"}), ALL)
    assert patch is not None
    body = patch.body()
    assert "zone" not in body["metadata"]["labels"]
    assert body["metadata"]["resourceVersion"] == "7"
    assert set(body) == {"metadata"}


def test_a_node_that_no_longer_runs_a_worker_loses_only_the_syncers_labels() -> None:
    plans = {"d/a": rules("d/a", exclusive=True)}
    labelled = converge(node({"zone": "x"}), plans, frozenset(plans))
    done = converge(labelled, plans, frozenset())
    assert labels_of(done) == {"zone": "x"}
    assert OWNED_ANNOTATION not in done["metadata"]["annotations"]


def test_dataset_num_counts_on_top_of_a_value_found_on_the_node() -> None:
    plans = {"d/a": rules("d/a"), "d/b": rules("d/b")}
    done = converge(node({NUM: "2"}), plans, frozenset(plans))
    assert labels_of(done)[NUM] == "4"
    gone = converge(done, plans, frozenset())
    assert labels_of(gone) == {NUM: "2"}


def test_an_unreadable_dataset_num_is_not_the_syncers() -> None:
    done = converge(node({NUM: "many"}), {"d/a": rules("d/a")}, frozenset({"d/a"}))
    assert labels_of(done)[NUM] == "many"


def test_exclusive_is_removed_only_while_its_value_is_this_datasets() -> None:
    plans = {"d/a": rules("d/a", exclusive=True)}
    labelled = converge(node({}), plans, frozenset(plans))
    labelled["metadata"]["labels"][EXCLUSIVE] = "d_other"  # someone took it over
    done = converge(labelled, plans, frozenset())
    assert labels_of(done) == {EXCLUSIVE: "d_other"}


def test_a_label_a_person_set_first_is_never_claimed_nor_removed() -> None:
    key = "fluid.io/s-alluxio-d-a"
    plans = {"d/a": rules("d/a")}
    labelled = converge(node({key: "true"}), plans, frozenset(plans))
    assert key not in read_owned(labelled["metadata"]["annotations"]).runtimes["d/a"]
    done = converge(labelled, plans, frozenset())
    assert labels_of(done) == {key: "true"}


def test_a_pruned_runtime_loses_its_labels_but_another_namespace_is_left_alone() -> None:
    plans = {"a/x": rules("a/x"), "b/y": rules("b/y")}
    labelled = converge(node({}), plans, frozenset(plans))
    narrowed = Scope(frozenset({"a"}))
    done = converge(labelled, {}, frozenset(), narrowed)  # a/x pruned from git; b/y not seen
    assert labels_of(done) == {
        "fluid.io/s-b-y": "true",
        "fluid.io/s-alluxio-b-y": "true",
        NUM: "1",
    }


def test_fuse_label_goes_with_the_runtime_under_on_runtime_deleted() -> None:
    fuse = "fluid.io/f-d-a"
    plans = {"d/a": rules("d/a")}
    seen = converge(node({fuse: "true"}), plans, frozenset())
    assert labels_of(seen) == {fuse: "true"}  # the CSI plugin's label stays while the runtime is
    assert read_owned(seen["metadata"]["annotations"]).fuse == {"d/a": fuse}
    assert labels_of(converge(seen, {}, frozenset())) == {}


def test_fuse_label_under_on_demand_is_the_csi_plugins_alone() -> None:
    fuse = "fluid.io/f-d-a"
    plans = {"d/a": rules("d/a", policy="OnDemand")}
    seen = converge(node({fuse: "true"}), plans, frozenset())
    assert labels_of(converge(seen, {}, frozenset())) == {fuse: "true"}


def test_an_unreadable_record_removes_nothing() -> None:
    done = converge(node({"fluid.io/s-d-a": "true"}, owned="{not json"), {}, frozenset())
    assert labels_of(done) == {"fluid.io/s-d-a": "true"}


def test_plan_value_changes_follow_git() -> None:
    old = {"d/a": Rules({"fluid.io/s-h-alluxio-t-d-a": "2GiB"}, "fluid.io/f-d-a", "OnDemand")}
    new = {"d/a": Rules({"fluid.io/s-h-alluxio-t-d-a": "4GiB"}, "fluid.io/f-d-a", "OnDemand")}
    labelled = converge(node({}), old, frozenset(old))
    assert labels_of(converge(labelled, new, frozenset(new)))["fluid.io/s-h-alluxio-t-d-a"] == (
        "4GiB"
    )


# ---------------------------------------------------------------------------------- properties
RUNTIMES = ["a/x", "a/y", "b/z"]
KEYS = [
    "zone",
    "fluid.io/s-a-x",
    "fluid.io/s-alluxio-a-x",
    "fluid.io/s-a-y",
    "fluid.io/s-b-z",
    "fluid.io/f-a-x",
    EXCLUSIVE,
    NUM,
]
VALUES = ["true", "a_x", "a_y", "b_z", "other", "2"]

plans_strategy = st.dictionaries(
    st.sampled_from(RUNTIMES),
    st.builds(
        Rules,
        st.dictionaries(st.sampled_from(KEYS[1:-1]), st.sampled_from(VALUES), max_size=4),
        st.sampled_from(["fluid.io/f-a-x", "fluid.io/f-a-y"]),
        st.sampled_from(["OnRuntimeDeleted", "OnDemand"]),
    ),
)
foreign_strategy = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=5)


edits_strategy = st.dictionaries(
    st.sampled_from(KEYS[:-1]), st.one_of(st.none(), st.sampled_from(VALUES)), max_size=4
)


@settings(max_examples=400, deadline=None)
@given(
    foreign=foreign_strategy,
    first=plans_strategy,
    edits=edits_strategy,
    second=plans_strategy,
    running=st.sets(st.sampled_from(RUNTIMES)),
)
def test_any_state_converges_and_foreign_labels_are_never_touched(
    foreign: dict[str, str],
    first: dict[str, Rules],
    edits: dict[str, str | None],
    second: dict[str, Rules],
    running: set[str],
) -> None:
    """Plans as written in git, then a person edits labels, then the plans are edited, then all
    pruned: each step converges, is idempotent and never changes a label the syncer did not
    set, or that a person changed after it set it (the CSI plugin's FUSE label aside)."""
    fuse_keys = {r.fuse_label for r in (*first.values(), *second.values())}
    after_first = converge(node(dict(foreign)), first, frozenset(running))
    check(after_first, first, running, foreign, fuse_keys)
    edited = node(
        labels_of(after_first), after_first["metadata"]["annotations"].get(OWNED_ANNOTATION)
    )
    theirs = dict(foreign)
    for key, value in edits.items():
        current = edited["metadata"]["labels"].get(key)
        if value is None:
            edited["metadata"]["labels"].pop(key, None)
            theirs.pop(key, None)
        elif value != current:
            edited["metadata"]["labels"][key] = value
            theirs[key] = value
    after_second = converge(edited, second, frozenset(running))
    check(after_second, second, running, theirs, fuse_keys)
    pruned = converge(after_second, {}, frozenset())
    expected = {k: v for k, v in theirs.items() if k not in fuse_keys}
    assert {k: v for k, v in labels_of(pruned).items() if k not in fuse_keys} == expected
    assert OWNED_ANNOTATION not in pruned["metadata"]["annotations"]


def check(
    state: dict[str, Any],
    plans: dict[str, Rules],
    running: set[str],
    theirs: dict[str, str],
    fuse_keys: set[str],
) -> None:
    labels = labels_of(state)
    for key, value in theirs.items():
        if key != NUM and key not in fuse_keys:
            assert labels.get(key) == value, (key, labels)
    owned = read_owned(state["metadata"]["annotations"])
    for key in running & plans.keys():
        for label, value in plans[key].labels.items():
            assert (
                labels.get(label) == value
                or label in theirs
                or any(label in owned.runtimes.get(o, {}) for o in RUNTIMES if o != key)
            )
