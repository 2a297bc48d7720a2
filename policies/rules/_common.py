"""What every rule works on: a resource's type token, name and input properties.

The same functions run inside ``pulumi preview --policy-pack policies`` (fed from
CrossGuard's arguments) and in ``infermon check`` (fed from the offline render).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Optional

KPS_CHART = "kube-prometheus-stack"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    policy: str
    resource: Optional[str]
    message: str


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    validate: Optional[Callable[[Resource, dict[str, Any]], list[str]]] = None
    """Per resource: messages of the violations (``config`` carries e.g. ``production``)."""
    validate_stack: Optional[Callable[[list[Resource], dict[str, Any]], list[tuple[Optional[str], str]]]] = None
    """Whole stack: (resource name or None, message) pairs."""
    production_only: bool = False
    config_schema: dict[str, Any] = field(default_factory=dict)


def kps_values(r: Resource) -> Optional[dict[str, Any]]:
    if r.type == HELM_RELEASE and r.props.get("chart") == KPS_CHART:
        return r.props.get("values") or {}
    return None


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf with its dotted path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def pod_spec(r: Resource) -> Optional[dict[str, Any]]:
    spec = r.props.get("spec") or {}
    if r.type in ("kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
        return (spec.get("template") or {}).get("spec") or {}
    if r.type == "kubernetes:core/v1:Pod":
        return spec
    return None


def duration_days(text: str) -> float:
    import re

    units = {"ms": 1 / 86_400_000, "s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1, "w": 7, "y": 365}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", text or ""))
