#!/usr/bin/env bash
# Copies this pod's ALLUXIO_* settings into alluxio-env.sh, where the alluxio CLI reads them.
set -e
conf=/opt/alluxio/conf/alluxio-env.sh
for name in ALLUXIO_CLASSPATH ALLUXIO_HOSTNAME ALLUXIO_JARS ALLUXIO_JAVA_OPTS \
  ALLUXIO_MASTER_JAVA_OPTS ALLUXIO_PROXY_JAVA_OPTS ALLUXIO_RAM_FOLDER ALLUXIO_USER_JAVA_OPTS \
  ALLUXIO_WORKER_JAVA_OPTS ALLUXIO_JOB_MASTER_JAVA_OPTS ALLUXIO_JOB_WORKER_JAVA_OPTS; do
  if [ -n "${!name:-}" ]; then
    printf 'export %s=%q\n' "$name" "${!name}" >>"$conf"
  fi
done
