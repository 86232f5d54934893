#!/usr/bin/env python3
"""The six cases of issue 11 and the libraries' import floor, each beside its reference
measured in the same run, paired.

The machine's speed drifts (shared cores), so every case alternates with its
reference, A B A B ..., and the ratio is taken pair by pair; the table quotes medians. Every
figure is a whole process timed from outside (wall clock around fork and `os.wait4`, peak RSS
from the child's own rusage). Standard library only, plus the pinned helm in `.tools/bin`.

    python bench/targets.py [--repeat 5] [--datasets 1000] [--helm-loop 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import find_fluid_render, generate_specs, run_child

ROOT = Path(__file__).resolve().parent.parent
HELM = ROOT / ".tools" / "bin" / "helm"
PORTS = "20000-40000"  # 1000 host-network runtimes need more than the default range
LIBRARIES = "import click, yaml, jinja2.sandbox; from pydantic import BaseModel, Field"
"""What every build imports from its libraries (the one-dataset build's floor)."""


@dataclass
class Case:
    name: str
    target: str
    reference: str
    seconds: list[float]
    reference_seconds: list[float]
    peak_mb: float
    ratios: list[float]
    ratio_target: float | None = None

    def row(self) -> str:
        median = statistics.median(self.seconds)
        ref = statistics.median(self.reference_seconds)
        ratio = statistics.median(self.ratios)
        return (
            f"| {self.name} | {median:.3f} | {self.peak_mb:.0f} | {self.target} | "
            f"{self.reference} | {ref:.3f} | {ratio:.2f}x |"
        )


Argv = Sequence[str] | Callable[[], Sequence[str]]
"""A command, or what gives each run its own (a new output folder every time)."""
Command = tuple[Argv, Callable[[], None] | None]
"""A command and what runs before it, untimed."""
Planned = tuple[str, str, str, Command, Callable[[], float]]
"""A case: name, target, reference's name, its command, timed reference."""


def timed(argv: Argv, cwd: Path, prepare: Callable[[], None] | None = None) -> tuple[float, float]:
    """One run: (seconds, peak MB); `prepare` runs first, untimed."""
    if prepare is not None:
        prepare()
    if callable(argv):
        argv = argv()
    run = run_child(argv, cwd)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{run.stderr}")
    return run.seconds, run.maxrss_kb * 1024 / 1e6


def paired(
    repeat: int,
    case: Command,
    reference: Callable[[], float],
    cwd: Path,
) -> tuple[list[float], list[float], float, list[float]]:
    """A, B, A, B ... after one warm-up of each; the ratios pair by pair."""
    argv, prepare = case
    timed(argv, cwd, prepare)
    reference()
    seconds, refs, peaks = [], [], []
    for _ in range(repeat):
        took, peak = timed(argv, cwd, prepare)
        seconds.append(took)
        peaks.append(peak)
        refs.append(reference())
    return seconds, refs, max(peaks), [a / b for a, b in zip(seconds, refs, strict=True)]


def helm_loop(chart: Path, count: int, cwd: Path) -> float:
    """Seconds per dataset of a sequential `helm template` loop (the upstream way: one
    release per dataset), measured over `count` calls."""
    total = 0.0
    for index in range(count):
        argv = [str(HELM), "template", f"ds{index}", str(chart), "--namespace", f"ns{index % 7}"]
        total += timed(argv, cwd)[0]
    return total / count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--helm-loop", type=int, default=20, help="helm calls per reference")
    parser.add_argument("--fluid-render", dest="exe")
    parser.add_argument("--only", default="", help="measure the cases whose name has this")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "targets.json")
    args = parser.parse_args(argv)
    if not HELM.exists():
        raise SystemExit(f"{HELM} is missing: run scripts/install-k8s-tools.sh")
    exe = find_fluid_render(args.exe)
    python = sys.executable
    # An installed fluid-render runs from cached bytecode; with this set, every timed process
    # would compile our modules again (about 0.15 s here) and measure the compiler instead.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        work = Path(folder)
        cases = measure(exe, python, work, args.datasets, args.repeat, args.helm_loop, args.only)
    print("| case | median s | peak MB | target | reference | reference median s | ratio |")
    print("|---|---:|---:|---|---|---:|---:|")
    for case in cases:
        print(case.row())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([case.__dict__ for case in cases], indent=1) + "\n")
    return 0


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def measure(
    exe: str, python: str, work: Path, count: int, repeat: int, loop: int, only: str = ""
) -> list[Case]:
    """Every case of the issue's table (those whose name contains `only`), with references."""
    saved = os.environ.get("XDG_CACHE_HOME")
    one, many = work / "one", work / "many"
    generate_specs(one, 1, 0, False)
    generate_specs(many, count, 0, False)
    lock, out, fresh = work / "many.lock", work / "out", work / "fresh"
    build = [exe, "build", str(many), "--lock", str(lock), "--port-range", PORTS]
    subprocess.run([*build, "-o", str(out)], check=True, stdout=subprocess.DEVNULL)
    chart = work / "chart"
    subprocess.run(
        [
            exe,
            "build",
            str(one),
            "--lock",
            str(work / "one.lock"),
            "--format",
            "helm",
            "-o",
            str(chart),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    chart_folder = next(p.parent for p in chart.rglob("Chart.yaml"))
    bare = lambda: timed([python, "-c", "pass"], work)[0]  # noqa: E731
    per_dataset = lambda: helm_loop(chart_folder, loop, work) * count  # noqa: E731
    helm_name = f"helm template loop x{count} (from {loop} calls)"
    edited = sorted(many.iterdir())[0]
    original = edited.read_text()

    def edit_one() -> None:
        """A different replica count each run, so every timed build has one dataset to redo."""
        flip = "replicas: 7" if "replicas: 7" not in edited.read_text() else "replicas: 6"
        edited.write_text(_with_replicas(original, flip))

    # Every fresh tree and every copy goes to a folder of its own, none removed before the run
    # ends: see "Why nothing is removed while the cases run" in bench/README.md.
    fresh.mkdir()
    made = itertools.count()

    def copy_tree() -> float:
        return timed(["cp", "-r", str(out), str(fresh / f"copy-{next(made)}")], work)[0]

    def into_new_folder() -> Sequence[str]:
        return [*build, "-o", str(fresh / f"build-{next(made)}")]

    def forget() -> None:
        """An empty user cache, as on a CI runner: no memo of the last build, no compiled
        templates; the per-dataset fingerprints in the tree decide."""
        cache = work / "empty-cache"
        shutil.rmtree(cache, ignore_errors=True)
        os.environ["XDG_CACHE_HOME"] = str(cache)

    plan: list[Planned] = [
        (
            "`fluid-render --version`",
            "<= 0.08 s",
            "bare interpreter",
            ([exe, "--version"], None),
            bare,
        ),
        (
            "floor: importing click, PyYAML, Jinja2 and pydantic, nothing else",
            "(what a build cannot go below)",
            "bare interpreter",
            ([python, "-c", LIBRARIES], None),
            bare,
        ),
        (
            "build, 1 dataset, stdout",
            "<= 0.15 s",
            "bare interpreter",
            ([exe, "build", str(one), "--lock", str(work / "one.lock")], None),
            bare,
        ),
        (f"build, {count}, stdout", "<= 1.0 s, <= 120 MB", helm_name, (build, None), per_dataset),
        (
            f"build -o, {count}, nothing changed",
            "<= 0.8 s",
            helm_name,
            ([*build, "-o", str(out)], None),
            per_dataset,
        ),
        (
            f"build -o, {count}, nothing changed, empty user cache",
            "<= 0.8 s",
            helm_name,
            ([*build, "-o", str(out)], forget),
            per_dataset,
        ),
        (
            f"build -o, {count}, one dataset edited",
            "<= 1.2 s",
            helm_name,
            ([*build, "-o", str(out)], edit_one),
            per_dataset,
        ),
        (
            f"build -o, {count}, fresh folder",
            "<= 1.3x `cp -r`",
            "`cp -r` of the same tree",
            (into_new_folder, None),
            copy_tree,
        ),
    ]
    cases = []
    for name, target, reference, case, measure_reference in plan:
        if only and only not in name:
            continue
        seconds, refs, peak, ratios = paired(repeat, case, measure_reference, work)
        _restore("XDG_CACHE_HOME", saved)
        cases.append(Case(name, target, reference, seconds, refs, peak, ratios))
        print(f"measured: {cases[-1].row()}", file=sys.stderr)
    edited.write_text(original)
    return cases


def _with_replicas(text: str, replicas: str) -> str:
    """The spec with its runtime's first `replicas:` line set (the runtime follows the dataset)."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.lstrip().startswith("replicas:"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[index] = f"{indent}{replicas}\n"
            break
    return "".join(lines)


if __name__ == "__main__":
    sys.exit(main())
