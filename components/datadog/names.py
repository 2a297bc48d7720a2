"""How each catalog metric is named once the Datadog Agent has collected it.

Packaged integrations map names themselves (maps checked against DataDog/integrations-core:
nvidia_triton/metrics.py, vllm/metrics.py, dcgm/metrics.py); the generic ``openmetrics``
check prefixes its ``namespace`` and turns ``:`` into ``_``. Then, as the OpenMetrics (v2)
check submits them: monotonic counters get ``.count`` (their ``_total`` is not part of the
name), histogram series ``.bucket``/``.sum``/``.count`` (buckets as distributions with
``histogram_buckets_as_distributions``), summaries ``.sum``/``.count``, gauges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..catalog import KINDS
from ..catalog.base import Metric

TRITON_MAP = {
    "nv_inference_request_success": "nv.inference.request_success",
    "nv_inference_request_failure": "nv.inference.request_failure",
    "nv_inference_count": "nv.inference.count",
    "nv_inference_exec_count": "nv.inference.exec.count",
    "nv_inference_request_duration_us": "nv.inference.request.duration_us",
    "nv_inference_queue_duration_us": "nv.inference.queue.duration_us",
    "nv_inference_compute_input_duration_us": "nv.inference.compute.input.duration_us",
    "nv_inference_compute_infer_duration_us": "nv.inference.compute.infer.duration_us",
    "nv_inference_compute_output_duration_us": "nv.inference.compute.output.duration_us",
    "nv_inference_pending_request_count": "nv.inference.pending.request.count",
    "nv_gpu_utilization": "nv.gpu.utilization",
    "nv_gpu_memory_total_bytes": "nv.gpu.memory.total_bytes",
    "nv_gpu_memory_used_bytes": "nv.gpu.memory.used_bytes",
    "nv_gpu_power_usage": "nv.gpu.power.usage",
    "nv_gpu_power_limit": "nv.gpu.power.limit",
    "nv_energy_consumption": "nv.energy.consumption",
    "nv_cpu_utilization": "nv.cpu.utilization",
    "nv_cpu_memory_total_bytes": "nv.cpu.memory.total_bytes",
    "nv_cpu_memory_used_bytes": "nv.cpu.memory.used_bytes",
}

VLLM_MAP = {
    # the packaged check knows the pre-0.9 names only (kv_cache_usage_perc, prefix_cache_*,
    # inter_token_latency_seconds are not collected by it)
    "vllm:num_requests_running": "num_requests.running",
    "vllm:num_requests_waiting": "num_requests.waiting",
    "vllm:num_requests_swapped": "num_requests.swapped",
    "vllm:gpu_cache_usage_perc": "gpu_cache_usage_perc",
    "vllm:num_preemptions": "num_preemptions",
    "vllm:prompt_tokens": "prompt_tokens",
    "vllm:generation_tokens": "generation_tokens",
    "vllm:time_to_first_token_seconds": "time_to_first_token.seconds",
    "vllm:time_per_output_token_seconds": "time_per_output_token.seconds",
    "vllm:e2e_request_latency_seconds": "e2e_request_latency.seconds",
    "vllm:request_prompt_tokens": "request.prompt_tokens",
    "vllm:request_generation_tokens": "request.generation_tokens",
    "vllm:request_success": "request.success",
}

DCGM_MAP = {
    "DCGM_FI_DEV_DEC_UTIL": "dec_utilization",
    "DCGM_FI_DEV_ENC_UTIL": "enc_utilization",
    "DCGM_FI_DEV_FB_FREE": "frame_buffer.free",
    "DCGM_FI_DEV_FB_USED": "frame_buffer.used",
    "DCGM_FI_DEV_FB_RESERVED": "frame_buffer.reserved",
    "DCGM_FI_DEV_GPU_TEMP": "temperature",
    "DCGM_FI_DEV_GPU_UTIL": "gpu_utilization",
    "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL": "nvlink_bandwidth",
    "DCGM_FI_DEV_PCIE_REPLAY_COUNTER": "pcie_replay",
    "DCGM_FI_DEV_POWER_USAGE": "power_usage",
    "DCGM_FI_DEV_SM_CLOCK": "sm_clock",
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": "total_energy_consumption",
    "DCGM_FI_DEV_VGPU_LICENSE_STATUS": "vgpu_license_status",
    "DCGM_FI_DEV_XID_ERRORS": "xid_errors",
    "DCGM_FI_DEV_MEM_CLOCK": "mem.clock",
    "DCGM_FI_DEV_MEM_COPY_UTIL": "mem.copy_utilization",
    "DCGM_FI_DEV_MEMORY_TEMP": "mem.temperature",
    "DCGM_FI_PROF_PCIE_RX_BYTES": "pcie_rx_throughput",
    "DCGM_FI_PROF_PCIE_TX_BYTES": "pcie_tx_throughput",
    "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS": "correctable_remapped_rows",
    "DCGM_FI_DEV_ROW_REMAP_FAILURE": "row_remap_failure",
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS": "uncorrectable_remapped_rows",
    "DCGM_FI_PROF_DRAM_ACTIVE": "dram.active",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": "gr_engine_active",
    "DCGM_FI_PROF_PIPE_FP16_ACTIVE": "pipe.fp16_active",
    "DCGM_FI_PROF_PIPE_FP32_ACTIVE": "pipe.fp32_active",
    "DCGM_FI_PROF_PIPE_FP64_ACTIVE": "pipe.fp64_active",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": "pipe.tensor_active",
    "DCGM_FI_PROF_SM_ACTIVE": "sm_active",
    "DCGM_FI_PROF_SM_OCCUPANCY": "sm_occupancy",
}

TAG_RENAMES = {"instance": "pod_name", "pod": "pod_name", "node": "host"}
"""Prometheus label -> Datadog tag, where they differ (the Agent tags pods itself)."""


@dataclass(frozen=True)
class Integration:
    check: str
    """Agent check name (``openmetrics`` for the generic check)."""
    namespace: str
    packaged_map: Optional[dict[str, str]] = field(default=None)
    tag_renames: dict[str, str] = field(default_factory=dict)

    @property
    def packaged(self) -> bool:
        return self.packaged_map is not None


INTEGRATIONS: dict[str, Integration] = {
    "triton": Integration("nvidia_triton", "nvidia_triton", TRITON_MAP),
    "vllm": Integration("vllm", "vllm", VLLM_MAP),
    "dcgm": Integration("dcgm", "dcgm", DCGM_MAP, {"namespace": "kube_namespace", "pod": "pod_name", "container": "kube_container_name"}),
    "sglang": Integration("openmetrics", "sglang"),
    "mlserver": Integration("openmetrics", "mlserver"),
    "arks-gateway": Integration("openmetrics", "arks_gateway"),
    "databricks": Integration("openmetrics", "databricks_serving"),
    "arks-runtime": Integration("openmetrics", "arks_runtime"),
}
"""Kinds Datadog collects. Arks runtime pods expose raw vLLM/SGLang names; their check's
allow-list renames them the way Arks' Prometheus relabelings do (``checks.allow_list``)."""


def family(m: Metric) -> str:
    """The OpenMetrics family name: a counter's name without ``_total``."""
    return m.name[: -len("_total")] if m.type == "counter" and m.name.endswith("_total") else m.name


def dd_metric(kind: str, series: str) -> Optional[str]:
    """Datadog name of a Prometheus series of ``kind``, or None when Datadog does not collect it."""
    integ = INTEGRATIONS.get(kind)
    if integ is None:
        return None
    m = KINDS[kind].metric(series)
    fam = family(m)
    if integ.packaged:
        base = integ.packaged_map.get(fam)
        if base is None:
            return None
    else:
        base = fam.replace(":", "_")
    suffix = series[len(m.name):]
    if m.type == "counter":
        tail = ".count"
    elif m.type in ("histogram", "summary"):
        tail = {"_bucket": ".bucket", "_sum": ".sum", "_count": ".count"}[suffix]
    else:
        tail = ""
    return f"{integ.namespace}.{base}{tail}"


def dd_tag(kind: str, label: str) -> str:
    integ = INTEGRATIONS[kind]
    return integ.tag_renames.get(label) or TAG_RENAMES.get(label, label)
