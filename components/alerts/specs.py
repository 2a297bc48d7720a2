"""Alerts, each on one catalog signal, with defaults per kind.

A threshold is in the signal's own unit (ratios 0-1, seconds, DCGM percent 0-100 …).
Per-environment overrides come from ``alerts.thresholds``, per-service ones from
``inference[].alerts`` / ``endpoints[].alerts``. The same specs drive the Datadog monitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class AlertSpec:
    name: str
    kinds: tuple[str, ...]
    """Catalog kinds the alert applies to (one rule per service of these kinds)."""
    signal: str
    op: str
    threshold: float
    for_: str
    severity: str
    summary: str
    description: str
    dashboard: str
    """uid of the dashboard to look at."""
    value_format: str = "humanize"
    """How ``$value`` is shown: humanize | humanizePercentage | humanizeDuration."""
    record: Optional[str] = None
    """Recording rule the alert reads instead of the raw query (shared with dashboards' heavy queries)."""
    scope: str = "service"
    """service: one rule per service; fleet: one rule for the whole stack (GPUs)."""
    histogram: Optional[str] = None
    """For a quantile alert: the histogram it reads, without the runtime's prefix (``vllm:`` …)."""


LLM = ("vllm", "sglang", "arks-runtime")

ALERTS: tuple[AlertSpec, ...] = (
    # MLServer / diffusion
    AlertSpec("MLServerHighInferenceLatency", ("mlserver",), "inference_latency_mean", ">", 10, "5m", "warning",
              "{{ $labels.service }}: mean inference latency above target",
              "Mean model inference time over the last minute is {{ $value | humanizeDuration }} for model {{ $labels.model }}.",
              "infermon-mlserver", "humanizeDuration"),
    AlertSpec("MLServerLowSuccessRatio", ("mlserver",), "success_ratio", "<", 0.95, "10m", "critical",
              "{{ $labels.service }}: inference success ratio below target",
              "Only {{ $value | humanizePercentage }} of inferences succeed.", "infermon-mlserver", "humanizePercentage",
              record="service:mlserver_inference_success:ratio_rate5m"),
    # the mean, not a quantile: MLServer's queue histogram has prometheus_client's default buckets
    # (highest finite 10), so a quantile can never exceed 10
    AlertSpec("MLServerQueueBacklog", ("mlserver",), "queue_size_mean", ">", 50, "10m", "warning",
              "{{ $labels.service }}: inference worker queue is backing up",
              "Requests found {{ $value | humanize }} others queued for a worker on average.", "infermon-mlserver"),
    AlertSpec("MLServerNotReady", ("mlserver",), "not_ready", ">", 0, "5m", "critical",
              "{{ $labels.service }}: readiness endpoint answers non-200",
              "{{ $value | humanize }} readiness probes per second are answered with a status other than 200.", "infermon-mlserver"),
    # Triton
    AlertSpec("TritonHighFailureRatio", ("triton",), "error_ratio", ">", 0.05, "10m", "critical",
              "{{ $labels.service }}: Triton inference failures above target",
              "{{ $value | humanizePercentage }} of inference requests fail.", "infermon-triton", "humanizePercentage",
              record="service:nv_inference_request_failure:ratio_rate5m"),
    AlertSpec("TritonHighQueueTime", ("triton",), "queue_time", ">", 0.5, "10m", "warning",
              "{{ $labels.service }}: requests wait long in Triton's queue",
              "Requests for {{ $labels.model }} wait {{ $value | humanizeDuration }} on average before execution.",
              "infermon-triton", "humanizeDuration", record="service_model_version:nv_inference_queue_duration:mean_rate5m"),
    AlertSpec("TritonPendingRequestsGrowing", ("triton",), "pending_growth", ">", 10, "15m", "warning",
              "{{ $labels.service }}: Triton's pending requests keep growing",
              "Pending requests for {{ $labels.model }} grew by {{ $value | humanize }} in 15 minutes.", "infermon-triton"),
    AlertSpec("TritonPendingRequestsHigh", ("triton",), "pending_requests", ">", 100, "15m", "warning",
              "{{ $labels.service }}: Triton holds a large backlog",
              "{{ $value | humanize }} requests for {{ $labels.model }} have been waiting to execute for 15 minutes: add instances or "
              "replicas, or look for a slow backend.", "infermon-triton"),
    AlertSpec("TritonGPUUtilizationHigh", ("triton",), "gpu_utilization_max", ">", 0.95, "30m", "warning",
              "{{ $labels.service }}: Triton's GPU is saturated",
              "GPU {{ $labels.gpu_uuid }} of {{ $labels.instance }} has been {{ $value | humanizePercentage }} busy for 30 minutes: "
              "requests will queue; add instances or replicas.", "infermon-triton", "humanizePercentage"),
    AlertSpec("TritonCPUMemoryHigh", ("triton",), "cpu_memory_ratio", ">", 0.9, "15m", "warning",
              "{{ $labels.service }}: Triton is running out of CPU memory",
              "{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its memory: the next model load or a large batch "
              "can get it OOM-killed.", "infermon-triton", "humanizePercentage"),
    # LLM runtimes
    AlertSpec("LLMHighTimeToFirstToken", LLM, "ttft_p95", ">", 2, "10m", "warning",
              "{{ $labels.service }}: time to first token above target",
              "p95 time to first token of {{ $labels.model_name }} is {{ $value | humanizeDuration }}.", "infermon-llm-runtime",
              "humanizeDuration", record="service_model_name:time_to_first_token_seconds:p95_rate5m", histogram="time_to_first_token_seconds"),
    AlertSpec("LLMHighE2ELatency", LLM, "e2e_latency_p95", ">", 30, "10m", "warning",
              "{{ $labels.service }}: end-to-end latency above target",
              "p95 end-to-end latency of {{ $labels.model_name }} is {{ $value | humanizeDuration }}.", "infermon-llm-runtime",
              "humanizeDuration", record="service_model_name:e2e_request_latency_seconds:p95_rate5m", histogram="e2e_request_latency_seconds"),
    AlertSpec("LLMHighErrorRatio", LLM, "error_ratio", ">", 0.05, "10m", "critical",
              "{{ $labels.service }}: requests end in internal errors",
              "{{ $value | humanizePercentage }} of requests ended with an internal error (vLLM: finished_reason=error; SGLang: HTTP 5xx); "
              "client aborts are not counted.",
              "infermon-llm-runtime", "humanizePercentage"),
    AlertSpec("LLMHighInterTokenLatency", LLM, "itl_p95", ">", 0.2, "10m", "warning",
              "{{ $labels.service }}: tokens stream slowly",
              "p95 time between output tokens of {{ $labels.model_name }} is {{ $value | humanizeDuration }}: decoding is starved "
              "(batch too large, KV-cache pressure, or a slow GPU).", "infermon-llm-runtime",
              "humanizeDuration", record="service_model_name:inter_token_latency_seconds:p95_rate5m", histogram="inter_token_latency_seconds"),
    AlertSpec("LLMRequestsWaiting", LLM, "waiting", ">", 20, "10m", "warning",
              "{{ $labels.service }}: requests are piling up",
              "{{ $value | humanize }} requests for {{ $labels.model_name }} are waiting to be scheduled.", "infermon-llm-runtime"),
    AlertSpec("LLMKVCacheNearFull", LLM, "kv_cache_usage", ">", 0.95, "15m", "warning",
              "{{ $labels.service }}: KV cache nearly full",
              "The KV cache of {{ $labels.instance }} is {{ $value | humanizePercentage }} full: expect preemptions and queueing.",
              "infermon-llm-runtime", "humanizePercentage"),
    AlertSpec("LLMPreemptions", ("vllm", "arks-runtime"), "preemptions", ">", 0.1, "10m", "warning",
              "{{ $labels.service }}: requests are being preempted",
              "{{ $value | humanize }} preemptions per second for {{ $labels.model_name }} (KV-cache pressure).", "infermon-llm-runtime"),
    # LLM gateway
    AlertSpec("LLMGatewayHighErrorRatio", ("arks-gateway",), "error_ratio", ">", 0.05, "10m", "critical",
              "{{ $labels.service }}: gateway error ratio above target",
              "{{ $value | humanizePercentage }} of gateway requests are answered with a non-2xx status.", "infermon-llm-gateway",
              "humanizePercentage", record="service:gateway_requests_non2xx:ratio_rate5m"),
    AlertSpec("LLMGatewayRateLimitSurge", ("arks-gateway",), "rate_limit_hits", ">", 1, "10m", "warning",
              "{{ $labels.service }}: rate-limit hits surging",
              "{{ $value | humanize }} requests per second for {{ $labels.model }} hit the {{ $labels.rule_type }} limit.", "infermon-llm-gateway"),
    AlertSpec("LLMGatewayQuotaNearLimit", ("arks-gateway",), "quota_usage_ratio", ">", 0.9, "15m", "warning",
              "{{ $labels.service }}: quota near its limit",
              "Quota {{ $labels.quota_name }} ({{ $labels.quota_type }}) is {{ $value | humanizePercentage }} used.", "infermon-llm-gateway",
              "humanizePercentage"),
    # Databricks (per-minute gauges: no rate())
    AlertSpec("DatabricksHighErrorRatio", ("databricks",), "error_ratio_endpoint", ">", 0.05, "5m", "critical",
              "{{ $labels.service }}/{{ $labels.endpoint }}: serving endpoint fails requests",
              "{{ $value | humanizePercentage }} of the endpoint's requests in the last minute got a 5xx.", "infermon-managed-endpoints",
              "humanizePercentage"),
    AlertSpec("DatabricksHighP99Latency", ("databricks",), "latency_p99", ">", 2000, "10m", "warning",
              "{{ $labels.service }}/{{ $labels.endpoint }}: p99 latency above target",
              "p99 latency in the last minute is {{ $value | humanize }} ms.", "infermon-managed-endpoints"),
    # GPUs (fleet-wide)
    AlertSpec("GPUXidError", ("dcgm",), "xid_new_hardware", ">", 0, "0m", "critical",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} reported XID {{ $value }}",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) reported XID {{ $value }} in the last 15 minutes: a GPU, memory, "
              "NVLink or driver fault; look it up in NVIDIA's XID catalogue for the action (reset the GPU, drain the node).",
              "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUXidApplicationError", ("dcgm",), "xid_new_application", ">", 0, "0m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }}: application fault (XID {{ $value }})",
              "A process on GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) hit XID {{ $value }} in the last 15 minutes, an "
              "application-class fault: check the serving pod's logs and restarts.", "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUTemperatureHigh", ("dcgm",), "temperature", ">", 85, "10m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} is hot",
              "GPU temperature is {{ $value | humanize }} °C.", "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUFramebufferNearFull", ("dcgm",), "framebuffer_used", ">", 0.95, "15m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }}: memory nearly full",
              "{{ $value | humanizePercentage }} of GPU memory is used.", "infermon-gpu-fleet", "humanizePercentage", scope="fleet"),
    AlertSpec("GPURowRemapFailure", ("dcgm",), "row_remap_failure", ">", 0, "0m", "critical",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} failed to remap a memory row",
              "Row remapping failed: the GPU needs to be drained and serviced.", "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUUncorrectableRowRemap", ("dcgm",), "uncorrectable_row_remaps", ">", 0, "0m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} remapped a row after an uncorrectable error",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) remapped {{ $value }} memory rows for uncorrectable ECC errors in the "
              "last hour; the remap takes effect at the next GPU reset: drain and reset it, and send it for service if it repeats.",
              "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUThermalThrottling", ("dcgm",), "thermal_throttle", ">", 0.1, "15m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} is thermally throttled",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) ran with clocks held down by temperature {{ $value | humanizePercentage }} "
              "of the time: check the node's cooling and fans; inference on it is slower.", "infermon-gpu-fleet", "humanizePercentage",
              scope="fleet"),
    AlertSpec("GPUPowerThrottling", ("dcgm",), "power_throttle", ">", 0.5, "30m", "info",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} is capped by its power limit",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) ran power-capped {{ $value | humanizePercentage }} of the time for "
              "30 minutes: expected under full load; otherwise check the power limit (nvidia-smi -q -d POWER).", "infermon-gpu-fleet",
              "humanizePercentage", scope="fleet"),
    AlertSpec("GPUDoubleBitECCErrors", ("dcgm",), "ecc_dbe", ">", 0, "0m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }} had uncorrectable ECC errors",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) reported {{ $value }} double-bit ECC errors in the last hour: the "
              "process that hit them crashed; drain and reset the GPU, and send it for service if it repeats.", "infermon-gpu-fleet",
              scope="fleet"),
    AlertSpec("GPUNVLinkErrors", ("dcgm",), "nvlink_errors", ">", 10, "0m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }}: NVLink errors",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) counted {{ $value }} NVLink CRC, replay or recovery errors in 15 minutes: "
              "a degraded link slows multi-GPU (tensor-parallel) inference; check nvidia-smi nvlink -e and reseat or service.",
              "infermon-gpu-fleet", scope="fleet"),
    AlertSpec("GPUPCIeReplays", ("dcgm",), "pcie_replays", ">", 0.1, "15m", "warning",
              "GPU {{ $labels.gpu }} on {{ $labels.node }}: PCIe link retrying",
              "GPU {{ $labels.gpu }} ({{ $labels.gpu_pool }}) retries {{ $value | humanize }} PCIe transfers per second: a marginal "
              "link or riser slows host transfers and can end in XID 79; check the slot and the link width/speed.", "infermon-gpu-fleet",
              scope="fleet"),
    AlertSpec("GPUAllocatedButIdle", ("dcgm",), "allocated_utilization", "<", 5, "2h", "info",
              "GPU {{ $labels.gpu }} allocated to {{ $labels.namespace }}/{{ $labels.pod }} sits idle",
              "Utilisation has stayed at {{ $value | humanize }} % for 2 hours while the GPU is allocated: it costs without serving.",
              "infermon-gpu-fleet", scope="fleet"),
)

