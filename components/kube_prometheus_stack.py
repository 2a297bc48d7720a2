"""kube-prometheus-stack: Prometheus Operator, Prometheus, Alertmanager and Grafana.

``values`` is a pure function of the config, so every rule it encodes is testable without
the engine. Nothing secret is ever in the values: Grafana's admin login comes from an
``existingSecret``, remote-write credentials are ``SecretKeySelector``s, Alertmanager
receivers read their URLs/keys from mounted files, and extra scrape jobs come from a Secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from . import naming, pins
from . import k8s_resources as kres
from .alerts.placement import PLACEMENT_LABEL
from .config import LoadedConfig, secret_output
from .config import model as m

MANAGED_PLATFORMS = ("gke", "eks", "aks")

HIDDEN_CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
"""Components a managed control plane does not let Prometheus scrape."""

HIDDEN_CONTROL_PLANE_RULES = ("etcd", "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "kubeProxy")
"""The chart's default rule groups for those components: they would alert forever."""

RECEIVER_FILE_FIELD = {
    "slack": ("slack_configs", "api_url_file"),
    "webhook": ("webhook_configs", "url_file"),
    "msteams": ("msteams_configs", "webhook_url_file"),
    "pagerduty": ("pagerduty_configs", "routing_key_file"),
}
"""Alertmanager receiver block and the ``*_file`` field that reads its credential."""


@dataclass(frozen=True)
class KubePrometheusStackArgs:
    loaded: LoadedConfig
    """The validated stack config."""

    namespace: str
    """Namespace to install the release into (must exist)."""

    scrape_config_secret: str = naming.SCRAPE_CONFIG_SECRET
    """Secret holding the additional scrape configs."""

    credentials_secret: Optional[str] = None
    """Secret with scrape credentials to mount into Prometheus, if any job needs one."""

    chart_version: str = naming.CHART_VERSION
    """Pinned chart version."""


CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"


def adopt_crd(args: pulumi.ResourceTransformArgs) -> Optional[pulumi.ResourceTransformResult]:
    """Each CRD the ConfigGroup applies: retained when the stack or the group is deleted, and
    applied with ``pulumi.com/patchForce`` so fields an earlier Helm install owns are taken over."""
    if args.type_ != CRD_TYPE:
        return None
    props = dict(args.props)
    metadata = dict(props.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), "pulumi.com/patchForce": "true"}
    props["metadata"] = metadata
    return pulumi.ResourceTransformResult(props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(retain_on_delete=True)))


def remote_write_keys(rw: m.RemoteWrite) -> dict[str, str]:
    """Keys of the remote-write Secret for one queue -> config key of the secret value."""
    keys: dict[str, str] = {}
    if rw.basic_auth:
        keys[f"{rw.name}-username"] = rw.basic_auth.username_secret
        keys[f"{rw.name}-password"] = rw.basic_auth.password_secret
    if rw.bearer_token_secret:
        keys[f"{rw.name}-token"] = rw.bearer_token_secret
    return keys


