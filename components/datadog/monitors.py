"""Datadog monitors: one per Prometheus alert whose signal Datadog collects, same threshold.

Each recipe writes the alert's query in Datadog's monitor grammar
(``time_aggr(window):space_aggr:metric{tags} by {groups} op N``) over the names Datadog
stores (``names.dd_metric``), grouped by the tags matching the alert's Prometheus labels.
Not mirrored: target-down and scrape alerts (Datadog has its own service checks for the
Agent's checks) and SLO burn-rate alerts (use Datadog SLOs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ..alerts.rules import Target, collects, targets, threshold
from ..alerts.specs import ALERTS, AlertSpec
from ..config import LoadedConfig
from .names import INTEGRATIONS, dd_metric, dd_tag

PRIORITY = {"critical": "1", "warning": "3", "info": "4"}


@dataclass(frozen=True)
class MonitorSpec:
    alert: str
    name: str
    query: str
    threshold: float
    op: str
    severity: str
    priority: str
    message: str
    tags: list[str]
    notify_no_data: bool


def _term(kind: str, space: str, series: str, flt: str, by: tuple[str, ...], suffix: str = "") -> str:
    name = dd_metric(kind, series)
    if name is None:
        raise LookupError(f"Datadog does not collect {series} of {kind}")
    groups = ",".join(dd_tag(kind, label) for label in by)
    return f"{space}:{name}{{{flt}}} by {{{groups}}}{suffix}"


def _window(spec: AlertSpec) -> str:
    return "last_5m" if spec.for_ in ("0m", "1m", "2m") else f"last_{spec.for_}"


Recipe = Callable[[str, str, AlertSpec], str]
"""(kind, tag filter, spec) -> query without the comparison."""


def _ratio(bad: str, good: str, by: tuple[str, ...], bad_extra: str = "", total_extra: str = "") -> Recipe:
    def q(kind, flt, spec):
        b = _term(kind, "sum", bad, flt + bad_extra, by, ".as_count()")
        g = _term(kind, "sum", good, flt + total_extra, by, ".as_count()")
        return f"sum({_window(spec)}):{b} / ({g} + {b})"
    return q


def _gauge(series: str, by: tuple[str, ...], space: str = "max", time: str = "avg", extra: str = "") -> Recipe:
    return lambda kind, flt, spec: f"{time}({_window(spec)}):{_term(kind, space, series, flt + extra, by)}"


def _pct(q: str, series: str, by: tuple[str, ...]) -> Recipe:
    return lambda kind, flt, spec: f"avg({_window(spec)}):{_term(kind, q, series, flt, by)}"


def _rate(series: str, by: tuple[str, ...], extra: str = "") -> Recipe:
    return lambda kind, flt, spec: f"sum({_window(spec)}):{_term(kind, 'sum', series, flt + extra, by, '.as_rate()')}"


LLM_BY = ("service", "model_name")
GPU_BY = ("gpu_pool", "node", "gpu")

RECIPES: dict[tuple[str, str], Recipe] = {
    ("TritonHighFailureRatio", "triton"): _ratio("nv_inference_request_failure", "nv_inference_request_success", ("service",)),
    ("TritonHighQueueTime", "triton"): lambda k, f, s: (
        f"sum({_window(s)}):{_term(k, 'sum', 'nv_inference_queue_duration_us', f, ('service', 'model', 'version'), '.as_count()')}"
        f" / {_term(k, 'sum', 'nv_inference_request_success', f, ('service', 'model', 'version'), '.as_count()')} / 1000000"),
    ("TritonPendingRequestsGrowing", "triton"): lambda k, f, s: (
        f"change(avg({_window(s)}),{_window(s)}):{_term(k, 'sum', 'nv_inference_pending_request_count', f, ('service', 'model', 'version'))}"),
    ("LLMHighTimeToFirstToken", "vllm"): _pct("p95", "vllm:time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighTimeToFirstToken", "sglang"): _pct("p95", "sglang:time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "vllm"): _pct("p95", "vllm:e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "sglang"): _pct("p95", "sglang:e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMRequestsWaiting", "vllm"): _gauge("vllm:num_requests_waiting", LLM_BY, space="sum"),
    ("LLMRequestsWaiting", "sglang"): _gauge("sglang:num_queue_reqs", LLM_BY, space="sum"),
    ("LLMKVCacheNearFull", "vllm"): _gauge("vllm:gpu_cache_usage_perc", LLM_BY + ("instance",)),
    ("LLMKVCacheNearFull", "sglang"): _gauge("sglang:token_usage", LLM_BY + ("instance",)),
    ("LLMPreemptions", "vllm"): _rate("vllm:num_preemptions_total", LLM_BY),
    ("LLMHighTimeToFirstToken", "arks-runtime"): _pct("p95", "time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "arks-runtime"): _pct("p95", "e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMRequestsWaiting", "arks-runtime"): _gauge("num_requests_waiting", LLM_BY, space="sum"),
    ("LLMKVCacheNearFull", "arks-runtime"): _gauge("kv_cache_usage_perc", LLM_BY + ("instance",)),
    ("LLMPreemptions", "arks-runtime"): _rate("num_preemptions_total", LLM_BY),
    ("LLMGatewayHighErrorRatio", "arks-gateway"): lambda k, f, s: (
        f"sum({_window(s)}):{_term(k, 'sum', 'gateway_requests_total', f + ',!status:2*', ('service',), '.as_count()')}"
        f" / {_term(k, 'sum', 'gateway_requests_total', f, ('service',), '.as_count()')}"),
    ("LLMGatewayRateLimitSurge", "arks-gateway"): _rate("gateway_rate_limit_hits_total", ("service", "model", "rule_type")),
    ("LLMGatewayQuotaNearLimit", "arks-gateway"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'max', 'gateway_quota_usage', f, ('service', 'model', 'quota_name', 'quota_type'))}"
        f" / {_term(k, 'max', 'gateway_quota_limit', f, ('service', 'model', 'quota_name', 'quota_type'))}"),
    ("MLServerHighInferenceLatency", "mlserver"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'model_infer_request_duration_sum', f, ('service', 'model'), '.as_count()')}"
        f" / {_term(k, 'sum', 'model_infer_request_duration_count', f, ('service', 'model'), '.as_count()')}"),
    ("MLServerLowSuccessRatio", "mlserver"): lambda k, f, s: (
        f"sum({_window(s)}):{_term(k, 'sum', 'model_infer_request_success_total', f, ('service',), '.as_count()')}"
        f" / ({_term(k, 'sum', 'model_infer_request_success_total', f, ('service',), '.as_count()')}"
        f" + {_term(k, 'sum', 'model_infer_request_failure_total', f, ('service',), '.as_count()')})"),
    ("MLServerQueueBacklog", "mlserver"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'parallel_request_queue_sum', f, ('service',), '.as_count()')}"
        f" / {_term(k, 'sum', 'parallel_request_queue_count', f, ('service',), '.as_count()')}"),
    ("MLServerNotReady", "mlserver"): _rate("rest_server_requests_total", ("service",), ",path:*ready,!status_code:200"),
    ("DatabricksHighErrorRatio", "databricks"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'request_5xx_count_total', f, ('service', 'endpoint'))}"
        f" / {_term(k, 'sum', 'request_count_total', f, ('service', 'endpoint'))}"),
    ("DatabricksHighP99Latency", "databricks"): _pct("p99", "request_latency_ms_bucket", ("service", "endpoint")),
    # a new XID of either class (monitor queries cannot filter by value): the last XID changed
    ("GPUXidError", "dcgm"): lambda k, f, s: f"change(max(last_15m),last_15m):{_term(k, 'max', 'DCGM_FI_DEV_XID_ERRORS', f, GPU_BY)}",
    ("GPUTemperatureHigh", "dcgm"): _gauge("DCGM_FI_DEV_GPU_TEMP", GPU_BY),
    ("GPUFramebufferNearFull", "dcgm"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'DCGM_FI_DEV_FB_USED', f, GPU_BY)}"
        f" / ({_term(k, 'sum', 'DCGM_FI_DEV_FB_USED', f, GPU_BY)} + {_term(k, 'sum', 'DCGM_FI_DEV_FB_FREE', f, GPU_BY)})"),
    ("GPUUncorrectableRowRemap", "dcgm"): lambda k, f, s: f"sum(last_1h):{_term(k, 'sum', 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', f, GPU_BY, '.as_count()')}",
    ("TritonPendingRequestsHigh", "triton"): _gauge("nv_inference_pending_request_count", ("service", "model", "version"), space="sum"),
    ("GPURowRemapFailure", "dcgm"): _gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", GPU_BY, time="max"),
    ("GPUAllocatedButIdle", "dcgm"): _gauge("DCGM_FI_DEV_GPU_UTIL", GPU_BY + ("namespace", "pod"), space="avg", extra=",pod_name:*"),
}


def _message(loaded: LoadedConfig, spec: AlertSpec, team: str, service: Optional[str]) -> str:
    dd = loaded.config.datadog
    handles = list(dd.notify) + list(dd.team_notify.get(team, []))
    runbook = f"{loaded.config.alerts.runbook_base_url.rstrip('/')}/{spec.name.lower()}"
    who = f"{service}: " if service else ""
    lines = [f"{who}{spec.name} ({spec.severity}) in {loaded.environment}.", f"Runbook: {runbook}",
             f"Dashboard: /d/{spec.dashboard}" + (f"?var-service={service}" if service else "")]
    if handles:
        lines.append(" ".join(handles))
    return "\n".join(lines)


def _spec(loaded: LoadedConfig, spec: AlertSpec, kind: str, target: Optional[Target]) -> MonitorSpec:
    env = loaded.environment
    service = target.name if target else None
    team = target.team if target else loaded.config.alerts.team
    flt = f"env:{env}" + (f",service:{service}" if service else "")
    thr = threshold(spec.name, spec.threshold, loaded, target)
    query = f"{RECIPES[(spec.name, kind)](kind, flt, spec)} {spec.op} {_num(thr)}"
    tags = [f"env:{env}", f"team:{team}", "managed-by:infermon", f"severity:{spec.severity}", f"alert:{spec.name}"]
    if service:
        tags.insert(1, f"service:{service}")
    title = f"[{env}] {spec.name}" + (f" {service}" if service else "")
    return MonitorSpec(spec.name, title, query, thr, spec.op, spec.severity, PRIORITY[spec.severity],
                       _message(loaded, spec, team, service), tags, notify_no_data=spec.severity == "critical")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def monitor_specs(loaded: LoadedConfig) -> list[MonitorSpec]:
    """Every monitor of the stack, in a stable order. Empty unless Datadog monitors are on."""
    dd = loaded.config.datadog
    if not (dd.enabled and dd.monitors):
        return []
    disabled = set(loaded.config.alerts.disabled)
    out: list[MonitorSpec] = []
    for t in targets(loaded):
        if t.kind not in INTEGRATIONS:
            continue
        for spec in ALERTS:
            if spec.scope == "service" and t.kind in spec.kinds and spec.name not in disabled and (spec.name, t.kind) in RECIPES:
                out.append(_spec(loaded, spec, t.kind, t))
    if loaded.config.gpu_pools:
        for spec in ALERTS:
            if spec.scope == "fleet" and spec.name not in disabled and (spec.name, "dcgm") in RECIPES and collects(loaded, spec):
                out.append(_spec(loaded, spec, "dcgm", None))
    return out
