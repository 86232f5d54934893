"""Gaps that mutation testing found (README, "Mutation testing").

Every YAML 1.1 boolean and null word and every plain-scalar trap reads back as the same string,
both from the quoting filter alone and through a whole build; the parallel render path gives the
sequential output byte for byte; the required-term merge of inject ANDs every term.
"""

from __future__ import annotations

import importlib
import io
import re
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, ClassVar

import pytest
import yaml
from ruamel.yaml import YAML

from fluid_render import pipeline
from fluid_render.render.quote import block, quote, scalar, to_yaml

from .conftest import many_datasets, run

# The YAML 1.1 type repository's bool and null words (yaml.org/type/bool.html, null.html), which
# go-yaml v2 under sigs.k8s.io/yaml resolves: so does the Kubernetes API server's YAML reader.
YAML11_BOOLS = [
    *("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO"),
    *("true", "True", "TRUE", "false", "False", "FALSE"),
    *("on", "On", "ON", "off", "Off", "OFF"),
]
YAML11_NULLS = ["~", "null", "Null", "NULL", ""]
TRAPS = [
    *(".inf", "-.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "0o17", "017", "0x1F", "0b101"),
    *("1:20", "190:20:30", "1_000", "1e3", "1.5", "+1", "-1", "2001-12-14", "2001-12-14t21:59:43"),
    *("=", "<<", " lead", "trail ", " ", "#", "a #b", "a#b", "- ", "-", "? ", "?", ": ", "a: b"),
    *("a:", "{", "}", "[", "]", ",", "*a", "&a", "!tag", "!!str", "%", "@", "`", "|", ">"),
    *("'", '"', "---", "...", "yEs", "nULL", "0", "00", "0.", "x\ty", "a\nb", "\u2028", "\x85"),
]
WORDS = YAML11_BOOLS + YAML11_NULLS + TRAPS


class Yaml11Loader(yaml.SafeLoader):
    """PyYAML with the whole YAML 1.1 bool set: PyYAML itself leaves out y, Y, n and N."""

    bool_values: ClassVar[dict[str, bool]] = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)


def _pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _yaml11(text: str) -> Any:
    return yaml.load(text, Loader=Yaml11Loader)


