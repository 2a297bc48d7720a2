"""Simulated inference servers: the metric families the real servers expose, with live dynamics.

Every family comes from the signal catalog (names, types, labels as the servers expose them;
Triton's counters without ``_total`` and ``# TYPE`` lines exactly as a Prometheus client of
that server writes them), so a simulator cannot drift from what dashboards and alerts query.
Values move with a per-target state: request rate, error share, latency, queue, KV cache,
GPU temperature …; faults change that state through ``POST /-/fault?name=<fault>``.

Run as ``python -m components.verify.simulators PLAN.json``: one process serving every target
of the plan on 127.0.0.1, stopping by itself after ``duration`` seconds.
"""

from __future__ import annotations

import json
import math
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric as MetricFamily
from prometheus_client.utils import floatToGoString

from ..catalog import KINDS
from ..catalog.base import Metric
from ..catalog.buckets import UPSTREAM_BUCKETS

FAULTS = ("error_burst", "latency_spike", "queue_growth", "kv_full", "saturated", "xid", "xid_app", "overheat", "throttle", "hw_errors", "fb_full",
          "row_remap", "idle", "scrape_loss", "not_ready", "down")

BUCKETS = {
    "seconds": [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0],
    "milliseconds": [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    "tokens": [16, 64, 256, 1024, 4096, 16384],
    "requests": [1, 2, 5, 10, 25, 50, 100, 250],
}


@dataclass
class State:
    rps: float = 5.0
    error_share: float = 0.0002
    latency: float = 0.2
    """Mean request latency (s); time to first token is a fifth of it, e2e ten times."""
    queue: float = 2.0
    kv: float = 0.4
    temp: float = 62.0
    util: float = 60.0
    xid: float = 0.0
    fb_used: float = 30000.0
    row_remap: float = 0.0
    ready: bool = True
    down: bool = False
    faults: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)
    fault_since: dict[str, float] = field(default_factory=dict)
    scrapes: int = 0
    """Scrapes answered so far (with ``scrape_loss``, every tenth fails)."""

    def apply(self, fault: str) -> None:
        self.faults.add(fault)
        self.fault_since.setdefault(fault, time.monotonic())
        if fault == "error_burst":
            self.error_share = 0.3
        elif fault == "latency_spike":
            self.latency = 30.0
        elif fault == "kv_full":
            self.kv = 0.995
        elif fault == "xid":
            self.xid = 79
        elif fault == "xid_app":
            self.xid = 13
        elif fault == "overheat":
            self.temp = 92
        elif fault == "fb_full":
            self.fb_used = 79500
        elif fault == "row_remap":
            self.row_remap = 1
        elif fault == "idle":
            self.util = 1
        elif fault == "not_ready":
            self.ready = False
        elif fault == "down":
            self.down = True

    def queue_now(self) -> float:
        if "queue_growth" in self.faults:
            return self.queue + 60 + 2.0 * (time.monotonic() - self.fault_since["queue_growth"])
        return self.queue


@dataclass
class Target:
    name: str
    kind: str
    port: int
    prefix: str = ""
    generation: str = "new"
    """vLLM naming generation: new (0.9+) or old."""
    tls: bool = False
    token: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    """Fixed label values (namespace/pod of the workload for cAdvisor, …)."""
    without: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    """DCGM fields the exporter collects (its collectors file); empty: dcgm-exporter's defaults."""
    baseline: dict[str, float] = field(default_factory=dict)
    """Healthy-state values (``latency``, ``error_share``) replacing the defaults, so a stack's own
    tight thresholds hold at baseline."""
    """Catalogued labels this target does not put on its series (DCGM on Docker: no pod mapping)."""
    rename: dict[str, str] = field(default_factory=dict)
    """Families exposed under another name (an upstream rename), e.g. ``{"vllm:num_requests_running": "vllm:running_requests"}``."""
    state: State = field(default_factory=State)
    acc: dict = field(default_factory=dict, repr=False)
    last: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


# --- families the real servers expose that no dashboard, rule or monitor uses ------------------------
# (what ``metrics.keep: used`` drops): every family the upstream server registers and fills under
# ordinary traffic, beyond the catalog's. Names, types and label names from the sources cited per
# list; families that exist only with an option (LoRA, speculative decoding, PD disaggregation
# transfers, grammar backends, multiprocess mode) are left out. Label values: LABEL_VALUES, or
# VALUES where a family's label takes its own values.


def _m(name: str, typ: str, unit: str = "value", labels: tuple[str, ...] = ()) -> Metric:
    return Metric(name, typ, unit, "Exposed by the real server; not used by infermon.", labels)


