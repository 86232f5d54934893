#!/usr/bin/env bash
# Init container of every data operation (rendered by fluid-render): waits until the dataset's
# master answers, reports at least FLUID_WAIT_WORKERS live workers (`Live Workers` of
# `alluxio fsadmin report`) and has applied every mount of its mount table, for at most
# FLUID_WAIT_SECONDS, so an operation applied together with its runtime does not fail.
set -u
limit=${FLUID_WAIT_SECONDS:-1800}
wanted=${FLUID_WAIT_WORKERS:-0}
deadline=$((SECONDS + limit))
waiting_for="the master to answer"
ready() {
  local report workers mounted path
  waiting_for="the master to answer"
  report=$(alluxio fsadmin report 2>/dev/null) || return 1
  workers=$(awk -F: '$1 ~ /Live Workers/ { gsub(/[^0-9]/, "", $2); print $2; exit }' <<<"$report")
  waiting_for="${wanted} live worker(s), ${workers:-0} so far"
  [ "${workers:-0}" -ge "$wanted" ] || return 1
  waiting_for="the master to apply its mounts"
  mounted=$(alluxio fs mount 2>/dev/null | awk '$2 == "on" { print $3 }')
  while read -r path _; do
    [ -n "$path" ] && [ "$path" != "/" ] || continue
    grep -qxF -- "$path" <<<"$mounted" || return 1
  done </etc/fluid/mount/mount.info
}
until ready; do
  if ((SECONDS >= deadline)); then
    echo "fluid-render: dataset $FLUID_DATASET was not ready within ${limit}s: waiting for $waiting_for"
    exit 1
  fi
  echo "fluid-render: dataset $FLUID_DATASET: waiting for $waiting_for"
  sleep 10
done
echo "fluid-render: the runtime of dataset $FLUID_DATASET is ready"
