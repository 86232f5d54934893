"""The command as users run it: outputs, the lock file, exit codes and error reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fluid_render.emit import OWNED, incremental, staging

from .conftest import ROOT, read_tree, run

QUICKSTART = str(ROOT / "examples" / "quickstart")


def pair(name: str, namespace: str = "default", extra: str = "") -> str:
    return f"""apiVersion: data.fluid.io/v1alpha1
kind: Dataset
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  mounts: [{{mountPoint: "https://example.org/{name}/", name: {name}}}]
---
apiVersion: data.fluid.io/v1alpha1
kind: AlluxioRuntime
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 1
{extra}"""


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "a.yaml").write_text(pair("alpha"))
    (folder / "b.yaml").write_text(pair("beta", "other"))
    return folder


def build(specs: Path, *extra: str) -> tuple[int, str, str]:
    lock = specs.parent / "fluid-render.lock"
    result = run("build", str(specs), "--lock", str(lock), *extra)
    return result.exit_code, result.stdout, result.stderr


def test_stream_to_stdout(specs: Path) -> None:
    code, out, err = build(specs)
    assert (code, err) == (0, "")
    assert out.startswith("---\napiVersion: data.fluid.io/v1alpha1\nkind: Dataset\n")
    assert out.count("\n---\n") + 1 == 2 * 11


def test_stdin(specs: Path) -> None:
    result = run("build", "-", "--lock", str(specs.parent / "l"), stdin=pair("gamma"))
    assert result.exit_code == 0 and "name: gamma-master" in result.stdout


def test_lock_keeps_ports_when_datasets_come_and_go(specs: Path) -> None:
    lock = specs.parent / "fluid-render.lock"
    build(specs)
    first = lock.read_text()
    assert "default/alpha:" in first and "master.rpc: 20000" in first
    (specs / "c.yaml").write_text(pair("aardvark"))  # sorts first, must not take alpha's ports
    (specs / "b.yaml").unlink()
    assert build(specs)[0] == 0
    second = lock.read_text()
    alpha = first.split("default/alpha:")[1].split("\n  other/")[0]
    assert alpha in second and "other/beta" not in second
    aardvark = second.split("default/aardvark:")[1].split("\n  default/alpha:")[0]
    assert "master.rpc: 20009" in aardvark  # the ports beta gave up, not alpha's


def test_frozen_lock_fails_instead_of_changing(specs: Path) -> None:
    code, out, err = build(specs, "--frozen-lock")
    assert code == 1 and out == "" and "out of date" in err
    assert not (specs.parent / "fluid-render.lock").exists()
    build(specs)
    assert build(specs, "--frozen-lock")[0] == 0


def test_fixed_ports_are_kept_and_clashes_reported(specs: Path) -> None:
    (specs / "c.yaml").write_text(pair("gamma", extra="  master:\n    ports: {rpc: 21000}\n"))
    assert build(specs)[0] == 0
    lock = (specs.parent / "fluid-render.lock").read_text()
    assert "21000" not in lock  # a fixed port is the user's, not the lock's
    (specs / "c.yaml").write_text(pair("gamma", extra="  master:\n    ports: {rpc: 20000}\n"))
    code, _, err = build(specs)
    assert code == 1
    lock_file = specs.parent / "fluid-render.lock"
    assert err == (
        f"error: {lock_file}:1:1: default/alpha: port 20000 is also used by "
        "AlluxioRuntime default/gamma (spec.master.ports.rpc)\n"
    )


def test_exhausted_range_is_an_error_and_its_last_port_is_used(specs: Path) -> None:
    """Two runtimes take 9 host ports each: 18 ports are enough, both ends included."""
    code, _, err = build(specs, "--port-range", "20000-20016")
    assert code == 1
    assert err == (
        f"error: {specs / 'b.yaml'}:9:12: metadata.name: no free host port left in "
        "20000-20016 for jobWorker.data; widen it with --port-range\n"
    )
    assert build(specs, "--port-range", "20000-20017")[0] == 0
    assert "jobWorker.data: 20017" in (specs.parent / "fluid-render.lock").read_text()


def test_malformed_lock_is_an_error_not_regenerated(specs: Path) -> None:
    lock = specs.parent / "fluid-render.lock"
    lock.write_text("version: 1\nruntimes:\n  default/alpha:\n    master.rpc: many\n")
    code, _, err = build(specs)
    assert code == 1 and "fluid-render.lock:4:5: runtimes.default/alpha.master.rpc:" in err
    assert "many" in lock.read_text()


def test_errors_are_positioned_sorted_and_touch_nothing(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(specs, "-o", str(out))[0] == 0
    before, lock_before = read_tree(out), (specs.parent / "fluid-render.lock").read_text()
    (specs / "z.yaml").write_text(pair("bad", extra="  replicaz: 2\n  master: {replicas: 0}\n"))
    (specs / "y.yaml").write_text("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\n")
    code, stdout, err = build(specs, "-o", str(out))
    assert code == 1 and stdout == ""
    lines = err.splitlines()
    assert lines == sorted(lines)
    assert any(
        line.endswith(
            "y.yaml:1:1: kind: 'Deployment' is not a Fluid kind; use "
            "--passthrough to copy it to the output unchanged"
        )
        for line in lines
    )
    assert any("z.yaml:12:3: spec.replicaz: unknown field" in line for line in lines)
    assert any("z.yaml:13:12: spec.master.replicas: must be at least 1" in line for line in lines)
    assert read_tree(out) == before
    assert (specs.parent / "fluid-render.lock").read_text() == lock_before


def test_orphans_and_duplicates_name_both_places(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "a.yaml").write_text(pair("alpha"))
    (folder / "b.yaml").write_text(pair("alpha").split("---\n")[0])
    (folder / "c.yaml").write_text(pair("lonely").split("---\n")[1])
    code, _, err = build(folder)
    assert code == 1
    assert "b.yaml:3:12: metadata.name: duplicate Dataset default/alpha, also defined by " in err
    assert "a.yaml:3:12)" in err
    assert "c.yaml:3:12: metadata.name: AlluxioRuntime default/lonely has no Dataset" in err


def test_a_runtime_and_a_dataset_without_partner_are_both_named(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "r.yaml").write_text(pair("lonely").split("---\n")[1])
    (folder / "d.yaml").write_text(pair("alone", "other").split("---\n")[0])
    code, _, err = build(folder)
    assert code == 1
    assert [line.split("/s/", 1)[1] for line in err.splitlines() if "has no" in line] == [
        "d.yaml:3:12: metadata.name: Dataset other/alone has no AlluxioRuntime of the same "
        "namespace and name",
        "r.yaml:3:12: metadata.name: AlluxioRuntime default/lonely has no Dataset of the same "
        "namespace and name to bind to",
    ]


def test_tree_replaces_what_it_owns_and_keeps_the_rest(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(specs, "-o", str(out))[0] == 0
    assert (out / "other" / "beta" / "statefulset-beta-worker.yaml").exists()
    (out / "README.md").write_text("mine")
    (out / "other" / "notes.yaml").write_text("mine: too\n")
    (specs / "b.yaml").unlink()
    assert build(specs, "-o", str(out))[0] == 0
    assert not (out / "other" / "beta").exists()
    assert (out / "README.md").read_text() == "mine"
    assert (out / "other" / "notes.yaml").read_text() == "mine: too\n"
    owned = (out / OWNED).read_text().split()
    assert "default/alpha/kustomization.yaml" in owned and "README.md" not in owned
    assert (out / "kustomization.yaml").read_text().endswith("resources:\n  - default\n")


def test_a_file_the_tool_did_not_write_is_never_overwritten(specs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "kustomization.yaml").write_text("mine\n")
    code, _, err = build(specs, "-o", str(out))
    assert code == 1 and "not written by fluid-render" in err
    assert (out / "kustomization.yaml").read_text() == "mine\n"


def test_zero_objects_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    result = run("build", str(tmp_path / "empty.yaml"), "--lock", str(tmp_path / "l"))
    assert result.exit_code == 1 and "render no objects" in result.stderr


def test_passthrough_copies_documents_unchanged(specs: Path, tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: ConfigMap   # keep me\nmetadata:\n  name: s\n  namespace: other\n"
    (specs / "extra.yaml").write_text(text)
    code, out, _ = build(specs, "--passthrough")
    assert code == 0 and f"---\n{text}" in out
    assert build(specs, "--passthrough", "-o", str(tmp_path / "o"))[0] == 0
    assert (tmp_path / "o" / "other" / "configmap-s.yaml").read_text() == text


def test_secrets_are_never_copied_into_git(specs: Path) -> None:
    (specs / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s3-keys}\nstringData: {key: hunter2}\n"
    )
    code, out, err = build(specs, "--passthrough")
    assert (code, out) == (1, "")
    assert "secret.yaml:2:1: kind: a Secret is not copied into the output" in err
    assert "hunter2" not in err


def test_usage_errors_exit_2(specs: Path) -> None:
    assert build(specs, "--port-range", "9-1")[0] == 2
    assert run("build").exit_code == 2


def test_validate_flag(specs: Path) -> None:
    code, out, err = build(specs, "--validate")
    assert (code, err) == (0, "") and out


def test_quickstart_example_is_current() -> None:
    lock = str(ROOT / "examples" / "quickstart" / "fluid-render.lock")
    result = run("build", QUICKSTART, "--lock", lock, "--frozen-lock")
    assert result.exit_code == 0, result.stderr


def test_an_interrupted_write_leaves_the_previous_tree(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert build(specs, "-o", str(out))[0] == 0
    before = read_tree(out)
    (specs / "c.yaml").write_text(pair("gamma"))
    written = []
    original = staging._write

    def fail_after_three(*args: Any) -> None:
        written.append(args)
        if len(written) > 3:
            raise OSError(28, "No space left on device", args[0])
        original(*args)

    monkeypatch.setattr(staging, "_write", fail_after_three)
    monkeypatch.setattr(incremental, "IN_PLACE_SHARE", 0.0)  # stage a whole new tree
    result = run("build", str(specs), "-o", str(out), "--lock", str(specs.parent / "l2"))
    monkeypatch.undo()
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert read_tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_validate_without_its_extra_says_how_to_install(
    specs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    import fluid_render.check as check

    check._kubernetes_validator.cache_clear()
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)  # as if not installed
    code, out, err = build(specs, "--validate")
    check._kubernetes_validator.cache_clear()
    assert (code, out) == (2, "")
    assert "pip install 'fluid-render[validate]'" in err


def test_validate_reports_invalid_objects(monkeypatch: pytest.MonkeyPatch, specs: Path) -> None:
    """The check itself can fail: a rendered object with an unknown field is reported."""
    import fluid_render.render as render

    original = render.render_group

    def broken(group: object) -> list[render.Manifest]:
        manifests = original(group)  # type: ignore[arg-type]
        first = manifests[-1]
        bad = first.text.replace("spec:\n", "spec:\n  replicaz: 1\n", 1)
        return [*manifests[:-1], first._replace(text=bad)]

    monkeypatch.setattr("fluid_render.pipeline.render_group", broken)
    code, out, err = build(specs, "--validate")
    assert code == 1 and out == ""
    assert "PersistentVolumeClaim/default/alpha: spec: Additional properties" in err


POD = """apiVersion: v1
kind: Pod
metadata:
  name: reader  # keep this comment
  namespace: default
  labels: {{{labels}}}
spec:
  containers:
    - name: reader
      image: busybox:1.36
      volumeMounts:
        - {{name: data, mountPath: /data}}
  volumes:
    - name: data
      persistentVolumeClaim: {{claimName: alpha}}
"""


def test_build_injects_copied_pods(specs: Path) -> None:
    (specs / "pod.yaml").write_text(POD.format(labels=""))
    code, out, err = build(specs, "--passthrough", "--inject")
    assert (code, err) == (0, "")
    copied = out.split("---\n")[1]
    assert "# keep this comment" in copied
    assert "fluid.io/datasets-in-use: alpha" in copied
    assert "mountPropagation: HostToContainer" in copied
    assert build(specs, "--inject")[0] == 2  # --inject needs --passthrough


def test_injected_sidecars_opt_out_of_flux_substitution(specs: Path) -> None:
    (specs / "pod.yaml").write_text(POD.format(labels='serverless.fluid.io/inject: "true"'))
    code, out, err = build(specs, "--passthrough", "--inject")
    assert (code, err) == (0, "")
    copied = yaml.safe_load(out.split("---\n")[1])
    assert "${ALLUXIO_CLIENT_HOSTNAME}" in str(copied["spec"]["containers"])
    assert copied["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/substitute"] == "disabled"