def _ruamel(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


LOADERS: list[Callable[[str], Any]] = [_pyyaml, _yaml11, _ruamel]


@pytest.fixture(autouse=True)
def _fresh_quoting_caches() -> Iterator[None]:
    """Run the quoting rule itself, not a result an earlier test left in its cache."""
    # `fluid_render.render.quote` as an attribute is the filter function, not the module
    importlib.import_module("fluid_render.render.quote")._string.cache_clear()
    block.cache_clear()
    yield


def test_the_yaml11_loader_knows_the_words_pyyaml_leaves_out() -> None:
    assert _yaml11("[y, N, yes, off]") == [True, False, True, False]
    assert _pyyaml("[y, N]") == ["y", "N"]


@pytest.mark.parametrize("loader", LOADERS, ids=["pyyaml", "yaml11", "ruamel"])
@pytest.mark.parametrize("word", WORDS)
def test_every_word_reads_back_as_the_same_string(word: str, loader: Callable[[str], Any]) -> None:
    text = f"key: {quote(word)}\n{scalar(word)}: 1\nlist:{to_yaml([word, {word: word}], 2)}\n"
    assert loader(text) == {"key": word, word: 1, "list": [word, {word: word}]}


@pytest.mark.parametrize("word", YAML11_BOOLS + YAML11_NULLS)
def test_bool_and_null_words_are_never_plain(word: str) -> None:
    assert scalar(word) == f'"{word}"'


@pytest.mark.parametrize("word", ["a", "alluxio", "/dev/shm", "_x", "a.b-c_d/e", "Yesterday"])
def test_safe_words_stay_plain(word: str) -> None:
    """Readable output: a plain word is not quoted (the goldens rely on it everywhere)."""
    assert scalar(word) == word


@pytest.mark.parametrize(
    ("char", "escaped"),
    [
        *[("\x00", "\\x00"), ("\x1b", "\\x1b"), ("\x7f", "\\x7f"), ("\x9f", "\\x9f")],
        *[("\u2028", "\\u2028"), ("\ufeff", "\\ufeff"), ("\ud800", "\\ud800")],
        *[("\n", "\\n"), ("\t", "\\t"), ("\r", "\\r"), ('"', '\\"'), ("\\", "\\\\")],
    ],
)
def test_escapes_are_exact_and_read_back(char: str, escaped: str) -> None:
    """Two-digit escapes below 0x100, four above: `\\x2028` would read as a space and "28"."""
    assert scalar(f"a{char}b") == f'"a{escaped}b"'
    if not 0xD800 <= ord(char) <= 0xDFFF:  # a lone surrogate is no text a parser returns
        assert _pyyaml(f"k: {quote(f'a{char}b')}") == {"k": f"a{char}b"}


def test_other_scalars_are_exact() -> None:
    assert [scalar(v) for v in (None, True, False, 0, -3)] == ["null", "true", "false", "0", "-3"]
    with pytest.raises(TypeError, match="cannot write float as a YAML scalar"):
        scalar(1.5)


def test_nested_lists_indent_exactly() -> None:
    """The bytes matter (diffs, goldens): each level two spaces deeper, lists under keys too."""
    assert to_yaml({"a": [[1, 2], [], {}, {"b": [3]}]}, 2) == (
        "\n  a:\n    -\n      - 1\n      - 2\n    - []\n    - {}\n    - b:\n        - 3"
    )


@pytest.mark.parametrize(
    ("script", "literal"),
    [
        ("set -e\n\necho ${X}\n", "|\n    set -e\n\n    echo ${X}"),
        ("one line\n", "|\n    one line"),
        ("two\nlines\n", "|\n    two\n    lines"),
        ("two ends\n\n", None),  # a literal block keeps one final line break, not two
        (" indented\n", None),  # a first line with a leading space needs an indent indicator
        ("\nfirst line empty\n", None),
        ("trailing blank \nx\n", None),
        ("trailing tab\t\nx\n", None),
        ("no final line break", None),
        ("line\u2028separator\n", None),
        ("bell\x07\n", None),
    ],
)
def test_scripts_are_literal_blocks_only_where_that_is_exact(
    script: str, literal: str | None
) -> None:
    text = block(script, 4)
    assert text == (literal if literal is not None else scalar(script))
    for loader in LOADERS:
        assert loader(f"data:\n  script: {text}\n  after: x\n") == {
            "data": {"script": script, "after": "x"}
        }


# --- through a whole build ---------------------------------------------------------------------

LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
LABEL_WORDS = [w for w in WORDS if LABEL_VALUE.fullmatch(w)]
ENV_WORDS = [w for w in WORDS if "\u2028" not in w and "\x85" not in w]
# Properties are joined into ALLUXIO_JAVA_OPTS with spaces, as upstream does.
PROPERTY_WORDS = [w for w in ENV_WORDS if not re.search(r"\s", w)]


def _specs() -> str:
    def mapping(prefix: str, words: list[str]) -> str:
        return "{" + ", ".join(f"{prefix}{i}: {quote(w)}" for i, w in enumerate(words)) + "}"

    return textwrap.dedent(
        f"""\
        apiVersion: data.fluid.io/v1alpha1
        kind: Dataset
        metadata: {{name: words, namespace: ns}}
        spec:
          mounts: [{{mountPoint: "https://example.org/words/", name: words}}]
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: AlluxioRuntime
        metadata: {{name: words, namespace: ns}}
        spec:
          replicas: 1
          properties: {mapping("alluxio.user.word", PROPERTY_WORDS)}
          master:
            env: {mapping("WORD_", ENV_WORDS)}
          tieredstore:
            levels: [{{mediumtype: MEM, path: /dev/shm, quota: 1Gi}}]
        ---
        apiVersion: data.fluid.io/v1alpha1
        kind: DataLoad
        metadata: {{name: load, namespace: ns}}
        spec:
          dataset: {{name: words, namespace: ns}}
          podMetadata:
            labels: {mapping("example.org/label", LABEL_WORDS)}
            annotations: {mapping("example.org/note", WORDS)}
        """
    )


def _object(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _yaml11_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=Yaml11Loader))


def _ruamel_all(text: str) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(text))


