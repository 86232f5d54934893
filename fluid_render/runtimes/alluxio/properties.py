"""Alluxio site properties with upstream's precedence: forced values, user keys, defaults
(upstream `transform.go`, `transformCommonPart`; `transform_optimization.go`)."""

from __future__ import annotations

from collections.abc import Mapping

_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("alluxio.fuse.jnifuse.enabled", "true"),
    ("alluxio.fuse.jnifuse.libfuse.version", "3"),
    ("alluxio.master.metastore", "ROCKS"),
    ("alluxio.user.update.file.accesstime.disabled", "true"),
    ("alluxio.user.client.cache.enabled", "false"),
    ("alluxio.master.metastore.inode.cache.max.size", "10000000"),
    ("alluxio.master.journal.log.size.bytes.max", "500MB"),
    ("alluxio.master.metadata.sync.concurrency.level", "128"),
    ("alluxio.master.metadata.sync.executor.pool.size", "128"),
    ("alluxio.master.metadata.sync.ufs.prefetch.pool.size", "128"),
    ("alluxio.user.block.worker.client.pool.min", "512"),
    ("alluxio.fuse.debug.enabled", "false"),
    ("alluxio.user.ufs.block.read.location.policy", "alluxio.client.block.policy.LocalFirstPolicy"),
    (
        "alluxio.user.block.write.location.policy.class",
        "alluxio.client.block.policy.LocalFirstAvoidEvictionPolicy",
    ),
    ("alluxio.worker.allocator.class", "alluxio.worker.block.allocator.MaxFreeAllocator"),
    ("alluxio.user.metrics.collection.enabled", "true"),
    ("alluxio.master.rpc.executor.max.pool.size", "1024"),
    ("alluxio.master.rpc.executor.core.pool.size", "128"),
    ("alluxio.user.file.passive.cache.enabled", "false"),
    ("alluxio.user.block.avoid.eviction.policy.reserved.size.bytes", "2GB"),
    ("alluxio.master.journal.folder", "/journal"),
    ("alluxio.user.block.master.client.pool.gc.threshold", "10min"),
    ("alluxio.user.file.master.client.threads", "1024"),
    ("alluxio.user.block.master.client.threads", "1024"),
    ("alluxio.user.file.create.ttl.action", "FREE"),
    ("alluxio.user.file.readtype.default", "CACHE"),
    ("alluxio.security.stale.channel.purge.interval", "365d"),
    ("alluxio.user.metadata.cache.enabled", "true"),
    ("alluxio.user.metadata.cache.expiration.time", "10min"),
    ("alluxio.user.metadata.cache.max.size", "6000000"),
    ("alluxio.fuse.cached.paths.max", "1000000"),
    ("alluxio.job.worker.threadpool.size", "32"),
    ("alluxio.user.worker.list.refresh.interval", "2min"),
    ("alluxio.user.logging.threshold", "1000ms"),
    ("alluxio.fuse.logging.threshold", "1000ms"),
    ("alluxio.worker.block.master.client.pool.size", "1024"),
    ("alluxio.job.master.finished.job.retention.time", "30sec"),
    ("alluxio.underfs.object.store.breadcrumbs.enabled", "false"),
    ("alluxio.master.security.impersonation.root.users", "*"),
    ("alluxio.master.security.impersonation.root.groups", "*"),
    ("alluxio.security.authorization.permission.enabled", "false"),
)
# Bigger blocks and reads suit web servers, which serve whole files slowly (upstream's choice).
_SIZE_KEYS = (
    "alluxio.user.block.size.bytes.default",
    "alluxio.user.streaming.reader.chunk.size.bytes",
    "alluxio.user.local.reader.chunk.size.bytes",
    "alluxio.worker.network.reader.buffer.size",
)


def site_properties(
    *,
    user: Mapping[str, str],
    component_keys: set[str],
    forced: Mapping[str, str],
    all_http: bool,
    shared_user_map: bool,
    master_replicas: int,
    direct_memory: bool,
    ports: Mapping[str, str],
    embedded_journal_addresses: str | None,
) -> dict[str, str]:
    """The global properties, sorted by key: forced values win, then user keys, then defaults.

    `shared_user_map` reproduces what upstream clusters run: when `spec.properties` is the very
    map upstream's values hold (`transform.go`, `transformCommonPart`), `setDefaultProperties`
    writes the 16MB/32MB sizes into it and the all-http optimisation then finds them "set by
    the user" (`transform_optimization.go`, `optimizeDefaultPropertiesAndFuseForHTTP`).
    """
    user_set = set(user) | component_keys
    defaults: dict[str, str] = dict(_DEFAULTS)
    web_sizes = all_http and not shared_user_map
    sizes = ("256MB",) * 4 if web_sizes else ("16MB", "32MB", "32MB", "32MB")
    defaults.update(zip(_SIZE_KEYS, sizes, strict=True))
    if all_http:
        defaults["alluxio.user.streaming.data.timeout"] = "300sec"
    defaults["alluxio.master.journal.type"] = "EMBEDDED" if master_replicas > 1 else "UFS"
    if direct_memory:
        defaults["alluxio.user.direct.memory.io.enabled"] = "true"
    defaults.update(ports)
    if embedded_journal_addresses:
        defaults["alluxio.master.embedded.journal.addresses"] = embedded_journal_addresses
    merged = {k: v for k, v in defaults.items() if k not in user_set}
    merged.update(user)
    merged.update(forced)
    return dict(sorted(merged.items()))


def java_options(properties: Mapping[str, str]) -> list[str]:
    return [f"-D{key}={value}" for key, value in sorted(properties.items())]
