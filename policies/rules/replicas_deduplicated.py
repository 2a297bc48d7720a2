"""Prometheus HA replicas are read through a deduplicating view.

With ``replicas > 1`` and no Thanos sidecar, Grafana's datasource is the Prometheus Service,
which load-balances every query between copies that scraped at different moments: a panel
shows one copy, then the other, and a restart gap on one shows up at random. A warning:
alerts still work (each replica evaluates every rule, Alertmanager deduplicates).
"""

from ._common import Resource, Rule, kps_values


def validate(r: Resource, config) -> list[str]:
    values = kps_values(r)
    if values is None:
        return []
    spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
    replicas = spec.get("replicas", 1) or 1
    if replicas <= 1 or spec.get("thanos"):
        return []
    return [f"prometheusSpec.replicas is {replicas} with no deduplicating view: Grafana's datasource load-balances between the "
            "replicas, so panels alternate between copies scraped at different moments and show each one's gaps. Set "
            "prometheus.globalView: thanos (Thanos Query removes the prometheus_replica label), or replicas: 1"]


RULE = Rule("prometheus-replicas-deduplicated", "Prometheus replicas are queried through a deduplicating view (Thanos Query), "
            "not load-balanced behind one Service.", validate)