@pytest.mark.parametrize("load_all", [_yaml11_all, _ruamel_all], ids=["yaml11", "ruamel"])
def test_words_survive_a_whole_build(
    tmp_path: Path, load_all: Callable[[str], list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs.yaml").write_text(_specs(), encoding="utf-8")
    result = run("build", "specs.yaml", "--lock", "lock")
    assert result.exit_code == 0, result.stderr
    objects = [o for o in load_all(result.stdout) if o]

    master = _object(objects, "StatefulSet", "words-master")
    env = {
        e["name"]: e.get("value")
        for e in master["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert {k: env[k] for k in env if k.startswith("WORD_")} == {
        f"WORD_{i}": w for i, w in enumerate(ENV_WORDS)
    }

    (job,) = [o for o in objects if o["kind"] == "Job"]
    meta = job["spec"]["template"]["metadata"]
    assert {k: v for k, v in meta["labels"].items() if k.startswith("example.org/")} == {
        f"example.org/label{i}": w for i, w in enumerate(LABEL_WORDS)
    }
    assert {k: v for k, v in meta["annotations"].items() if k.startswith("example.org/")} == {
        f"example.org/note{i}": w for i, w in enumerate(WORDS)
    }

    options = _object(objects, "ConfigMap", "words-config")["data"]["ALLUXIO_JAVA_OPTS"]
    found = dict(re.findall(r"-D(alluxio\.user\.word\d+)=(\S*)", options))
    assert found == {f"alluxio.user.word{i}": w for i, w in enumerate(PROPERTY_WORDS)}


# --- the parallel render path ------------------------------------------------------------------


def _build_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, specs: str
) -> tuple[Any, Any, Forced]:
    """The same build sequentially and then on forked workers (as if from 200 datasets)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "specs.yaml").write_text(specs, encoding="utf-8")
    sequential = run("build", "specs.yaml", "--lock", "lock-1")
    forced = _force_workers(monkeypatch, cpus=4)
    parallel = run("build", "specs.yaml", "--lock", "lock-2")
    return sequential, parallel, forced


@dataclass
class Forced:
    pools: list[int] = field(default_factory=list)
    """The size of every pool started."""
    from_workers: list[int] = field(default_factory=list)
    """The index of every piece a worker rendered."""


def _force_workers(monkeypatch: pytest.MonkeyPatch, cpus: int) -> Forced:
    """Builds of two datasets or more render on forked workers, as if on `cpus` cores. Every
    piece takes 0.1 s more, so that the build and its workers take turns (a small build would
    otherwise be done before its workers start, and its pieces would come back in order)."""
    forced = Forced()
    real_pool, real_range, real_read = (
        pipeline.worker_pool,
        pipeline._render_range,
        pipeline._read_spool,
    )

    def counting_pool(processes: int) -> Any:
        forced.pools.append(processes)
        return real_pool(processes)

    def slow_piece(start: int, end: int) -> pipeline.Rendered:
        if start > 0:  # not the first bundle, rendered before forking
            time.sleep(0.1)
        return real_range(start, end)

    def recording_read(spool: IO[bytes]) -> Iterator[tuple[int, pipeline.Rendered]]:
        for index, rendered in real_read(spool):
            forced.from_workers.append(index)
            yield index, rendered

    monkeypatch.setattr(pipeline, "PARALLEL_FROM", 2)
    monkeypatch.setattr(pipeline, "worker_pool", counting_pool)
    monkeypatch.setattr(pipeline, "_render_range", slow_piece)
    monkeypatch.setattr(pipeline, "_read_spool", recording_read)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: cpus)
    return forced


def test_parallel_render_equals_sequential_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequential, parallel, forced = _build_both_ways(tmp_path, monkeypatch, many_datasets(7))
    # 7 bundles: the first rendered before forking, the other 6 in pieces of 2 taken by the
    # build and 2 workers
    assert forced.pools == [2]
    assert forced.from_workers
    assert sequential.exit_code == parallel.exit_code == 0, parallel.stderr
    assert parallel.stdout == sequential.stdout
    assert parallel.stderr == sequential.stderr
    assert (tmp_path / "lock-2").read_bytes() == (tmp_path / "lock-1").read_bytes()
    assert parallel.stdout.count("\nkind: StatefulSet\n") == 14  # master and worker of each


def test_parallel_render_returns_the_planned_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inject's facts come from the planned values: forked workers send them back, in order."""
    from fluid_render.inject import facts_from_build
    from fluid_render.load import parse_documents
    from fluid_render.plan.ports import Lock, PortRange

    documents = parse_documents(many_datasets(7), "specs.yaml")

    def once() -> pipeline.Build:
        return pipeline.build(
            documents, lock=Lock(), lock_source="l", port_range=PortRange(20000, 25000)
        )

    sequential = once()
    forced = _force_workers(monkeypatch, cpus=4)
    parallel = once()
    assert forced.pools == [2]
    assert forced.from_workers
    # bundle order: team-0's datasets, then team-1's
    assert [v.name for _, v in parallel.planned] == ["d0", "d2", "d4", "d6", "d1", "d3", "d5"]
    assert parallel.planned == sequential.planned
    facts = facts_from_build(parallel.planned)
    assert facts == facts_from_build(sequential.planned)
    assert len(facts.datasets) == 7


def test_problems_from_workers_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planning error in the first bundle (rendered before forking) and in the last range:
    both reach the user, in order."""
    sequential, parallel, forced = _build_both_ways(
        tmp_path, monkeypatch, many_datasets(7, broken=True)
    )
    assert forced.pools == [2]
    assert forced.from_workers
    assert sequential.exit_code == parallel.exit_code == 1
    assert parallel.stdout == sequential.stdout == ""
    assert parallel.stderr == sequential.stderr
    lines = [line for line in parallel.stderr.splitlines() if "specs.yaml:" in line]
    assert len(lines) == 2, parallel.stderr
    assert "spec.fuse.imageTag: 'latest' is not a version" in lines[0]
    assert "spec.target[0].path: is not inside any mount of dataset d6" in lines[1]


# --- inject: the required-term merge ----------------------------------------------------------

FUSE_SPECS = """\
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: a, namespace: ml}
spec:
  mounts: [{mountPoint: "https://example.org/a/", name: a}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: a, namespace: ml}
spec:
  replicas: 1
  fuse: {nodeSelector: {fuse-a: "true"}}
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]
---
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {name: b, namespace: ml}
spec:
  mounts: [{mountPoint: "https://example.org/b/", name: b}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {name: b, namespace: ml}
spec:
  replicas: 1
  fuse: {nodeSelector: {zone: z1, fuse-b: "true"}}
  tieredstore:
    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]
