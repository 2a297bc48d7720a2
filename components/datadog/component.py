"""The Datadog side of a stack: Agent (or its check configuration) and monitors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .. import fastyaml, naming, pins
from .. import k8s_resources as kres
from ..config import LoadedConfig, secret_output
from .checks import CREDENTIALS_SECRET, SECRET_DIR, check_files, credential_keys
from . import resources
from .monitors import MonitorSpec, monitor_specs, percentile_metrics

CHART = "datadog"
CHART_VERSION = pins.load()["datadog"]["chart"]
CHART_REPO = pins.load()["datadog"]["repo"]
API_KEY_SECRET = "infermon-datadog-api-key"
CHECKS_CONFIGMAP = "infermon-datadog-checks"
CLUSTER_AGENT_TOKEN_SECRET = "infermon-datadog-cluster-agent-token"
EXISTING_USAGE = ("values for the existing Datadog chart release: helm upgrade <release> datadog/datadog --reuse-values "
                  "-f values.yaml (the key values.yaml of this ConfigMap)")


def check_values(loaded: LoadedConfig) -> dict:
    """The part of the Datadog chart's values that carries infermon's checks: the check files in
    the Cluster Agent's conf.d (``clusterAgent.advancedConfd``), cluster checks and their runners
    with the credentials Secret mounted, and the node Agent's tolerations of the GPU pools. For
    ``agent: existing`` this is the snippet to add to the existing release's values."""
    confd: dict[str, dict[str, str]] = {}
    for path, conf in check_files(loaded).items():
        directory, file = path.split("/")
        confd.setdefault(directory, {})[file] = fastyaml.dump(conf, sort_keys=False)
    values: dict = {"datadog": {"clusterChecks": {"enabled": True}}, "clusterAgent": {"enabled": True, "advancedConfd": confd}}
    tolerations = agent_tolerations(loaded)
    if tolerations:  # the node Agent must run where the DCGM exporters and inference pods run
        values["agents"] = {"tolerations": tolerations}
    if credential_keys(loaded):
        values["clusterChecksRunner"] = {
            "enabled": True,
            "volumes": [{"name": "infermon-credentials", "secret": {"secretName": CREDENTIALS_SECRET}}],
            "volumeMounts": [{"name": "infermon-credentials", "mountPath": SECRET_DIR, "readOnly": True}],
        }
    return values


def agent_values(loaded: LoadedConfig) -> dict:
    """Values of the Datadog Agent chart infermon deploys: the checks (``check_values``), the API
    key from a Secret, a stable Cluster Agent token, no Datadog Operator."""
    cfg = loaded.config
    checks = check_values(loaded)
    values: dict = {
        "datadog": {
            "apiKeyExistingSecret": API_KEY_SECRET,
            "site": cfg.datadog.site,
            "clusterName": cfg.cluster.name,
            "tags": [f"env:{loaded.environment}", f"cluster:{cfg.cluster.name}"],
            "clusterChecks": {"enabled": True},
            # the chart would also install the Datadog Operator and its CRDs; infermon manages the Agent itself
            "operator": {"enabled": False},
        },
        # a token the chart would regenerate (randAlphaNum) on every render, restarting every Agent
        "clusterAgent": {**checks["clusterAgent"], "tokenExistingSecret": CLUSTER_AGENT_TOKEN_SECRET},
    }
    values.update({k: v for k, v in checks.items() if k not in ("datadog", "clusterAgent")})
    return values


def agent_tolerations(loaded: LoadedConfig) -> list[dict]:
    """Every taint the GPU pools' nodes carry, so the node Agent runs node-based checks there."""
    seen: dict[str, dict] = {}
    for pool in loaded.config.gpu_pools:
        for t in pool.tolerations:
            tol = t.model_dump(exclude_none=True)
            seen.setdefault(json.dumps(tol, sort_keys=True), tol)
    return [seen[k] for k in sorted(seen)]


@dataclass(frozen=True)
class DatadogArgs:
    loaded: LoadedConfig
    """The validated stack config."""


