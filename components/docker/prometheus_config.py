"""``prometheus.yml`` of a Docker-host stack: what the Prometheus Operator builds on Kubernetes.

Prometheus scrapes itself, Alertmanager, every host's cAdvisor and DCGM exporter (static
targets labelled with ``host``, and ``gpu_pool``/``node`` for GPUs as the Kubernetes
ServiceMonitor does), and the same inference and endpoint jobs as the Kubernetes path's
additional scrape configs. Rule files are the Kubernetes path's PrometheusRule specs.
"""

from __future__ import annotations

from typing import Any


from .. import fastyaml, naming
from ..config import LoadedConfig
from ..scrape_targets import plan as scrape_plan
from ..series_budget import keep_rule
from . import containers as c


def scrape_jobs(loaded: LoadedConfig) -> list[dict[str, Any]]:
    cfg = loaded.config
    env = loaded.environment
    mon = c.monitoring_host(cfg)
    used = cfg.metrics.keep == "used"
    jobs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": [f"localhost:{c.DEFAULTS['ports']['prometheus']}"], "labels": {"host": mon.name}}]},
    ]
    if cfg.alertmanager.enabled:
        jobs.append({"job_name": "alertmanager",
                     "static_configs": [{"targets": [f"alertmanager:{c.DEFAULTS['ports']['alertmanager']}"], "labels": {"host": mon.name}}]})

    cadvisor: dict[str, Any] = {
        "job_name": "cadvisor",
        "static_configs": [{"targets": [c.exporter_target(cfg, h, "cadvisor")], "labels": {"host": h.name, "environment": env}}
                           for h in cfg.docker.hosts],
    }
    if used and (rule := keep_rule(loaded, "docker-containers")):
        cadvisor["metric_relabel_configs"] = [rule]
    jobs.append(cadvisor)

    for pool in cfg.gpu_pools:
        hosts = [h for h in cfg.docker.hosts if h.gpu_pool == pool.name]
        job: dict[str, Any] = {
            "job_name": f"dcgm/{pool.name}",
            "scrape_interval": c.DEFAULTS["dcgm_scrape_interval"],
            "static_configs": [{"targets": [c.exporter_target(cfg, h, "dcgm-exporter")],
                                "labels": {"gpu_pool": pool.name, "node": h.name, "host": h.name, "environment": env}} for h in hosts],
        }
        if used and (rule := keep_rule(loaded, "dcgm")):
            job["metric_relabel_configs"] = [rule]
        jobs.append(job)
    return jobs + scrape_plan(loaded).jobs


def credentials(loaded: LoadedConfig) -> dict[str, str]:
    """Credential file path inside the Prometheus container -> config key of the secret."""
    return {naming.prometheus_secret_file(naming.SCRAPE_CREDENTIALS_SECRET, cr.file_key): cr.config_key
            for cr in scrape_plan(loaded).credentials}


def config(loaded: LoadedConfig, rule_names: list[str]) -> dict[str, Any]:
    cfg = loaded.config
    p = cfg.prometheus
    out: dict[str, Any] = {
        "global": {
            "scrape_interval": p.scrape_interval,
            "evaluation_interval": p.evaluation_interval,
            "external_labels": {"cluster": cfg.cluster.name, "environment": loaded.environment, **dict(sorted(p.external_labels.items()))},
        },
        "rule_files": [f"{c.PROMETHEUS_RULES_DIR}/{n}.yaml" for n in sorted(rule_names)],
    }
    if cfg.alertmanager.enabled:
        out["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [f"alertmanager:{c.DEFAULTS['ports']['alertmanager']}"]}]}]}
    out["scrape_configs"] = scrape_jobs(loaded)
    return out


def dump(doc: dict[str, Any]) -> str:
    return fastyaml.dump(doc, sort_keys=False, width=120)
