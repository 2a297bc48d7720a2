"""vLLM (OpenAI-compatible server, ``/metrics`` on the API port).

Checked against vllm/engine/metrics.py (v0) and vllm/v1/metrics/loggers.py (v1). Both
generations stay in the catalog because fleets run mixed versions and renames silently
blank dashboards:

- ``vllm:gpu_cache_usage_perc`` -> ``vllm:kv_cache_usage_perc`` (0.9)
- ``vllm:gpu_prefix_cache_queries/hits`` -> ``vllm:prefix_cache_queries/hits`` (0.9); v0 had a
  ``vllm:gpu_prefix_cache_hit_rate`` gauge instead
- ``vllm:time_per_output_token_seconds`` -> ``vllm:inter_token_latency_seconds``
- ``vllm:num_requests_swapped`` exists in v0 only.

Labels: ``model_name`` (and ``engine`` in v1); ``vllm:request_success_total`` adds
``finished_reason`` (vllm/v1/engine/__init__.py FINISH_REASON_STRINGS: stop, length, abort, error,
repetition; error and repetition in recent releases only). Counters are exposed with ``_total``.
"""

from . import llm
from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, quantile_signals, rate_or_zero

L = ("model_name", "engine")

METRICS = (
    Metric("vllm:num_requests_running", "gauge", "requests", "Requests currently running on GPU.", L),
    Metric("vllm:num_requests_waiting", "gauge", "requests", "Requests waiting to be processed.", L),
    Metric("vllm:num_requests_swapped", "gauge", "requests", "Requests swapped to CPU (v0 only).", L),
    Metric("vllm:kv_cache_usage_perc", "gauge", "ratio", "KV-cache usage, 1 = 100 % (0.9+).", L),
    Metric("vllm:gpu_cache_usage_perc", "gauge", "ratio", "GPU KV-cache usage, 1 = 100 % (before 0.9; deprecated).", L),
    Metric("vllm:prefix_cache_queries_total", "counter", "tokens", "Prefix cache queries, in queried tokens (0.9+).", L),
    Metric("vllm:prefix_cache_hits_total", "counter", "tokens", "Prefix cache hits, in cached tokens (0.9+).", L),
    Metric("vllm:gpu_prefix_cache_queries_total", "counter", "tokens", "GPU prefix cache queries (v1 before 0.9; deprecated).", L),
    Metric("vllm:gpu_prefix_cache_hits_total", "counter", "tokens", "GPU prefix cache hits (v1 before 0.9; deprecated).", L),
    Metric("vllm:gpu_prefix_cache_hit_rate", "gauge", "ratio", "GPU prefix cache block hit rate (v0).", L),
    Metric("vllm:num_preemptions_total", "counter", "preemptions", "Cumulative preemptions from the engine.", L),
    Metric("vllm:prompt_tokens_total", "counter", "tokens", "Prefill tokens processed.", L),
    Metric("vllm:generation_tokens_total", "counter", "tokens", "Generation tokens processed.", L),
    Metric("vllm:request_success_total", "counter", "requests", "Successfully processed requests.", L + ("finished_reason",)),
    Metric("vllm:request_prompt_tokens", "histogram", "tokens", "Prefill tokens per request.", L),
    Metric("vllm:request_generation_tokens", "histogram", "tokens", "Generation tokens per request.", L),
    Metric("vllm:e2e_request_latency_seconds", "histogram", "seconds", "End-to-end request latency.", L),
    Metric("vllm:time_to_first_token_seconds", "histogram", "seconds", "Time to first token.", L),
    Metric("vllm:time_per_output_token_seconds", "histogram", "seconds", "Time per output token (renamed inter_token_latency_seconds).", L),
    Metric("vllm:inter_token_latency_seconds", "histogram", "seconds", "Inter-token latency.", L),
    Metric("vllm:request_queue_time_seconds", "histogram", "seconds", "Time spent in the WAITING phase.", L),
    Metric("vllm:request_prefill_time_seconds", "histogram", "seconds", "Time spent in the PREFILL phase (v1).", L),
    Metric("vllm:request_decode_time_seconds", "histogram", "seconds", "Time spent in the DECODE phase (v1).", L),
)

BY = llm.BY
LEG = llm.LEG


