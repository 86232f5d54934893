#!/usr/bin/env bash
# Loads every path of DATA_PATH (':'-separated) into the cache, with the replica count at the
# same place in PATH_REPLICAS; with NEED_LOAD_METADATA=true it syncs metadata first.
set -euo pipefail
IFS=: read -r -a paths <<<"$DATA_PATH"
IFS=: read -r -a replicas <<<"$PATH_REPLICAS"
for i in "${!paths[@]}"; do
  path=${paths[$i]}
  count=${replicas[$i]}
  if ! alluxio fs ls "$path" >/dev/null 2>&1; then
    echo "fluid-render: $path does not exist in the dataset"
    exit 1
  fi
  alluxio fs setReplication --max "$count" -R "$path"
  if [ "$NEED_LOAD_METADATA" = "true" ]; then
    alluxio fs ls -Dalluxio.user.file.metadata.sync.interval=0 -R "$path" >/dev/null
  fi
  echo "fluid-render: loading $path with $count replica(s)"
  alluxio fs distributedLoad --replication "$count" "$path"
done
