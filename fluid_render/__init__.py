"""fluid-render: compile Fluid specs into deterministic Kubernetes manifests for GitOps."""

__version__ = "0.1.0"