"""


def _in(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": [value]}


AMD64, ARM64 = _in("kubernetes.io/arch", "amd64"), _in("kubernetes.io/arch", "arm64")
NODE_A = {"key": "metadata.name", "operator": "In", "values": ["node-a"]}
FUSE_A = [_in("fuse-a", "true")]
FUSE_B = [_in("fuse-b", "true"), _in("zone", "z1")]  # sorted by key: Go map order is random


def _required_after_inject(tmp_path: Path, terms: list[dict[str, Any]]) -> Any:
    """The required node selector terms of a pod mounting datasets a and b, after inject."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "specs.yaml").write_text(FUSE_SPECS, encoding="utf-8")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ml"},
        "spec": {
            "containers": [{"name": "app", "image": "busybox"}],
            "volumes": [{"name": n, "persistentVolumeClaim": {"claimName": n}} for n in "ab"],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}
                }
            },
        },
    }
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod), encoding="utf-8")
    specs, lock = str(tmp_path / "specs"), str(tmp_path / "lock")
    assert run("build", specs, "--lock", lock).exit_code == 0
    result = run("inject", str(tmp_path / "pod.yaml"), "--specs", specs, "--lock", lock)
    assert result.exit_code == 0, result.stderr
    affinity = yaml.safe_load(result.stdout)["spec"]["affinity"]["nodeAffinity"]
    return affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]