# prometheus/client_python: the default registry's ProcessCollector, GCCollector and PlatformCollector
# (prometheus_client/process_collector.py, gc_collector.py, platform_collector.py)
PYTHON = (
    _m("process_virtual_memory_bytes", "gauge"), _m("process_resident_memory_bytes", "gauge"), _m("process_start_time_seconds", "gauge"),
    _m("process_cpu_seconds_total", "counter"), _m("process_open_fds", "gauge"), _m("process_max_fds", "gauge"),
    _m("python_gc_objects_collected_total", "counter", labels=("generation",)),
    _m("python_gc_objects_uncollectable_total", "counter", labels=("generation",)),
    _m("python_gc_collections_total", "counter", labels=("generation",)),
    _m("python_info", "gauge", labels=("implementation", "major", "minor", "patchlevel", "version")),
)
# prometheus/client_golang >= 1.20, promhttp.Handler() on the default registry: the Go collector
# (prometheus/go_collector.go base metrics + go_collector_latest.go memstats and the default
# runtime/metrics go_gc_gogc_percent, go_gc_gomemlimit_bytes, go_sched_gomaxprocs_threads),
# the process collector (prometheus/process_collector.go, Linux) and promhttp's own handler
# metrics (prometheus/promhttp/http.go)
GO_MEMSTATS_GAUGES = ("alloc_bytes", "sys_bytes", "heap_alloc_bytes", "heap_sys_bytes", "heap_idle_bytes", "heap_inuse_bytes",
                      "heap_released_bytes", "heap_objects", "stack_inuse_bytes", "stack_sys_bytes", "mspan_inuse_bytes",
                      "mspan_sys_bytes", "mcache_inuse_bytes", "mcache_sys_bytes", "buck_hash_sys_bytes", "gc_sys_bytes",
                      "other_sys_bytes", "next_gc_bytes", "last_gc_time_seconds")
GO = (
    _m("go_gc_duration_seconds", "summary", "seconds"), _m("go_goroutines", "gauge"), _m("go_threads", "gauge"),
    _m("go_info", "gauge", labels=("version",)), _m("go_gc_gogc_percent", "gauge"), _m("go_gc_gomemlimit_bytes", "gauge"),
    _m("go_sched_gomaxprocs_threads", "gauge"),
    *(_m(f"go_memstats_{g}", "gauge") for g in GO_MEMSTATS_GAUGES),
    _m("go_memstats_alloc_bytes_total", "counter"), _m("go_memstats_mallocs_total", "counter"), _m("go_memstats_frees_total", "counter"),
    _m("process_cpu_seconds_total", "counter"), _m("process_resident_memory_bytes", "gauge"), _m("process_open_fds", "gauge"),
    _m("process_max_fds", "gauge"), _m("process_virtual_memory_bytes", "gauge"), _m("process_virtual_memory_max_bytes", "gauge"),
    _m("process_start_time_seconds", "gauge"), _m("process_network_receive_bytes_total", "counter"),
    _m("process_network_transmit_bytes_total", "counter"),
    _m("promhttp_metric_handler_requests_in_flight", "gauge"), _m("promhttp_metric_handler_requests_total", "counter", labels=("code",)),
)
# the OpenAI server's HTTP metrics: prometheus-fastapi-instrumentator's metrics.default()
# (trallnag/prometheus-fastapi-instrumentator src/prometheus_fastapi_instrumentator/metrics.py),
# instrumented in vllm/entrypoints/openai/api_server.py; status codes grouped (2xx …)
HTTP_INSTRUMENTATOR = (
    _m("http_requests_total", "counter", labels=("handler", "method", "status")),
    _m("http_request_size_bytes", "summary", "bytes", ("handler",)),
    _m("http_response_size_bytes", "summary", "bytes", ("handler",)),
    _m("http_request_duration_highr_seconds", "histogram", "seconds"),
    _m("http_request_duration_seconds", "histogram", "seconds", ("handler", "method")),
)
VLLM_L = ("model_name", "engine")
# cAdvisor's container collector as the kubelet serves it on /metrics/cadvisor (google/cadvisor
# metrics/prometheus.go, v0.54.0; the kubelet's metric set: cpu, cpuLoad, memory, OOM, network,
# diskIO, disk usage, process). Keyed by extra label names; container labels are added per platform.
CADVISOR = (
    ("container_last_seen", "gauge", ()), ("container_start_time_seconds", "gauge", ()),
    ("container_spec_cpu_period", "gauge", ()), ("container_spec_cpu_quota", "gauge", ()), ("container_spec_cpu_shares", "gauge", ()),
    ("container_spec_memory_reservation_limit_bytes", "gauge", ()), ("container_spec_memory_swap_limit_bytes", "gauge", ()),
    ("container_cpu_user_seconds_total", "counter", ()), ("container_cpu_system_seconds_total", "counter", ()),
    ("container_cpu_cfs_throttled_seconds_total", "counter", ()),
    ("container_cpu_load_average_10s", "gauge", ()), ("container_tasks_state", "gauge", ("state",)),
    ("container_memory_cache", "gauge", ()), ("container_memory_rss", "gauge", ()), ("container_memory_kernel_usage", "gauge", ()),
    ("container_memory_mapped_file", "gauge", ()), ("container_memory_swap", "gauge", ()), ("container_memory_failcnt", "counter", ()),
    ("container_memory_usage_bytes", "gauge", ()), ("container_memory_max_usage_bytes", "gauge", ()),
    ("container_memory_failures_total", "counter", ("failure_type", "scope")),
    ("container_network_receive_packets_total", "counter", ("interface",)),
    ("container_network_receive_packets_dropped_total", "counter", ("interface",)),
    ("container_network_receive_errors_total", "counter", ("interface",)),
    ("container_network_transmit_packets_total", "counter", ("interface",)),
    ("container_network_transmit_packets_dropped_total", "counter", ("interface",)),
    ("container_network_transmit_errors_total", "counter", ("interface",)),
    ("container_fs_reads_bytes_total", "counter", ("device",)), ("container_fs_writes_bytes_total", "counter", ("device",)),
    ("container_fs_reads_total", "counter", ("device",)), ("container_fs_writes_total", "counter", ("device",)),
    ("container_fs_inodes_free", "gauge", ("device",)), ("container_fs_inodes_total", "gauge", ("device",)),
    ("container_fs_limit_bytes", "gauge", ("device",)), ("container_fs_usage_bytes", "gauge", ("device",)),
    ("container_processes", "gauge", ()), ("container_file_descriptors", "gauge", ()), ("container_sockets", "gauge", ()),
    ("container_threads", "gauge", ()), ("container_threads_max", "gauge", ()), ("container_ulimits_soft", "gauge", ("ulimit",)),
)


