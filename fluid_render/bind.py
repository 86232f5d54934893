"""Group validated specs into bundles and enforce the rules that span documents."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from fluid_render.api import DataBackup, DataLoad, Dataset
from fluid_render.errors import Problem, fail_if
from fluid_render.validate import Spec

Key = tuple[str, str]


@dataclass(frozen=True)
class Bundle:
    """One Dataset, the runtime of the same name, and the operations that target it."""

    dataset: Spec[Dataset]
    runtime: Spec[Any]  # its model is of a registered runtime kind (fluid_render.runtimes)
    dataloads: tuple[Spec[DataLoad], ...] = ()
    databackups: tuple[Spec[DataBackup], ...] = ()

    @property
    def operations(self) -> list[Spec[Any]]:
        return [*self.dataloads, *self.databackups]

    @property
    def namespace(self) -> str:
        return self.dataset.namespace

    @property
    def name(self) -> str:
        return self.dataset.name


def bind(specs: Sequence[Spec[Any]], runtime_kinds: Collection[str]) -> list[Bundle]:
    """Bundles sorted by namespace and name; every orphan, gap and duplicate is an error.

    `runtime_kinds` are the kinds of the registered runtimes (`fluid_render.runtimes.registry`),
    which this stage, below the runtimes, does not import."""
    problems: list[Problem] = []
    by_kind: dict[str, dict[Key, Spec[Any]]] = {}
    for spec in specs:
        seen = by_kind.setdefault(spec.kind, {})
        key = (spec.namespace, spec.name)
        if key in seen:
            problems.append(
                Problem(
                    spec.at("metadata", "name"),
                    "metadata.name",
                    f"duplicate {spec.kind} {key[0]}/{key[1]}, also defined by "
                    f"{seen[key].describe()}",
                )
            )
        else:
            seen[key] = spec
    datasets: dict[Key, Spec[Dataset]] = by_kind.get("Dataset", {})
    runtimes: dict[Key, Spec[Any]] = {
        key: spec for kind in sorted(runtime_kinds) for key, spec in by_kind.get(kind, {}).items()
    }
    problems += _unpaired(runtimes, datasets, "Dataset", " to bind to")
    problems += _unpaired(datasets, runtimes, " or ".join(sorted(runtime_kinds)), "")
    loads = _operations(by_kind.get("DataLoad", {}), datasets, problems, _dataload_target)
    backups = _operations(by_kind.get("DataBackup", {}), datasets, problems, _databackup_target)
    fail_if(problems)
    return [
        Bundle(datasets[key], runtimes[key], tuple(loads.get(key, ())), tuple(backups.get(key, ())))
        for key in sorted(datasets)
    ]


def _unpaired(
    specs: dict[Key, Spec[Any]], partners: Collection[Key], wanted: str, purpose: str
) -> list[Problem]:
    """An error for each spec no partner of the same namespace and name pairs with."""
    return [
        Problem(
            spec.at("metadata", "name"),
            "metadata.name",
            f"{spec.kind} {key[0]}/{key[1]} has no {wanted} of the same namespace and "
            f"name{purpose}",
        )
        for key, spec in specs.items()
        if key not in partners
    ]


def _dataload_target(spec: Spec[DataLoad]) -> tuple[str, tuple[str | int, ...], str | None]:
    target = spec.model.spec.dataset
    return target.name, ("spec", "dataset", "name"), target.namespace


def _databackup_target(spec: Spec[DataBackup]) -> tuple[str, tuple[str | int, ...], str | None]:
    return spec.model.spec.dataset, ("spec", "dataset"), None


def _operations(
    operations: dict[Key, Spec[Any]],
    datasets: dict[Key, Spec[Dataset]],
    problems: list[Problem],
    target_of: Any,
) -> dict[Key, list[Spec[Any]]]:
    """Operations per dataset, sorted by name; each must target a Dataset of its namespace."""
    grouped: dict[Key, list[Spec[Any]]] = {}
    for key in sorted(operations):
        spec = operations[key]
        name, path, namespace = target_of(spec)
        if namespace is not None and namespace != spec.namespace:
            problems.append(
                Problem(
                    spec.at("spec", "dataset", "namespace"),
                    "spec.dataset.namespace",
                    f"must be the {spec.kind}'s own namespace {spec.namespace!r}",
                )
            )
            continue
        target = (spec.namespace, name)
        if target not in datasets:
            problems.append(
                Problem(
                    spec.at(*path),
                    ".".join(str(p) for p in path),
                    f"no Dataset {target[0]}/{target[1]} in the inputs",
                )
            )
            continue
        grouped.setdefault(target, []).append(spec)
    return grouped
