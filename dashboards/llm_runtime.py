"""LLM runtime: vLLM, SGLang and Arks runtimes (folder LLM)."""

from .common import health_row, P, Row, dashboard, inference_variables

UID = "infermon-llm-runtime"
TITLE = "LLM runtime"
FOLDER = "LLM"
KINDS = ("vllm", "sglang", "arks-runtime")
SELECT = {"namespace": '=~"$namespace"', "model_name": '=~"$model"'}

ROWS = [
    health_row(),
    Row("Requests", (
        P("request_rate", title="Successful requests"),
        P("success_by_reason"),
        P("error_ratio"),
    )),
    Row("Latency", (
        P("e2e_latency_p50", "e2e_latency_p90", "e2e_latency_p95", "e2e_latency_p99", "e2e_latency_mean", title="E2E request latency"),
        P("ttft_p50", "ttft_p90", "ttft_p95", "ttft_p99", title="Time to first token"),
        P("itl_p50", "itl_p90", "itl_p95", "itl_p99", title="Time per output token"),
        P("queue_time_p50", "queue_time_p95", "queue_time_p99", title="Queue time"),
        P("prefill_time_mean", "decode_time_mean", title="Prefill vs decode time (mean)"),
        P("e2e_latency_heatmap", viz="heatmap"),
    )),
    Row("Tokens", (
        P("prompt_throughput_instance"),
        P("generation_throughput_instance"),
        P("prompt_throughput", "generation_throughput", title="Token throughput (total)"),
        P("prompt_length_p50", "prompt_length_p90", "prompt_length_p99", title="Prompt length distribution"),
        P("generation_length_p50", "generation_length_p90", "generation_length_p99", title="Generation length distribution"),
    )),
    Row("Scheduler and cache", (
        P("running", "waiting", "swapped", title="Running / waiting / swapped requests"),
        P("running_instance", "waiting_instance", title="Requests per instance (load balance)"),
        P("kv_cache_usage"),
        P("prefix_cache_hit_rate"),
        P("preemptions"),
    )),
]


def build(ctx):
    variables = inference_variables(ctx, "vllm|sglang|arks-runtime", "model_name")
    return dashboard(UID, TITLE, "vLLM, SGLang and Arks runtimes: requests, latency, tokens, scheduler and KV cache.",
                     ["llm"], ctx, variables, ROWS)
