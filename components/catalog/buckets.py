"""Histogram bucket boundaries as the servers define them, from their sources.

A latency SLO counts requests faster than its threshold from the ``le`` bucket of that value,
so the threshold must be one of these boundaries; the simulators expose these layouts.
"""

from __future__ import annotations

from prometheus_client import Histogram

VLLM_LATENCY = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0]
VLLM_125 = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]  # build_1_2_5_buckets(max_model_len=8192)
UPSTREAM_BUCKETS = {
    # vllm/v1/metrics/loggers.py
    "vllm:time_to_first_token_seconds": [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                                         10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0],
    "vllm:time_per_output_token_seconds": [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                                           20.0, 40.0, 80.0],
    "vllm:inter_token_latency_seconds": [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                                         20.0, 40.0, 80.0],
    "vllm:e2e_request_latency_seconds": VLLM_LATENCY, "vllm:request_queue_time_seconds": VLLM_LATENCY,
    "vllm:request_inference_time_seconds": VLLM_LATENCY, "vllm:request_prefill_time_seconds": VLLM_LATENCY,
    "vllm:request_decode_time_seconds": VLLM_LATENCY,
    "vllm:time_per_prefill_token_request_seconds": [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0],
    "vllm:iteration_tokens_total": [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    "vllm:request_params_n": [1, 2, 5, 10, 20],
    "vllm:request_prompt_tokens": VLLM_125, "vllm:request_generation_tokens": VLLM_125,
    "vllm:request_params_max_tokens": VLLM_125, "vllm:request_max_num_generation_tokens": VLLM_125,
    # sglang python/sglang/srt/metrics/collector.py
    "sglang:time_to_first_token_seconds": [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400],
    "sglang:e2e_request_latency_seconds": [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400, 600, 1200, 1800, 2400],
    "sglang:inter_token_latency_seconds": [0.002, 0.004, 0.006, 0.008, 0.010, 0.015, 0.020, 0.025, 0.030, 0.035, 0.040, 0.060,
                                           0.080, 0.100, 0.200, 0.400, 0.600, 0.800, 1.000, 2.000, 4.000, 6.000, 8.000],
    "sglang:queue_time_seconds": [0.0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 2, 3, 4, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100,
                                   200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 1800, 2000, 2500, 3000],
    "sglang:num_retractions": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 75, 100],
    # MLServer: starlette_exporter's request histogram and mlserver/metrics (parallel_request_queue) take
    # prometheus_client's default buckets
    "rest_server_request_duration_seconds": list(Histogram.DEFAULT_BUCKETS[:-1]),
    "parallel_request_queue": list(Histogram.DEFAULT_BUCKETS[:-1]),
    # scitix/arks pkg/gateway/metrics/metrics.go
    "gateway_request_duration_seconds": [0.1, 0.5, 1, 2, 5, 10, 20, 30, 45, 60],
    "gateway_response_process_duration_milliseconds": [1, 5, 10, 50, 100, 200, 500, 1000, 2000, 5000],
    "gateway_token_distribution": [2.0 ** i for i in range(17)],
}
"""Bucket boundaries as the servers define them (the simulators use generic layouts for the rest)."""


def bucket_bounds(histogram: str) -> list[float]:
    """Finite boundaries of ``histogram`` (its name as exposed), empty when not catalogued."""
    return UPSTREAM_BUCKETS.get(histogram, [])