def _cadvisor(labels: tuple[str, ...], *, limit: bool) -> tuple[Metric, ...]:
    extra = (("container_spec_memory_limit_bytes", "gauge", ()),) if limit else ()
    return tuple(_m(n, t, labels=labels + more) for n, t, more in CADVISOR + extra)


EXTRA: dict[str, tuple[Metric, ...]] = {
    # vllm-project/vllm vllm/v1/metrics/loggers.py PrometheusStatLogger: the families present both in
    # the 0.10 line (commit 005a810b) and after 0.11 (the stored newer version), so in v0.11.0;
    # cache_config_info from log_metrics_info (one of CacheConfig.metrics_info()'s labels shown)
    "vllm": PYTHON + HTTP_INSTRUMENTATOR + (
        _m("vllm:request_params_n", "histogram", "requests", VLLM_L),
        _m("vllm:request_params_max_tokens", "histogram", "tokens", VLLM_L),
        _m("vllm:request_max_num_generation_tokens", "histogram", "tokens", VLLM_L),
        _m("vllm:iteration_tokens_total", "histogram", "tokens", VLLM_L),
        _m("vllm:time_per_prefill_token_request_seconds", "histogram", "seconds", VLLM_L),
        _m("vllm:request_inference_time_seconds", "histogram", "seconds", VLLM_L),
        _m("vllm:cache_config_info", "gauge", labels=("block_size", "cache_dtype", "engine")),
    ),
    # sgl-project/sglang python/sglang/srt/metrics/collector.py (stored commit 00ae9c15):
    # SchedulerMetricsCollector's gauges set from SchedulerStats at every log interval and the
    # counters of ordinary traffic; TokenizerMetricsCollector's cached_tokens/num_so_requests.
    # Label: model_name, as the catalog (recent releases add rank labels to every family alike).
    "sglang": PYTHON + tuple(_m(f"sglang:{n}", "gauge", labels=("model_name",)) for n in (
        "max_total_num_tokens", "num_grammar_queue_reqs", "spec_accept_length", "spec_accept_rate", "decode_sum_seq_lens",
        "pending_prealloc_token_usage", "swa_token_usage", "mamba_usage", "num_running_reqs_offline_batch", "num_retracted_reqs",
        "num_paused_reqs", "num_prefill_prealloc_queue_reqs", "num_prefill_inflight_queue_reqs", "num_decode_prealloc_queue_reqs",
        "num_decode_transfer_queue_reqs", "kv_transfer_speed_gb_s", "kv_transfer_latency_ms", "kv_transfer_bootstrap_ms",
        "kv_transfer_alloc_ms", "kv_transfer_total_mb", "utilization", "max_running_requests_under_SLO", "engine_startup_time",
        "engine_load_weights_time", "is_cuda_graph", "num_unique_running_routing_keys", "new_token_ratio")) + (
        _m("sglang:num_retractions", "histogram", "requests", ("model_name",)),
        _m("sglang:num_retracted_requests_total", "counter", labels=("model_name",)),
        _m("sglang:num_retracted_input_tokens_total", "counter", "tokens", ("model_name",)),
        _m("sglang:num_retracted_output_tokens_total", "counter", "tokens", ("model_name",)),
        _m("sglang:realtime_tokens_total", "counter", "tokens", ("model_name", "mode")),
        _m("sglang:cached_tokens_total", "counter", "tokens", ("model_name",)), _m("sglang:num_so_requests_total", "counter", labels=("model_name",)),
    ),
    # SeldonIO/MLServer: client_python's defaults; mlserver/metrics and its REST server's families are all catalogued
    "mlserver": PYTHON,
    # triton-inference-server/server docs/user_guide/metrics.md: the pinned-memory gauges (no labels)
    # are the only default families outside the catalog (summaries are off by default)
    "triton": (_m("nv_pinned_memory_pool_total_bytes", "gauge"), _m("nv_pinned_memory_pool_used_bytes", "gauge")),
    "arks-gateway": GO,
    # dcgm-exporter: the Go runtime families as before (not re-checked against internal/pkg/server)
    "dcgm": (
        _m("go_goroutines", "gauge"), _m("go_threads", "gauge"), _m("go_info", "gauge", labels=("version",)),
        _m("go_memstats_alloc_bytes", "gauge"), _m("go_memstats_heap_inuse_bytes", "gauge"), _m("go_memstats_sys_bytes", "gauge"),
        _m("go_memstats_mallocs_total", "counter"), _m("go_memstats_frees_total", "counter"),
        _m("process_cpu_seconds_total", "counter"), _m("process_resident_memory_bytes", "gauge"), _m("process_open_fds", "gauge"),
    ),
    # standalone cAdvisor (the docker platform): its container collector with Docker's labels, and
    # the machine collector (google/cadvisor metrics/prometheus_machine.go)
    "docker-containers": _cadvisor(("name", "image", "id"), limit=False) + (
        _m("machine_cpu_cores", "gauge"), _m("machine_cpu_physical_cores", "gauge"), _m("machine_cpu_sockets", "gauge"),
        _m("machine_memory_bytes", "gauge"), _m("machine_swap_bytes", "gauge"),
    ),
    "containers": _cadvisor(("namespace", "pod", "container"), limit=True),
}

