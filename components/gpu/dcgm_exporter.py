"""NVIDIA DCGM exporter for one GPU node pool.

Reads like kube-prometheus' node-exporter component: one defaults object, one function per
Kubernetes object (``manifests``), common labels in one place. ``DcgmExporter`` registers
what ``manifests`` returns, so tests can check the objects without the Pulumi engine.

The exporter's own chart tolerates nothing but control-plane taints, so on tainted GPU
nodes it never schedules; here the DaemonSet gets exactly the pool's nodeSelector and
tolerations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from .. import k8s_resources as kres
from .. import naming, pins
from ..config import model as m
from . import dcgm_fields

DEFAULTS: dict[str, Any] = {
    "image": pins.image("dcgm-exporter"),
    "port": 9400,
    "scrape_interval": "15s",
    "pod_resources_path": "/var/lib/kubelet/pod-resources",
    "collectors_path": "/etc/dcgm-exporter/counters.csv",
    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
    "priority_class": "system-node-critical",
}
"""Exporter defaults (image and resources as in the dcgm-exporter 4.8.2 chart)."""

# NVIDIA/gpu-operator assets/state-dcgm-exporter/0600_service.yaml: Service nvidia-dcgm-exporter,
# port gpu-metrics (9400), selecting app=nvidia-dcgm-exporter
GPU_OPERATOR_SERVICE = "nvidia-dcgm-exporter"
GPU_OPERATOR_SERVICE_LABELS = {"app": "nvidia-dcgm-exporter"}
GPU_OPERATOR_PORT = "gpu-metrics"


@dataclass(frozen=True)
class DcgmExporterArgs:
    pool: m.GpuPool
    """The GPU pool (exporter mode) the DaemonSet runs on."""

    namespace: str
    """Namespace of the exporter objects (the monitoring namespace)."""

    platform: str = "generic"
    """Cluster platform; decides the default GPU id type (``device-name`` on gke)."""

    image: Optional[str] = None
    """Image override; ``DEFAULTS['image']`` when unset."""

    extra_labels: dict[str, str] = field(default_factory=dict)
    """Labels added to every object."""

    pod_annotations: dict[str, str] = field(default_factory=dict)
    """Extra pod annotations (Datadog Autodiscovery of the exporter)."""

    keep: Optional[dict[str, Any]] = None
    """Keep relabeling of the series budget (``metrics.keep: used``)."""


def gpu_id_type(pool: m.GpuPool, platform: str) -> str:
    if pool.gpu_id_type:
        return pool.gpu_id_type
    return "device-name" if platform == "gke" else "uid"


def _toleration(t: m.Toleration) -> dict[str, Any]:
    out: dict[str, Any] = {"operator": t.operator}
    if t.key is not None:
        out["key"] = t.key
    if t.value is not None:
        out["value"] = t.value
    if t.effect is not None:
        out["effect"] = t.effect
    return out


def manifests(args: DcgmExporterArgs) -> dict[str, dict[str, Any]]:
    """The Kubernetes objects of one exporter pool, by role."""
    pool = args.pool
    name = f"dcgm-exporter-{pool.name}"
    labels = {**naming.common_labels("dcgm-exporter", pool.name), **args.extra_labels}
    selector = {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": pool.name}
    fields = dcgm_fields.counters(pool.profiling, pool.extra_counters)
    csv = dcgm_fields.collectors_csv(fields)
    meta = {"name": name, "namespace": args.namespace, "labels": labels}
    port = DEFAULTS["port"]

    capabilities: dict[str, Any] = {"drop": ["ALL"]}
    if pool.profiling:
        capabilities["add"] = ["SYS_ADMIN"]  # DCGM profiling (DCGM_FI_PROF_*) needs it

    probe = {"httpGet": {"path": "/health", "port": port}, "initialDelaySeconds": 45, "periodSeconds": 10}
    container = {
        "name": "exporter",
        "image": args.image or pool.image or DEFAULTS["image"],
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {"name": "DCGM_EXPORTER_LISTEN", "value": f":{port}"},
            {"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"},
            {"name": "DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE", "value": gpu_id_type(pool, args.platform)},
            {"name": "DCGM_EXPORTER_COLLECTORS", "value": DEFAULTS["collectors_path"]},
        ],
        "ports": [{"name": "metrics", "containerPort": port, "protocol": "TCP"}],
        "securityContext": {
            # root is needed to read the kubelet pod-resources socket
            "runAsNonRoot": False,
            "runAsUser": 0,
            "allowPrivilegeEscalation": False,
            "capabilities": capabilities,
        },
        "resources": DEFAULTS["resources"],
        "livenessProbe": probe,
        "readinessProbe": probe,
        "volumeMounts": [
            {"name": "pod-resources", "mountPath": DEFAULTS["pod_resources_path"], "readOnly": True},
            {"name": "collectors", "mountPath": DEFAULTS["collectors_path"], "subPath": "counters.csv", "readOnly": True},
        ],
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,
        "priorityClassName": DEFAULTS["priority_class"],
        "nodeSelector": dict(pool.node_selector),
        "tolerations": [_toleration(t) for t in pool.tolerations],
        "containers": [container],
        "volumes": [
            {"name": "pod-resources", "hostPath": {"path": DEFAULTS["pod_resources_path"], "type": "Directory"}},
            {"name": "collectors", "configMap": {"name": name, "items": [{"key": "counters.csv", "path": "counters.csv"}]}},
        ],
    }
    return {
        "service_account": {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": False},
        "config_map": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"counters.csv": csv}},
        "daemon_set": {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": selector},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "template": {
                    "metadata": {
                        "labels": labels,
                        # a changed counters list rolls the pods
                        "annotations": {"infermon.io/collectors-sha256": hashlib.sha256(csv.encode()).hexdigest()[:16], **args.pod_annotations},
                    },
                    "spec": pod_spec,
                },
            },
        },
        "service": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "ClusterIP",
                "selector": selector,
                "ports": [{"name": "metrics", "port": port, "targetPort": "metrics", "protocol": "TCP"}],
            },
        },
        "service_monitor": {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": selector},
                "namespaceSelector": {"matchNames": [args.namespace]},
                "endpoints": [
                    {
                        "port": "metrics",
                        "path": "/metrics",
                        "interval": DEFAULTS["scrape_interval"],
                        # keep the exporter's pod/namespace/container labels (the GPU's
                        # workload) instead of renaming them exported_pod etc.
                        "honorLabels": True,
                        "relabelings": target_relabelings(pool.name),
                        **({"metricRelabelings": [args.keep]} if args.keep else {}),
                    }
                ],
            },
        },
    }


WORKLOAD_LABELS = ("namespace", "pod", "container")


def target_relabelings(gpu_pool: str) -> list[dict[str, Any]]:
    """Relabelings of a DCGM exporter target: its node and pool, and the exporter's own
    pod/namespace/container moved to ``exporter_*``. With ``honorLabels`` an allocated GPU's series
    keep the workload's labels the exporter adds; a GPU no pod holds has none, and would otherwise
    inherit the exporter pod's and be counted as allocated to it."""
    return [
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"},
        {"action": "replace", "targetLabel": "gpu_pool", "replacement": gpu_pool},
        *({"action": "replace", "sourceLabels": [label], "targetLabel": f"exporter_{label}"} for label in WORKLOAD_LABELS),
        {"action": "labeldrop", "regex": "|".join(WORKLOAD_LABELS)},
    ]


