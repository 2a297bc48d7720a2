"""Dashboard delivery: the same dashboard JSON, two ways.

- ``sidecar`` (default): one ConfigMap per dashboard, labelled for the chart's dashboard
  sidecar, with the folder in the ``grafana_folder`` annotation. Works on the first
  ``pulumi up``, before the chart's Grafana exists.
- ``api``: folders and dashboards through the Grafana HTTP API of an existing Grafana
  (pulumiverse-grafana), authenticated with a service-account token from secret config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s

from . import naming
from . import k8s_resources as kres
from .config import LoadedConfig, secret_output

SIDECAR_LABEL = ("grafana_dashboard", "1")
FOLDER_ANNOTATION = "grafana_folder"


@dataclass(frozen=True)
class GrafanaDashboardsArgs:
    loaded: LoadedConfig
    """The validated stack config (delivery mode, Grafana url and token)."""

    namespace: str
    """Namespace of the sidecar ConfigMaps (the monitoring namespace)."""


class GrafanaDashboards(pulumi.ComponentResource):
    """Folders and dashboards for the kinds the stack runs."""

    def __init__(self, name: str, args: GrafanaDashboardsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("infermon:grafana:Dashboards", name, None, opts)
        import dashboards

        built = dashboards.build(args.loaded)
        g = args.loaded.config.grafana
        if g.delivery == "sidecar":
            for d in built:
                kres.ConfigMap(
                    f"{name}-{d.uid}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(
                        name=f"dashboard-{d.uid}",
                        namespace=args.namespace,
                        labels={**naming.common_labels("grafana-dashboard", d.uid), SIDECAR_LABEL[0]: SIDECAR_LABEL[1]},
                        annotations={FOLDER_ANNOTATION: d.folder},
                    ),
                    data={f"{d.uid}.json": d.json},
                    opts=pulumi.ResourceOptions(parent=self),
                )
        else:
            import pulumiverse_grafana as grafana  # only for delivery: api

            provider = grafana.Provider(
                f"{name}-provider",
                url=g.url,
                auth=secret_output(g.auth_secret),
                opts=pulumi.ResourceOptions(parent=self),
            )
            on_grafana = pulumi.ResourceOptions(parent=self, provider=provider)
            folders: dict[str, grafana.oss.Folder] = {}
            for title in sorted({d.folder for d in built}):
                folders[title] = grafana.oss.Folder(
                    f"{name}-folder-{dashboards.FOLDERS[title]}", title=title, uid=dashboards.FOLDERS[title], opts=on_grafana
                )
            for d in built:
                grafana.oss.Dashboard(
                    f"{name}-{d.uid}",
                    config_json=d.json,
                    folder=folders[d.folder].uid,
                    overwrite=True,
                    message=f"infermon: stack {args.loaded.stack}",
                    opts=on_grafana,
                )
        self.register_outputs({"dashboards": len(built)})