VALUES: dict[str, dict[str, list[str]]] = {
    # the instrumentator groups status codes; vLLM's routes (excluded: /metrics, /health, …)
    **{n: {"handler": ["/v1/chat/completions", "/v1/completions"], "status": ["2xx", "4xx", "5xx"]} for n in
       ("http_requests_total", "http_request_size_bytes", "http_response_size_bytes", "http_request_duration_seconds")},
    "promhttp_metric_handler_requests_total": {"code": ["200", "500", "503"]},
    "go_info": {"version": ["go1.24.4"]},
    "sglang:realtime_tokens_total": {"mode": ["prefill_compute", "prefill_cache", "decode"]},
    "container_memory_failures_total": {"failure_type": ["pgfault", "pgmajfault"], "scope": ["container", "hierarchy"]},
    "container_ulimits_soft": {"ulimit": ["max_open_files"]},
    **{m.name: {"device": ["/dev/nvme0n1"]} for m in EXTRA["containers"] + EXTRA["docker-containers"] if "device" in m.labels},
}
"""Label values of one family where LABEL_VALUES' values for that label name would be wrong."""

QUANTILES = {"go_gc_duration_seconds": ["0", "0.25", "0.5", "0.75", "1"]}
"""Summaries with quantiles (client_golang's GC pause summary); other summaries carry none."""

EXTRA_BUCKETS = {
    "http_request_duration_highr_seconds": [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5,
                                            7.5, 10, 30, 60],
    "http_request_duration_seconds": [0.1, 0.5, 1],
}
"""Upstream buckets of the non-catalogued histograms (metrics.default()'s highr and lowr)."""


