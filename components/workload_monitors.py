"""ServiceMonitors / PodMonitors for in-cluster inference services.

One monitor per configured service that has a ``selector``, with the kind's default port
and path, the ``service``/``team``/``inference_kind`` target labels every job carries, and
the metric relabelings a kind needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from . import naming
from .config import LoadedConfig
from .catalog.arks import ARKS_RENAMES, ARKS_RUNTIMES, arks_runtime_name  # noqa: F401 (re-exported)
from .series_budget import keep_mode, keep_rule
from .config import model as m

def metric_relabelings(kind: str) -> list[dict[str, Any]]:
    if kind != "arks-runtime":
        return []
    runtimes = "|".join(ARKS_RUNTIMES)
    rules: list[dict[str, Any]] = [
        {"action": "keep", "sourceLabels": ["__name__"], "regex": f"({runtimes})[:_].+"},
        {"action": "replace", "sourceLabels": ["__name__"], "regex": f"({runtimes})[:_](.+)", "targetLabel": "runtime", "replacement": "$1"},
        {"action": "replace", "sourceLabels": ["__name__"], "regex": f"({runtimes})[:_](.+)", "targetLabel": "__name__", "replacement": "$2"},
    ]
    for old, new in ARKS_RENAMES:
        rules.append({"action": "replace", "sourceLabels": ["__name__"], "regex": f"(.*?){old}", "targetLabel": "__name__", "replacement": f"${{1}}{new}"})
    return rules


def target_relabelings(s: m.InferenceService, environment: str) -> list[dict[str, Any]]:
    labels = {"service": s.name, "inference_kind": s.kind, "environment": environment}
    if s.team:
        labels["team"] = s.team
    return [{"action": "replace", "targetLabel": k, "replacement": v} for k, v in labels.items()]


def manifest(s: m.InferenceService, namespace: str, environment: str, keep: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The ServiceMonitor or PodMonitor of one service (which must have a selector)."""
    port = s.port if s.port is not None else m.DEFAULT_PORTS[s.kind]
    endpoint: dict[str, Any] = {"path": s.path, "scheme": s.scheme}
    if s.monitor == "service":
        endpoint["port" if isinstance(port, str) else "targetPort"] = port
    else:
        endpoint["port" if isinstance(port, str) else "portNumber"] = port
    if s.interval:
        endpoint["interval"] = s.interval
    endpoint["relabelings"] = target_relabelings(s, environment)
    mr = metric_relabelings(s.kind) + ([keep] if keep else [])
    if mr:
        endpoint["metricRelabelings"] = mr
    spec: dict[str, Any] = {
        "selector": {"matchLabels": dict(s.selector)},
        "namespaceSelector": {"matchNames": [s.namespace]},
    }
    if s.monitor == "service":
        kind = "ServiceMonitor"
        spec["endpoints"] = [endpoint]
    else:
        kind = "PodMonitor"
        spec["podMetricsEndpoints"] = [endpoint]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": kind,
        "metadata": {"name": f"inference-{s.name}", "namespace": namespace, "labels": naming.common_labels("inference-monitor", s.name)},
        "spec": spec,
    }


@dataclass(frozen=True)
class InferenceMonitorsArgs:
    loaded: LoadedConfig
    """The validated stack config."""

    namespace: str
    """Namespace the monitors are created in (the monitoring namespace)."""


class InferenceMonitors(pulumi.ComponentResource):
    """One ServiceMonitor or PodMonitor per in-cluster inference service."""

    def __init__(self, name: str, args: InferenceMonitorsArgs, opts: Optional[pulumi.ResourceOptions] = None,
                 crd_depends_on: Optional[list[pulumi.Resource]] = None):
        super().__init__("infermon:monitoring:InferenceMonitors", name, None, opts)
        count = 0
        for s in args.loaded.config.inference:
            if not s.selector:
                continue
            keep = keep_rule(args.loaded, s.kind, s.metric_prefix or "", camel=True) if keep_mode(args.loaded, s) == "used" else None
            obj = manifest(s, args.namespace, args.loaded.environment, keep)
            md = obj["metadata"]
            k8s.apiextensions.CustomResource(
                f"{name}-{s.name}",
                api_version=obj["apiVersion"],
                kind=obj["kind"],
                metadata=k8s.meta.v1.ObjectMetaArgs(name=md["name"], namespace=md["namespace"], labels=md["labels"]),
                spec=obj["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=crd_depends_on or []),
            )
            count += 1
        self.register_outputs({"monitors": count})