class DatadogIntegration(pulumi.ComponentResource):
    """Datadog Agent checks (Helm release or ConfigMap) and Datadog monitors."""

    def __init__(self, name: str, args: DatadogArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:datadog:Integration", name, None, opts)
        loaded = args.loaded
        dd = loaded.config.datadog
        child = pulumi.ResourceOptions(parent=self)
        ns_name = dd.namespace
        labels = naming.common_labels("datadog")
        deps: list[pulumi.Resource] = []
        if dd.agent == "deploy":
            deps.append(kres.Namespace(f"{name}-namespace", metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels=labels), opts=child))
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=deps)

        creds = credential_keys(loaded)
        if creds:
            deps.append(kres.Secret(
                f"{name}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CREDENTIALS_SECRET, namespace=ns_name, labels=labels),
                type="Opaque",
                string_data=pulumi.Output.secret({k: secret_output(v) for k, v in creds.items()}),
                opts=in_ns,
            ))
        if dd.agent == "deploy":
            deps.append(kres.Secret(
                f"{name}-api-key",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=API_KEY_SECRET, namespace=ns_name, labels=labels),
                type="Opaque",
                string_data=pulumi.Output.secret({"api-key": secret_output(dd.api_key_secret)}),
                opts=in_ns,
            ))
            token = random.RandomPassword(f"{name}-cluster-agent-token", length=32, special=False, opts=child)
            deps.append(kres.Secret(
                f"{name}-cluster-agent-token",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_AGENT_TOKEN_SECRET, namespace=ns_name, labels=labels),
                type="Opaque",
                string_data=pulumi.Output.secret({"token": token.result}),
                opts=in_ns,
            ))
            kres.Release(
                f"{name}-agent",
                name="datadog", chart=CHART, version=CHART_VERSION,
                repository_opts={"repo": CHART_REPO},
                namespace=ns_name, values=agent_values(loaded), timeout=900, cleanup_on_fail=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=deps),
            )
        else:
            # for the release someone else runs: `helm upgrade <release> datadog/datadog --reuse-values -f <this>`
            kres.ConfigMap(
                f"{name}-checks",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CHECKS_CONFIGMAP, namespace=ns_name, labels=labels,
                                                    annotations={"infermon.io/usage": EXISTING_USAGE}),
                data={"values.yaml": fastyaml.dump(check_values(loaded), sort_keys=False)},
                opts=in_ns,
            )

        specs = monitor_specs(loaded)
        if specs:
            provider = resources.Provider(f"{name}-provider", api_key=secret_output(dd.api_key_secret),
                                          app_key=secret_output(dd.app_key_secret), api_url=f"https://api.{dd.site}/", opts=child)
            on_dd = pulumi.ResourceOptions(parent=self, provider=provider)
            for s in specs:
                slug = s.name.split("] ", 1)[1].replace(" ", "-").lower()
                resources.Monitor(f"{name}-{slug}", monitor_inputs(s, dd.renotify_minutes), opts=on_dd)
            for metric in percentile_metrics(specs):
                resources.MetricTagConfiguration(f"{name}-percentiles-{metric.replace('.', '-').replace('_', '-')}",
                                                 percentile_inputs(metric), opts=on_dd)
        self.register_outputs({"monitors": len(specs)})


def monitor_inputs(s: MonitorSpec, renotify_minutes: Optional[int]) -> dict:
    """The inputs of one ``datadog.Monitor``, by the provider's names."""
    return {
        "name": s.name,
        "type": s.type,
        "query": s.query,
        "message": s.message,
        "monitorThresholds": {"critical": _num(s.threshold), **({"ok": "1"} if s.type == "service check" else {})},
        "priority": s.priority,
        "tags": s.tags,
        "notifyNoData": s.notify_no_data,
        "noDataTimeframe": 30 if s.notify_no_data else None,
        "renotifyInterval": renotify_minutes or None,
        "includeTags": True,
        "requireFullWindow": False,
    }


def percentile_inputs(metric: str) -> dict:
    """Percentiles on a distribution a monitor reads; exclude mode keeps every tag queryable (the
    bucket bounds are of no use on a distribution)."""
    return {"metricName": metric, "metricType": "distribution", "includePercentiles": True, "excludeTagsMode": True,
            "tags": ["lower_bound", "upper_bound"]}


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
