"""NVIDIA Triton Inference Server (folder Triton)."""

from .common import P, Row, cluster_variable, dashboard, datasource_variable, namespace_variable, query_variable

UID = "infermon-triton"
TITLE = "Triton Inference Server"
FOLDER = "Triton"
KINDS = ("triton",)
SELECT = {"namespace": '=~"$namespace"', "model": '=~"$model"'}

ROWS = [
    Row("Requests", (
        P("success_rate"),
        P("failure_rate"),
        P("requests_per_minute", title="Requests per minute (selected model)"),
    )),
    Row("Batching", (
        P("inference_rate", "execution_rate", title="Inferences vs executions"),
        P("batch_ratio"),
        P("pending_requests"),
    )),
    Row("Where the time goes", (
        P("queue_time"),
        P("compute_input_time"),
        P("compute_infer_time"),
        P("compute_output_time"),
        P("compute_time"),
    )),
    Row("Resources", (
        P("gpu_utilization"),
        P("gpu_memory_used"),
        P("gpu_power"),
        P("cpu_utilization"),
        P("cpu_memory_used"),
    )),
]


def build(ctx):
    variables = [
        datasource_variable(),
        cluster_variable(),
        namespace_variable("triton"),
        query_variable("service", "Service", 'label_values(up{inference_kind="triton", namespace=~"$namespace"}, service)'),
        query_variable("model", "Model", "label_values(" + ctx.key_selector('service=~"$service"') + ", model)"),
    ]
    return dashboard(UID, TITLE, "Triton: success and failures, batching, per-request time by phase, GPU and CPU.",
                     ["triton"], ctx, variables, ROWS)
