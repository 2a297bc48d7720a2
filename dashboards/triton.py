"""NVIDIA Triton Inference Server (folder Triton)."""

from .common import health_row, P, Row, dashboard, inference_variables

UID = "infermon-triton"
TITLE = "Triton Inference Server"
FOLDER = "Triton"
KINDS = ("triton",)
SELECT = {"namespace": '=~"$namespace"', "model": '=~"$model"'}

ROWS = [
    health_row(),
    Row("Requests", (
        P("success_rate"),
        P("failure_rate"),
        P("requests_per_minute", title="Requests per minute (selected model)"),
    )),
    Row("Batching", (
        P("inference_rate", "execution_rate", title="Inferences vs executions"),
        P("batch_ratio"),
        P("pending_requests"),
        P("cache_hit_ratio"),
    )),
    Row("Where the time goes", (
        P("request_time"),
        P("queue_time"),
        P("compute_input_time"),
        P("compute_infer_time"),
        P("compute_output_time"),
        P("compute_time"),
    )),
    Row("Resources", (
        P("gpu_utilization_max"),
        P("gpu_memory_used"),
        P("gpu_power"),
        P("cpu_utilization"),
        P("cpu_memory_ratio"),
        P("cpu_memory_used"),
    )),
]


def build(ctx):
    variables = inference_variables(ctx, "triton", "model")
    return dashboard(UID, TITLE, "Triton: success and failures, batching, per-request time by phase, GPU and CPU.",
                     ["triton"], ctx, variables, ROWS)