def gpu_operator_service_monitor(namespace: str, operator_namespace: str, pools: list[str]) -> dict[str, Any]:
    """Scrape the exporter the GPU Operator runs (service ``nvidia-dcgm-exporter``). Its targets carry
    ``gpu_pool``: the pool's name, or the names of the pools sharing the operator joined by ``+``
    (one exporter DaemonSet serves them all and its targets do not tell the pools apart)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": f"dcgm-gpu-operator-{operator_namespace}",
            "namespace": namespace,
            "labels": naming.common_labels("dcgm-exporter", "gpu-operator"),
            "annotations": {"infermon.io/gpu-pools": ",".join(sorted(pools))},
        },
        "spec": {
            "selector": {"matchLabels": GPU_OPERATOR_SERVICE_LABELS},
            "namespaceSelector": {"matchNames": [operator_namespace]},
            "endpoints": [
                {
                    "port": GPU_OPERATOR_PORT,
                    "path": "/metrics",
                    "interval": DEFAULTS["scrape_interval"],
                    "honorLabels": True,
                    "relabelings": target_relabelings("+".join(sorted(pools))),
                }
            ],
        },
    }


def _meta(obj: dict[str, Any]) -> k8s.meta.v1.ObjectMetaArgs:
    md = obj["metadata"]
    return k8s.meta.v1.ObjectMetaArgs(name=md["name"], namespace=md.get("namespace"), labels=md.get("labels"), annotations=md.get("annotations"))


class DcgmExporter(pulumi.ComponentResource):
    """DCGM exporter DaemonSet, collectors ConfigMap, Service and ServiceMonitor for one pool."""

    daemon_set_name: pulumi.Output[str]

    def __init__(self, name: str, args: DcgmExporterArgs, opts: Optional[pulumi.ResourceOptions] = None,
                 crd_depends_on: Optional[list[pulumi.Resource]] = None):
        super().__init__("infermon:gpu:DcgmExporter", name, None, opts)
        objs = manifests(args)
        child = pulumi.ResourceOptions(parent=self)
        sa = objs["service_account"]
        kres.ServiceAccount(f"{name}-sa", metadata=_meta(sa), automount_service_account_token=False, opts=child)
        cm = objs["config_map"]
        config_map = kres.ConfigMap(f"{name}-collectors", metadata=_meta(cm), data=cm["data"], opts=child)
        ds = objs["daemon_set"]
        daemon_set = kres.DaemonSet(
            f"{name}-daemonset", metadata=_meta(ds), spec=ds["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[config_map]),
        )
        svc = objs["service"]
        kres.Service(f"{name}-service", metadata=_meta(svc), spec=svc["spec"], opts=child)
        sm = objs["service_monitor"]
        k8s.apiextensions.CustomResource(
            f"{name}-servicemonitor", api_version=sm["apiVersion"], kind=sm["kind"], metadata=_meta(sm), spec=sm["spec"],
            opts=pulumi.ResourceOptions(parent=self, depends_on=crd_depends_on or []),
        )
        self.daemon_set_name = daemon_set.metadata.apply(lambda md: md["name"] if isinstance(md, dict) else md.name)
        self.register_outputs({"daemonSetName": self.daemon_set_name})
