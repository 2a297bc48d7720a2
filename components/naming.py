"""Names and labels shared by every component: one place, so cross references hold.

Kubernetes objects get fixed ``metadata.name``s (no Pulumi auto-naming suffix) because
other objects and Helm values refer to them by name.
"""

from __future__ import annotations

from . import pins

RELEASE_NAME = "kube-prometheus-stack"
CHART = "kube-prometheus-stack"
CHART_VERSION = pins.kps()["chart"]
CHART_REPO = pins.kps()["repo"]

FULLNAME = "infermon"
"""``fullnameOverride`` of the chart: object names become ``infermon-<component>``."""
GRAFANA_FULLNAME = f"{FULLNAME}-grafana"

PROMETHEUS_SERVICE = f"{FULLNAME}-prometheus"
ALERTMANAGER_SERVICE = f"{FULLNAME}-alertmanager"
GRAFANA_SERVICE = GRAFANA_FULLNAME

THANOS_QUERY_SERVICE = f"{FULLNAME}-thanos-query"
THANOS_QUERY_PORT = 9090
THANOS_DISCOVERY_SERVICE = f"{FULLNAME}-thanos-discovery"
"""The chart's headless Service over the Thanos sidecars (``prometheus.thanosService``)."""
THANOS_RULER_GOVERNING_SERVICE = "thanos-ruler-operated"
"""The Service the Prometheus Operator creates for every ThanosRuler's pods."""

SCRAPE_CONFIG_SECRET = "infermon-additional-scrape-configs"
SCRAPE_CONFIG_KEY = "scrape-configs.yaml"
SCRAPE_CREDENTIALS_SECRET = "infermon-scrape-credentials"
REMOTE_WRITE_SECRET = "infermon-remote-write"
GRAFANA_ADMIN_SECRET = "infermon-grafana-admin"
ALERTMANAGER_RECEIVERS_SECRET = "infermon-alertmanager-receivers"

PROMETHEUS_SECRETS_DIR = "/etc/prometheus/secrets"
"""Where the operator mounts ``prometheusSpec.secrets`` (one directory per Secret)."""
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"
"""Where the operator mounts ``alertmanagerSpec.secrets``."""

MANAGED_BY = "infermon"


def common_labels(component: str, instance: str | None = None) -> dict[str, str]:
    """Labels every Kubernetes object infermon creates carries."""
    labels = {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/part-of": "infermon",
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if instance:
        labels["app.kubernetes.io/instance"] = instance
    return labels


def prometheus_secret_file(secret: str, key: str) -> str:
    return f"{PROMETHEUS_SECRETS_DIR}/{secret}/{key}"


def alertmanager_secret_file(secret: str, key: str) -> str:
    return f"{ALERTMANAGER_SECRETS_DIR}/{secret}/{key}"


def thanos_query_url(namespace: str) -> str:
    return f"http://{THANOS_QUERY_SERVICE}.{namespace}.svc:{THANOS_QUERY_PORT}"
