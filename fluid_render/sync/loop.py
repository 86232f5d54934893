"""The long-running syncer: watches that wake it, a jittered periodic resync, backoff on
errors, leader election, and a clean exit on SIGTERM (the current pass finishes first).

Level-triggered: a watch event only says "look again"; every pass lists everything it needs,
so a missed or expired watch (410 Gone: take a new resourceVersion) or a restart loses nothing.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fluid_render.sync.client import ApiError
from fluid_render.sync.labels import Scope
from fluid_render.sync.lease import Elector, LeaseApi
from fluid_render.sync.logs import Streaks, event
from fluid_render.sync.metrics import Metrics
from fluid_render.sync.observe import POD_SELECTOR
from fluid_render.sync.passes import PLAN_SELECTOR, Api, PassResult, run_pass
from fluid_render.sync.server import serve

WATCHED: tuple[tuple[str, str | None], ...] = (
    ("ConfigMap", PLAN_SELECTOR),
    ("Pod", POD_SELECTOR),
    ("StatefulSet", POD_SELECTOR),
    ("DaemonSet", POD_SELECTOR),
    ("Job", POD_SELECTOR),
    ("CronJob", POD_SELECTOR),
    ("Dataset", None),
    ("AlluxioRuntime", None),
    ("DataLoad", None),
    ("DataBackup", None),
)
WATCH_SECONDS = 300
DEBOUNCE = 1.0
BACKOFF_BASE, BACKOFF_MAX = 1.0, 300.0


class ClusterApi(Api, LeaseApi, Protocol):
    def version(self, kind: str, namespace: str | None, selector: str | None) -> str: ...

    def watch(
        self, kind: str, namespace: str | None, selector: str | None, version: str, seconds: int
    ) -> Any: ...


@dataclass(frozen=True)
class Options:
    scope: Scope
    dry_run: bool
    resync: float
    jitter: float
    master_timeout: float
    health_port: int
    lease_namespace: str
    lease_name: str
    lease_duration: int
    identity: str


def backoff(failures: int) -> float:
    """Exponential backoff with full jitter, capped (never a tight retry loop)."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_MAX, BACKOFF_BASE * 2.0 ** min(failures, 16))


class Loop:
    def __init__(
        self,
        api: ClusterApi,
        options: Options,
        logger: logging.Logger,
        metrics: Metrics,
        emit: Callable[[str], None],
    ) -> None:
        self.api, self.options, self.metrics, self.emit = api, options, metrics, emit
        self.streaks = Streaks(logger)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.heartbeat = time.monotonic()
        self.api_ok = False
        self.elector = (
            None
            if options.dry_run
            else Elector(
                api,
                options.lease_namespace,
                options.lease_name,
                options.identity,
                options.lease_duration,
            )
        )

    def shutdown(self) -> None:
        """Ask the loop to stop after the current pass (the SIGTERM handler calls this)."""
        self.stop.set()
        self.wake.set()

    def one_pass(self) -> PassResult:
        result = run_pass(
            self.api,
            self.options.scope,
            dry_run=self.options.dry_run,
            master_timeout=self.options.master_timeout,
            streaks=self.streaks,
            metrics=self.metrics,
            emit=self.emit,
        )
        self.api_ok = result.observed
        event(
            self.streaks.logger, logging.INFO, "pass", patches=result.patches, errors=result.errors
        )
        return result

    def _watch(self, kind: str, selector: str | None) -> None:
        chosen = self.options.scope.namespaces
        namespaces: list[str | None] = [None] if chosen is None else [*sorted(chosen)]
        threads = [
            threading.Thread(
                target=self._watch_one, args=(kind, ns, selector), name=f"watch-{kind}", daemon=True
            )
            for ns in namespaces
        ]
        for thread in threads:
            thread.start()

    def _watch_one(self, kind: str, namespace: str | None, selector: str | None) -> None:
        version, failures = "", 0
        key = f"watch {kind}" + (f" in {namespace}" if namespace else "")
        while not self.stop.is_set():
            try:
                if not version:
                    version = self.api.version(kind, namespace, selector)
                for change in self.api.watch(kind, namespace, selector, version, WATCH_SECONDS):
                    version = (
                        (change.get("object") or {})
                        .get("metadata", {})
                        .get("resourceVersion", version)
                    )
                    if change.get("type") != "BOOKMARK":
                        self.wake.set()
                    if self.stop.is_set():
                        return
                failures = 0
                self.streaks.succeeded(key)
            except ApiError as error:
                if self.stop.is_set():
                    return
                if error.status == 410:  # expired: start again from a fresh list version
                    version = ""
                    self.wake.set()
                    continue
                failures += 1
                self.streaks.failed(key, error)
                self.metrics.count_error("watch")
                self.stop.wait(backoff(failures))

    def _lead(self) -> bool:
        if self.elector is None:
            return True
        try:
            leader = self.elector.try_acquire()
        except ApiError as error:
            self.streaks.failed("lease", error)
            self.metrics.count_error("api")
            leader = False
        else:
            self.streaks.succeeded("lease")
            self.api_ok = True
        if leader != self.metrics.leader:
            event(
                self.streaks.logger,
                logging.INFO,
                "leader" if leader else "standby",
                identity=self.options.identity,
            )
        self.metrics.leader = leader
        return leader

    def healthy(self) -> bool:
        """The loop ticked recently; a pass over a large cluster may take minutes."""
        return time.monotonic() - self.heartbeat < max(300.0, 3 * self.options.resync)

    def _elect_forever(self) -> None:
        """Renew (or try to take) the Lease every third of its duration, also during a long
        pass, so a busy leader never looks silent to the standby."""
        renew = self.options.lease_duration / 3
        while not self.stop.is_set():
            was = self.metrics.leader
            if self._lead() and not was:
                self.wake.set()  # just became the leader: pass at once
            self.stop.wait(renew)

    def run(self) -> int:
        """Run until shutdown(); returns the exit code (0)."""
        server = (
            serve(self.options.health_port, self.metrics, self.healthy, lambda: self.api_ok)
            if self.options.health_port
            else None
        )
        for kind, selector in WATCHED:
            self._watch(kind, selector)
        elector = None
        if self.elector is not None:
            elector = threading.Thread(target=self._elect_forever, name="lease", daemon=True)
            elector.start()
        renew = self.options.lease_duration / 3
        failures, next_pass = 0, 0.0
        try:
            while not self.stop.is_set():
                self.heartbeat = time.monotonic()
                leading = self.elector is None or self.metrics.leader
                due = self.heartbeat >= next_pass or (failures == 0 and self.wake.is_set())
                if leading and due:
                    self.wake.clear()
                    result = self.one_pass()
                    failures = failures + 1 if result.errors else 0
                    spread = random.uniform(-self.options.jitter, self.options.jitter)
                    delay = backoff(failures) if failures else self.options.resync * (1 + spread)
                    next_pass = time.monotonic() + delay
                if failures:
                    self.wake.clear()  # backing off: the next pass lists everything anyway
                wait = max(0.0, next_pass - time.monotonic()) if leading else renew
                self.wake.wait(wait)
                if self.wake.is_set() and not self.stop.is_set():
                    self.stop.wait(DEBOUNCE)
        finally:
            if elector is not None:
                elector.join()
            self._release()
            if server is not None:
                server.shutdown()
        event(self.streaks.logger, logging.INFO, "stopped")
        return 0

    def _release(self) -> None:
        if self.elector is None or not self.metrics.leader:
            return
        try:
            self.elector.release()
        except ApiError as error:
            self.streaks.failed("lease", error)
