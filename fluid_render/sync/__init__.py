"""The in-cluster syncer: applies the node labels of the sync plans and reports status.

It never creates, changes or deletes a workload; git stays the source of truth. Only
:mod:`fluid_render.sync.client` imports the Kubernetes client, and only inside functions.
"""
