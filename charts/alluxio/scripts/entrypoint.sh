#!/usr/bin/env bash
# Entrypoint of the Alluxio master container (rendered by fluid-render).
# 1. Replaces every /etc/fluid/secrets/<secret>/<key> path in ALLUXIO_JAVA_OPTS by the file's
#    content, so credentials come from Secrets and never from a ConfigMap.
# 2. Re-applies the mount table in the background, so a mount added or removed in git reaches a
#    running master once the kubelet refreshes the ConfigMap volume.
# 3. Starts Alluxio with the arguments it was given.
set -e
for file in /etc/fluid/secrets/*/*; do
  [ -f "$file" ] || continue
  ALLUXIO_JAVA_OPTS=${ALLUXIO_JAVA_OPTS//"$file"/"$(cat "$file")"}
done
export ALLUXIO_JAVA_OPTS
(
  while sleep "${FLUID_MOUNT_RESYNC_SECONDS:-60}"; do
    /etc/fluid/scripts/mount.sh >/proc/1/fd/1 2>&1 \
      || echo "fluid-render: mount table not applied, will retry" >/proc/1/fd/1
  done
) &
exec /entrypoint.sh "$@"
