"""Managed endpoints: Databricks Model Serving (folder Managed endpoints)."""

from .common import health_row, P, Row, dashboard, datasource_variable, cluster_variable, query_variable

UID = "infermon-managed-endpoints"
TITLE = "Managed endpoints"
FOLDER = "Managed endpoints"
KINDS = ("databricks",)
SELECT = {"endpoint": '=~"$endpoint"'}

ROWS = [
    health_row(),
    Row("Traffic", (
        P("latency_p50", "latency_p99", title="Latency p50 / p99"),
        P("requests_per_second"),
        P("errors_4xx", "errors_5xx", title="4xx and 5xx per second"),
        P("error_ratio_endpoint"),
    )),
    Row("Capacity", (
        P("cpu_usage"),
        P("memory_usage"),
        P("provisioned_concurrency"),
        P("gpu_usage"),
        P("gpu_memory_usage"),
    )),
]


def build(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(ctx),
        query_variable("service", "Service", 'label_values(up{endpoint_kind="databricks"}, service)'),
        query_variable("endpoint", "Endpoint", 'label_values(up{endpoint_kind="databricks", service=~"$service"}, endpoint)'),
    ]
    return dashboard(UID, TITLE, "Databricks Model Serving endpoints (per-minute figures from the metrics export API).",
                     ["databricks"], ctx, variables, ROWS)