def test_require_node_with_fuse_ands_every_term_with_every_dataset(tmp_path: Path) -> None:
    """Upstream's InjectNodeSelectorTerms (pkg/utils/affinity.go): the required terms become
    every existing term ANDed with each dataset's FUSE term, existing terms first; a term
    without requirements selects nothing and goes. A term that already holds a dataset's
    requirement stays as it is (the same nodes as upstream's copies, and idempotent)."""
    terms = [
        {"matchExpressions": [AMD64]},
        {"matchExpressions": [ARM64], "matchFields": [NODE_A]},
        {},
        {"matchExpressions": [*FUSE_A, _in("disk", "ssd")]},
    ]
    assert _required_after_inject(tmp_path, terms) == [
        {"matchExpressions": [AMD64, *FUSE_A]},
        {"matchExpressions": [AMD64, *FUSE_B]},
        {"matchExpressions": [ARM64, *FUSE_A], "matchFields": [NODE_A]},
        {"matchExpressions": [ARM64, *FUSE_B], "matchFields": [NODE_A]},
        {"matchExpressions": [*FUSE_A, _in("disk", "ssd")]},
    ]


@pytest.mark.parametrize("terms", [[], [{}], [{}, {"matchExpressions": []}]])
def test_require_node_with_fuse_replaces_terms_without_requirements(
    tmp_path: Path, terms: list[dict[str, Any]]
) -> None:
    assert _required_after_inject(tmp_path, terms) == [
        {"matchExpressions": FUSE_A},
        {"matchExpressions": FUSE_B},
    ]


# --- planner rules that survived mutation ------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "binary", "text"),
    [
        (0, True, "0"),
        (1023, True, "1023"),
        (1024, True, "1Ki"),
        (-1024, True, "-1Ki"),
        (1025, True, "1025"),
        (3 * 1024**2, True, "3Mi"),
        (1024**3, True, "1Gi"),
        (1024**4, True, "1Ti"),
        (1024**5, True, "1Pi"),
        (1024**6, True, "1Ei"),
        (1024**7, True, "1024Ei"),
        (1536 * 1024, True, "1536Ki"),
        (1000, True, "1k"),  # below 1024 a binary amount takes the decimal suffixes
        (2000, True, "2000"),
        (1000, False, "1k"),
        (5 * 1000**2, False, "5M"),
        (1000**3, False, "1G"),
        (1000**4, False, "1T"),
        (1000**5, False, "1P"),
        (1000**6, False, "1E"),
        (1000**7, False, "1000E"),
        (1024, False, "1024"),
    ],
)
def test_canonical_quantities(amount: int, binary: bool, text: str) -> None:
    """resource.Quantity's canonical text (apimachinery pkg/api/resource/quantity.go)."""
    from fluid_render.plan.quantity import canonical

    assert canonical(amount, binary) == text


def test_tier_quotas_and_bytes() -> None:
    from fluid_render.plan.quantity import to_bytes
    from fluid_render.runtimes.alluxio.tieredstore import tier_quota

    assert [tier_quota(n) for n in (1000, 1024, 3 * 1024**3, 1023)] == ["1k", "1KB", "3GB", "1023"]
    assert [to_bytes(q) for q in ("2.5", "100m", "1.1Ki", "1Gi")] == [3, 1, 1127, 1024**3]


def _build(tmp_path: Path, specs: str) -> Any:
    (tmp_path / "specs.yaml").write_text(specs, encoding="utf-8")
    return run("build", str(tmp_path / "specs.yaml"), "--lock", str(tmp_path / "lock"))


def _dataset(namespace: str, name: str, runtime: str = "", dataset: str = "") -> str:
    return f"""\
apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  mounts: [{{mountPoint: "https://example.org/x/", name: x}}]{dataset}
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 1{runtime}
  tieredstore:
    levels: [{{mediumtype: MEM, path: /dev/shm, quota: 1Gi}}]
"""


@pytest.mark.parametrize("length", [62, 63])
def test_dataset_ids_keep_62_characters(tmp_path: Path, length: int) -> None:
    """`<namespace>-<name>` is a label value: kept up to 62 characters, else a prefix and hash."""
    namespace, name = "n" * 30, "m" * (length - 31)
    result = _build(tmp_path, _dataset(namespace, name))
    assert result.exit_code == 0, result.stderr
    ids = set(re.findall(r"fluid\.io/dataset-id: (\S+)", result.stdout))
    full = f"{namespace}-{name}"
    if length == 62:
        assert ids == {full}
    else:
        (fitted,) = ids
        assert re.fullmatch(re.escape(full[:51]) + r"-[0-9a-f]{10}", fitted), fitted


