"""`runAs`: the init containers of upstream's init-users image, built here for every pod that
runs as the user (upstream `transform_init_users.go`; the master, the worker, the FUSE pod and a
DataBackup Job)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fluid_render.api.common import User
from fluid_render.runtimes.alluxio.basics import init_image
from fluid_render.runtimes.alluxio.context import Context
from fluid_render.runtimes.alluxio.values import Image, InitContainer

# The host files the image writes, mounted where it writes them.
USER_FILES = [
    {"name": "dir", "mountPath": "/tmp"},
    {"name": "user", "mountPath": "/tmp/passwd"},
    {"name": "group", "mountPath": "/tmp/group"},
]


def init_users_env(user: User) -> dict[str, str]:
    """What upstream's init-users image creates: `<uid>:<user>:<gid>,<gid>:<group>`."""
    return {
        "name": "FLUID_INIT_USERS",
        "value": f"{user.uid}:{user.user}:{user.gid},{user.gid}:{user.group}",
    }


def init_users(
    image: Image,
    user: User,
    tier_paths: str = "",
    args: Sequence[str] = (),
    mounts: Sequence[dict[str, Any]] = (),
) -> InitContainer:
    """The `init-users` container: creates `user`, then does `args` (e.g. `chmod_tierpath`,
    which opens the cache's `tier_paths` to it, mounted through `mounts`)."""
    env = [init_users_env(user)]
    if tier_paths:
        env.append({"name": "FLUID_TIERSTORE_PATHS", "value": tier_paths})
    return InitContainer(
        name="init-users",
        image=image,
        args=["init_users", *args],
        env=env,
        as_root=False,
        volume_mounts=[*USER_FILES, *mounts],
    )


def init_mount_point(image: Image, mount_point: str) -> InitContainer:
    """The FUSE pod's `init-fuse` container: opens the mount point to the run-as user."""
    return InitContainer(
        name="init-fuse",
        image=image,
        args=["chmod_fuse_mountpoint"],
        env=[{"name": "FLUID_FUSE_MOUNTPOINT", "value": mount_point}],
        as_root=True,
        volume_mounts=[{"name": "alluxio-fuse-mount", "mountPath": mount_point}],
    )


def plan_init_users(
    c: Context, args: Sequence[str] = (), mounts: Sequence[dict[str, Any]] = ()
) -> InitContainer | None:
    """A runtime pod's `init-users`, when the runtime runs as a user."""
    run_as = c.runtime.run_as
    if run_as is None:
        return None
    tier_paths = ":".join(p for level in c.levels for p in level.path.split(","))
    return init_users(init_image(c.rt.model), run_as, tier_paths, args, mounts)


def plan_init_mount_point(c: Context) -> InitContainer | None:
    """The FUSE pod's `init-fuse`, when the runtime runs as a user."""
    if c.runtime.run_as is None:
        return None
    return init_mount_point(init_image(c.rt.model), c.mount_parent)