def equality_matcher(name: str, value: str) -> str:
    """``name="value"`` in Alertmanager's matcher syntax, the value quoted with its escapes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{name}="{escaped}"'


def alertmanager_config(am: m.Alertmanager) -> dict[str, Any]:
    """Alertmanager configuration with file references only (the files come from a Secret)."""
    receivers: list[dict[str, Any]] = []
    for r in am.receivers:
        block, file_field = RECEIVER_FILE_FIELD[r.type]
        entry: dict[str, Any] = {file_field: naming.alertmanager_secret_file(naming.ALERTMANAGER_RECEIVERS_SECRET, r.name), "send_resolved": r.send_resolved}
        if r.channel:
            entry["channel"] = r.channel
        receivers.append({"name": r.name, block: [entry]})
    default = am.default_receiver or (am.receivers[0].name if am.receivers else "null")
    receivers.append({"name": "null"})
    # before the user's routes, as in the chart's own config: the always-firing alerts never page
    watchdog: dict[str, Any] = {"receiver": am.watchdog_receiver or "null", "matchers": ['alertname="Watchdog"']}
    if am.watchdog_receiver:  # a heartbeat: every minute, so the switch notices within minutes when it stops
        watchdog.update({"group_wait": "0s", "group_interval": "1m", "repeat_interval": "1m"})
    routes = [watchdog, {"receiver": "null", "matchers": ['alertname="InfoInhibitor"']}]
    for route in am.routes:
        entry = {"receiver": route.receiver, "matchers": [equality_matcher(k, v) for k, v in sorted(route.matchers.items())]}
        if route.continue_:
            entry["continue"] = True
        routes.append(entry)
    same_alert = ["alertname", "cluster", "namespace", "service"]
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": default,
            "group_by": ["alertname", "cluster", "namespace", "service"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "receivers": receivers,
        # the chart's inhibitions, with infermon's finer `equal` for severities (the chart's
        # namespace + alertname would let one service's critical alert silence another's warning)
        "inhibit_rules": [
            {"source_matchers": ['severity="critical"'], "target_matchers": ['severity=~"warning|info"'], "equal": same_alert},
            {"source_matchers": ['severity="warning"'], "target_matchers": ['severity="info"'], "equal": same_alert},
            {"source_matchers": ['alertname="InfoInhibitor"'], "target_matchers": ['severity="info"'], "equal": ["namespace"]},
            {"target_matchers": ['alertname="InfoInhibitor"']},
        ],
    }


CHART_ALERTMANAGER_CONFIG: dict[str, Any] = {
    "global": {"resolve_timeout": "5m"},
    "inhibit_rules": [
        {"source_matchers": ["severity = critical"], "target_matchers": ["severity =~ warning|info"], "equal": ["namespace", "alertname"]},
        {"source_matchers": ["severity = warning"], "target_matchers": ["severity = info"], "equal": ["namespace", "alertname"]},
        {"source_matchers": ["alertname = InfoInhibitor"], "target_matchers": ["severity = info"], "equal": ["namespace"]},
        {"target_matchers": ["alertname = InfoInhibitor"]},
    ],
    "route": {"group_by": ["namespace"], "group_wait": "30s", "group_interval": "5m", "repeat_interval": "12h",
              "receiver": "null", "routes": [{"receiver": "null", "matchers": ['alertname = "Watchdog"']}]},
    "receivers": [{"name": "null"}],
    "templates": ["/etc/alertmanager/config/*.tmpl"],
}
"""``alertmanager.config`` in the chart's own values (kube-prometheus-stack 88.5.3), which Helm
merges with ours before the chart writes it into the Alertmanager Secret."""


def helm_coalesce(defaults: Any, override: Any) -> Any:
    """Helm's merge of user values over a chart's: maps merge key by key, anything else
    (lists included) is replaced, and a null removes the chart's key."""
    if not (isinstance(defaults, dict) and isinstance(override, dict)):
        return override
    merged = dict(defaults)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = helm_coalesce(defaults.get(key), value)
    return merged


def delivered_alertmanager_config(values: dict[str, Any]) -> dict[str, Any] | None:
    """The ``alertmanager.yaml`` the chart delivers for these release values (None: no Alertmanager)."""
    am = values.get("alertmanager") or {}
    if not am.get("enabled", True):
        return None
    return helm_coalesce(CHART_ALERTMANAGER_CONFIG, am.get("config") or {})


