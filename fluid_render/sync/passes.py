"""One pass: observe the cluster, ask the masters, reconcile, send (or print) the patches."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from fluid_render.plan.nodelabels import PLAN_LABEL
from fluid_render.sync.client import ApiError
from fluid_render.sync.labels import Scope
from fluid_render.sync.logs import Streaks, event
from fluid_render.sync.master import MasterError, MasterReport
from fluid_render.sync.master_http import fetch_report
from fluid_render.sync.metrics import Metrics
from fluid_render.sync.observe import POD_SELECTOR, Snapshot, index, key_of, slim
from fluid_render.sync.plan import PlanError, parse_plan
from fluid_render.sync.reconcile import Patch, master_addresses, reconcile

CONFLICT_RETRIES = 5
MASTER_WORKERS = 16
PATCH_WORKERS = 8
PLAN_SELECTOR = f"{PLAN_LABEL}=sync"


class Api(Protocol):
    def list(
        self, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> tuple[list[dict[str, Any]], str]: ...

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]: ...

    def patch(self, kind: str, namespace: str, name: str, body: dict[str, Any]) -> None: ...


@dataclass
class PassResult:
    observed: bool = True
    patches: int = 0
    errors: int = 0


def _list_all(api: Api, kind: str, scope: Scope, selector: str | None) -> list[dict[str, Any]]:
    namespaces: list[str | None] = (
        [None] if scope.namespaces is None else [*sorted(scope.namespaces)]
    )
    items: list[dict[str, Any]] = []
    for namespace in namespaces:
        found = api.list(kind, namespace, selector)[0]
        items += found if kind == "ConfigMap" else [slim(kind, obj) for obj in found]
    return items


def observe(api: Api, scope: Scope, streaks: Streaks) -> Snapshot:
    """Every object one pass reads; raises ApiError when a list fails (the pass is skipped)."""
    snapshot = Snapshot()
    seen: set[tuple[str, str]] = set()
    for config_map in _list_all(api, "ConfigMap", scope, PLAN_SELECTOR):
        where = key_of(config_map)
        try:
            plan = parse_plan(config_map)
        except (PlanError, KeyError, TypeError) as error:
            streaks.failed(f"plan {where[0]}/{where[1]}", error)
            snapshot.plan_errors[where] = str(error)
            continue
        streaks.succeeded(f"plan {where[0]}/{where[1]}")
        if (plan.namespace, plan.name) in seen:
            streaks.failed(f"plan {where[0]}/{where[1]}", "a second plan names the same runtime")
            snapshot.plan_errors[where] = "a second plan names the same runtime"
            continue
        seen.add((plan.namespace, plan.name))
        snapshot.plans.append(plan)
    snapshot.nodes = [slim("Node", node) for node in api.list("Node")[0]]
    snapshot.pods = _list_all(api, "Pod", scope, POD_SELECTOR)
    for kind, attr in (
        ("StatefulSet", "statefulsets"),
        ("DaemonSet", "daemonsets"),
        ("Job", "jobs"),
        ("CronJob", "cronjobs"),
    ):
        setattr(snapshot, attr, index(_list_all(api, kind, scope, POD_SELECTOR)))
    for kind, attr in (
        ("Dataset", "datasets"),
        ("AlluxioRuntime", "runtimes"),
        ("DataLoad", "dataloads"),
        ("DataBackup", "databackups"),
    ):
        setattr(snapshot, attr, index(_list_all(api, kind, scope, None)))
    return snapshot


def ask_masters(
    snapshot: Snapshot, timeout: float, streaks: Streaks, metrics: Metrics
) -> dict[str, MasterReport]:
    """The report of every master whose pod is Ready; a silent master only loses cacheStates."""
    addresses = master_addresses(snapshot)

    def ask(item: tuple[str, tuple[str, int]]) -> tuple[str, MasterReport | MasterError]:
        key, (host, port) = item
        try:
            return key, fetch_report(host, port, timeout)
        except MasterError as error:
            return key, error

    reports: dict[str, MasterReport] = {}
    with ThreadPoolExecutor(max_workers=MASTER_WORKERS) as pool:
        for key, answer in pool.map(ask, sorted(addresses.items())):
            if isinstance(answer, MasterError):
                streaks.failed(f"master {key}", answer)
                metrics.count_error("master")
            else:
                streaks.succeeded(f"master {key}")
                reports[key] = answer
    return reports


def _send(api: Api, patch: Patch, streaks: Streaks, metrics: Metrics) -> bool:
    """Send one patch; on 409 re-read the object and recompute (a few times)."""
    current: Patch | None = patch
    for _ in range(CONFLICT_RETRIES):
        if current is None:
            return True
        try:
            api.patch(current.kind, current.namespace, current.name, current.body)
        except ApiError as error:
            if error.status == 409 and current.redo is not None:
                metrics.count_error("conflict")
                try:
                    fresh = api.get(current.kind, current.namespace, current.name)
                except ApiError as again:
                    error = again
                else:
                    current = current.redo(fresh)
                    continue
            if error.status == 404:
                return True  # deleted meanwhile: nothing left to report
            streaks.failed(f"patch {current.target}", error)
            metrics.count_error("api")
            return False
        streaks.succeeded(f"patch {current.target}")
        metrics.count_patch(current.kind)
        event(streaks.logger, logging.INFO, "patched", target=current.target)
        return True
    streaks.failed(f"patch {patch.target}", "conflicts kept coming")
    return False


def run_pass(
    api: Api,
    scope: Scope,
    *,
    dry_run: bool,
    master_timeout: float,
    streaks: Streaks,
    metrics: Metrics,
    emit: Callable[[str], None],
    clock: Callable[[], float] = time.time,
) -> PassResult:
    """Observe, reconcile and send; never raises for one object's failure."""
    result = PassResult()
    try:
        snapshot = observe(api, scope, streaks)
    except ApiError as error:
        streaks.failed("list", error)
        metrics.count_error("api")
        metrics.count_pass(False, clock())
        streaks.end_pass()
        return PassResult(observed=False, errors=1)
    streaks.succeeded("list")
    result.errors += len(snapshot.plan_errors)
    for _ in snapshot.plan_errors:
        metrics.count_error("plan")
    reports = ask_masters(snapshot, master_timeout, streaks, metrics)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))
    patches = reconcile(snapshot, reports, scope, now)
    if dry_run:
        for patch in patches:
            emit(json.dumps({"target": patch.target, "patch": patch.body}, sort_keys=True))
        result.patches += len(patches)
    else:
        # Node patches first (pods wait on labels), each batch on a few connections at once.
        for batch in (
            [p for p in patches if p.kind == "Node"],
            [p for p in patches if p.kind != "Node"],
        ):
            with ThreadPoolExecutor(max_workers=PATCH_WORKERS) as pool:
                sent = list(pool.map(lambda patch: _send(api, patch, streaks, metrics), batch))
            result.patches += sum(sent)
            result.errors += len(sent) - sum(sent)
    metrics.count_pass(result.errors == 0, clock())
    streaks.end_pass()
    return result
