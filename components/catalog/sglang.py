"""SGLang (``--enable-metrics``; ``/metrics`` on the server port).

Checked against python/sglang/srt/metrics/collector.py and SGLang's production metrics
doc. Names differ from vLLM (``sglang:num_running_reqs``, ``sglang:num_queue_reqs``);
``sglang:token_usage`` is the KV-pool usage ratio and ``sglang:cache_hit_rate`` the prefix
(radix) cache hit rate, both gauges. The prompt/generation length histograms exist only
with ``--collect-tokens-histogram``. Label: ``model_name``.
"""

from . import llm
from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, quantile_signals

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
    Metric("sglang:time_to_first_token_seconds", "histogram", "seconds", "Time to first token.", L),
    Metric("sglang:inter_token_latency_seconds", "histogram", "seconds", "Inter-token latency.", L),
    Metric("sglang:e2e_request_latency_seconds", "histogram", "seconds", "End-to-end request latency.", L),
    Metric("sglang:prompt_tokens_histogram", "histogram", "tokens", "Prompt length (with --collect-tokens-histogram).", L),
    Metric("sglang:generation_tokens_histogram", "histogram", "tokens", "Generation length (with --collect-tokens-histogram).", L),
)

BY = llm.BY
LEG = llm.LEG


def signals(p: str = "sglang:", running: str = "sglang:num_running_reqs", waiting: str = "sglang:num_queue_reqs") -> tuple[Signal, ...]:
    return (
        Signal("request_rate", "Requests", (f"sum by (service) (rate({{{{{p}num_requests_total}}}}[{W}]))",),
               "reqps", "Finished requests per second.", "{{service}}"),
        Signal("error_ratio", "Aborted ratio",
               (f"sum by (service) (rate({{{{{p}num_aborted_requests_total}}}}[{W}])) / " + nonzero(f"sum by (service) (rate({{{{{p}num_requests_total}}}}[{W}]))"),),
               "percentunit", "Aborted requests as a share of requests.", "{{service}}", ((0.05, "orange"), (0.2, "red"))),
        *quantile_signals("ttft", "Time to first token", (f"{{{{{p}time_to_first_token_seconds_bucket}}}}",), BY, "s",
                          "Time from request arrival to the first generated token.", LEG),
        *quantile_signals("e2e_latency", "E2E latency", (f"{{{{{p}e2e_request_latency_seconds_bucket}}}}",), BY, "s",
                          "End-to-end request latency.", LEG),
        *quantile_signals("itl", "Time per output token", (f"{{{{{p}inter_token_latency_seconds_bucket}}}}",), BY, "s",
                          "Time between output tokens.", LEG),
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
