"""Seldon MLServer (metrics server on :8082/metrics), e.g. diffusion models.

Checked against MLServer's metrics docs and source (mlserver/handlers/dataplane.py,
parallel/dispatcher.py) and a scraped sample:
``model_infer_request_duration`` is a *summary without quantiles* (only _sum/_count), so
percentiles come from the REST server's ``rest_server_request_duration_seconds``
histogram (labels app_name, method, path, status_code; ``path`` is the route template,
e.g. ``/v2/models/{model_name}/infer``). ``parallel_request_queue`` and
``batch_request_queue`` are histograms of queue *size*: MLServer exports no queue wait time.
Managed platforms may re-export these under a prefix
(``inference:model_run:mlserver:model_infer_request_duration_count``): set the service's
``metricPrefix``.
"""

from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, quantile_signals, rate_or_zero, rate_sum

M = ("model", "version")
R = ("app_name", "method", "path", "status_code")

METRICS = (
    Metric("model_infer_request_success_total", "counter", "requests", "Successful model inferences.", M),
    Metric("model_infer_request_failure_total", "counter", "requests", "Failed model inferences.", M),
    Metric("model_infer_request_duration", "summary", "seconds", "Model inference duration (no quantiles).", M),
    Metric("rest_server_requests_total", "counter", "requests", "REST requests.", R),
    Metric("rest_server_request_duration_seconds", "histogram", "seconds", "REST request duration.", R),
    Metric("rest_server_requests_in_progress", "gauge", "requests", "REST requests in progress.", ("app_name", "method", "path")),
    Metric("parallel_request_queue", "histogram", "requests", "Size of the inference workers' request queue.", ()),
    Metric("batch_request_queue", "histogram", "requests", "Size of the adaptive batching queue.", M),
)

BY = "service, model, version"
LEG = "{{service}} {{model}}-{{version}}"
SUCCESS, FAILURE = "model_infer_request_success_total", "model_infer_request_failure_total"
TOTAL = rate_sum(SUCCESS, FAILURE, "service")
INFER = '{{rest_server_request_duration_seconds_bucket|path=~".*/infer"}}'

SIGNALS = (
    Signal("request_rate", "Requests",
           (TOTAL,),
           "reqps", "Model inference requests per second, successful and failed.", "{{service}}"),
    Signal("success_rate", "Successful inferences", (f"sum by ({BY}) (rate({{{{model_infer_request_success_total}}}}[{W}]))",),
           "reqps", "Successful inferences per second.", LEG),
    Signal("failure_rate", "Failed inferences", (f"sum by ({BY}) (rate({{{{model_infer_request_failure_total}}}}[{W}]))",),
           "reqps", "Failed inferences per second.", LEG),
    Signal("success_ratio", "Success ratio",
           (rate_or_zero(SUCCESS, FAILURE, "service") + f" / {nonzero(TOTAL)}",),
           "percentunit", "Successful inferences as a share of all inferences.", "{{service}}"),
    Signal("error_ratio", "Failure ratio",
           (rate_or_zero(FAILURE, SUCCESS, "service") + f" / {nonzero(TOTAL)}",),
           "percentunit", "Failed inferences as a share of all inferences.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
    Signal("inference_latency_mean", "Inference latency (mean)",
           (f"sum by (service, model) (rate({{{{model_infer_request_duration_sum}}}}[{W}])) / " + nonzero(f"sum by (service, model) (rate({{{{model_infer_request_duration_count}}}}[{W}]))"),),
           "s", "Mean model inference time over the rate window.", "{{service}} {{model}}", ((10, "red"),)),
    Signal("inference_throughput", "Inference throughput", (f"sum by (service, model) (rate({{{{model_infer_request_duration_count}}}}[{W}]))",),
           "reqps", "Inferences per second, per model.", "{{service}} {{model}}"),
    Signal("e2e_latency_mean", "E2E request latency (mean)",
           (f'sum by (service) (rate({{{{rest_server_request_duration_seconds_sum|path=~".*/infer"}}}}[{W}])) / ' + nonzero(f'sum by (service) (rate({{{{rest_server_request_duration_seconds_count|path=~".*/infer"}}}}[{W}]))'),),
           "s", "Mean REST inference request time over the rate window, as the server sees it.", "{{service}}"),
    Signal("rps_per_path", "Requests per path", (f"sum by (service, path) (rate({{{{rest_server_requests_total}}}}[{W}]))",),
           "reqps", "REST requests per second by route.", "{{service}} {{path}}"),
    Signal("http_error_ratio", "HTTP 5xx share",
           (f'sum by (service) (rate({{{{rest_server_requests_total|status_code=~"5.."}}}}[{W}])) / ' + nonzero(f"sum by (service) (rate({{{{rest_server_requests_total}}}}[{W}]))"),),
           "percentunit", "REST responses with a 5xx status as a share of all responses.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
    Signal("in_progress", "Requests in progress", ("sum by (service) ({{rest_server_requests_in_progress}})",),
           "short", "REST requests being handled.", "{{service}}"),
    *quantile_signals("request_latency", "Inference request latency", (INFER,), "service", "s",
                      "REST inference request latency from the rest_server_request_duration_seconds histogram.", "{{service}}"),
    Signal("queue_size_mean", "Worker queue size (mean)",
           (f"sum by (service) (rate({{{{parallel_request_queue_sum}}}}[{W}])) / " + nonzero(f"sum by (service) (rate({{{{parallel_request_queue_count}}}}[{W}]))"),),
           "short", "Mean number of requests queued for the inference workers (MLServer exports queue size, not wait time).", "{{service}}"),
    Signal("queue_size_p95", "Worker queue size p95",
           (f"histogram_quantile(0.95, sum by (le, service) (rate({{{{parallel_request_queue_bucket}}}}[{W}])))",),
           "short", "95th percentile of the inference workers' queue size.", "{{service}}", ((50, "red"),)),
    Signal("readiness", "Readiness answers",
           (f'sum by (service, status_code) (rate({{{{rest_server_requests_total|path=~".*/ready"}}}}[{W}]))',),
           "reqps", "Answers of the /ready endpoints by status code (anything but 200 means not ready).", "{{service}} {{status_code}}"),
    Signal("not_ready", "Non-200 readiness answers",
           (f'sum by (service) (rate({{{{rest_server_requests_total|path=~".*/ready", status_code!="200"}}}}[{W}]))',),
           "reqps", "Readiness probes answered with anything but 200 (the model or server is not ready).", "{{service}}"),
    Signal("latency", "Inference latency p95",
           (f"histogram_quantile(0.95, sum by (le, service) (rate({INFER}[{W}])))",),
           "s", "95th percentile REST inference latency.", "{{service}}"),
    Signal("saturation", "Requests in progress", ("sum by (service) ({{rest_server_requests_in_progress}})",),
           "short", "REST requests being handled.", "{{service}}"),
)

KIND = Kind("mlserver", "Seldon MLServer", METRICS, SIGNALS, model_label="model",
            key_metric="model_infer_request_success_total",
            source="MLServer docs (metrics), mlserver/handlers/dataplane.py, mlserver/parallel/dispatcher.py")