def families(target: Target) -> tuple[Metric, ...]:
    kind = KINDS[target.kind]
    base = kind.metrics
    if target.kind == "dcgm":  # a profiling pool's collectors: the exporter's defaults plus DCGM_FI_PROF_*
        from ..gpu import dcgm_fields

        wanted = set(target.fields) or {f.name for f in dcgm_fields.DEFAULT + dcgm_fields.PROFILING}
        base = tuple(m for m in base if m.name in wanted)
    return base + EXTRA.get(target.kind, ())


# --- values --------------------------------------------------------------------------------------

VLLM_OLD_ONLY = {"vllm:num_requests_swapped", "vllm:gpu_cache_usage_perc", "vllm:gpu_prefix_cache_queries_total",
                 "vllm:gpu_prefix_cache_hits_total", "vllm:gpu_prefix_cache_hit_rate", "vllm:time_per_output_token_seconds"}
VLLM_NEW_ONLY = {"vllm:kv_cache_usage_perc", "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total",
                 "vllm:inter_token_latency_seconds"}

LABEL_VALUES = {
    "model": ["m1"], "model_name": ["llama-3-8b"], "version": ["1"], "engine": ["0"], "reason": ["BACKEND", "OTHER"],
    "finished_reason": ["stop", "length", "abort", "error"], "status": ["200", "429", "500"], "status_code": ["200", "503"], "endpoint": ["/v1/chat/completions", "/metrics"],
    "app_name": ["mlserver"], "method": ["POST"], "gpu_uuid": ["GPU-0"], "gpu": ["0"], "UUID": ["GPU-0"],
    "pci_bus_id": ["00000000:3B:00.0"], "device": ["nvidia0"], "modelName": ["NVIDIA H100 80GB HBM3"],
    "DCGM_FI_DRIVER_VERSION": ["550.54.15"], "pod": ["chat-0"], "namespace": ["llm"], "container": ["vllm"], "user": ["u1"],
    "token": ["t1"], "type": ["input", "output"], "rule_type": ["rpm"], "quota_name": ["q1"], "quota_type": ["tokens"],
    "error_type": ["upstream"], "interface": ["eth0"], "resource": ["cpu", "memory"], "unit": ["byte"], "cpu": ["total"],
    "image": ["vllm/vllm-openai:v0.11.0"], "generation": ["0", "1", "2"], "implementation": ["CPython"], "major": ["3"],
    "minor": ["12"], "patchlevel": ["3"], "block_size": ["16"], "cache_dtype": ["auto"], "state": ["running", "sleeping"], "id": ["/kubepods/pod1"], "name": ["k8s_vllm"], "node": ["gpu-node-1"],
}


def _label_sets(m: Metric, target: Target) -> list[dict[str, str]]:
    sets: list[dict[str, str]] = [{}]
    for label in m.labels:
        if label in target.without:
            continue
        if label == "path":
            values = ["/v2/models/{model_name}/infer", "/v2/health/ready"]
        elif label in target.labels:
            values = [target.labels[label]]
        elif label in VALUES.get(m.name, {}):
            values = VALUES[m.name][label]
        else:
            values = LABEL_VALUES.get(label, ["x"])
        sets = [dict(s, **{label: v}) for s in sets for v in values]
    return sets


def _share(labels: dict[str, str], st: State) -> float:
    """Fraction of the traffic a label set carries (error-ish values carry the error share)."""
    err = st.error_share
    if labels.get("path") == "/v2/health/ready":
        return 0.2 if (labels.get("status_code") == "200") == st.ready else 0.0
    if labels.get("finished_reason") == "error" or labels.get("status") == "500" or labels.get("status_code") == "503":
        share = err
    elif labels.get("finished_reason") == "abort":  # clients going away: not a fault of the server
        share = 0.01
    elif labels.get("status") == "429":
        share = err / 2
    elif labels.get("finished_reason") == "length":
        share = 0.1
    else:
        share = 1.0
    if labels.get("type") == "output":
        share *= 0.5
    return share


