"""The Datadog side of a stack: Agent (or its check configuration) and monitors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
import yaml

from .. import naming
from ..config import LoadedConfig, secret_output
from .checks import CREDENTIALS_SECRET, SECRET_DIR, check_files, credential_keys
from .monitors import monitor_specs

CHART = "datadog"
CHART_VERSION = "3.240.0"
CHART_REPO = "https://helm.datadoghq.com"
API_KEY_SECRET = "infermon-datadog-api-key"
CHECKS_CONFIGMAP = "infermon-datadog-checks"


def agent_values(loaded: LoadedConfig) -> dict:
    """Values of the Datadog Agent chart: checks in the Cluster Agent's conf.d, cluster
    checks on dedicated runners that mount the credentials Secret."""
    cfg = loaded.config
    confd: dict[str, dict[str, str]] = {}
    for path, conf in check_files(loaded).items():
        directory, file = path.split("/")
        confd.setdefault(directory, {})[file] = yaml.safe_dump(conf, sort_keys=False)
    values: dict = {
        "datadog": {
            "apiKeyExistingSecret": API_KEY_SECRET,
            "site": cfg.datadog.site,
            "clusterName": cfg.cluster.name,
            "tags": [f"env:{loaded.environment}", f"cluster:{cfg.cluster.name}"],
            "clusterChecks": {"enabled": True},
        },
        "clusterAgent": {"enabled": True, "advancedConfd": confd},
    }
    if credential_keys(loaded):
        values["clusterChecksRunner"] = {
            "enabled": True,
            "volumes": [{"name": "infermon-credentials", "secret": {"secretName": CREDENTIALS_SECRET}}],
            "volumeMounts": [{"name": "infermon-credentials", "mountPath": SECRET_DIR, "readOnly": True}],
        }
    return values


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
            deps.append(k8s.core.v1.Namespace(f"{name}-namespace", metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels=labels), opts=child))
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=deps)

        creds = credential_keys(loaded)
        if creds:
            deps.append(k8s.core.v1.Secret(
                f"{name}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CREDENTIALS_SECRET, namespace=ns_name, labels=labels),
                type="Opaque",
                string_data=pulumi.Output.secret({k: secret_output(v) for k, v in creds.items()}),
                opts=in_ns,
            ))
        if dd.agent == "deploy":
            deps.append(k8s.core.v1.Secret(
                f"{name}-api-key",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=API_KEY_SECRET, namespace=ns_name, labels=labels),
                type="Opaque",
                string_data=pulumi.Output.secret({"api-key": secret_output(dd.api_key_secret)}),
                opts=in_ns,
            ))
            k8s.helm.v3.Release(
                f"{name}-agent",
                k8s.helm.v3.ReleaseArgs(
                    name="datadog", chart=CHART, version=CHART_VERSION,
                    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
                    namespace=ns_name, values=agent_values(loaded), timeout=900, cleanup_on_fail=True,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=deps),
            )
        else:
            data = {path.replace("/", "_"): yaml.safe_dump(conf, sort_keys=False) for path, conf in check_files(loaded).items()}
            k8s.core.v1.ConfigMap(
                f"{name}-checks",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CHECKS_CONFIGMAP, namespace=ns_name, labels=labels,
                                                    annotations={"infermon.io/mount": "Cluster Agent conf.d: <check>.d_<file> is <check>.d/<file>"}),
                data=data,
                opts=in_ns,
            )

        specs = monitor_specs(loaded)
        if specs:
            import pulumi_datadog as datadog  # a large SDK: imported only for stacks with monitors

            provider = datadog.Provider(
                f"{name}-provider",
                api_key=secret_output(dd.api_key_secret),
                app_key=secret_output(dd.app_key_secret),
                api_url=f"https://api.{dd.site}/",
                opts=child,
            )
            on_dd = pulumi.ResourceOptions(parent=self, provider=provider)
            for s in specs:
                slug = s.name.split("] ", 1)[1].replace(" ", "-").lower()
                datadog.Monitor(
                    f"{name}-{slug}",
                    name=s.name,
                    type="query alert",
                    query=s.query,
                    message=s.message,
                    monitor_thresholds=datadog.MonitorMonitorThresholdsArgs(critical=_num(s.threshold)),
                    priority=s.priority,
                    tags=s.tags,
                    notify_no_data=s.notify_no_data,
                    no_data_timeframe=30 if s.notify_no_data else None,
                    renotify_interval=dd.renotify_minutes or None,
                    include_tags=True,
                    require_full_window=False,
                    opts=on_dd,
                )
        self.register_outputs({"monitors": len(specs)})


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
