#!/usr/bin/env python3
"""Benchmark `fluid-render build -o` the way users run it: one real process per build.

Timing the pipeline in-process would hide what users actually wait for (interpreter start,
imports, writing the tree, the atomic swap), so every build here is a child process whose wall
time and own peak RSS (from os.wait4) are recorded. Standard library only.

    python bench/run.py [--sizes 1,10,100,1000] [--repeat 5] [--with-dataload]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"

# Targets are printed next to the numbers, never asserted: a slow machine must not fail CI.
TARGET_SECONDS = {1: 0.15, 1000: 2.0}
TARGET_RSS_MB = {1000: 200.0}

# The tool's default range (20000-25000) holds ~555 host-network runtimes of 9 ports each,
# too few for 1000 datasets; a user with that many runtimes has to widen it the same way.
DEFAULT_PORT_RANGE = "20000-40000"

OWNED_MARKER = ".fluid-render-owned"
KUSTOMIZATION = "kustomization.yaml"

NAMESPACES = ("data-team", "ml", "analytics", "research", "platform", "vision", "nlp")
# Uneven on purpose: real clusters have a few busy namespaces and some quiet ones.
NAMESPACE_WEIGHTS = (5, 8, 4, 3, 2, 3, 2)
HTTPS_SOURCES = (
    ("zookeeper", "https://archive.apache.org/dist/zookeeper/zookeeper-3.8.4/"),
    ("flink", "https://archive.apache.org/dist/flink/flink-1.17.2/"),
    ("spark", "https://archive.apache.org/dist/spark/spark-3.5.1/"),
    ("hadoop", "https://archive.apache.org/dist/hadoop/common/hadoop-3.3.6/"),
    ("kafka", "https://archive.apache.org/dist/kafka/3.7.0/"),
    ("hive", "https://archive.apache.org/dist/hive/hive-4.0.0/"),
    ("hbase", "https://archive.apache.org/dist/hbase/2.5.8/"),
    ("arrow", "https://archive.apache.org/dist/arrow/arrow-15.0.2/"),
)
S3_SOURCES = (
    ("laion", "s3://laion-mirror/subset-2b/"),
    ("imagenet", "s3://ml-datasets/imagenet/"),
    ("coco", "s3://ml-datasets/coco-2017/"),
    ("clickstream", "s3://analytics-raw/clickstream/"),
    ("logs", "s3://platform-logs/archive/"),
    ("wiki", "s3://nlp-corpora/wikipedia/"),
)
S3_REGIONS = ("eu-central-1", "us-east-1", "ap-southeast-1")
MEM_QUOTAS = ("512Mi", "1Gi", "2Gi", "4Gi", "8Gi")


# ---------------------------------------------------------------- spec generation


_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9_./:,-]*|\d+[KMGT]i(,\d+[KMGT]i)*")  # or "8Gi"
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value: Any) -> str:
    """Plain where YAML reads it back as the same string, JSON-quoted otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML like people write by hand; enough for the dicts/lists/scalars we make."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list):
                lines.append(f"{pad}{key}:")
                lines += to_yaml(item, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                inner = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[0][indent + 2 :]}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _https_mount(source: tuple[str, str], name: str) -> dict[str, Any]:
    return {"mountPoint": source[1], "name": name}


def _s3_mount(rng: random.Random, source: tuple[str, str], name: str) -> dict[str, Any]:
    region = rng.choice(S3_REGIONS)
    mount: dict[str, Any] = {"mountPoint": source[1], "name": name}
    if rng.random() < 0.5:
        mount["readOnly"] = True
    mount["options"] = {
        "alluxio.underfs.s3.endpoint": f"https://s3.{region}.amazonaws.com",
        "alluxio.underfs.s3.endpoint.region": region,
    }
    if rng.random() < 0.6:
        mount["encryptOptions"] = [
            {"name": key, "valueFrom": {"secretKeyRef": {"name": "s3-credentials", "key": key}}}
            for key in ("aws.accessKeyId", "aws.secretKey")
        ]
    return mount