def _counter(m: Metric, st: State, t: float, labels: dict[str, str]) -> float:
    n = m.name
    reqs = st.rps * t
    if "rate_limit_hits" in n:  # a surge: well above any per-second threshold even averaged over 5m
        return reqs * (2.0 if "error_burst" in st.faults else 0.001)
    if "failure" in n or "5xx" in n or "aborted" in n or "errors" in n:
        return reqs * st.error_share
    if "duration_us" in n:
        scale = {"queue": 0.3, "compute_input": 0.05, "compute_infer": 0.5, "compute_output": 0.05}
        part = next((v for k, v in scale.items() if k in n), 1.0)
        return reqs * st.latency * part * 1e6
    if "tokens" in n or "token_usage" in n:
        return reqs * 300 * _share(labels, st)
    if "preemptions" in n:
        return t * (5.0 if "kv_full" in st.faults else 0.0)
    if "energy" in n.lower():
        return t * 350_000
    if n.startswith("container_cpu_usage"):
        return t * 1.5
    if "cfs_periods" in n:
        return t * 10
    if "cfs_throttled" in n:
        return t * 0.5
    if n.startswith("container_network"):
        return t * 2e6
    if "UNCORRECTABLE_REMAPPED" in n:
        return t * (0.5 if st.row_remap else 0.0)
    if "VIOLATION" in n:  # nanoseconds throttled; time compressed tenfold so a 5-minute rate crosses within verify's minute
        share = {"THERMAL": 0.3, "POWER": 0.8}.get(n.split("_")[3], 0.0) if "throttle" in st.faults else 0.0
        return share * 1e9 * 10
    if "hw_errors" in st.faults and ("PCIE_REPLAY" in n or "NVLINK_RECOVERY" in n or "ECC_DBE_VOL" in n):
        return 5.0 if "PCIE" in n else 0.05
    if "oom" in n or "REMAPPED" in n or "PCIE_REPLAY" in n or "NVLINK" in n or n.startswith("DCGM_FI_DEV_ECC") or "RETIRED" in n or "VIOLATION" in n:
        return 0.0
    if "hits" in n:
        return reqs * 120 * 0.6
    if "queries" in n:
        return reqs * 120
    return reqs * _share(labels, st)


def _gauge(m: Metric, st: State, labels: dict[str, str], target: Target) -> float:
    n = m.name
    table = {
        "num_requests_running": 8, "num_running_reqs": 8, "num_used_tokens": 40000, "gen_throughput": 900,
        "cache_hit_rate": 0.55, "gpu_prefix_cache_hit_rate": 0.55, "requests_in_progress": 3,
        "gateway_rate_limit_tokens": 500, "gateway_quota_limit": 1000, "cpu_usage_percentage": 35, "mem_usage_percentage": 50,
        "gpu_usage_percentage": 70, "gpu_mem_usage_percentage": 60, "provisioned_concurrent_requests_total": 4,
        "nv_gpu_utilization": 0.6, "nv_gpu_memory_total_bytes": 80e9, "nv_gpu_memory_used_bytes": 30e9, "nv_gpu_power_usage": 420,
        "nv_gpu_power_limit": 700, "nv_cpu_utilization": 0.3, "nv_cpu_memory_total_bytes": 512e9, "nv_cpu_memory_used_bytes": 64e9,
        "container_memory_working_set_bytes": 6e9, "kube_pod_container_resource_limits": 16e9, "container_spec_memory_limit_bytes": 16e9,
        "kube_pod_container_status_last_terminated_reason": 0,
    }
    if n.startswith("kube_pod_container_resource_"):
        cpu = labels.get("resource") == "cpu"
        return (4 if cpu else 16e9) if n.endswith("limits") else (2 if cpu else 12e9)
    if "saturated" in st.faults and n in ("nv_gpu_utilization", "nv_cpu_memory_used_bytes"):
        return 0.99 if n == "nv_gpu_utilization" else 500e9
    for key, value in table.items():
        if n.endswith(key):
            if key == "gateway_quota_limit":
                return value
            return value
    if n.endswith(("num_requests_waiting", "num_queue_reqs", "pending_request_count")):
        return st.queue_now()
    if n.endswith(("kv_cache_usage_perc", "gpu_cache_usage_perc", "token_usage")):
        return st.kv
    if n == "gateway_quota_usage":
        return 950 if "error_burst" in st.faults else 300
    if n.endswith("num_requests_swapped"):
        return 0
    if n.endswith("request_count_total"):
        return st.rps * 60
    if n.endswith("request_4xx_count_total"):
        return st.rps * 60 * 0.01
    if n.endswith("request_5xx_count_total"):
        return st.rps * 60 * st.error_share
    if n.startswith("DCGM_"):
        dcgm = {"DCGM_FI_DEV_GPU_UTIL": st.util, "DCGM_FI_DEV_GPU_TEMP": st.temp, "DCGM_FI_DEV_MEMORY_TEMP": st.temp - 5,
                "DCGM_FI_DEV_POWER_USAGE": 420, "DCGM_FI_DEV_SM_CLOCK": 1980, "DCGM_FI_DEV_MEM_CLOCK": 2619,
                "DCGM_FI_DEV_XID_ERRORS": st.xid, "DCGM_FI_DEV_FB_USED": st.fb_used, "DCGM_FI_DEV_FB_FREE": 80000 - st.fb_used,
                "DCGM_FI_DEV_FB_RESERVED": 500, "DCGM_FI_DEV_ROW_REMAP_FAILURE": st.row_remap}
        if n in dcgm:
            return dcgm[n]
        return 0.45 if n.startswith("DCGM_FI_PROF_") else 0.0
    return 1.0


