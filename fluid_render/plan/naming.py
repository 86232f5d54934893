"""Names and label strings, with a stable fallback where Kubernetes length limits bite.

Upstream replaces over-long identity strings by the Dataset UID, which a build cannot know. We
keep a readable prefix and append 10 hex digits of the SHA-256 of the full string instead: the
same input always gives the same name, and two different inputs cannot share it in practice.
"""

from __future__ import annotations

import hashlib

LABEL_LIMIT = 63
# A StatefulSet's pods carry `controller-revision-hash: <name>-<10 chars>`, a label value.
STATEFULSET_LIMIT = 52


def fit(text: str, limit: int = LABEL_LIMIT) -> str:
    """`text` when it fits in `limit` characters, else a prefix plus a hash of the whole."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{text[: limit - 11].rstrip('-.')}-{digest}"


def dataset_id(namespace: str, name: str) -> str:
    """Upstream's `<ns>-<name>`, which must stay a valid label value (< 63 characters)."""
    return fit(f"{namespace}-{name}", LABEL_LIMIT - 1)


def label_key(prefix: str, namespace: str, name: str, separator: str = "-") -> str:
    """`fluid.io/s-<ns>-<name>` style keys; the part after `/` must stay under 63 characters."""
    domain, _, stem = prefix.rpartition("/")
    head = f"{domain}/" if domain else ""
    return head + fit(f"{stem}{namespace}{separator}{name}", LABEL_LIMIT - 1)
