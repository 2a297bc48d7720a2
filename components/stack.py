"""ObservabilityStack: the whole monitoring of one environment, composed from its config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from . import naming
from . import k8s_resources as kres
from .config import LoadedConfig
from .alerts.prometheus_rules import PrometheusRules, PrometheusRulesArgs
from .datadog.checks import dcgm_annotation
from .series_budget import keep_rule
from .datadog.component import DatadogArgs, DatadogIntegration
from .grafana_dashboards import GrafanaDashboards, GrafanaDashboardsArgs
from .gpu.dcgm_exporter import DcgmExporter, DcgmExporterArgs, gpu_operator_service_monitor
from .kube_prometheus_stack import KubePrometheusStack, KubePrometheusStackArgs
from .thanos_query import ThanosQuery, ThanosQueryArgs
from .scrape_targets import ExternalScrapeTargets, ExternalScrapeTargetsArgs
from .workload_monitors import InferenceMonitors, InferenceMonitorsArgs


@dataclass(frozen=True)
class ObservabilityStackArgs:
    loaded: LoadedConfig
    """The validated stack config (see ``components.config``)."""


class ObservabilityStack(pulumi.ComponentResource):
    """Namespace, kube-prometheus-stack, scrape targets, workload monitors and GPU exporters."""

    namespace: str
    grafana_service: str
    prometheus_service: str
    exporter_pools: list[str]
    gpu_operator_pools: list[str]

    def __init__(self, name: str, args: ObservabilityStackArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:index:ObservabilityStack", name, None, opts)
        loaded = args.loaded
        cfg = loaded.config
        ns_name = cfg.cluster.monitoring_namespace

        namespace = kres.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ns_name,
                labels={
                    **naming.common_labels("monitoring"),
                    # node-exporter and the DCGM exporter mount host paths
                    "pod-security.kubernetes.io/enforce": "privileged",
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        scrape = ExternalScrapeTargets(f"{name}-scrape-targets", ExternalScrapeTargetsArgs(loaded, ns_name), opts=in_ns)
        kps = KubePrometheusStack(
            f"{name}-kube-prometheus-stack",
            KubePrometheusStackArgs(loaded, ns_name, scrape.scrape_config_secret, scrape.credentials_secret),
            opts=in_ns,
            depends_on=scrape.secrets,
        )
        # ServiceMonitor/PodMonitor CRDs come with the release
        crds = [kps.release]

        if any(s.selector for s in cfg.inference):
            InferenceMonitors(f"{name}-inference-monitors", InferenceMonitorsArgs(loaded, ns_name), opts=in_ns, crd_depends_on=crds)

        self.exporter_pools = []
        self.gpu_operator_pools = []
        operator_pools: dict[str, list[str]] = {}
        for pool in cfg.gpu_pools:
            if pool.mode == "exporter":
                DcgmExporter(
                    f"{name}-dcgm-{pool.name}",
                    DcgmExporterArgs(pool=pool, namespace=ns_name, platform=cfg.cluster.platform,
                                     pod_annotations=dcgm_annotation(pool, loaded) if cfg.datadog.enabled else {},
                                     keep=keep_rule(loaded, "dcgm", camel=True) if cfg.metrics.keep == "used" else None),
                    opts=in_ns,
                    crd_depends_on=crds,
                )
                self.exporter_pools.append(pool.name)
            else:
                operator_pools.setdefault(pool.gpu_operator_namespace, []).append(pool.name)
                self.gpu_operator_pools.append(pool.name)
        for op_ns, pools in sorted(operator_pools.items()):
            sm = gpu_operator_service_monitor(ns_name, op_ns, pools)
            md = sm["metadata"]
            k8s.apiextensions.CustomResource(
                f"{name}-dcgm-gpu-operator-{op_ns}",
                api_version=sm["apiVersion"],
                kind=sm["kind"],
                metadata=k8s.meta.v1.ObjectMetaArgs(name=md["name"], namespace=md["namespace"], labels=md["labels"], annotations=md["annotations"]),
                spec=sm["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace] + crds),
            )

        PrometheusRules(f"{name}-rules", PrometheusRulesArgs(loaded, ns_name), opts=in_ns, crd_depends_on=crds)
        if cfg.prometheus.global_view == "thanos":
            ThanosQuery(f"{name}-thanos-query", ThanosQueryArgs(ns_name, cfg.prometheus.query_replicas, with_ruler=cfg.prometheus.shards > 1),
                        opts=in_ns)

        if cfg.grafana.delivery == "api" or cfg.grafana.enabled:
            GrafanaDashboards(f"{name}-dashboards", GrafanaDashboardsArgs(loaded, ns_name), opts=in_ns)

        if cfg.datadog.enabled:
            DatadogIntegration(f"{name}-datadog", DatadogArgs(loaded), opts=pulumi.ResourceOptions(parent=self))

        self.namespace = ns_name
        self.grafana_service = naming.GRAFANA_SERVICE if cfg.grafana.enabled else ""
        self.prometheus_service = naming.PROMETHEUS_SERVICE
        self.query_url = naming.thanos_query_url(ns_name) if cfg.prometheus.global_view == "thanos" else ""
        self.register_outputs({"namespace": ns_name})

    def outputs(self) -> dict[str, object]:
        """What a user needs next; exported as stack outputs. No secrets."""
        out: dict[str, object] = {
            "namespace": self.namespace,
            "prometheusService": f"{self.prometheus_service}.{self.namespace}.svc:9090",
            "gpuExporterPools": sorted(self.exporter_pools),
            "gpuOperatorPools": sorted(self.gpu_operator_pools),
        }
        if self.query_url:
            out["queryService"] = self.query_url.removeprefix("http://")
        if self.grafana_service:
            out["grafanaService"] = f"{self.grafana_service}.{self.namespace}.svc:80"
            out["grafanaAdminSecret"] = f"{self.namespace}/{naming.GRAFANA_ADMIN_SECRET}"
        return out
