"""`fluid-render inject`: upstream's admission-webhook mutations of application pods, in git.

Upstream Fluid mutates pods that mount a dataset's PersistentVolumeClaim when they are created
(`pkg/webhook/plugins` in fluid-cloudnative/fluid): node affinity to FUSE and cache nodes, mount
propagation, a dataset-usage annotation, or a whole FUSE sidecar for serverless pods. This
package applies the same mutations to the pod templates of manifests a user keeps in git, at
build time, from the facts of a build.

Edits are made on ruamel.yaml's round-trip tree, so comments, key order and quoting survive
except where a mutation lands, and a document that needs no change keeps its exact bytes.
Every mutation is idempotent: injecting the output again changes nothing.

Modules, lowest first: `keys` (upstream's labels and annotations), `facts` (what the webhook
would read from the cluster), `documents` (split, parse, dump), `edit` (round-trip edits),
`context` (problem reporting), `shapes`, `plugins` (the mutations of one pod), `apply` (the
entry points), and `workloads` (where each kind keeps its pods).
"""

from fluid_render.inject.apply import (
    InjectedFile,
    inject_documents,
    inject_passthrough,
    order_after_datasets,
    stream,
)
from fluid_render.inject.facts import DatasetFacts, Facts, facts_from_build

__all__ = [
    "DatasetFacts",
    "Facts",
    "InjectedFile",
    "facts_from_build",
    "inject_documents",
    "inject_passthrough",
    "order_after_datasets",
    "stream",
]
