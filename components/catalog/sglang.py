"""SGLang (``--enable-metrics``; ``/metrics`` on the server port).

Checked against python/sglang/srt/metrics/collector.py and SGLang's production metrics
doc. Names differ from vLLM (``sglang:num_running_reqs``, ``sglang:num_queue_reqs``);
``sglang:token_usage`` is the KV-pool usage ratio and ``sglang:cache_hit_rate`` the prefix
(radix) cache hit rate, both gauges. The prompt/generation length histograms exist only
with ``--collect-tokens-histogram``. Label: ``model_name``.
"""

from . import llm
from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, quantile_signals, rate_or_zero

L = ("model_name",)

METRICS = (
    Metric("sglang:num_running_reqs", "gauge", "requests", "Running requests.", L),
    Metric("sglang:num_queue_reqs", "gauge", "requests", "Requests in the waiting queue.", L),
    Metric("sglang:num_used_tokens", "gauge", "tokens", "Used tokens in the KV pool.", L),
    Metric("sglang:token_usage", "gauge", "ratio", "KV token pool usage.", L),
    Metric("sglang:cache_hit_rate", "gauge", "ratio", "Prefix cache hit rate.", L),
    Metric("sglang:gen_throughput", "gauge", "tokens/s", "Generation throughput.", L),
    Metric("sglang:prompt_tokens_total", "counter", "tokens", "Prefill tokens processed.", L),
    Metric("sglang:generation_tokens_total", "counter", "tokens", "Generation tokens processed.", L),
    Metric("sglang:num_requests_total", "counter", "requests", "Requests processed.", L),
    Metric("sglang:num_aborted_requests_total", "counter", "requests", "Requests aborted.", L),
    Metric("sglang:http_responses_total", "counter", "responses", "HTTP responses by endpoint and status code.", ("endpoint", "status_code", "method")),
    Metric("sglang:time_to_first_token_seconds", "histogram", "seconds", "Time to first token.", L),
    Metric("sglang:inter_token_latency_seconds", "histogram", "seconds", "Inter-token latency.", L),
    Metric("sglang:queue_time_seconds", "histogram", "seconds", "Time requests wait in the scheduler's queue.", L),
    Metric("sglang:e2e_request_latency_seconds", "histogram", "seconds", "End-to-end request latency.", L),
    Metric("sglang:prompt_tokens_histogram", "histogram", "tokens", "Prompt length (with --collect-tokens-histogram).", L),
    Metric("sglang:generation_tokens_histogram", "histogram", "tokens", "Generation length (with --collect-tokens-histogram).", L),
)

BY = llm.BY
LEG = llm.LEG
NOT_API = 'endpoint!~"/metrics|/health.*|/get_.*", exported_endpoint!~"/metrics|/health.*|/get_.*"'
"""SGLang's own ``endpoint`` label (the route) is ``exported_endpoint`` where the Prometheus Operator
sets its ``endpoint`` target label (the port): match the route under either name."""


def signals(p: str = "sglang:", running: str = "sglang:num_running_reqs", waiting: str = "sglang:num_queue_reqs") -> tuple[Signal, ...]:
    return (
        Signal("request_rate", "Requests", (f"sum by (service) (rate({{{{{p}num_requests_total}}}}[{W}]))",),
               "reqps", "Finished requests per second.", "{{service}}"),
        Signal("error_ratio", "Error ratio",
               (rate_or_zero(f'{p}http_responses_total|status_code=~"5..", {NOT_API}', f"{p}http_responses_total|{NOT_API}", "service")
                + " / " + nonzero(f"sum by (service) (rate({{{{{p}http_responses_total|{NOT_API}}}}}[{W}]))"),),
               "percentunit", "HTTP 5xx responses as a share of the API's responses (sglang:http_responses_total, without /metrics and "
               "health checks); client aborts are not errors.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
        Signal("aborted_ratio", "Aborted ratio",
               (f"sum by (service) (rate({{{{{p}num_aborted_requests_total}}}}[{W}])) / " + nonzero(f"sum by (service) (rate({{{{{p}num_requests_total}}}}[{W}]))"),),
               "percentunit", "Aborted requests (clients going away, requests rejected by a full queue) as a share of requests.", "{{service}}",
               ((0.05, "orange"), (0.2, "red"))),
        *quantile_signals("ttft", "Time to first token", (f"{{{{{p}time_to_first_token_seconds_bucket}}}}",), BY, "s",
                          "Time from request arrival to the first generated token.", LEG),
        *quantile_signals("e2e_latency", "E2E latency", (f"{{{{{p}e2e_request_latency_seconds_bucket}}}}",), BY, "s",
                          "End-to-end request latency.", LEG),
        *quantile_signals("itl", "Time per output token", (f"{{{{{p}inter_token_latency_seconds_bucket}}}}",), BY, "s",
                          "Time between output tokens.", LEG),
        llm.mean("e2e_latency_mean", "E2E latency mean", f"{p}e2e_request_latency_seconds", "Mean end-to-end request latency."),
        llm.heatmap("e2e_latency_heatmap", "E2E latency distribution", f"{p}e2e_request_latency_seconds",
                    "Finished requests per second in each end-to-end latency bucket: a second mode shows a slow class of requests."),
        *quantile_signals("queue_time", "Queue time", (f"{{{{{p}queue_time_seconds_bucket}}}}",), BY, "s",
                          "Time requests wait in the scheduler's queue before they are admitted.", LEG),
        *llm.per_instance(running, waiting),
        *quantile_signals("prompt_length", "Prompt length", (f"{{{{{p}prompt_tokens_histogram_bucket}}}}",), BY, "short",
                          "Prompt tokens per request (needs --collect-tokens-histogram).", LEG),
        *quantile_signals("generation_length", "Generation length", (f"{{{{{p}generation_tokens_histogram_bucket}}}}",), BY, "short",
                          "Generated tokens per request (needs --collect-tokens-histogram).", LEG),
        *llm.throughput(p),
        Signal("running", "Running requests", (f"sum by ({BY}) ({{{{{running}}}}})",), "short", "Requests running.", LEG),
        Signal("waiting", "Waiting requests", (f"sum by ({BY}) ({{{{{waiting}}}}})",), "short", "Requests queued.", LEG),
        Signal("kv_cache_usage", "KV-cache utilisation", (f"max by ({BY}, instance) ({{{{{p}token_usage}}}})",),
               "percentunit", "Share of the KV token pool in use.", LEG + " {{instance}}", ((0.9, "orange"), (0.98, "red"))),
        Signal("prefix_cache_hit_rate", "Prefix-cache hit rate", (f"avg by ({BY}) ({{{{{p}cache_hit_rate}}}})",),
               "percentunit", "Prefix (radix) cache hit rate.", LEG),
        llm.latency(p),
        Signal("saturation", "KV-cache utilisation", (f"max by (service) ({{{{{p}token_usage}}}})",),
               "percentunit", "Fullest KV token pool of the service.", "{{service}}"),
    )


KIND = Kind("sglang", "SGLang", METRICS, signals(), model_label="model_name",
            key_metric="sglang:num_running_reqs",
            source="sglang python/sglang/srt/metrics/collector.py; docs/references/production_metrics.md")
