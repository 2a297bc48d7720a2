"""Databricks Model Serving endpoints (metrics export API, scraped once a minute).

Checked against Databricks' "Track and export serving endpoint health metrics" page and
its Datadog integration. Every figure is a per-minute value: ``request_count_total`` and
the other ``*_total`` series are gauges despite the name (the count in the last minute),
so they are divided by 60, never ``rate()``d. ``request_latency_ms`` is a histogram of the
last minute, so quantiles need no ``rate()``. GPU series exist only for GPU endpoints.
The series carry no model label: infermon's ``service`` and ``endpoint`` labels identify them.
"""

from .base import Kind, Metric, Signal, nonzero

METRICS = (
    Metric("request_count_total", "gauge", "requests", "Requests in the last minute.", ()),
    Metric("request_4xx_count_total", "gauge", "requests", "4xx errors in the last minute.", ()),
    Metric("request_5xx_count_total", "gauge", "requests", "5xx errors in the last minute.", ()),
    Metric("provisioned_concurrent_requests_total", "gauge", "requests", "Provisioned concurrency in the last minute.", ()),
    Metric("cpu_usage_percentage", "gauge", "percent", "Average CPU usage across replicas in the last minute.", ()),
    Metric("mem_usage_percentage", "gauge", "percent", "Average memory usage across replicas in the last minute.", ()),
    Metric("gpu_usage_percentage", "gauge", "percent", "GPU usage across GPUs in the last minute (GPU endpoints).", ()),
    Metric("gpu_mem_usage_percentage", "gauge", "percent", "GPU memory usage across GPUs in the last minute (GPU endpoints).", ()),
    Metric("request_latency_ms", "histogram", "milliseconds", "Round-trip latency of the last minute.", ()),
    Metric("model_queue_time_ms", "histogram", "milliseconds", "Time requests waited for the model in the last minute.", ()),
)

BY = "service, endpoint"
MIN_REQUESTS = 10
"""Requests a minute below which an endpoint's error ratio is not computed (no alert on 1 of 2)."""
LEG = "{{service}} {{endpoint}}"


def _latency(q: float) -> Signal:
    return Signal(f"latency_p{int(q * 100)}", f"Latency p{int(q * 100)}",
                  (f"histogram_quantile({q}, sum by (le, {BY}) ({{{{request_latency_ms_bucket}}}}))",),
                  "ms", f"{int(q * 100)}th percentile round-trip latency in the last minute.", f"{LEG} p{int(q * 100)}")


SIGNALS = (
    Signal("request_rate", "Requests", ("sum by (service) ({{request_count_total}}) / 60",), "reqps",
           "Requests per second (per-minute count / 60).", "{{service}}"),
    Signal("requests_per_second", "Requests/s", (f"sum by ({BY}) ({{{{request_count_total}}}}) / 60",), "reqps",
           "Requests per second, per endpoint (per-minute count / 60).", LEG),
    Signal("errors_4xx", "4xx/s", (f"sum by ({BY}) ({{{{request_4xx_count_total}}}}) / 60",), "reqps", "Client errors per second.", LEG),
    Signal("errors_5xx", "5xx/s", (f"sum by ({BY}) ({{{{request_5xx_count_total}}}}) / 60",), "reqps", "Server errors per second.", LEG),
    Signal("error_ratio", "5xx ratio", ("sum by (service) ({{request_5xx_count_total}}) / " + nonzero("sum by (service) ({{request_count_total}})"),),
           "percentunit", "Server errors as a share of requests in the last minute.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
    Signal("error_ratio_endpoint", "5xx ratio per endpoint",
           (f"sum by ({BY}) ({{{{request_5xx_count_total}}}}) / (sum by ({BY}) ({{{{request_count_total}}}}) >= {MIN_REQUESTS})",),
           "percentunit", f"Server errors as a share of requests in the last minute, per endpoint; shown from {MIN_REQUESTS} "
           "requests a minute (below that one error is a large share of nothing).", LEG, ((0.01, "orange"), (0.05, "red"))),
    _latency(0.5),
    _latency(0.99),
    Signal("cpu_usage", "CPU", (f"max by ({BY}) ({{{{cpu_usage_percentage}}}})",), "percent", "Average CPU usage across replicas.", LEG,
           ((80, "orange"), (95, "red"))),
    Signal("memory_usage", "Memory", (f"max by ({BY}) ({{{{mem_usage_percentage}}}})",), "percent", "Average memory usage across replicas.", LEG,
           ((80, "orange"), (95, "red"))),
    Signal("provisioned_concurrency", "Provisioned concurrency", (f"max by ({BY}) ({{{{provisioned_concurrent_requests_total}}}})",),
           "short", "Provisioned concurrency.", LEG),
    Signal("gpu_usage", "GPU", (f"max by ({BY}) ({{{{gpu_usage_percentage}}}})",), "percent", "GPU usage (GPU endpoints only).", LEG),
    Signal("gpu_memory_usage", "GPU memory", (f"max by ({BY}) ({{{{gpu_mem_usage_percentage}}}})",), "percent",
           "GPU memory usage (GPU endpoints only).", LEG, ((85, "orange"), (95, "red"))),
    Signal("latency", "Latency p99", ("histogram_quantile(0.99, sum by (le, service) ({{request_latency_ms_bucket}})) / 1000",),
           "s", "99th percentile round-trip latency in the last minute.", "{{service}}"),
    Signal("saturation", "CPU", ("max by (service) ({{cpu_usage_percentage}}) / 100",), "percentunit",
           "Busiest replica CPU share.", "{{service}}"),
)

KIND = Kind("databricks", "Databricks Model Serving", METRICS, SIGNALS, model_label=None,
            key_metric="request_count_total",
            source="Databricks docs: metrics export for serving endpoints; Datadog databricks integration metadata")
