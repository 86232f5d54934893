"""The rules for names that become parts of output paths: namespace, kind and object name.

A copied document's namespace, kind and name, and the `-n` default namespace, become folder and
file names under `-o`. Kubernetes itself only accepts these shapes (apimachinery
`validation.IsDNS1123Label` for namespaces, `IsDNS1123Subdomain` for most object names), so a
value outside them is an error, never a path: no `/`, no `..`, nothing absolute. No pydantic
here: `-n` is checked before a command loads the API models.
"""

from __future__ import annotations

import re

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
KIND_PATTERN = r"^[A-Za-z][A-Za-z0-9]{0,62}$"
RBAC_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.:][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
"""RBAC objects may be named like `system:aggregate-to-view` (k8s `ValidateRBACName` accepts
path segments); `:` is allowed there, between letters or digits, and nothing else beyond DNS."""
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})

NAMESPACE_RULE = (
    "must be a DNS-1123 label: at most 63 lower-case letters, digits and '-', "
    "starting and ending with a letter or digit"
)
NAME_RULE = (
    "must be a DNS-1123 subdomain: at most 253 lower-case letters, digits, '-' and '.', "
    "each part starting and ending with a letter or digit"
)
RBAC_NAME_RULE = NAME_RULE + " (':' may separate parts of an RBAC object's name)"
KIND_RULE = "must be a letter followed by at most 62 letters or digits"


def namespace_problem(value: object) -> str | None:
    """Why `value` cannot be a namespace, or None when it can."""
    if isinstance(value, str) and len(value) <= 63 and re.fullmatch(DNS1123_LABEL, value):
        return None
    return NAMESPACE_RULE


def name_problem(value: object, kind: str) -> str | None:
    """Why `value` cannot name an object of `kind`, or None when it can."""
    rbac = kind in RBAC_KINDS
    pattern, rule = (RBAC_NAME_PATTERN, RBAC_NAME_RULE) if rbac else (DNS1123_SUBDOMAIN, NAME_RULE)
    if isinstance(value, str) and len(value) <= 253 and re.fullmatch(pattern, value):
        return None
    return rule


def kind_problem(value: object) -> str | None:
    """Why `value` cannot be a kind, or None when it can."""
    if isinstance(value, str) and re.fullmatch(KIND_PATTERN, value):
        return None
    return KIND_RULE