def test_two_masters_use_the_embedded_journal(tmp_path: Path) -> None:
    """Upstream's transform.go: more than one master means an embedded (Raft) journal."""
    result = _build(tmp_path, _dataset("ns", "ha", "\n  master: {replicas: 2}"))
    assert result.exit_code == 0, result.stderr
    assert set(re.findall(r"journal\.type=(\w+)", result.stdout)) == {"EMBEDDED"}


def test_placement_errors_for_every_group_in_node_order(tmp_path: Path) -> None:
    """A group that fits does not end the check, a dataset without `placement` is Exclusive,
    and the message names every member with its position."""

    def pinned(name: str, node: str, placement: str = "") -> str:
        runtime = f"\n  worker: {{nodeSelector: {{kubernetes.io/hostname: {node}}}}}"
        return _dataset("ns", name, runtime, f"\n  placement: {placement}" if placement else "")

    names = ["b1", "b2", "fits", "a1", "a2"]
    nodes = ["node-b", "node-b", "node-0", "node-a", "node-a"]
    placements = ["", "Exclusive", "", "Shared", ""]
    result = _build(tmp_path, "---\n".join(map(pinned, names, nodes, placements)))
    assert result.exit_code == 1
    problems = [line for line in result.stderr.splitlines() if "workers need" in line]
    text = (tmp_path / "specs.yaml").read_text(encoding="utf-8").splitlines()
    replicas = [n for n, line in enumerate(text, start=1) if line == "  replicas: 1"]
    at = {
        name: f"{tmp_path / 'specs.yaml'}:{line}:3"
        for name, line in zip(names, replicas, strict=True)
    }
    assert problems == [
        f"error: {at['b1']}: spec.replicas: workers need 2 nodes but can only run on 1 (node-b): "
        f"ns/b1 (Exclusive, 1 workers, {at['b1']}), ns/b2 (Exclusive, 1 workers, {at['b2']}). "
        "Exclusive workers take a node each and Shared ones cannot join them; "
        "add nodes or lower replicas",
        f"error: {at['a1']}: spec.replicas: workers need 2 nodes but can only run on 1 (node-a): "
        f"ns/a1 (Shared, 1 workers, {at['a1']}), ns/a2 (Exclusive, 1 workers, {at['a2']}). "
        "Exclusive workers take a node each and Shared ones cannot join them; "
        "add nodes or lower replicas",
    ]


TIERS = """\
  tieredstore:
    levels:
      - {mediumtype: HDD, path: /mnt/hdd/, quota: 10Gi}
      - mediumtype: SSD
        path: /mnt/a,/mnt/b
        quota: 4Gi
        volumeType: emptyDir
        volumeSource: {emptyDir: {medium: Memory}}
      - mediumtype: MEM
        path: /dev/shm
        quota: 1Gi
        volumeType: emptyDir
        volumeSource: {emptyDir: {}}
"""
ONE_TIER = "  tieredstore:\n    levels: [{mediumtype: MEM, path: /dev/shm, quota: 1Gi}]\n"


def test_tiers_are_numbered_by_medium_and_take_an_empty_dir_medium(tmp_path: Path) -> None:
    """Upstream's transform_tieredstore: levels ordered MEM, SSD, HDD whatever the spec order; a
    quota split over the paths; an emptyDir level's medium is its volumeSource's (none: empty)."""
    result = _build(tmp_path, _dataset("ns", "t").replace(ONE_TIER, TIERS))
    assert result.exit_code == 0, result.stderr
    settings = sorted(set(re.findall(r"-Dalluxio\.worker\.(tieredstore\.\S+)", result.stdout)))
    assert settings == [
        "tieredstore.level0.alias=MEM",
        "tieredstore.level0.dirs.mediumtype=",
        "tieredstore.level0.dirs.path=/dev/shm/ns/t",
        "tieredstore.level0.dirs.quota=1GB",
        "tieredstore.level1.alias=SSD",
        "tieredstore.level1.dirs.mediumtype=Memory,Memory",
        "tieredstore.level1.dirs.path=/mnt/a/ns/t,/mnt/b/ns/t",
        "tieredstore.level1.dirs.quota=2GB,2GB",
        "tieredstore.level2.alias=HDD",
        "tieredstore.level2.dirs.mediumtype=HDD",
        "tieredstore.level2.dirs.path=/mnt/hdd/ns/t",
        "tieredstore.level2.dirs.quota=10GB",
        "tieredstore.levels=3",
    ]