def _observations(m: Metric, st: State) -> tuple[float, float]:
    """(mean of one observation, observations per second) of a histogram/summary."""
    n = m.name
    if m.unit == "seconds":
        if "time_to_first_token" in n:
            mean = st.latency / 5 if "latency_spike" not in st.faults else st.latency / 2
        elif "e2e" in n:
            mean = st.latency * 10
        elif "inter_token" in n or "time_per_output" in n:
            mean = st.latency / 40
        else:
            mean = st.latency
        return mean, st.rps
    if m.unit == "milliseconds":
        return st.latency * 1000, st.rps
    if m.unit == "tokens":
        return 300.0, st.rps
    if m.unit == "requests":
        return st.queue_now(), 1.0
    return 1.0, st.rps


def _bucket_bounds(m: Metric) -> list[float]:
    return UPSTREAM_BUCKETS.get(m.name) or EXTRA_BUCKETS.get(m.name) or BUCKETS.get(m.unit, BUCKETS["requests"])


def _renamed(target: Target, series: str) -> str:
    for old, new in target.rename.items():
        if series == old or (series.startswith(old) and series[len(old):] in ("_total", "_bucket", "_sum", "_count", "_created")):
            return new + series[len(old):]
    return series


def exposition(target: Target) -> str:
    """The target's metrics now, in the Prometheus text format."""
    return collect(target)[0]


def collect(target: Target) -> tuple[str, list[MetricFamily]]:
    """The target's metrics now: as Prometheus text written the way its server writes it, and
    as prometheus_client families (for the servers that encode with prometheus_client's
    content negotiation). Counters and histograms accumulate since the previous scrape at the
    current rates, so they stay monotonic when a fault changes the rates."""
    st = target.state
    with target.lock:
        now = time.monotonic()
        dt = now - target.last if target.last else 600.0  # a server that has been running for a while
        target.last = now
        lines: list[str] = []
        out: list[MetricFamily] = []
        for m in families(target):
            if target.kind == "vllm" and m.name in (VLLM_NEW_ONLY if target.generation == "old" else VLLM_OLD_ONLY):
                continue
            family = m.name[:-6] if m.type == "counter" and m.name.endswith("_total") else m.name
            name = target.prefix + _renamed(target, family)
            # the text format (0.0.4) names a counter's HELP/TYPE lines as its samples, _total included
            # (prometheus_client's generate_latest, Go's expfmt); only OpenMetrics strips it
            lines.append(f"# HELP {target.prefix}{_renamed(target, m.name)} {m.help}")
            lines.append(f"# TYPE {target.prefix}{_renamed(target, m.name)} {m.type}")
            fam = MetricFamily(name, m.help, m.type)
            out.append(fam)
            for labels in _label_sets(m, target):
                ls = ",".join(f'{k}="{v}"' for k, v in labels.items())
                key = (m.name, ls)

                def sample(series: str, value: float, le: str = "", quantile: str = "") -> None:
                    series = _renamed(target, series)
                    more = {"le": le} if le else {"quantile": quantile} if quantile else {}
                    fam.add_sample(target.prefix + series, {**labels, **more}, value)
                    body = ",".join(x for x in (ls, *(f'{k}="{v}"' for k, v in more.items())) if x)
                    lines.append(f"{target.prefix}{series}{{{body}}} {floatToGoString(value)}" if body
                                 else f"{target.prefix}{series} {floatToGoString(value)}")

                if m.type == "counter":
                    target.acc[key] = target.acc.get(key, 0.0) + dt * _counter(m, st, 1.0, labels)
                    sample(m.name, target.acc[key])
                elif m.type == "gauge":
                    sample(m.name, _gauge(m, st, labels, target))
                else:
                    mean, per_s = _observations(m, st)
                    bounds = _bucket_bounds(m)
                    if target.kind == "databricks":  # the export API serves the last minute only
                        obs = per_s * 60 * _share(labels, st)
                        acc = [obs * (1 - math.exp(-le / mean)) for le in bounds] + [obs, obs * mean]
                    else:
                        obs = dt * per_s * _share(labels, st)
                        acc = target.acc.get(key) or [0.0] * (len(bounds) + 2)
                        acc = [a + obs * (1 - math.exp(-le / mean)) for a, le in zip(acc, bounds)] + [acc[-2] + obs, acc[-1] + obs * mean]
                        target.acc[key] = acc
                    if m.type == "histogram":
                        for le, v in zip(bounds, acc):
                            sample(f"{m.name}_bucket", v, floatToGoString(float(le)))
                        sample(f"{m.name}_bucket", acc[-2], "+Inf")
                    for q in QUANTILES.get(m.name, ()):
                        sample(m.name, mean * -math.log(1 - min(float(q), 0.999)), quantile=q)
                    sample(f"{m.name}_sum", acc[-1])
                    sample(f"{m.name}_count", acc[-2])
        return "\n".join(lines) + "\n", out


