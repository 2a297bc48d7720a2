"""Seldon MLServer, e.g. diffusion models (folder Diffusion)."""

from .common import health_row, P, Row, dashboard, inference_variables

UID = "infermon-mlserver"
TITLE = "MLServer"
FOLDER = "Diffusion"
KINDS = ("mlserver",)
SELECT = {"namespace": '=~"$namespace"', "model": '=~"$model"'}

ROWS = [
    health_row(),
    Row("Latency and throughput", (
        P("e2e_latency_mean"),
        P("inference_latency_mean"),
        P("inference_throughput"),
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
    variables = inference_variables(ctx, "mlserver", "model")
    return dashboard(UID, TITLE, "MLServer: latency, throughput, requests per path, errors, queue and readiness.",
                     ["diffusion"], ctx, variables, ROWS)
