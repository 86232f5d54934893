"""Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection does.

A replica holds the Lease while it renews it; another takes it over when the record has not
changed for `leaseDurationSeconds` by its own clock (never by comparing clocks across
machines). On SIGTERM the holder releases it so the standby takes over at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from fluid_render.sync.client import ApiError


class LeaseApi(Protocol):
    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]: ...

    def create(self, kind: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]: ...

    def replace(
        self, kind: str, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]: ...


def micro_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Elector:
    def __init__(
        self,
        api: LeaseApi,
        namespace: str,
        name: str,
        identity: str,
        duration: int,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._api, self._namespace, self._name = api, namespace, name
        self.identity, self._duration = identity, duration
        self._monotonic, self._wall = monotonic, wall
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0

    def _spec(self, transitions: int, acquired: str | None) -> dict[str, Any]:
        now = micro_time(self._wall())
        return {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self._duration,
            "acquireTime": acquired or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    def try_acquire(self) -> bool:
        """Acquire or renew; True while this replica is the leader. Raises ApiError."""
        try:
            lease = self._api.get("Lease", self._namespace, self._name)
        except ApiError as error:
            if error.status != 404:
                raise
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self._name, "namespace": self._namespace},
                "spec": self._spec(0, None),
            }
            try:
                self._api.create("Lease", self._namespace, body)
            except ApiError as again:
                if again.status == 409:
                    return False
                raise
            return True
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseDurationSeconds"))
        if record != self._observed:
            self._observed, self._observed_at = record, self._monotonic()
        duration = spec.get("leaseDurationSeconds") or self._duration
        expired = self._monotonic() - self._observed_at > duration
        if holder and holder != self.identity and not expired:
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (holder != self.identity)
        acquired = spec.get("acquireTime") if holder == self.identity else None
        lease["spec"] = self._spec(transitions, acquired)
        try:
            self._api.replace("Lease", self._namespace, self._name, lease)
        except ApiError as error:
            if error.status == 409:
                return False
            raise
        return True

    def release(self) -> None:
        """Give the Lease up (only if still held), so the standby need not wait for expiry."""
        lease = self._api.get("Lease", self._namespace, self._name)
        spec = lease.get("spec") or {}
        if spec.get("holderIdentity") != self.identity:
            return
        lease["spec"] = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1}
        self._api.replace("Lease", self._namespace, self._name, lease)