def make_pair(index: int, seed: int, with_dataload: bool) -> tuple[str, str]:
    """One Dataset + AlluxioRuntime (+ DataLoad); seeded per index so N=10 is a prefix of N=100."""
    rng = random.Random(f"{seed}-{index}")
    namespace = rng.choices(NAMESPACES, NAMESPACE_WEIGHTS)[0]
    use_s3 = rng.random() < 0.4
    source = rng.choice(S3_SOURCES if use_s3 else HTTPS_SOURCES)
    name = f"{source[0]}-{index:04d}"
    mounts = [_s3_mount(rng, source, source[0]) if use_s3 else _https_mount(source, source[0])]
    if rng.random() < 0.25:  # a second web mount next to the main one
        extra = rng.choice([s for s in HTTPS_SOURCES if s[0] != source[0]])
        mounts.append(_https_mount(extra, extra[0]))
    dataset = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "Dataset",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"mounts": mounts},
    }

    mem_quota = rng.choice(MEM_QUOTAS)
    levels: list[dict[str, Any]] = [
        {
            "mediumtype": "MEM",
            "path": "/dev/shm",
            "quota": mem_quota,
            "high": rng.choice(("0.9", "0.95")),
            "low": rng.choice(("0.6", "0.7")),
        },
    ]
    if rng.random() < 0.3:  # MEM + SSD, the SSD tier spread over two disks
        levels.append(
            {
                "mediumtype": "SSD",
                "path": "/mnt/nvme0/fluid,/mnt/nvme1/fluid",
                "quotaList": rng.choice(("100Gi,50Gi", "200Gi,100Gi", "50Gi,50Gi")),
                "high": "0.95",
                "low": "0.8",
            }
        )
    spec: dict[str, Any] = {"replicas": rng.randint(1, 3)}
    if rng.random() < 0.05:  # HA master: embedded journal, two more host ports
        spec["master"] = {"replicas": 3}
    if rng.random() < 0.1:  # pod network: static ports, no lock entry
        spec.setdefault("master", {})["networkMode"] = "ContainerNetwork"
        spec["worker"] = {"networkMode": "ContainerNetwork"}
    if rng.random() < 0.4:
        spec.setdefault("worker", {})["resources"] = {
            "requests": {"cpu": rng.choice(("1", "2")), "memory": "4Gi"},
            "limits": {"memory": "32Gi"},
        }
    if rng.random() < 0.2:
        spec["fuse"] = {"nodeSelector": {"nvidia.com/gpu.present": "true"}}
    spec["tieredstore"] = {"levels": levels}
    runtime = {
        "apiVersion": "data.fluid.io/v1alpha1",
        "kind": "AlluxioRuntime",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
    docs = [dataset, runtime]
    if with_dataload:
        docs.append(
            {
                "apiVersion": "data.fluid.io/v1alpha1",
                "kind": "DataLoad",
                "metadata": {"name": f"{name}-warmup", "namespace": namespace},
                "spec": {"dataset": {"name": name}, "target": [{"path": f"/{source[0]}"}]},
            }
        )
    header = f"# Synthetic spec {index} written by bench/run.py (seed {seed}).\n"
    text = header + "---\n".join("\n".join(to_yaml(doc)) + "\n" for doc in docs)
    return f"{namespace}-{name}.yaml", text


def generate_specs(folder: Path, count: int, seed: int, with_dataload: bool) -> None:
    """One file per pair, as a GitOps repo with one dataset per file would hold them."""
    folder.mkdir(parents=True)
    for index in range(count):
        filename, text = make_pair(index, seed, with_dataload)
        (folder / filename).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- running builds


@dataclass
class Run:
    seconds: float
    maxrss_kb: int
    returncode: int
    stderr: str


def run_child(argv: Sequence[str], cwd: Path) -> Run:
    """Wall time and the child's own peak RSS; RUSAGE_CHILDREN would mix every earlier child."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, tell Popen
        err.seek(0)
        stderr = err.read()
    return Run(seconds, usage.ru_maxrss, proc.returncode, stderr)


@dataclass
class Tree:
    objects: int
    output_bytes: int
    kinds: dict[str, int]
    digest: str


_KIND_LINE = re.compile(r"^kind: *(\S+)", re.MULTILINE)


def inspect_tree(out: Path) -> Tree:
    """Count rendered objects (one per file, kustomizations aside), bytes and a content digest."""
    kinds: Counter[str] = Counter()
    total = 0
    digest = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        total += len(data)
        digest.update(path.relative_to(out).as_posix().encode() + b"\0" + data)
        if path.name in (KUSTOMIZATION, OWNED_MARKER):
            continue
        found = _KIND_LINE.search(data.decode("utf-8", "replace"))
        kinds[found.group(1) if found else "?"] += 1
    return Tree(sum(kinds.values()), total, dict(sorted(kinds.items())), digest.hexdigest())


class BuildFailedError(Exception):
    """A build exited non-zero: the numbers would be meaningless, so stop and show why."""


def build_argv(exe: str, specs: Path, out: Path, lock: Path, port_range: str) -> list[str]:
    return [
        exe,
        "build",
        str(specs),
        "-o",
        str(out),
        "--lock",
        str(lock),
        "--port-range",
        port_range,
    ]


def checked(run: Run, what: str) -> Run:
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines()
        shown = "\n".join(lines[:20]) + (
            f"\n... ({len(lines) - 20} more lines)" if len(lines) > 20 else ""
        )
        raise BuildFailedError(f"{what} exited {run.returncode}:\n{shown}")
    return run


# ---------------------------------------------------------------- one size


@dataclass
class Row:
    datasets: int
    mode: str  # "build": fresh output and lock; "rebuild": lock and previous tree present
    runs_s: list[float]
    rss_runs_mb: list[float]
    objects: int
    output_bytes: int
    kinds: dict[str, int]
    median_s: float = 0.0
    min_s: float = 0.0
    max_s: float = 0.0
    per_dataset_ms: float = 0.0
    peak_rss_mb: float = 0.0
    targets: list[str] = field(default_factory=list)
    status: str = "-"
    notes: list[str] = field(default_factory=list)

    def finish(self) -> None:
        """Summaries and the target verdict, computed once from the raw runs."""
        self.median_s = statistics.median(self.runs_s)
        self.min_s, self.max_s = min(self.runs_s), max(self.runs_s)
        self.per_dataset_ms = self.median_s / self.datasets * 1000
        self.peak_rss_mb = max(self.rss_runs_mb)
        verdicts = []
        if self.datasets in TARGET_SECONDS:
            limit = TARGET_SECONDS[self.datasets]
            self.targets.append(f"<= {limit:g} s")
            verdicts.append(self.median_s <= limit)
        if self.datasets in TARGET_RSS_MB:
            limit = TARGET_RSS_MB[self.datasets]
            self.targets.append(f"<= {limit:g} MB")
            verdicts.append(self.peak_rss_mb <= limit)
        if verdicts:
            self.status = "OK" if all(verdicts) else "OVER"


def rss_mb(kb: int) -> float:
    """ru_maxrss is KiB on Linux; report decimal MB to match the 200 MB target literally."""
    return kb * 1024 / 1e6


def bench_size(
    exe: str, work: Path, count: int, repeat: int, seed: int, with_dataload: bool, port_range: str
) -> list[Row]:
    """Warm up once (which also proves the inputs build), then R cold builds each followed by a
    rebuild over its own lock and tree."""
    specs = work / f"specs-{count}"
    generate_specs(specs, count, seed, with_dataload)

    warm = work / f"warmup-{count}"
    warm.mkdir()
    checked(
        run_child(
            build_argv(exe, specs, warm / "out", warm / "fluid-render.lock", port_range), warm
        ),
        f"warm-up build of {count} datasets",
    )

    cold = Row(count, "build", [], [], 0, 0, {})
    again = Row(count, "rebuild", [], [], 0, 0, {})
    for attempt in range(repeat):
        place = work / f"run-{count}-{attempt}"
        place.mkdir()
        out, lock = place / "out", place / "fluid-render.lock"
        argv = build_argv(exe, specs, out, lock, port_range)

        first = checked(run_child(argv, place), f"build {attempt + 1} of {count} datasets")
        cold.runs_s.append(first.seconds)
        cold.rss_runs_mb.append(rss_mb(first.maxrss_kb))
        tree = inspect_tree(out)
        lock_text = lock.read_text(encoding="utf-8") if lock.exists() else ""

        second = checked(run_child(argv, place), f"rebuild {attempt + 1} of {count} datasets")
        again.runs_s.append(second.seconds)
        again.rss_runs_mb.append(rss_mb(second.maxrss_kb))
        retree = inspect_tree(out)
        relock = lock.read_text(encoding="utf-8") if lock.exists() else ""

        for row, seen in ((cold, tree), (again, retree)):
            row.objects, row.output_bytes, row.kinds = seen.objects, seen.output_bytes, seen.kinds
        if retree.digest != tree.digest and "output differs" not in again.notes:
            again.notes.append("output differs from the first build")
        if relock != lock_text and "lock changed" not in again.notes:
            again.notes.append("lock changed")
    # Removed only now, all at once: see "Why nothing is removed while the cases run" in
    # bench/README.md.
    for leftover in (warm, *work.glob(f"run-{count}-*"), specs):
        shutil.rmtree(leftover)
    cold.finish()
    again.finish()
    return [cold, again]


# ---------------------------------------------------------------- DataLoad probe


def probe_dataloads(exe: str, work: Path, seed: int, port_range: str) -> dict[str, Any]:
    """Does today's build reject, ignore or render DataLoads?  Compared on the same 7 datasets
    with and without them, so the answer does not depend on what the objects will be called."""
    count = 7
    trees: dict[bool, Tree] = {}
    for with_dataload in (False, True):
        place = work / f"probe-{with_dataload}"
        specs = place / "specs"
        generate_specs(specs, count, seed, with_dataload)
        run = run_child(
            build_argv(exe, specs, place / "out", place / "fluid-render.lock", port_range), place
        )
        if run.returncode != 0:
            if not with_dataload:
                checked(run, "DataLoad probe without DataLoads")
            return {
                "status": "rejected",
                "returncode": run.returncode,
                "stderr": run.stderr.strip().splitlines()[:20],
            }
        trees[with_dataload] = inspect_tree(place / "out")
        shutil.rmtree(place)
    extra = trees[True].objects - trees[False].objects
    added = {
        k: v - trees[False].kinds.get(k, 0)
        for k, v in trees[True].kinds.items()
        if v != trees[False].kinds.get(k, 0)
    }
    return {
        "status": "rendered" if extra > 0 else "ignored",
        "dataloads": count,
        "extra_objects": extra,
        "extra_kinds": added,
    }


# ---------------------------------------------------------------- startup and import cost


def interpreter_of(exe: str) -> str:
    """The Python that runs the console script (its shebang), so imports are measured there."""
    try:
        with open(exe, "rb") as script:
            first = script.readline().decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first:
        parts = first[2:].split()
        if parts and Path(parts[0]).name == "env" and len(parts) > 1:
            return shutil.which(parts[1]) or sys.executable
        if parts:
            return parts[0]
    return sys.executable


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (.*)$")


def import_cost(python: str, rounds: int = 5) -> dict[str, Any]:
    """`-X importtime` of the CLI module: total, the packages the time goes to, and kubernetes."""
    totals: list[float] = []
    modules: list[str] = []
    per_package: Counter[str] = Counter()
    for _ in range(rounds + 1):  # the first round only warms the page cache
        done = subprocess.run(
            [python, "-X", "importtime", "-c", "import fluid_render.cli"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
        self_us = 0
        modules, per_package = [], Counter()
        for line in done.stderr.splitlines():
            found = _IMPORT_LINE.match(line)
            if not found:
                continue
            self_us += int(found.group(1))
            name = found.group(3).strip()
            modules.append(name)
            per_package[name.split(".")[0]] += int(found.group(1))
        totals.append(self_us / 1000)
    return {
        "total_ms": round(statistics.median(totals[1:]), 1),
        "runs_ms": [round(t, 1) for t in totals[1:]],
        "modules": len(modules),
        # Self time summed per top-level package (last round): where the import time goes.
        "heaviest_ms": {name: round(us / 1000, 1) for name, us in per_package.most_common(8)},
        "kubernetes_imported": any(
            m == "kubernetes" or m.startswith("kubernetes.") for m in modules
        ),
        "kubernetes_related": sorted({m for m in modules if m.startswith("kubernetes")}),
    }


def startup_floor(python: str, exe: str, work: Path, rounds: int = 5) -> dict[str, float]:
    """What no build can go below: a bare interpreter, and the CLI doing nothing (`--version`)."""
    result = {}
    for label, argv in (
        ("python_bare_s", [python, "-c", "pass"]),
        ("cli_version_s", [exe, "--version"]),
    ):
        runs = [run_child(argv, work).seconds for _ in range(rounds + 1)][1:]
        result[label] = round(statistics.median(runs), 4)
    return result


# ---------------------------------------------------------------- report


def human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{count} B"


def markdown_table(rows: Sequence[Row]) -> str:
    header = (
        "| datasets | run | median s | min-max s | ms / dataset | peak RSS MB | objects "
        "| output | target | status |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|\n"
    )
    body = ""
    for row in rows:
        status = row.status + "".join(f" ({note})" for note in row.notes)
        body += (
            f"| {row.datasets} | {row.mode} | {row.median_s:.3f} "
            f"| {row.min_s:.3f}-{row.max_s:.3f} | {row.per_dataset_ms:.1f} "
            f"| {row.peak_rss_mb:.1f} | {row.objects} | {human_bytes(row.output_bytes)} "
            f"| {', '.join(row.targets) or '-'} | {status} |\n"
        )
    return header + body


def find_fluid_render(given: str | None) -> str:
    """The script next to this interpreter first: that is the one installed with this venv."""
    if given:
        return given
    beside = Path(sys.executable).parent / "fluid-render"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("fluid-render")
    if not found:
        sys.exit("error: no fluid-render next to this Python or on PATH; pass --fluid-render")
    return found


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("expected numbers separated by commas") from None
    if not sizes or any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1, 10, 100, 1000],
        help="dataset counts to build (default 1,10,100,1000)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per size (default 5)")
    parser.add_argument("--with-dataload", action="store_true", help="add one DataLoad per dataset")
    parser.add_argument(
        "--fluid-render",
        dest="exe",
        metavar="PATH",
        help="the executable to measure (default: next to this Python, else PATH)",
    )
    parser.add_argument(
        "--port-range",
        default=DEFAULT_PORT_RANGE,
        help=f"passed to the build (default {DEFAULT_PORT_RANGE})",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where specs and outputs go (default: the system temp folder); the filesystem "
        "matters: creating ~11k files dominates 1000 datasets on a slow disk",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated specs")
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS_FILE,
        help="where to write the results (default bench/results/latest.json)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    exe = find_fluid_render(args.exe)
    python = interpreter_of(exe)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    report: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "fluid_render": {"path": exe, "python": python, "version": version.stdout.strip()},
        "settings": {
            "sizes": args.sizes,
            "repeat": args.repeat,
            "with_dataload": args.with_dataload,
            "port_range": args.port_range,
            "seed": args.seed,
            "workdir": str(args.workdir or tempfile.gettempdir()),
        },
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
    }
    print(
        f"# fluid-render build benchmark\n\n{version.stdout.strip()} at {exe}; "
        f"repeat {args.repeat}; port range {args.port_range}; "
        f"workdir {args.workdir or tempfile.gettempdir()}\n",
        flush=True,
    )

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="fluid-render-bench-", dir=args.workdir) as temp:
        work = Path(temp)
        try:
            if args.with_dataload:
                probe = probe_dataloads(exe, work, args.seed, args.port_range)
                report["dataload"] = probe
                if probe["status"] == "rejected":
                    print(
                        "--with-dataload: fluid-render rejects DataLoads today "
                        f"(exit {probe['returncode']}); nothing was measured:",
                        file=sys.stderr,
                    )
                    for line in probe["stderr"][:3]:
                        print(f"    {line}", file=sys.stderr)
                    if len(probe["stderr"]) > 3:
                        print(f"    ... ({len(probe['stderr']) - 3} more)", file=sys.stderr)
                    return 2
                if probe["status"] == "ignored":
                    print(
                        "NOTE --with-dataload: DataLoads are accepted (parsed and validated) "
                        "but nothing is rendered for them today; the timings include "
                        "reading them only.\n"
                    )
                else:
                    print(
                        f"DataLoads render {probe['extra_objects']} more objects for "
                        f"{probe['dataloads']} DataLoads: {probe['extra_kinds']}\n"
                    )
            report["startup"] = startup_floor(python, exe, work)
            for count in args.sizes:
                print(f"... {count} datasets", file=sys.stderr, flush=True)
                rows += bench_size(
                    exe, work, count, args.repeat, args.seed, args.with_dataload, args.port_range
                )
        except BuildFailedError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    cost = import_cost(python)
    report["import_cost"] = cost
    report["results"] = [asdict(row) for row in rows]
    table = markdown_table(rows)
    report["markdown"] = table

    print(table)
    floor = report["startup"]
    print(
        f"Startup floor: bare `python -c pass` {floor['python_bare_s']:.3f} s, "
        f"`fluid-render --version` {floor['cli_version_s']:.3f} s."
    )
    if "error" in cost:
        print(f"Import cost: could not measure ({cost['error']})")
    else:
        heaviest = ", ".join(f"{name} {ms:.0f}" for name, ms in cost["heaviest_ms"].items())
        kube = (
            "NOT imported"
            if not cost["kubernetes_imported"]
            else "IMPORTED (" + ", ".join(cost["kubernetes_related"]) + ")"
        )
        print(
            f"Import cost of `import fluid_render.cli`: {cost['total_ms']:.0f} ms "
            f"(median of {len(cost['runs_ms'])}, {cost['modules']} modules); self ms by "
            f"package: {heaviest}. kubernetes: {kube}."
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