def values(args: KubePrometheusStackArgs) -> dict[str, Any]:
    """Helm values for the release."""
    cfg = args.loaded.config
    p = cfg.prometheus
    managed = cfg.cluster.platform in MANAGED_PLATFORMS

    spec: dict[str, Any] = {
        # With the default (true) the operator only picks monitors and rules labelled for
        # this Helm release: the most common reason a ServiceMonitor is silently ignored.
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "ruleSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "retention": p.retention,
        "replicas": p.replicas,
        "shards": p.shards,
        "scrapeInterval": p.scrape_interval,
        "evaluationInterval": p.evaluation_interval,
        "externalLabels": external_labels(args),
        "additionalScrapeConfigsSecret": {"enabled": True, "name": args.scrape_config_secret, "key": naming.SCRAPE_CONFIG_KEY},
    }
    if p.retention_size:
        spec["retentionSize"] = p.retention_size
    if p.resources:
        spec["resources"] = p.resources.model_dump(by_alias=True, exclude_none=True)
    if p.storage:
        claim: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": p.storage.size}}}
        if p.storage.storage_class:
            claim["storageClassName"] = p.storage.storage_class
        spec["storageSpec"] = {"volumeClaimTemplate": {"spec": claim}}
    if args.credentials_secret:
        spec["secrets"] = [args.credentials_secret]
    if p.remote_write:
        rws = []
        for rw in p.remote_write:
            entry: dict[str, Any] = {"name": rw.name, "url": rw.url}
            if rw.basic_auth:
                entry["basicAuth"] = {
                    "username": {"name": naming.REMOTE_WRITE_SECRET, "key": f"{rw.name}-username"},
                    "password": {"name": naming.REMOTE_WRITE_SECRET, "key": f"{rw.name}-password"},
                }
            if rw.bearer_token_secret:
                entry["authorization"] = {"type": "Bearer", "credentials": {"name": naming.REMOTE_WRITE_SECRET, "key": f"{rw.name}-token"}}
            if rw.headers:
                entry["headers"] = dict(sorted(rw.headers.items()))
            rws.append(entry)
        spec["remoteWrite"] = rws

    thanos = p.global_view == "thanos"
    if thanos:
        spec["thanos"] = {"image": pins.kps()["images"]["thanos"]}
    if thanos and p.shards > 1:  # the rules that need the whole fleet run on Thanos Ruler
        spec["ruleSelector"] = {"matchExpressions": [{"key": PLACEMENT_LABEL, "operator": "NotIn", "values": ["global"]}]}

    out: dict[str, Any] = {
        "fullnameOverride": naming.FULLNAME,
        "crds": {"enabled": False},  # Pulumi applies them (KubePrometheusStack.crds): Helm never upgrades a chart's CRDs
        "prometheus": {"prometheusSpec": spec},
        "alertmanager": {"enabled": cfg.alertmanager.enabled},
        "grafana": {"enabled": cfg.grafana.enabled},
        "defaultRules": {"create": True},
    }
    if managed:
        for component in HIDDEN_CONTROL_PLANE:
            out[component] = {"enabled": False}
        out["defaultRules"]["rules"] = {rule: False for rule in HIDDEN_CONTROL_PLANE_RULES}

    if thanos:
        out["prometheus"]["thanosService"] = {"enabled": True}
    if thanos and p.shards > 1:
        out.update(thanos_ruler_values(args))
        # the chart's own rules join kube-state-metrics with kubelet and node series: fleet-wide
        out["defaultRules"]["labels"] = {PLACEMENT_LABEL: "global"}

    if cfg.alertmanager.enabled:
        out["alertmanager"]["config"] = alertmanager_config(cfg.alertmanager)
        if cfg.alertmanager.receivers:
            out["alertmanager"]["alertmanagerSpec"] = {"secrets": [naming.ALERTMANAGER_RECEIVERS_SECRET]}

    if cfg.grafana.enabled:
        out["grafana"].update(
            {
                "fullnameOverride": naming.GRAFANA_FULLNAME,
                "admin": {"existingSecret": naming.GRAFANA_ADMIN_SECRET, "userKey": "admin-user", "passwordKey": "admin-password"},
                "grafana.ini": {"auth.anonymous": {"enabled": False}, "users": {"allow_sign_up": False}},
                "sidecar": {
                    **({"datasources": {"url": naming.thanos_query_url(args.namespace)}} if thanos else {}),
                    "dashboards": {
                        "enabled": True,
                        "label": "grafana_dashboard",
                        "labelValue": "1",
                        "searchNamespace": "ALL",
                        "folderAnnotation": "grafana_folder",
                        "provider": {"foldersFromFilesStructure": True},
                    }
                },
            }
        )
    return out


