#!/usr/bin/env bash
# Backs up the master's metadata (rendered by fluid-render): the archive of
# `alluxio fsadmin backup`, written by the master into /alluxio_backups on its node, is moved to
# the target with the dataset's size and file count beside it.
set -euo pipefail
if [ -n "${BACKUP_PVC:-}" ]; then
  target="/pvc${BACKUP_PATH}"
else
  target=/host/
fi
mkdir -p "$target"
report=$(alluxio fsadmin backup /alluxio_backups --local)
echo "$report"
archive=$(grep -o '/alluxio_backups/[^[:space:]]*' <<<"$report" | head -n 1 || true)
if [ -z "$archive" ] || [ ! -f "$archive" ]; then
  echo "fluid-render: the backup archive was not found on this node"
  exit 1
fi
metadata="${target}metadata-backup-${DATASET_NAME}-${DATASET_NAMESPACE}.gz"
summary="${target}${DATASET_NAME}-${DATASET_NAMESPACE}.yaml"
mv "$archive" "$metadata"
read -r -a counts <<<"$(alluxio fs count / | sed -n '2p')"
if [ "${#counts[@]}" -ne 3 ]; then
  echo "fluid-render: unexpected output of alluxio fs count"
  exit 1
fi
printf 'dataset: %s\nnamespace: %s\nufstotal: %s\nfilenum: %s\n' \
  "$DATASET_NAME" "$DATASET_NAMESPACE" "${counts[2]}" "${counts[0]}" >"$summary"
for file in "$metadata" "$summary"; do
  [ -f "$file" ] || { echo "fluid-render: $file was not written"; exit 1; }
done
echo "fluid-render: backup written to $target"
