"""Output paths come from validated names only, and the ownership file's format."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fluid_render.emit import OWNED, publish_tree, read_owned, tree
from fluid_render.emit.owned import parse_owned, render_owned
from fluid_render.errors import BuildError
from fluid_render.load import Document, parse_documents
from fluid_render.names import kind_problem, name_problem, namespace_problem
from fluid_render.validate import validate

HOSTILE = ["..", ".", "../x", "/etc", "a/b", "x/../../y", "", " ", "a\nb", "A" * 300, "-a", "a-"]


def copied(namespace: object, kind: object, name: object) -> Document:
    metadata: dict[str, object] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    text = yaml.safe_dump({"apiVersion": "v1", "kind": kind, "metadata": metadata})
    return parse_documents(text, "copied.yaml")[0]


def assert_inside(paths: list[str], out: Path) -> None:
    for path in paths:
        parts = path.split("/")
        assert not path.startswith("/") and not {"", ".", ".."} & set(parts)
        assert os.path.realpath(out / path).startswith(str(out) + os.sep)


names = st.one_of(st.text(max_size=80), st.sampled_from(HOSTILE))


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(namespace=st.one_of(st.none(), names), kind=names, name=names)
def test_no_name_places_a_file_outside_the_output(
    namespace: str | None, kind: str, name: str, tmp_path: Path
) -> None:
    """Validation rejects what cannot be a path; `tree` alone (validation bypassed) does too."""
    try:
        doc = copied(namespace, kind, name)
    except BuildError:
        assume(False)  # not loadable YAML (e.g. a lone control character): never gets here
    try:
        validate([doc], "default", passthrough=True)
        valid = True
    except BuildError as error:
        valid = False
        assert all(p.position is not None for p in error.problems)
    try:
        files = tree([], [doc])
    except BuildError:
        assert not valid or len(f"{kind}-{name}.yaml") > 255
        return
    assert_inside([f.path for f in files], tmp_path / "out")


@pytest.mark.parametrize(
    ("namespace", "kind", "name", "field"),
    [
        ("../../.github", "ConfigMap", "x", "metadata.namespace"),
        ("default", "ConfigMap", "../../ci", "metadata.name"),
        ("default", "../Workflow", "ci", "kind"),
        ("default", "..", "ci", "kind"),
        ("default", "ConfigMap", "/etc/passwd", "metadata.name"),
        ("/abs", "ConfigMap", "x", "metadata.namespace"),
        ("default", "ConfigMap", "..", "metadata.name"),
    ],
)
def test_hostile_places_are_positioned_errors(
    namespace: str, kind: str, name: str, field: str
) -> None:
    with pytest.raises(BuildError) as caught:
        validate([copied(namespace, kind, name)], "default", passthrough=True)
    assert any(p.field == field and p.position is not None for p in caught.value.problems)


def test_valid_places() -> None:
    assert namespace_problem("team-a") is None and namespace_problem("a" * 63) is None
    assert namespace_problem("a" * 64) and namespace_problem("Team") and namespace_problem(3)
    assert name_problem("a.b-c", "ConfigMap") is None and name_problem("a:b", "ConfigMap")
    assert name_problem("system:aggregate-to-view", "ClusterRole") is None
    assert name_problem("system::x", "ClusterRole") and name_problem("a/b", "Role")
    assert kind_problem("ConfigMap") is None and kind_problem("Config-Map")
    assert kind_problem("A" + "b" * 62) is None and kind_problem("A" + "b" * 63)


def test_tree_checks_names_again_even_without_validation() -> None:
    with pytest.raises(BuildError) as caught:
        tree([], [copied("..", "ConfigMap", "x")])
    assert "unsafe file or folder name" in str(caught.value)
    assert caught.value.problems[0].position is not None


def test_file_names_longer_than_the_file_system_allows_are_errors() -> None:
    name = ".".join(["a" * 60] * 4)  # a valid 243-character name
    with pytest.raises(BuildError) as caught:
        tree([], [copied("default", "PersistentVolumeClaim", name)])
    assert "longer than 255 bytes" in str(caught.value)


def test_owned_file_round_trips_and_checks_with_sha256sum(tmp_path: Path) -> None:
    files = {"b/c.yaml": hashlib.sha256(b"c").hexdigest(), "a.yaml": "0" * 64}
    text = render_owned(files)
    assert text.splitlines()[0].startswith("# fluid-render 0.1.0: ")
    assert text.splitlines()[1] == f"{'0' * 64}  a.yaml"
    (tmp_path / OWNED).write_text(text)
    owned = read_owned(tmp_path)
    assert (owned.version, dict(owned.files)) == ("0.1.0", files)


def test_old_owned_files_of_bare_paths_still_read(tmp_path: Path) -> None:
    (tmp_path / OWNED).write_text("a.yaml\nb/c.yaml\n")
    owned = read_owned(tmp_path)
    assert (owned.version, dict(owned.files)) == (None, {"a.yaml": "", "b/c.yaml": ""})
    assert read_owned(tmp_path / "missing").files == {}


H = "0" * 64


@pytest.mark.parametrize(
    "line", [f"{H}  ../x.yaml", f"{H}  /etc/passwd", f"{H}  a//b", f"{H} x", "a.yaml", "a b"]
)
def test_owned_lines_fluid_render_never_writes_are_errors(line: str) -> None:
    text = render_owned({}) + line + "\n"
    with pytest.raises(BuildError) as caught:
        parse_owned(text, "out/.fluid-render-owned")
    assert str(caught.value).startswith("out/.fluid-render-owned:2:1: not a line")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    namespace=st.one_of(st.none(), st.from_regex(r"[a-z0-9._:/-]{1,12}", fullmatch=True)),
    kind=st.from_regex(r"[A-Za-z0-9._/-]{1,12}", fullmatch=True),
    name=st.from_regex(r"[a-z0-9._:/-]{1,12}", fullmatch=True),
)
def test_whatever_tree_accepts_is_written_inside_the_output(
    namespace: str | None, kind: str, name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The whole write (staging, swap) for names made of path characters, validation bypassed."""
    root = tmp_path_factory.mktemp("w")
    out = root / "a" / "b" / "out"
    try:
        files = tree([], [copied(namespace, kind, name)])
    except BuildError:
        return
    publish_tree(out, files, None, lock_path=root / "lock")
    written = sorted(p for p in root.rglob("*") if p.is_file())
    assert written and all(p.is_relative_to(out) for p in written)
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        [OWNED, *(str(f.path) for f in files)]
    )


paths = st.lists(
    st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=8)
    .filter(lambda part: part not in (".", "..") and "/" not in part)
    .filter(lambda part: part.strip() == part),
    min_size=1,
    max_size=4,
).map("/".join)


@given(st.dictionaries(paths, st.binary(max_size=16).map(lambda b: hashlib.sha256(b).hexdigest())))
def test_the_ownership_file_reads_back_what_was_written(files: dict[str, str]) -> None:
    owned = parse_owned(render_owned(files), "owned")
    assert (owned.version, dict(owned.files)) == ("0.1.0", files)