def signals(p: str = "vllm:") -> tuple[Signal, ...]:
    """The LLM runtime signals over vLLM's names (``p`` is the metric namespace)."""
    return (
        Signal("request_rate", "Requests", (f"sum by (service) (rate({{{{{p}request_success_total}}}}[{W}]))",),
               "reqps", "Finished requests per second.", "{{service}}"),
        Signal("success_by_reason", "Finished requests by reason", (f"sum by ({BY}, finished_reason) (rate({{{{{p}request_success_total}}}}[{W}]))",),
               "reqps", "Finished requests per second by finish reason: stop (end of sequence), length (hit max tokens), abort "
               "(the client went away), error (internal error), repetition.", LEG + " {{finished_reason}}"),
        Signal("error_ratio", "Error ratio",
               (rate_or_zero(f'{p}request_success_total|finished_reason="error"', f"{p}request_success_total", "service")
                + " / " + nonzero(f"sum by (service) (rate({{{{{p}request_success_total}}}}[{W}]))"),),
               "percentunit", 'Requests that ended in an internal error (finished_reason="error", answered with HTTP 500) as a share of '
               "finished requests; client aborts (abort) are not errors. vLLM before the error reason counts none.",
               "{{service}}", ((0.01, "orange"), (0.05, "red"))),
        *quantile_signals("ttft", "Time to first token", (f"{{{{{p}time_to_first_token_seconds_bucket}}}}",), BY, "s",
                          "Time from request arrival to the first generated token.", LEG),
        *quantile_signals("e2e_latency", "E2E latency", (f"{{{{{p}e2e_request_latency_seconds_bucket}}}}",), BY, "s",
                          "End-to-end request latency.", LEG),
        *quantile_signals("itl", "Time per output token",
                          (f"{{{{{p}inter_token_latency_seconds_bucket}}}}", f"{{{{{p}time_per_output_token_seconds_bucket}}}}"), BY, "s",
                          "Time between output tokens (inter_token_latency_seconds, or time_per_output_token_seconds on older vLLM).", LEG),
        llm.mean("e2e_latency_mean", "E2E latency mean", f"{p}e2e_request_latency_seconds", "Mean end-to-end request latency."),
        llm.heatmap("e2e_latency_heatmap", "E2E latency distribution", f"{p}e2e_request_latency_seconds",
                    "Finished requests per second in each end-to-end latency bucket: a second mode shows a slow class of requests."),
        *quantile_signals("queue_time", "Queue time", (f"{{{{{p}request_queue_time_seconds_bucket}}}}",), BY, "s",
                          "Time requests wait in the scheduler's queue before their first step (vLLM v1).", LEG),
        llm.mean("prefill_time_mean", "Prefill time mean", f"{p}request_prefill_time_seconds",
                 "Mean time a request spends in prefill (processing its prompt; vLLM v1)."),
        llm.mean("decode_time_mean", "Decode time mean", f"{p}request_decode_time_seconds",
                 "Mean time a request spends in decode (generating its tokens; vLLM v1)."),
        *quantile_signals("prompt_length", "Prompt length", (f"{{{{{p}request_prompt_tokens_bucket}}}}",), BY, "short",
                          "Prompt tokens per request.", LEG),
        *quantile_signals("generation_length", "Generation length", (f"{{{{{p}request_generation_tokens_bucket}}}}",), BY, "short",
                          "Generated tokens per request.", LEG),
        *llm.throughput(p),
        Signal("running", "Running requests", (f"sum by ({BY}) ({{{{{p}num_requests_running}}}})",), "short", "Requests running on the GPU.", LEG),
        Signal("waiting", "Waiting requests", (f"sum by ({BY}) ({{{{{p}num_requests_waiting}}}})",), "short", "Requests queued for scheduling.", LEG),
        *llm.per_instance(f"{p}num_requests_running", f"{p}num_requests_waiting"),
        Signal("swapped", "Swapped requests", (f"sum by ({BY}) ({{{{{p}num_requests_swapped}}}})",), "short", "Requests swapped to CPU (vLLM v0 only).", LEG),
        Signal("kv_cache_usage", "KV-cache utilisation",
               (f"max by ({BY}, instance) ({{{{{p}kv_cache_usage_perc}}}})", f"max by ({BY}, instance) ({{{{{p}gpu_cache_usage_perc}}}})"),
               "percentunit", "Share of KV-cache blocks in use (kv_cache_usage_perc, or gpu_cache_usage_perc on older vLLM).", LEG + " {{instance}}",
               ((0.9, "orange"), (0.98, "red"))),
        Signal("prefix_cache_hit_rate", "Prefix-cache hit rate",
               (f"sum by ({BY}) (rate({{{{{p}prefix_cache_hits_total}}}}[{W}])) / sum by ({BY}) (rate({{{{{p}prefix_cache_queries_total}}}}[{W}]))",
                f"sum by ({BY}) (rate({{{{{p}gpu_prefix_cache_hits_total}}}}[{W}])) / sum by ({BY}) (rate({{{{{p}gpu_prefix_cache_queries_total}}}}[{W}]))",
                f"avg by ({BY}) ({{{{{p}gpu_prefix_cache_hit_rate}}}})"),
               "percentunit", "Share of prompt tokens served from the prefix cache.", LEG),
        Signal("preemptions", "Preemptions", (f"sum by ({BY}) (rate({{{{{p}num_preemptions_total}}}}[{W}]))",),
               "ops", "Requests preempted per second (KV-cache pressure).", LEG),
        llm.latency(p),
        Signal("saturation", "KV-cache utilisation",
               (f"max by (service) ({{{{{p}kv_cache_usage_perc}}}})", f"max by (service) ({{{{{p}gpu_cache_usage_perc}}}})"),
               "percentunit", "Fullest KV cache of the service.", "{{service}}"),
    )


KIND = Kind("vllm", "vLLM", METRICS, signals(), model_label="model_name",
            key_metric="vllm:num_requests_running",
            source="vllm/engine/metrics.py (v0), vllm/v1/metrics/loggers.py (v1), vLLM metrics design doc")
