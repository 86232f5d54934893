"""A fake Kubernetes API server for the syncer's tests: http.server on 127.0.0.1, one thread
per request, speaking the REST API for the resources the syncer uses.

It serves lists (label selectors, limit/continue pages), watch streams (JSON lines from a
resourceVersion; an ERROR event with code 410 once that version is compacted away), GET,
JSON merge patches (also under the strategic-merge content type: for the maps the syncer
patches they are the same) with `metadata.resourceVersion` preconditions, the status
subresource of custom objects, and POST/PUT for Leases. Faults are injected per request:
an HTTP status (500, 409, ...), a delay longer than the client's timeout, or a dropped
connection. It is a double, not a cluster: no admission, no defaulting, no controllers.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

# (group/version, plural) -> (kind, namespaced)
RESOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("v1", "nodes"): ("Node", False),
    ("v1", "pods"): ("Pod", True),
    ("v1", "configmaps"): ("ConfigMap", True),
    ("apps/v1", "statefulsets"): ("StatefulSet", True),
    ("apps/v1", "daemonsets"): ("DaemonSet", True),
    ("batch/v1", "jobs"): ("Job", True),
    ("batch/v1", "cronjobs"): ("CronJob", True),
    ("data.fluid.io/v1alpha1", "datasets"): ("Dataset", True),
    ("data.fluid.io/v1alpha1", "alluxioruntimes"): ("AlluxioRuntime", True),
    ("data.fluid.io/v1alpha1", "dataloads"): ("DataLoad", True),
    ("data.fluid.io/v1alpha1", "databackups"): ("DataBackup", True),
    ("coordination.k8s.io/v1", "leases"): ("Lease", True),
}
PLURAL = {kind: key for key, (kind, _) in RESOURCES.items()}
_PATH = re.compile(
    r"^/(?:api/(?P<core>v1)|apis/(?P<group>[^/]+/[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>[^/]+))?)?$"
)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    action: str  # "status", "delay", "drop"
    status: int
    times: int
    delay: float = 0.0


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def matches(labels: dict[str, str], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key) != value.lstrip("="):
                return False
        elif term not in labels:
            return False
    return True


class FakeKube:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.version = 1
        self.events: list[tuple[int, str, str, dict[str, Any]]] = []
        self.compacted = 0
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.log: list[tuple[str, str, str]] = []
        self.cond = threading.Condition()
        self.server: ThreadingHTTPServer | None = None
        self.stopped = False

    # ------------------------------------------------------------------ state
    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or overwrite an object (as a controller or kubectl would)."""
        with self.cond:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            _, namespaced = RESOURCES[PLURAL[obj["kind"]]]
            key = (obj["kind"], meta.get("namespace", "") if namespaced else "", meta["name"])
            if not namespaced:
                meta.pop("namespace", None)
            old = self.objects.get(key)
            meta.setdefault("uid", (old or {}).get("metadata", {}).get("uid") or str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
            self._store(key, obj, "MODIFIED" if old else "ADDED")
            return copy.deepcopy(obj)

    def delete(self, kind: str, namespace: str, name: str) -> None:
        with self.cond:
            obj = self.objects.pop((kind, namespace, name))
            self.version += 1
            self.events.append((self.version, kind, "DELETED", obj))
            self.cond.notify_all()

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        with self.cond:
            return copy.deepcopy(self.objects[(kind, namespace, name)])

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self.cond:
            return [copy.deepcopy(o) for (k, _, _), o in sorted(self.objects.items()) if k == kind]

    def _store(self, key: tuple[str, str, str], obj: dict[str, Any], kind_of_event: str) -> None:
        self.version += 1
        obj["metadata"]["resourceVersion"] = str(self.version)
        self.objects[key] = obj
        self.events.append((self.version, key[0], kind_of_event, copy.deepcopy(obj)))
        self.cond.notify_all()

    def expire_watches(self) -> None:
        """Compact the event log: every watch from an older version gets 410 Gone."""
        with self.cond:
            self.compacted = self.version
            self.events.clear()
            self.cond.notify_all()

    def fault(
        self,
        method: str,
        path: str,
        action: str = "status",
        status: int = 500,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        self.faults.append(Fault(method, re.compile(path), action, status, times, delay))

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if m not in ("GET",)]

    # ------------------------------------------------------------------ server
    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_PATCH(self) -> None:
                fake.handle(self, "PATCH")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

            def do_PUT(self) -> None:
                fake.handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def kubeconfig(self, folder: Path, url: str) -> Path:
        path = folder / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": url}}],
            "users": [{"name": "fake", "user": {"token": "fake-token"}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
            "current-context": "fake",
        }
        path.write_text(json.dumps(config))
        return path

    # ------------------------------------------------------------------ requests
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.cond:
            for fault in self.faults:
                if fault.times and fault.method == method and fault.path.search(path):
                    fault.times -= 1
                    return fault
        return None

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        with self.cond:
            self.requests.append((method, split.path))
            self.log.append((method, split.path, split.query))
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        fault = self._take_fault(method, handler.path)
        if fault is not None:
            if fault.action == "drop":
                handler.close_connection = True
                handler.connection.close()
                return
            if fault.action == "delay":
                time.sleep(fault.delay)
            else:
                return _status(handler, fault.status, "injected fault")
        match = _PATH.match(split.path)
        if not match:
            return _status(handler, 404, "no such path")
        group = match["core"] or match["group"]
        if (group, match["plural"]) not in RESOURCES:
            return _status(handler, 404, "no such resource")
        kind, namespaced = RESOURCES[(group, match["plural"])]
        namespace, name, sub = match["ns"] or "", match["name"], match["sub"]
        if method == "GET" and name is None and query.get("watch") in ("true", "1"):
            return self._watch(handler, kind, namespace, query)
        if method == "GET" and name is None:
            return self._list(handler, kind, namespace, query)
        if method == "POST":
            return self._create(handler, kind, namespace, body)
        key = (kind, namespace if namespaced else "", name or "")
        with self.cond:
            current = copy.deepcopy(self.objects.get(key))
            if current is None:
                return _status(handler, 404, f"{kind} {name} not found")
            if method == "GET":
                return _json(handler, 200, current)
            wanted = ((body or {}).get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                return _status(handler, 409, "the object has been modified")
            if method == "PUT":
                updated = copy.deepcopy(body)
                updated["metadata"]["uid"] = current["metadata"]["uid"]
            elif sub == "status":
                updated = {**current, "status": merge(current.get("status"), body.get("status"))}
            else:
                patch = {k: v for k, v in body.items() if k != "status" or kind == "Node"}
                patch.get("metadata", {}).pop("resourceVersion", None)
                updated = merge(current, patch)
            self._store(key, updated, "MODIFIED")
            return _json(handler, 200, updated)

    def _create(
        self, handler: BaseHTTPRequestHandler, kind: str, namespace: str, body: Any
    ) -> None:
        with self.cond:
            key = (kind, namespace, body["metadata"]["name"])
            if key in self.objects:
                return _status(handler, 409, "already exists")
            obj = copy.deepcopy(body)
            obj["metadata"]["uid"] = str(uuid.uuid4())
            self._store(key, obj, "ADDED")
            return _json(handler, 201, obj)

    def _selected(self, kind: str, namespace: str, selector: str, obj: dict[str, Any]) -> bool:
        meta = obj["metadata"]
        if namespace and meta.get("namespace") != namespace:
            return False
        return matches(meta.get("labels") or {}, selector)

    def _list(
        self, handler: BaseHTTPRequestHandler, kind: str, namespace: str, query: dict[str, str]
    ) -> None:
        selector = query.get("labelSelector", "")
        with self.cond:
            items = [
                copy.deepcopy(obj)
                for (k, _, _), obj in sorted(self.objects.items())
                if k == kind and self._selected(kind, namespace, selector, obj)
            ]
            version = str(self.version)
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(items) or 1
        page = items[start : start + limit]
        more = start + limit < len(items)
        metadata = {
            "resourceVersion": version,
            **({"continue": str(start + limit)} if more else {}),
        }
        _json(handler, 200, {"kind": f"{kind}List", "metadata": metadata, "items": page})

    def _watch(
        self, handler: BaseHTTPRequestHandler, kind: str, namespace: str, query: dict[str, str]
    ) -> None:
        since = int(query.get("resourceVersion") or 0)
        selector = query.get("labelSelector", "")
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or 30)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()

        def send(event: dict[str, Any]) -> None:
            handler.wfile.write(json.dumps(event).encode() + b"\n")
            handler.wfile.flush()

        try:
            while True:
                with self.cond:
                    if since < self.compacted:
                        gone = {
                            "kind": "Status",
                            "code": 410,
                            "reason": "Expired",
                            "message": "too old resource version",
                        }
                        send({"type": "ERROR", "object": gone})
                        return
                    pending = [
                        (v, t, o)
                        for v, k, t, o in self.events
                        if v > since and k == kind and self._selected(kind, namespace, selector, o)
                    ]
                    if not pending:
                        left = deadline - time.monotonic()
                        if left <= 0 or self.stopped:
                            return
                        self.cond.wait(min(left, 0.2))
                        continue
                for version, change, obj in pending:
                    send({"type": change, "object": obj})
                    since = version
        except (BrokenPipeError, ConnectionResetError):
            return


def _json(handler: BaseHTTPRequestHandler, code: int, obj: Any) -> None:
    body = json.dumps(obj).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _status(handler: BaseHTTPRequestHandler, code: int, message: str) -> None:
    _json(
        handler,
        code,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": message,
            "code": code,
        },
    )
