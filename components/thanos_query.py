"""Thanos Query: the one deduplicated view over every Prometheus shard and replica.

The chart runs a Thanos sidecar beside each Prometheus (``prometheusSpec.thanos``) and a
headless discovery Service over them; with shards, Thanos Ruler evaluates the fleet-wide rules.
Query fans out to both through DNS SRV records, merges the shards and removes the replica
labels, and is Grafana's datasource. The chart does not deploy Query, so infermon does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from . import naming, pins
from . import k8s_resources as kres

REPLICA_LABELS = ("prometheus_replica", "thanos_ruler_replica")
"""The labels the operator gives each Prometheus replica and each Thanos Ruler replica."""

GRPC_PORT = 10901
HTTP_PORT = 10902


@dataclass(frozen=True)
class ThanosQueryArgs:
    namespace: str
    """Monitoring namespace (where the chart's sidecar discovery Service and Thanos Ruler run)."""

    replicas: int
    """Query pods behind the Service."""

    with_ruler: bool
    """Also query Thanos Ruler (its recorded series), present when Prometheus is sharded."""

    image: str = ""
    """Thanos image; default: the one the pinned chart deploys for sidecars and Ruler."""


def endpoints(namespace: str, with_ruler: bool) -> list[str]:
    """Store API endpoints Query fans out to, as DNS SRV lookups of the operator's Services."""
    out = [f"dnssrv+_grpc._tcp.{naming.THANOS_DISCOVERY_SERVICE}.{namespace}.svc.cluster.local"]
    if with_ruler:
        out.append(f"dnssrv+_grpc._tcp.{naming.THANOS_RULER_GOVERNING_SERVICE}.{namespace}.svc.cluster.local")
    return out


def args(namespace: str, with_ruler: bool) -> list[str]:
    """The ``thanos query`` command line."""
    return (["query", "--log.level=info", f"--grpc-address=0.0.0.0:{GRPC_PORT}", f"--http-address=0.0.0.0:{HTTP_PORT}"]
            + [f"--query.replica-label={label}" for label in REPLICA_LABELS]
            + [f"--endpoint={e}" for e in endpoints(namespace, with_ruler)])


def deployment_spec(a: ThanosQueryArgs) -> dict[str, Any]:
    labels = naming.common_labels("thanos-query")
    probe = lambda path: {"httpGet": {"path": path, "port": "http"}, "periodSeconds": 5}  # noqa: E731
    return {
        "replicas": a.replicas,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "fsGroup": 65534,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": labels}}}]}},
                "containers": [{
                    "name": "thanos-query",
                    "image": a.image or pins.kps()["images"]["thanos"],
                    "args": args(a.namespace, a.with_ruler),
                    "ports": [{"name": "grpc", "containerPort": GRPC_PORT}, {"name": "http", "containerPort": HTTP_PORT}],
                    "readinessProbe": probe("/-/ready"),
                    "livenessProbe": probe("/-/healthy"),
                    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
                }],
            },
        },
    }


def service_spec() -> dict[str, Any]:
    return {"selector": naming.common_labels("thanos-query"),
            "ports": [{"name": "http", "port": naming.THANOS_QUERY_PORT, "targetPort": "http"},
                      {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc"}]}


class ThanosQuery(pulumi.ComponentResource):
    """A Thanos Query Deployment and its Service (Grafana's datasource, Thanos Ruler's query API)."""

    def __init__(self, name: str, a: ThanosQueryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:monitoring:ThanosQuery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        meta = k8s.meta.v1.ObjectMetaArgs(name=naming.THANOS_QUERY_SERVICE, namespace=a.namespace, labels=naming.common_labels("thanos-query"))
        self.deployment = kres.Deployment(f"{name}-deployment", metadata=meta, spec=deployment_spec(a), opts=child)
        self.service = kres.Service(f"{name}-service", metadata=meta, spec=service_spec(), opts=child)
        self.register_outputs({"url": naming.thanos_query_url(a.namespace)})
