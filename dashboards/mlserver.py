"""Seldon MLServer, e.g. diffusion models (folder Diffusion)."""

from .common import P, Row, cluster_variable, dashboard, datasource_variable, namespace_variable, query_variable

UID = "infermon-mlserver"
TITLE = "MLServer"
FOLDER = "Diffusion"
KINDS = ("mlserver",)
SELECT = {"namespace": '=~"$namespace"', "model": '=~"$model"'}

ROWS = [
    Row("Latency and throughput", (
        P("e2e_latency_1m"),
        P("inference_latency_1m"),
        P("inference_throughput_1m"),
        P("request_latency_p50", "request_latency_p95", "request_latency_p99", title="Inference request latency"),
    )),
    Row("Requests", (
        P("rps_per_path"),
        P("http_error_ratio"),
        P("in_progress"),
        P("success_rate", "failure_rate", title="Success and failure rates"),
        P("success_ratio", viz="stat"),
    )),
    Row("Queue and readiness", (
        P("queue_size_mean", "queue_size_p95", title="Worker queue size (mean, p95)"),
        P("readiness"),
    )),
]


def build(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(),
        namespace_variable("mlserver"),
        query_variable("service", "Service", 'label_values(up{inference_kind="mlserver", namespace=~"$namespace"}, service)'),
        query_variable("model", "Model", "label_values(" + ctx.key_selector('service=~"$service"') + ", model)"),
    ]
    return dashboard(UID, TITLE, "MLServer: latency, throughput, requests per path, errors, queue and readiness.",
                     ["diffusion"], ctx, variables, ROWS)