BY_NAME = {a.name: a for a in ALERTS}

TARGET_ALERTS = ("InfermonTargetDown", "InfermonScrapesFailing", "InfermonTargetMissing")
SLO_ALERTS = ("SLOAvailabilityBurnRate", "SLOLatencyBurnRate")
ALL_NAMES = tuple(BY_NAME) + TARGET_ALERTS + SLO_ALERTS


THRESHOLD_DOMAINS = {
    "percentunit": (0.0, 1.0, "a ratio from 0 to 1"),
    "percent": (0.0, 100.0, "a percentage from 0 to 100"),
    "s": (0.0, None, "a duration in seconds above 0"),
    "ms": (0.0, None, "a duration in milliseconds above 0"),
    "celsius": (0.0, 120.0, "a temperature in °C from 0 to 120 (data-center GPUs slow down in the high 80s and shut down "
                "before 120)"),
}
"""Allowed thresholds by the unit of the alert's signal; other units are counts and rates (0 or more)."""


RUNTIME_PREFIXES = {"vllm": ("vllm:",), "sglang": ("sglang:",), "arks-runtime": ("vllm:", "sglang:")}
"""Where a kind's histograms come from: Arks runtimes run vLLM or SGLang."""


def threshold_problem(spec: AlertSpec, value: float, kinds: Optional[tuple[str, ...]] = None) -> Optional[str]:
    """Why ``value`` cannot be a threshold of ``spec`` for services of ``kinds`` (default: every
    kind of the spec); None when it can."""
    from ..catalog import KINDS
    from ..catalog.buckets import bucket_bounds

    if spec.histogram:  # histogram_quantile never exceeds the highest finite bucket
        for kind in kinds or spec.kinds:
            for prefix in RUNTIME_PREFIXES.get(kind, ()):
                bounds = bucket_bounds(prefix + spec.histogram)
                if bounds and value >= bounds[-1]:
                    return (f"{value:g} can never be exceeded: the p95 of {prefix}{spec.histogram} is at most its highest finite "
                            f"bucket, {bounds[-1]:g}; use a threshold below it")

    unit = next(s.unit for s in KINDS[spec.kinds[0]].signals if s.name == spec.signal)
    low, high, what = THRESHOLD_DOMAINS.get(unit, (0.0, None, "a count or rate of 0 or more"))
    strict = unit in ("s", "ms")
    if (value <= low if strict else value < low) or (high is not None and value > high):
        hint = f" (write {value / 100:g}, not {value:g})" if unit == "percentunit" and 1 < value <= 100 else ""
        return f"{value:g} is out of range for {spec.name}: the threshold is {what}{hint}; the default is {spec.threshold:g}"
    return None
