"""The GitOps loop: `check` as a CI gate, `diff` per object, waves and namespaces of copied
documents."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from fluid_render.emit import OWNED, read_owned

from .conftest import read_tree, run
from .test_cli import POD, pair


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A GitOps repository: specs, lock and a built output folder."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(pair("alpha"))
    result = run(*_args(tmp_path, "build"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    return tmp_path


def _args(repo: Path, command: str) -> list[str]:
    return [command, str(repo / "specs"), "--lock", str(repo / "fluid-render.lock")]


def check(repo: Path, *extra: str) -> tuple[int, str, str]:
    result = run(*_args(repo, "check"), "-o", str(repo / "out"), *extra)
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_on_a_fresh_build_and_writes_nothing(repo: Path) -> None:
    before = read_tree(repo)
    assert check(repo, "--frozen-lock") == (0, "", "")
    assert read_tree(repo) == before


def test_check_summarises_added_removed_and_changed_files(repo: Path) -> None:
    (repo / "specs" / "a.yaml").write_text(pair("alpha").replace("replicas: 1", "replicas: 3"))
    (repo / "specs" / "b.yaml").write_text(pair("beta", "other"))
    worker = repo / "out" / "default" / "alpha" / "statefulset-alpha-worker.yaml"
    before = read_tree(repo)
    code, out, err = check(repo)
    assert (code, out) == (1, "")
    assert read_tree(repo) == before
    assert f"{repo / 'fluid-render.lock'}: out of date" in err
    assert "is out of date: 13 added, 3 changed" in err
    assert "  changed  default/alpha/statefulset-alpha-worker.yaml" in err
    assert "      -  replicas: 1\n      +  replicas: 3" in err
    assert "  added    other/beta/dataset-beta.yaml" in err
    worker.unlink()
    (repo / "specs" / "b.yaml").unlink()
    (repo / "specs" / "a.yaml").write_text(pair("alpha"))
    code, _, err = check(repo)
    assert code == 1 and "1 added" in err and "lock" not in err.split("\n")[0]


def test_check_reports_removed_files_and_ignores_the_users_own(repo: Path) -> None:
    (repo / "out" / "README.md").write_text("mine\n")
    assert check(repo)[0] == 0
    (repo / "specs" / "b.yaml").write_text(pair("beta"))
    assert run(*_args(repo, "build"), "-o", str(repo / "out")).exit_code == 0
    (repo / "specs" / "b.yaml").unlink()
    code, _, err = check(repo)
    assert code == 1 and "removed" in err and "default/beta/dataset-beta.yaml" in err


def test_a_committed_file_that_is_not_utf8_is_a_change_not_a_crash(repo: Path) -> None:
    """An editor that saved a manifest as Latin-1: check and diff report it as changed."""
    worker = repo / "out" / "default" / "alpha" / "statefulset-alpha-worker.yaml"
    worker.write_bytes(worker.read_bytes().replace(b"replicas: 1", b"replicas: 1 # caf\xe9"))
    code, _, err = check(repo)
    assert code == 1 and "  changed  default/alpha/statefulset-alpha-worker.yaml" in err
    assert "internal error" not in err
    result = run(*_args(repo, "diff"), "-o", str(repo / "out"))
    assert result.exit_code == 0 and "replicas: 1 # caf\ufffd" in result.stdout


def test_diff_never_prints_a_file_from_outside_the_folder(repo: Path) -> None:
    """A committed link to a folder elsewhere, and a record line naming a file below it with
    its real hash: `diff` would have printed that file as removed (a key, in a public log)."""
    secret = repo / "elsewhere" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("TOP-SECRET-KEY\n")
    (repo / "out" / "keys").symlink_to(secret.parent)
    (repo / "out" / "default" / "alpha" / "folder.yaml").mkdir()
    owned = repo / "out" / OWNED
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    lines = f"{digest}  keys/id_rsa\n{'0' * 64}  default/alpha/folder.yaml\n"
    owned.write_text(owned.read_text() + lines)
    result = run(*_args(repo, "diff"), "-o", str(repo / "out"))
    assert result.exit_code == 0, result.stderr
    assert "TOP-SECRET-KEY" not in result.stdout + result.stderr
    err = check(repo)[2]
    assert "TOP-SECRET-KEY" not in err and "internal error" not in err


def test_check_reports_another_version_as_such(repo: Path) -> None:
    owned = repo / "out" / OWNED
    owned.write_text(owned.read_text().replace("fluid-render 0.1.0:", "fluid-render 0.0.9:"))
    assert read_owned(repo / "out").version == "0.0.9"
    code, _, err = check(repo)
    assert code == 1
    assert "written by fluid-render 0.0.9, this is fluid-render 0.1.0" in err
    assert "changed" not in err
    paths = [line.split()[1] for line in owned.read_text().splitlines()[1:]]
    owned.write_text("".join(f"{path}\n" for path in paths))  # the old format: bare paths
    assert read_owned(repo / "out").version is None
    assert "written by an older fluid-render" in check(repo)[2]


def test_check_of_a_missing_folder_lists_everything_as_added(repo: Path) -> None:
    shutil.rmtree(repo / "out")
    code, _, err = check(repo)
    assert code == 1 and "14 added" in err and not (repo / "out").exists()


def test_check_of_broken_specs_is_a_positioned_error(repo: Path) -> None:
    (repo / "specs" / "a.yaml").write_text(pair("alpha").replace("replicas: 1", "replicaz: 1"))
    code, out, err = check(repo)
    assert (code, out) == (1, "")
    assert "a.yaml:11:3: spec.replicaz: unknown field" in err


def test_diff_per_object_says_when_a_change_waits_for_a_restart(repo: Path) -> None:
    text = pair("alpha").replace("replicas: 1", "replicas: 1\n  fuse:\n    args: [fuse, -oro]")
    (repo / "specs" / "a.yaml").write_text(text.replace("replicas: 1", "replicas: 2"))
    before = read_tree(repo)
    result = run(*_args(repo, "diff"), "-o", str(repo / "out"))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out  # no colour off a terminal
    assert (
        "=== StatefulSet default/alpha-worker (default/alpha/statefulset-alpha-worker.yaml, "
        "changed): applies live (pod template unchanged)\n--- a/default/alpha/" in out
    )
    assert "-  replicas: 1\n+  replicas: 2\n" in out
    assert (
        "=== DaemonSet default/alpha-fuse (default/alpha/daemonset-alpha-fuse.yaml, changed): "
        "waits for a pod restart (updateStrategy OnDelete" in out
    )
    assert read_tree(repo) == before  # nothing was written, not even the lock
    assert run(*_args(repo, "build"), "-o", str(repo / "out")).exit_code == 0
    assert run(*_args(repo, "diff"), "-o", str(repo / "out")).stdout == ""


def test_diff_needs_a_folder_or_revisions(repo: Path) -> None:
    assert run(*_args(repo, "diff")).exit_code == 2
    bad = run(*_args(repo, "diff"), "--rev", "..HEAD")
    assert bad.exit_code == 2 and "REV..REV" in bad.stderr


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_diff_between_two_revisions(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git missing")
    _git(repo, "init", "-q")
    _git(repo, "add", "specs", "fluid-render.lock")
    _git(repo, "commit", "-qm", "one")
    (repo / "specs" / "a.yaml").write_text(pair("alpha").replace("replicas: 1", "replicas: 4"))
    _git(repo, "commit", "-qam", "two")
    (repo / "specs" / "b.yaml").write_text(pair("beta"))  # not committed: the working tree
    monkeypatch.chdir(repo)
    args = ["diff", "specs", "--lock", "fluid-render.lock", "--rev"]
    committed = run(*args, "HEAD~1..HEAD")
    assert committed.exit_code == 0, committed.stderr
    assert "+  replicas: 4" in committed.stdout and "beta" not in committed.stdout
    working = run(*args, "HEAD~1..")
    assert "=== Dataset default/beta (default/beta/dataset-beta.yaml, added)" in working.stdout
    assert read_tree(repo / "specs")["a.yaml"].count("replicas: 4") == 1
    unknown = run(*args, "nope..HEAD")
    assert unknown.exit_code == 1 and unknown.stdout == "" and "nope" in unknown.stderr
    outside = run("diff", str(repo.parent), "--lock", "fluid-render.lock", "--rev", "HEAD..")
    assert outside.exit_code == 1 and "outside the repository" in outside.stderr


def test_a_hand_edited_ownership_record_cannot_reach_outside(repo: Path) -> None:
    secret = repo / "outside.txt"
    secret.write_text("not for stdout\n")
    owned = repo / "out" / OWNED
    owned.write_text(owned.read_text() + f"{'0' * 64}  ../outside.txt\n{'0' * 64}  {secret}\n")
    (repo / "out" / "link.yaml").symlink_to(secret)
    owned.write_text(owned.read_text() + f"{'0' * 64}  link.yaml\n")
    result = run(*_args(repo, "diff"), "-o", str(repo / "out"))
    # A record that names a path outside the folder is refused, and nothing of it is read.
    assert result.exit_code == 1 and "not a line fluid-render writes" in result.stderr
    assert "not for stdout" not in result.stdout + result.stderr


NAMESPACED = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n"
CLUSTER = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n"


def test_copied_documents_go_where_their_scope_says(repo: Path) -> None:
    (repo / "specs" / "cm.yaml").write_text(NAMESPACED)
    (repo / "specs" / "sc.yaml").write_text(CLUSTER)
    out = repo / "tree"
    args = [*_args(repo, "build"), "--passthrough", "-n", "team", "-o", str(out)]
    assert run(*args).exit_code == 0
    files = read_tree(out)
    assert files["team/configmap-plain.yaml"] == NAMESPACED
    assert files["_cluster/storageclass-fast.yaml"] == CLUSTER
    assert "_cluster/configmap-plain.yaml" not in files


def test_copied_pods_of_a_dataset_wait_for_its_claim(repo: Path) -> None:
    (repo / "specs" / "pod.yaml").write_text(POD.format(labels=""))
    other = POD.format(labels="").replace("claimName: alpha", "claimName: unrelated")
    (repo / "specs" / "other.yaml").write_text(other.replace("name: reader ", "name: lone "))
    for extra in ([], ["--inject"]):
        result = run(*_args(repo, "build"), "--passthrough", *extra)
        assert result.exit_code == 0, result.stderr
        docs = {
            d["metadata"]["name"]: d for d in yaml.safe_load_all(result.stdout) if d is not None
        }
        pod, claim = docs["reader"], docs["alpha"]
        assert claim["kind"] == "PersistentVolumeClaim"
        claim_wave = int(claim["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
        assert int(pod["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > claim_wave
        assert "annotations" not in docs["lone"]["metadata"]
        assert "# keep this comment" in result.stdout


def test_a_later_wave_of_the_user_is_kept(repo: Path) -> None:
    pod = POD.format(labels="").replace(
        "metadata:\n", 'metadata:\n  annotations: {argocd.argoproj.io/sync-wave: "9"}\n', 1
    )
    (repo / "specs" / "pod.yaml").write_text(pod)
    result = run(*_args(repo, "build"), "--passthrough")
    assert f"---\n{pod}" in result.stdout


def test_shell_completion_script_and_candidates() -> None:
    from click.testing import CliRunner

    from fluid_render.cli import main

    runner = CliRunner()
    script = runner.invoke(
        main, [], prog_name="fluid-render", env={"_FLUID_RENDER_COMPLETE": "bash_source"}
    )
    assert "_fluid_render_completion()" in script.output
    env = {
        "_FLUID_RENDER_COMPLETE": "bash_complete",
        "COMP_WORDS": "fluid-render ch",
        "COMP_CWORD": "1",
    }
    done = runner.invoke(main, [], prog_name="fluid-render", env=env)
    assert "plain,check" in done.output


def test_diff_is_coloured_only_when_asked() -> None:
    from fluid_render.compare import Change, unified_diff

    change = Change("a.yaml", "x: 1\n", "x: 2\n")
    assert "\x1b[31m-x: 1\x1b[0m" in unified_diff([change], colour=True)
    assert unified_diff([change], colour=False).endswith("-x: 1\n+x: 2\n")


def test_emit_and_inject_agree_on_the_namespace_of_a_document_without_one(repo: Path) -> None:
    team = pair("alpha", "team")
    (repo / "specs" / "a.yaml").write_text(team)
    pod = POD.format(labels="").replace("  namespace: default\n", "")
    (repo / "specs" / "pod.yaml").write_text(pod)
    out = repo / "team-tree"
    args = [*_args(repo, "build"), "--passthrough", "--inject", "-n", "team", "-o", str(out)]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    injected = (out / "team" / "pod-reader.yaml").read_text()
    assert "fluid.io/datasets-in-use: alpha" in injected  # injected as a pod of team
    assert "argocd.argoproj.io/sync-wave" in injected
