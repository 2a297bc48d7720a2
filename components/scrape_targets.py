"""Scrape targets outside Kubernetes service discovery.

Static inference targets (e.g. Triton on :8002), Databricks serving endpoints and other
Prometheus endpoints become Prometheus ``scrape_configs`` jobs. They live in a Secret
infermon owns, referenced by ``prometheusSpec.additionalScrapeConfigsSecret``, never in
Helm values. Tokens are not in that Secret either: each job reads its bearer token from a
file the operator mounts from a second Secret listed in ``prometheusSpec.secrets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from . import fastyaml, naming
from . import k8s_resources as kres
from .config import LoadedConfig, secret_output
from .series_budget import keep_mode, keep_rule

DATABRICKS_METRICS_PATH = "/api/2.0/serving-endpoints/{name}/metrics"


@dataclass(frozen=True)
class Credential:
    file_key: str
    """Key inside the credentials Secret (and file name under its mount)."""
    config_key: str
    """Top-level config key holding the secret value."""


@dataclass(frozen=True)
class ScrapePlan:
    jobs: list[dict[str, Any]]
    credentials: list[Credential]

    def yaml(self) -> str:
        return dump_jobs(self.jobs)


def dump_jobs(jobs: list[dict[str, Any]]) -> str:
    return fastyaml.dump(jobs, sort_keys=False) if jobs else "[]\n"


def _labels(service: str, environment: str, team: Optional[str], **extra: str) -> dict[str, str]:
    labels = {"service": service, "environment": environment}
    if team:
        labels["team"] = team
    labels.update(extra)
    return labels


FALLBACK_SCRAPE_PROTOCOL = "PrometheusText0.0.4"
"""For servers whose Content-Type is not known (Databricks documents none; ``generic`` and
``prometheus`` targets can be anything): Prometheus 3 refuses a scrape with a missing or
unknown Content-Type unless the job names a fallback; Prometheus 2 assumed this format."""


def plan(loaded: LoadedConfig) -> ScrapePlan:
    """Jobs and credential files for every target outside service discovery, in config order."""
    cfg = loaded.config
    env = loaded.environment
    jobs: list[dict[str, Any]] = []
    creds: list[Credential] = []

    for s in cfg.inference:
        if not s.static_targets:
            continue
        job: dict[str, Any] = {"job_name": f"inference/{s.name}", "scheme": s.scheme, "metrics_path": s.path}
        if s.interval:
            job["scrape_interval"] = s.interval
        if s.kind == "generic":
            job["fallback_scrape_protocol"] = FALLBACK_SCRAPE_PROTOCOL
        job["static_configs"] = [{"targets": list(s.static_targets), "labels": _labels(s.name, env, s.team, inference_kind=s.kind)}]
        if keep_mode(loaded, s) == "used" and (rule := keep_rule(loaded, s.kind, s.metric_prefix or "")):
            job["metric_relabel_configs"] = [rule]
        jobs.append(job)

    for e in cfg.endpoints:
        auth = None
        if e.token_secret:
            key = f"{e.name}-token"
            creds.append(Credential(key, e.token_secret))
            auth = {"type": "Bearer", "credentials_file": naming.prometheus_secret_file(naming.SCRAPE_CREDENTIALS_SECRET, key)}
        port = e.port or (443 if e.scheme == "https" else 80)
        target = f"{e.host}:{port}"
        targets = [(f"endpoint/{e.name}/{ep}", DATABRICKS_METRICS_PATH.format(name=ep), {"endpoint": ep}) for ep in e.endpoints] \
            if e.kind == "databricks" else [(f"endpoint/{e.name}", e.path, {})]
        for job_name, path, extra in targets:
            job = {
                "job_name": job_name,
                "scheme": e.scheme,
                "metrics_path": path,
                "scrape_interval": e.interval,
                "scrape_timeout": "30s" if _seconds(e.interval) > 30 else e.interval,
                "fallback_scrape_protocol": FALLBACK_SCRAPE_PROTOCOL,
            }
            if auth:
                job["authorization"] = dict(auth)
            if cfg.metrics.keep == "used" and e.kind == "databricks" and (rule := keep_rule(loaded, e.kind)):
                job["metric_relabel_configs"] = [rule]
            job["static_configs"] = [{"targets": [target], "labels": _labels(e.name, env, e.team, endpoint_kind=e.kind, **extra)}]
            jobs.append(job)
    return ScrapePlan(sorted(jobs, key=lambda j: j["job_name"]), sorted(creds, key=lambda c: c.file_key))


def _seconds(duration: str) -> float:
    import re

    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", duration))


@dataclass(frozen=True)
class ExternalScrapeTargetsArgs:
    loaded: LoadedConfig
    """The validated stack config."""

    namespace: str
    """Namespace of the Prometheus the Secrets are for."""


class ExternalScrapeTargets(pulumi.ComponentResource):
    """The additional-scrape-configs Secret and the credentials Secret its jobs read."""

    scrape_config_secret: str
    credentials_secret: Optional[str]

    def __init__(self, name: str, args: ExternalScrapeTargetsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:prometheus:ExternalScrapeTargets", name, None, opts)
        p = plan(args.loaded)
        child = pulumi.ResourceOptions(parent=self)
        labels = naming.common_labels("prometheus-scrape-configs")
        self.secrets: list[pulumi.Resource] = [
            kres.Secret(
                f"{name}-configs",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=naming.SCRAPE_CONFIG_SECRET, namespace=args.namespace, labels=labels),
                type="Opaque",
                string_data={naming.SCRAPE_CONFIG_KEY: p.yaml()},
                opts=child,
            )
        ]
        self.scrape_config_secret = naming.SCRAPE_CONFIG_SECRET
        self.credentials_secret = None
        if p.credentials:
            data = {c.file_key: secret_output(c.config_key) for c in p.credentials}
            self.secrets.append(
                kres.Secret(
                    f"{name}-credentials",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=naming.SCRAPE_CREDENTIALS_SECRET, namespace=args.namespace, labels=labels),
                    type="Opaque",
                    string_data=pulumi.Output.secret(data),
                    opts=child,
                )
            )
            self.credentials_secret = naming.SCRAPE_CREDENTIALS_SECRET
        self.register_outputs({"jobs": len(p.jobs)})