# --- on the wire ----------------------------------------------------------------------------------

NEGOTIATED = None
"""The server encodes with prometheus_client's content negotiation (``make_asgi_app``)."""
WIRE: dict[str, tuple[str | None, str]] = {
    # vLLM: GET /metrics is prometheus-fastapi-instrumentator's route, which sends prometheus_client's
    # CONTENT_TYPE_LATEST whatever is asked (vllm/entrypoints/openai/api_server.py; 1.0.0 since client 0.23)
    "vllm": ("text/plain; version=1.0.0; charset=utf-8", "text"),
    # SGLang: a Mount of make_asgi_app (python/sglang/srt/utils/common.py add_prometheus_middleware):
    # OpenMetrics for Prometheus 3's Accept header
    "sglang": (NEGOTIATED, "negotiated"),
    # MLServer 1.7: its own handler sends CONTENT_TYPE_LATEST of the locked client 0.21 (mlserver/metrics/prometheus.py)
    "mlserver": ("text/plain; version=0.0.4; charset=utf-8", "text"),
    # Triton: src/http_server.cc HTTPMetricsServer::Handle, prometheus-cpp's text serializer
    "triton": ("text/plain; charset=utf-8", "text"),
    # dcgm-exporter sets none (internal/pkg/server/server.go); Go's net/http sniffs text/plain
    "dcgm": ("text/plain; charset=utf-8", "text"),
    # Arks gateway: promhttp.Handler() (pkg/gateway/gateway.go); kubelet and cAdvisor: promhttp.HandlerFor
    "arks-gateway": ("text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8", "text"),
    "containers": ("text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8", "text"),
    "docker-containers": ("text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8", "text"),
    # Databricks documents none for its export endpoint: serve none, the case Prometheus 3 refuses
    # unless the job sets fallback_scrape_protocol
    "databricks": (None, "text"),
}
"""Per simulated kind: the Content-Type its upstream server answers Prometheus 3's Accept
header with, and how the body is encoded."""


def encode(target: Target, accept: str = "") -> tuple[str | None, bytes]:
    """(Content-Type, body) as the target's upstream server answers a request with ``accept``."""
    content_type, how = WIRE[target.kind]
    text, fams = collect(target)
    if how == "negotiated":
        encoder, content_type = choose_encoder(accept)
        return content_type, encoder(type("Families", (), {"collect": lambda self: fams})())
    return content_type, text.encode()


# --- serving ---------------------------------------------------------------------------------------


def _handler(target: Target):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep the verify output readable
            pass

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/-/fault":
                for name in parse_qs(url.query).get("name", []):
                    if name not in FAULTS:
                        self.send_error(400, f"unknown fault {name}")
                        return
                    target.state.apply(name)
                self.send_response(204)
                self.end_headers()
                return
            self.send_error(404)

        def do_GET(self) -> None:  # noqa: N802
            if target.state.down:
                self.send_error(503, "simulated outage")
                return
            target.state.scrapes += 1
            if "scrape_loss" in target.state.faults and target.state.scrapes % 10 == 0:
                self.send_error(503, "simulated scrape loss")
                return
            if target.token and self.headers.get("Authorization") != f"Bearer {target.token}":
                self.send_error(401, "missing or wrong bearer token")
                return
            content_type, body = encode(target, self.headers.get("Accept", ""))
            self.send_response(200)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(plan: dict[str, Any]) -> None:
    servers = []
    for spec in plan["targets"]:
        target = Target(**spec)
        for key, value in target.baseline.items():
            setattr(target.state, key, value)
        server = ThreadingHTTPServer(("127.0.0.1", target.port), _handler(target))
        if target.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(plan["cert"], plan["key"])
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print("ready", flush=True)
    deadline = time.monotonic() + float(plan.get("duration", 600))
    while time.monotonic() < deadline:
        time.sleep(0.5)
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    serve(json.loads(open(sys.argv[1]).read()))
