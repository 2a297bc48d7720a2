"""Fleet overview: one row per inference service, linking to its kind's dashboard (folder Platform)."""

from grafana_foundation_sdk.builders import dashboard as db

from components.catalog import KINDS

from .common import Context, Flavor, P, build_panel, cluster_variable, datasource_variable, dashboard

UID = "infermon-fleet-overview"
TITLE = "Inference fleet overview"
FOLDER = "Platform"

COLUMNS = (
    P("targets_up", title="Up", viz="stat", width=3),
    P("alerts_firing", title="Firing", viz="stat", width=3),
    P("request_rate", title="Request rate", viz="stat", width=4),
    P("error_ratio", title="Error ratio", viz="stat", width=5),
    P("latency", title="Latency", viz="stat", width=5),
    P("saturation", title="Saturation", viz="stat", width=4),
)


def build(services: list[tuple[str, str, str, str]], multi_cluster: bool = False,
          limits: dict[tuple[str, str], tuple[str, float]] | None = None):
    """``services``: (service name, kind, metric prefix, uid of the kind's dashboard)."""
    ctx = Context(flavors=[], selector={}, multi_cluster=multi_cluster)
    d = dashboard(UID, TITLE, "Every inference service and managed endpoint: rate, errors, latency, saturation.",
                  ["platform"], ctx, [datasource_variable(), cluster_variable(ctx)], [])
    for name, kind, prefix, target_uid in services:
        row_ctx = Context(flavors=[Flavor(KINDS[kind], prefix)], selector={"cluster": '=~"$cluster"', "service": f'="{name}"'},
                          alert_thresholds=limits or {})
        row_ctx._next_id = ctx._next_id
        d = d.with_row(db.Row(f"{name} ({KINDS[kind].title})").id(row_ctx.next_id()))
        link = db.DashboardLink(f"{KINDS[kind].title} dashboard").type(dm_link()).url(f"/d/{target_uid}?var-service={name}").keep_time(True)
        for col in COLUMNS:
            panel = build_panel(row_ctx, col).links([link])
            d = d.with_panel(panel)
        ctx._next_id = row_ctx._next_id
    return d


def dm_link():
    from grafana_foundation_sdk.models import dashboard as dm

    return dm.DashboardLinkType.LINK
