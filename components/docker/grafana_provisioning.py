"""Grafana file provisioning on a Docker host: the Prometheus data source and the dashboards.

The dashboards are the JSON the Kubernetes path delivers through the sidecar, one directory
per folder (``foldersFromFilesStructure``), so the folders are the same as on Kubernetes.
"""

from __future__ import annotations

from ..config import LoadedConfig
from . import containers as c
from .prometheus_config import dump

DATASOURCE_UID = "infermon-prometheus"
PROVISIONING = "/etc/grafana/provisioning"


def files(loaded: LoadedConfig) -> dict[str, str]:
    """Container path -> content of every provisioning file."""
    datasource = {
        "apiVersion": 1,
        "datasources": [{
            "name": "Prometheus",
            "uid": DATASOURCE_UID,
            "type": "prometheus",
            "access": "proxy",
            "url": f"http://prometheus:{c.DEFAULTS['ports']['prometheus']}",
            "isDefault": True,
            "editable": False,
            "jsonData": {"timeInterval": loaded.config.prometheus.scrape_interval},
        }],
    }
    provider = {
        "apiVersion": 1,
        "providers": [{
            "name": "infermon",
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 60,
            "options": {"path": c.DEFAULTS["dashboards_dir"], "foldersFromFilesStructure": True},
        }],
    }
    return {f"{PROVISIONING}/datasources/infermon.yaml": dump(datasource), f"{PROVISIONING}/dashboards/infermon.yaml": dump(provider)}


def dashboard_files(loaded: LoadedConfig) -> dict[str, str]:
    """``<folder>/<uid>.json`` of every dashboard the stack delivers."""
    import dashboards

    return {f"{d.folder}/{d.uid}.json": d.json for d in dashboards.build(loaded)}
