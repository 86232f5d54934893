#!/usr/bin/env bash
# Init container of every data operation (rendered by fluid-render): waits until the dataset's
# master answers and has applied every mount of its mount table, for at most
# FLUID_WAIT_SECONDS, so an operation applied together with its runtime does not fail.
set -u
limit=${FLUID_WAIT_SECONDS:-1800}
deadline=$((SECONDS + limit))
ready() {
  alluxio fsadmin report >/dev/null 2>&1 || return 1
  mounted=$(alluxio fs mount 2>/dev/null | awk '$2 == "on" { print $3 }')
  while read -r path _; do
    [ -n "$path" ] && [ "$path" != "/" ] || continue
    grep -qxF -- "$path" <<<"$mounted" || return 1
  done </etc/fluid/mount/mount.info
}
until ready; do
  if ((SECONDS >= deadline)); then
    echo "fluid-render: the master of dataset $FLUID_DATASET was not ready within ${limit}s"
    exit 1
  fi
  echo "fluid-render: waiting for the master of dataset $FLUID_DATASET to answer and apply its mounts"
  sleep 10
done
echo "fluid-render: the master of dataset $FLUID_DATASET is ready"
