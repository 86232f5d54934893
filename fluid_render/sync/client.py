"""The thin client layer: the only module that imports the official `kubernetes` client.

It is imported inside `connect`, so importing this module (or the `sync` command) costs nothing
and the build path never loads it. Everything here speaks plain dicts: lists, merge patches of
metadata or of the status subresource, watch streams and the Lease. No workload is ever
created, changed or deleted: the only writes are Node metadata patches, custom-object status
patches and the syncer's own Lease.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

MERGE_PATCH = "application/merge-patch+json"
PAGE = 500


class ApiError(Exception):
    """A failed request: `status` is the HTTP code, 0 when no answer came (network, timeout)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status


class ConnectError(Exception):
    """No usable cluster configuration (kubeconfig, context or in-cluster service account)."""


@dataclass(frozen=True)
class Resource:
    group_version: str
    plural: str
    namespaced: bool

    def path(
        self, namespace: str | None = None, name: str | None = None, sub: str | None = None
    ) -> str:
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name:
            base += f"/{quote(name, safe='')}"
        if sub:
            base += f"/{sub}"
        return base


FLUID = "data.fluid.io/v1alpha1"
RESOURCES: dict[str, Resource] = {
    "Node": Resource("v1", "nodes", False),
    "Pod": Resource("v1", "pods", True),
    "ConfigMap": Resource("v1", "configmaps", True),
    "StatefulSet": Resource("apps/v1", "statefulsets", True),
    "DaemonSet": Resource("apps/v1", "daemonsets", True),
    "Job": Resource("batch/v1", "jobs", True),
    "CronJob": Resource("batch/v1", "cronjobs", True),
    "Dataset": Resource(FLUID, "datasets", True),
    "AlluxioRuntime": Resource(FLUID, "alluxioruntimes", True),
    "DataLoad": Resource(FLUID, "dataloads", True),
    "DataBackup": Resource(FLUID, "databackups", True),
    "Lease": Resource("coordination.k8s.io/v1", "leases", True),
}


class Cluster:
    """Requests over one `kubernetes.client.ApiClient` (auth, TLS and proxies come from it)."""

    def __init__(self, api: Any, timeout: float) -> None:
        self._api = api
        self._timeout = timeout

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, str | int] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        from urllib3.exceptions import HTTPError

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = MERGE_PATCH if method == "PATCH" else "application/json"
        _, url, headers, body, _ = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            return self._api.call_api(
                method,
                url,
                header_params=headers,
                body=body,
                _request_timeout=timeout or self._timeout,
            )
        except (HTTPError, OSError) as error:
            raise ApiError(0, f"{method} {path}: {type(error).__name__}") from None

    def request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str | int] | None = None,
        body: Any = None,
    ) -> Any:
        """One request; the decoded JSON answer, or ApiError."""
        from urllib3.exceptions import HTTPError

        response = self._send(method, path, query, body)
        try:
            data = response.read()
        except (HTTPError, OSError) as error:
            raise ApiError(0, f"{method} {path}: {type(error).__name__}") from None
        if not 200 <= response.status < 300:
            raise ApiError(response.status, f"{method} {path}: {_message(data)}")
        try:
            return json.loads(data)
        except ValueError:
            raise ApiError(response.status, f"{method} {path}: answer is not JSON") from None

    def list(
        self, kind: str, namespace: str | None = None, selector: str | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        """Every object of a kind (pages of PAGE), and the list's resourceVersion."""
        resource = RESOURCES[kind]
        items: list[dict[str, Any]] = []
        query: dict[str, str | int] = {"limit": PAGE}
        if selector:
            query["labelSelector"] = selector
        while True:
            answer = self.request("GET", resource.path(namespace), query)
            items += answer.get("items") or []
            metadata = answer.get("metadata") or {}
            if not metadata.get("continue"):
                return items, str(metadata.get("resourceVersion") or "")
            query["continue"] = metadata["continue"]

    def version(self, kind: str, namespace: str | None, selector: str | None) -> str:
        """The current resourceVersion of a collection, where a watch can start."""
        query: dict[str, str | int] = {"limit": 1}
        if selector:
            query["labelSelector"] = selector
        answer = self.request("GET", RESOURCES[kind].path(namespace), query)
        return str((answer.get("metadata") or {}).get("resourceVersion") or "")

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", RESOURCES[kind].path(namespace, name))
        return result

    def patch(self, kind: str, namespace: str, name: str, body: Mapping[str, Any]) -> None:
        """A merge patch: of a Node's metadata, or of a custom object's status subresource."""
        sub = None if kind == "Node" else "status"
        self.request("PATCH", RESOURCES[kind].path(namespace, name, sub), body=body)

    def create(self, kind: str, namespace: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", RESOURCES[kind].path(namespace), body=body)
        return result

    def replace(
        self, kind: str, namespace: str, name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT", RESOURCES[kind].path(namespace, name), body=body
        )
        return result

    def watch(
        self, kind: str, namespace: str | None, selector: str | None, version: str, seconds: int
    ) -> Iterator[dict[str, Any]]:
        """The events of one watch request; ApiError(410) when the version is too old."""
        from urllib3.exceptions import HTTPError

        query: dict[str, str | int] = {
            "watch": "true",
            "resourceVersion": version,
            "timeoutSeconds": seconds,
            "allowWatchBookmarks": "true",
        }
        if selector:
            query["labelSelector"] = selector
        path = RESOURCES[kind].path(namespace)
        response = self._send("GET", path, query, timeout=seconds + self._timeout)
        if not 200 <= response.status < 300:
            raise ApiError(response.status, f"watch {path}: {_message(response.read())}")
        try:
            for line in response.response:
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    code = (event.get("object") or {}).get("code") or 500
                    raise ApiError(int(code), f"watch {path}: {event['object'].get('message', '')}")
                yield event
        except (HTTPError, OSError, ValueError) as error:
            raise ApiError(0, f"watch {path}: {type(error).__name__}") from None
        finally:
            response.response.release_conn()


def _message(data: bytes) -> str:
    try:
        status = json.loads(data)
    except ValueError:
        return data[:200].decode("utf-8", "replace")
    return (
        str(status.get("message") or status.get("reason") or "") if isinstance(status, dict) else ""
    )


def connect(kubeconfig: str | None, context: str | None, timeout: float) -> Cluster:
    """In-cluster configuration inside a pod, else the kubeconfig (and context) given."""
    from kubernetes import client, config

    try:
        if kubeconfig or context or "KUBERNETES_SERVICE_HOST" not in os.environ:
            api = config.new_client_from_config(config_file=kubeconfig, context=context)
        else:
            config.load_incluster_config()
            api = client.ApiClient()
    except (config.ConfigException, OSError, ValueError) as error:
        raise ConnectError(str(error)) from None
    return Cluster(api, timeout)