def test_a_medium_used_twice_is_an_error_at_each_level(tmp_path: Path) -> None:
    tiers = TIERS.replace("mediumtype: SSD", "mediumtype: HDD")
    result = _build(tmp_path, _dataset("ns", "t").replace(ONE_TIER, tiers))
    assert result.exit_code == 1
    where = tmp_path / "specs.yaml"
    assert result.stderr.splitlines() == [
        f"error: {where}:{line}: spec.tieredstore.levels[{index}].mediumtype: "
        "HDD is used by more than one level"
        for index, line in enumerate(["14:10", "15:9"])
    ]


def test_mount_volume_names_and_option_keys_are_positioned_errors(tmp_path: Path) -> None:
    """A claim or host volume name is a DNS label of at most 63 characters, reported at the
    field that holds it (`name` for local://, `mountPoint` for pvc://); option keys hold no
    white space, reported at the mount."""
    mounts = """\
  mounts:
    - {mountPoint: "local:///data", name: Bad_Name}
    - {mountPoint: "pvc://Bad/x", name: two}
    - {mountPoint: "pvc://A63/x", name: three}
    - {mountPoint: "pvc://B64", name: four}
    - {mountPoint: "https://example.org/x/", name: five, options: {"a b": c}}""".replace(
        "A63", "a" * 63
    ).replace("B64", "b" * 64)
    specs = _dataset("ns", "m").replace(
        '  mounts: [{mountPoint: "https://example.org/x/", name: x}]', mounts
    )
    result = _build(tmp_path, specs)
    assert result.exit_code == 1
    where = tmp_path / "specs.yaml"
    rule = "must be a valid volume name (lower-case letters, digits and '-', at most 63)"
    assert result.stderr.splitlines() == [
        f"error: {where}:6:37: spec.mounts[0].name: 'Bad_Name' {rule}",
        f"error: {where}:7:8: spec.mounts[1].mountPoint: 'Bad' {rule}",
        f"error: {where}:9:8: spec.mounts[3].mountPoint: '{'b' * 64}' {rule}",
        f"error: {where}:10:7: spec.mounts[4]: a b: white space is not allowed in keys",
    ]


# --- the template guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "value", "text"),
    [
        ("{{ v | q }}", "on", '"on"'),
        ("{{ v }}", True, "true"),
        ("{{ v }}", False, "false"),
        ("{{ v }}", 20000, "20000"),
        ("{{ v | q }}", None, "null"),
        ("k:{{ v | yaml(2) }}", {"a": "yes"}, 'k:\n  a: "yes"'),
    ],
)
def test_templates_print_only_quoted_text_numbers_and_booleans(
    template: str, value: Any, text: str
) -> None:
    from fluid_render.render import environment

    assert environment("charts/alluxio").from_string(template).render(v=value) == text


@pytest.mark.parametrize("value", ["on", "a: b", None, 1.5, ["x"], {"k": "v"}])
def test_templates_refuse_unquoted_values(value: Any) -> None:
    """`finalize` is the guarantee that no user text reaches the output unquoted."""
    from jinja2 import TemplateError

    from fluid_render.render import environment

    with pytest.raises(TemplateError, match=r"unquoted value .*: pass it through the `q` or"):
        environment("charts/alluxio").from_string("{{ v }}").render(v=value)


@pytest.mark.parametrize(
    ("selector", "terms", "problem"),
    [
        ("", [["n1"], ["n2"]], None),  # terms are ORed: n1 or n2 holds two workers
        ("n1", [["n1", "n2"]], "workers need 2 nodes but can only run on 1 (n1)"),
        ("n3", [["n1"]], "workers need 2 nodes but can only run on 0 (none)"),
    ],
)
def test_pinned_nodes_combine_selector_and_affinity_terms(
    tmp_path: Path, selector: str, terms: list[list[str]], problem: str | None
) -> None:
    """The nodes a worker may use: the union over required terms, cut by the nodeSelector."""
    node_selector = (
        f"\n  worker: {{nodeSelector: {{kubernetes.io/hostname: {selector}}}}}" if selector else ""
    )
    expressions = ", ".join(
        f"{{matchExpressions: [{{key: kubernetes.io/hostname, operator: In, values: {t}}}]}}"
        for t in terms
    ).replace("'", "")
    affinity = f"\n  nodeAffinity: {{required: {{nodeSelectorTerms: [{expressions}]}}}}"
    specs = _dataset("ns", "p", node_selector, affinity).replace("replicas: 1", "replicas: 2")
    result = _build(tmp_path, specs)
    if problem is None:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 1
        assert f"spec.replicas: {problem}: ns/p (Exclusive, 2 workers," in result.stderr


