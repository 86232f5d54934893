"""Prometheus metrics of the syncer in the text exposition format (a handful of series)."""

from __future__ import annotations

import threading
from collections import Counter


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.passes = 0
        self.patches: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.last_success = 0.0
        self.leader = False

    def count_pass(self, ok: bool, at: float) -> None:
        with self._lock:
            self.passes += 1
            if ok:
                self.last_success = at

    def count_patch(self, kind: str) -> None:
        with self._lock:
            self.patches[kind] += 1

    def count_error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP fluid_render_sync_passes_total Reconcile passes run.",
                "# TYPE fluid_render_sync_passes_total counter",
                f"fluid_render_sync_passes_total {self.passes}",
                "# HELP fluid_render_sync_patches_total Patches sent, by object kind.",
                "# TYPE fluid_render_sync_patches_total counter",
                *(
                    f'fluid_render_sync_patches_total{{kind="{kind}"}} {count}'
                    for kind, count in sorted(self.patches.items())
                ),
                "# HELP fluid_render_sync_errors_total Errors, by kind.",
                "# TYPE fluid_render_sync_errors_total counter",
                *(
                    f'fluid_render_sync_errors_total{{kind="{kind}"}} {count}'
                    for kind, count in sorted(self.errors.items())
                ),
                "# HELP fluid_render_sync_last_success_timestamp_seconds End of the last "
                "pass without errors.",
                "# TYPE fluid_render_sync_last_success_timestamp_seconds gauge",
                f"fluid_render_sync_last_success_timestamp_seconds {self.last_success}",
                "# HELP fluid_render_sync_leader 1 while this replica holds the Lease.",
                "# TYPE fluid_render_sync_leader gauge",
                f"fluid_render_sync_leader {int(self.leader)}",
            ]
        return "\n".join(lines) + "\n"
