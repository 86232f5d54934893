"""Labels, annotations and names upstream's webhook reads or writes on pods (fluid
`pkg/common`), and the path type the mutations share."""

from __future__ import annotations

import re

Path_ = tuple[str | int, ...]

# Labels and annotations upstream's webhook reads or writes on pods (fluid pkg/common).
ENABLE_INJECTION = "fluid.io/enable-injection"
INJECTION_DONE = "done.sidecar.fluid.io/inject"
SERVERLESS = ("serverless.fluid.io/inject", "fuse.sidecar.fluid.io/inject")
UNPRIVILEGED = "unprivileged.sidecar.fluid.io/inject"
CACHE_DIR = "cachedir.sidecar.fluid.io/inject"
MANAGED_BY = "fluid.io/managed-by"
DATASETS_IN_USE = "fluid.io/datasets-in-use"
SIDECAR_NAMESPACE = "dataset-namespace.sidecar.fluid.io/"
SIDECAR_NAME = "dataset-name.sidecar.fluid.io/"
SCHED = re.compile(r"fluid\.io/dataset\.([A-Za-z0-9.-]*)\.sched")
DATASET_NUM = "fluid.io/dataset-num"
HOST_TO_CONTAINER = "HostToContainer"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"

# The stock NodeAffinityWithCache profile: `fluid.io/node` stands for the dataset's cache-node
# label; zone and region apply to the runtime's cache affinity (its worker's required terms).
NODE_LOCALITY = "fluid.io/node"
PREFERRED_LOCALITY = {
    NODE_LOCALITY: 100,
    "topology.kubernetes.io/zone": 50,
    "topology.kubernetes.io/region": 20,
}
REQUIRED_LOCALITY = (NODE_LOCALITY,)

# The sidecar drops the FUSE container's cache-tier volumes unless the pod asks for them.
CACHE_DIR_PREFIXES = ("datavolume-", "volume-localtime", "cache-dir", "mem", "ssd", "hdd")
FUSE_CONTAINER = "fluid-fuse"
INIT_FUSE_CONTAINER = "init-fluid-fuse"