def test_mount_point_and_option_values_are_positioned_errors(tmp_path: Path) -> None:
    mounts = """\
  mounts:
    - {mountPoint: "https://example.org/a b/", name: one}
    - {mountPoint: "https://example.org/x/", name: two, options: {k: "a\\0b"}}"""
    root = """\
  mounts:
    - {mountPoint: "https://example.org/x/", path: /, options: {k: "a b"}}"""
    original = '  mounts: [{mountPoint: "https://example.org/x/", name: x}]'
    result = _build(tmp_path, _dataset("ns", "m").replace(original, mounts))
    where = tmp_path / "specs.yaml"
    assert result.stderr.splitlines() == [
        f"error: {where}:6:7: spec.mounts[0]: mountPoint: white space is not allowed",
        f"error: {where}:7:7: spec.mounts[1]: k: a NUL character is not allowed",
    ]
    result = _build(tmp_path, _dataset("ns", "m").replace(original, root))
    assert result.stderr.splitlines() == [
        f"error: {where}:6:7: spec.mounts[0]: k: the root mount's options become JVM options, "
        "which cannot hold white space; give the mount a name to mount it below /"
    ]


def test_parallel_render_in_small_pieces_without_the_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The build and its workers render pieces of CHUNK bundles, put back in order, on at most
    one process a core; `keep_values=False` sends no planned values back and renders the same
    manifests."""
    from fluid_render.load import parse_documents
    from fluid_render.plan.ports import Lock, PortRange

    documents = parse_documents(many_datasets(7), "specs.yaml")

    def once(keep_values: bool) -> pipeline.Build:
        return pipeline.build(
            documents,
            lock=Lock(),
            lock_source="l",
            port_range=PortRange(20000, 25000),
            keep_values=keep_values,
        )

    sequential = once(True)
    forced = _force_workers(monkeypatch, cpus=2)
    monkeypatch.setattr(pipeline, "CHUNK", 1)
    lean = once(False)
    assert forced.pools == [1]
    assert forced.from_workers
    assert list(lean.planned) == []
    assert lean.manifests == sequential.manifests
    assert len(sequential.planned) == 7


def test_no_temporary_folder_renders_on_one_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers hand their text back through temporary files; where none can be made, the build
    renders everything itself and prints the same bytes."""

    def no_temporary_file() -> Any:
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temporary_file)
    sequential, parallel, forced = _build_both_ways(tmp_path, monkeypatch, many_datasets(7))
    assert forced.pools == []
    assert parallel.exit_code == 0, parallel.stderr
    assert parallel.stdout == sequential.stdout


def test_init_users_opens_every_tier_path_of_the_spec(tmp_path: Path) -> None:
    """The worker's `chmod_tierpath` gets every path of the spec's levels, as written there
    (no `/<ns>/<name>` suffix, spec order, comma lists split), joined with `:` (upstream
    `pkg/ddc/alluxio/transform_init_users.go`)."""
    run_as = "\n  runAs: {uid: 1201, gid: 1201, user: u, group: g}"
    result = _build(tmp_path, _dataset("ns", "t", runtime=run_as).replace(ONE_TIER, TIERS))
    assert result.exit_code == 0, result.stderr
    worker = _object(list(yaml.safe_load_all(result.stdout)), "StatefulSet", "t-worker")
    [init] = worker["spec"]["template"]["spec"]["initContainers"]
    assert (init["name"], init["args"], init["env"]) == (
        "init-users",
        ["init_users", "chmod_tierpath"],
        [
            {"name": "FLUID_INIT_USERS", "value": "1201:u:1201,1201:g"},
            {"name": "FLUID_TIERSTORE_PATHS", "value": "/mnt/hdd/:/mnt/a:/mnt/b:/dev/shm"},
        ],
    )
