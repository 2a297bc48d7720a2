"""Every container, volume and network of a Docker-host stack, host by host (no Pulumi here)."""

from __future__ import annotations


from .. import fastyaml
from ..alerts.rules import rule_files
from ..config import LoadedConfig
from ..kube_prometheus_stack import alertmanager_config
from . import containers as c
from . import grafana_provisioning, prometheus_config


def rules(loaded: LoadedConfig) -> dict[str, str]:
    """Rule file name -> YAML: the same files the Kubernetes path puts in PrometheusRules."""
    return {name: fastyaml.dump(doc, sort_keys=False, width=120) for name, doc in rule_files(loaded).items()}


def hosts(loaded: LoadedConfig) -> list[c.HostPlan]:
    cfg = loaded.config
    mon = c.monitoring_host(cfg)
    pools = {p.name: p for p in cfg.gpu_pools}
    out = []
    for h in cfg.docker.hosts:
        monitoring = h.name == mon.name
        specs: list[c.ContainerSpec] = []
        volumes: list[str] = []
        if monitoring:
            rule_texts = rules(loaded)
            prom = prometheus_config.dump(prometheus_config.config(loaded, list(rule_texts)))
            specs.append(c.prometheus(loaded, h.name, prom, rule_texts, prometheus_config.credentials(loaded)))
            volumes.append(c.volume_name("prometheus"))
            if cfg.alertmanager.enabled:
                specs.append(c.alertmanager(loaded, h.name, prometheus_config.dump(alertmanager_config(cfg.alertmanager))))
                volumes.append(c.volume_name("alertmanager"))
            if cfg.grafana.enabled:
                specs.append(c.grafana(loaded, h.name, grafana_provisioning.files(loaded), grafana_provisioning.dashboard_files(loaded)))
                volumes.append(c.volume_name("grafana"))
        specs.append(c.cadvisor(loaded, h, monitoring))
        if h.gpu_pool:
            specs.append(c.dcgm_exporter(loaded, h, pools[h.gpu_pool], monitoring))
        out.append(c.HostPlan(h, monitoring, specs, volumes))
    return out