def thanos_ruler_values(args: KubePrometheusStackArgs) -> dict[str, Any]:
    """``thanosRuler``: the chart's ThanosRuler, evaluating the PrometheusRules labelled ``global``
    through Thanos Query, with the Prometheus external labels (so its alerts group and inhibit
    like the shards') and one replica per Prometheus replica."""
    cfg = args.loaded.config
    p = cfg.prometheus
    registry, rest = pins.kps()["images"]["thanos"].split("/", 1)
    repository, tag = rest.rsplit(":", 1)
    spec: dict[str, Any] = {
        "image": {"registry": registry, "repository": repository, "tag": tag},
        "replicas": p.replicas,
        "evaluationInterval": p.evaluation_interval,
        "ruleNamespaceSelector": {},
        "ruleSelector": {"matchLabels": {PLACEMENT_LABEL: "global"}},
        "queryEndpoints": [naming.thanos_query_url(args.namespace)],
        "labels": external_labels(args),
    }
    if cfg.alertmanager.enabled:
        spec["alertmanagersUrl"] = [f"http://{naming.ALERTMANAGER_SERVICE}.{args.namespace}.svc:9093"]
    return {"thanosRuler": {"enabled": True, "thanosRulerSpec": spec}}


def external_labels(args: KubePrometheusStackArgs) -> dict[str, str]:
    cfg = args.loaded.config
    return {"cluster": cfg.cluster.name, "environment": args.loaded.environment, **dict(sorted(cfg.prometheus.external_labels.items()))}


class KubePrometheusStack(pulumi.ComponentResource):
    """The kube-prometheus-stack Helm release and the Secrets its values point to."""

    release: kres.Release

    def __init__(self, name: str, args: KubePrometheusStackArgs, opts: Optional[pulumi.ResourceOptions] = None,
                 depends_on: Optional[list[pulumi.Resource]] = None):
        super().__init__("infermon:monitoring:KubePrometheusStack", name, None, opts)
        cfg = args.loaded.config
        child = pulumi.ResourceOptions(parent=self)
        secrets: list[pulumi.Resource] = []

        def secret(suffix: str, secret_name: str, component: str, data: Any) -> None:
            secrets.append(
                kres.Secret(
                    f"{name}-{suffix}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=args.namespace, labels=naming.common_labels(component)),
                    type="Opaque",
                    string_data=pulumi.Output.secret(data),
                    opts=child,
                )
            )

        if cfg.grafana.enabled:
            g = cfg.grafana
            if g.admin_password_secret:
                password: pulumi.Output[str] = secret_output(g.admin_password_secret)
            else:
                password = random.RandomPassword(f"{name}-grafana-admin-password", length=32, special=False, opts=child).result
            secret("grafana-admin", naming.GRAFANA_ADMIN_SECRET, "grafana", {"admin-user": g.admin_user, "admin-password": password})

        rw_keys = {k: v for rw in cfg.prometheus.remote_write for k, v in remote_write_keys(rw).items()}
        if rw_keys:
            secret("remote-write", naming.REMOTE_WRITE_SECRET, "prometheus", {k: secret_output(v) for k, v in rw_keys.items()})

        if cfg.alertmanager.enabled and cfg.alertmanager.receivers:
            secret("alertmanager-receivers", naming.ALERTMANAGER_RECEIVERS_SECRET, "alertmanager",
                   {r.name: secret_output(r.secret) for r in cfg.alertmanager.receivers})

        # The operator's CRDs at exactly the chart's appVersion, applied by Pulumi before the
        # release so a chart bump upgrades them (Helm installs a chart's CRDs once and never
        # again). Server-side apply (the provider's default) takes over CRDs an earlier
        # install created; they are never deleted with the stack: that would delete every
        # ServiceMonitor, PodMonitor and PrometheusRule in the cluster.
        self.crds = k8s.yaml.v2.ConfigGroup(
            f"{name}-crds",
            files=pins.crd_urls(),
            opts=pulumi.ResourceOptions(parent=self, transforms=[adopt_crd]),
        )
        self.release = kres.Release(
            f"{name}-release",
            name=naming.RELEASE_NAME,
            chart=naming.CHART,
            version=args.chart_version,
            repository_opts={"repo": naming.CHART_REPO},
            namespace=args.namespace,
            values=values(args),
            timeout=900,
            cleanup_on_fail=True,
            skip_crds=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.crds] + secrets + list(depends_on or [])),
        )
        self.register_outputs({"releaseName": naming.RELEASE_NAME})
