"""Datadog monitors: one per Prometheus alert whose signal Datadog collects, same threshold.

Each recipe writes the alert's query in Datadog's monitor grammar
(``time_aggr(window):space_aggr:metric{tags} by {groups} op N``) over the names Datadog
stores (``names.dd_metric``), grouped by the tags matching the alert's Prometheus labels.
Not mirrored: target-down and scrape alerts (Datadog has its own service checks for the
Agent's checks) and SLO burn-rate alerts (use Datadog SLOs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from ..alerts.rules import Target, collects, target_down_spec, targets, threshold
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
    type: str = "query alert"


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
    # as_rate() pairs with avg(): sum() would add up the per-second rate of every point in the window
    return lambda kind, flt, spec: f"avg({_window(spec)}):{_term(kind, 'sum', series, flt + extra, by, '.as_rate()')}"


def _mean(series: str, by: tuple[str, ...]) -> Recipe:
    """A histogram's or summary's mean over the window: its .sum over its .count (counts pair with sum())."""
    return lambda kind, flt, spec: (f"sum({_window(spec)}):{_term(kind, 'sum', series + '_sum', flt, by, '.as_count()')}"
                                    f" / {_term(kind, 'sum', series + '_count', flt, by, '.as_count()')}")


def _share(series: str, bad: str, by: tuple[str, ...], scope: str = "") -> Recipe:
    """The share of a counter's count whose tags match ``bad`` (e.g. an error status)."""
    return lambda kind, flt, spec: (f"sum({_window(spec)}):{_term(kind, 'sum', series, flt + scope + bad, by, '.as_count()')}"
                                    f" / {_term(kind, 'sum', series, flt + scope, by, '.as_count()')}")


LLM_BY = ("service", "model_name")
GPU_BY = ("gpu_pool", "node", "gpu")

RECIPES: dict[tuple[str, str], Recipe] = {
    ("TritonHighFailureRatio", "triton"): _ratio("nv_inference_request_failure", "nv_inference_request_success", ("service",)),
    ("TritonHighQueueTime", "triton"): lambda k, f, s: (
        f"sum({_window(s)}):{_term(k, 'sum', 'nv_inference_queue_duration_us', f, ('service', 'model', 'version'), '.as_count()')}"
        f" / {_term(k, 'sum', 'nv_inference_request_success', f, ('service', 'model', 'version'), '.as_count()')} / 1000000"),
    ("TritonPendingRequestsGrowing", "triton"): lambda k, f, s: (
        f"change(avg({_window(s)}),{_window(s)}):{_term(k, 'sum', 'nv_inference_pending_request_count', f, ('service', 'model', 'version'))}"),
    ("TritonPendingRequestsHigh", "triton"): _gauge("nv_inference_pending_request_count", ("service", "model", "version"), space="sum"),
    ("TritonGPUUtilizationHigh", "triton"): _gauge("nv_gpu_utilization", ("service", "instance", "gpu_uuid")),
    ("TritonCPUMemoryHigh", "triton"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'max', 'nv_cpu_memory_used_bytes', f, ('service', 'instance'))}"
        f" / {_term(k, 'max', 'nv_cpu_memory_total_bytes', f, ('service', 'instance'))}"),
    ("LLMHighErrorRatio", "vllm"): _share("vllm:request_success_total", ",finished_reason:error", ("service",)),
    ("LLMHighErrorRatio", "sglang"): _share("sglang:http_responses_total", ",status_code:5*", ("service",), ",method:post"),
    ("LLMHighInterTokenLatency", "vllm"): _pct("p95", "vllm:inter_token_latency_seconds_bucket", LLM_BY),
    ("LLMHighInterTokenLatency", "sglang"): _pct("p95", "sglang:inter_token_latency_seconds_bucket", LLM_BY),
    ("LLMHighInterTokenLatency", "arks-runtime"): _pct("p95", "inter_token_latency_seconds_bucket", LLM_BY),
    ("LLMHighTimeToFirstToken", "vllm"): _pct("p95", "vllm:time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighTimeToFirstToken", "sglang"): _pct("p95", "sglang:time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "vllm"): _pct("p95", "vllm:e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "sglang"): _pct("p95", "sglang:e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMRequestsWaiting", "vllm"): _gauge("vllm:num_requests_waiting", LLM_BY, space="sum"),
    ("LLMRequestsWaiting", "sglang"): _gauge("sglang:num_queue_reqs", LLM_BY, space="sum"),
    ("LLMKVCacheNearFull", "vllm"): _gauge("vllm:kv_cache_usage_perc", LLM_BY + ("instance",)),
    ("LLMKVCacheNearFull", "sglang"): _gauge("sglang:token_usage", LLM_BY + ("instance",)),
    ("LLMPreemptions", "vllm"): _rate("vllm:num_preemptions_total", LLM_BY),
    ("LLMHighTimeToFirstToken", "arks-runtime"): _pct("p95", "time_to_first_token_seconds_bucket", LLM_BY),
    ("LLMHighE2ELatency", "arks-runtime"): _pct("p95", "e2e_request_latency_seconds_bucket", LLM_BY),
    ("LLMRequestsWaiting", "arks-runtime"): _gauge("num_requests_waiting", LLM_BY, space="sum"),
    ("LLMKVCacheNearFull", "arks-runtime"): _gauge("kv_cache_usage_perc", LLM_BY + ("instance",)),
    ("LLMGatewayHighErrorRatio", "arks-gateway"): _share("gateway_requests_total", ",!status:2*", ("service",)),
    ("LLMGatewayRateLimitSurge", "arks-gateway"): _rate("gateway_rate_limit_hits_total", ("service", "model", "rule_type")),
    ("LLMGatewayQuotaNearLimit", "arks-gateway"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'max', 'gateway_quota_usage', f, ('service', 'model', 'quota_name', 'quota_type'))}"
        f" / {_term(k, 'max', 'gateway_quota_limit', f, ('service', 'model', 'quota_name', 'quota_type'))}"),
    ("MLServerHighInferenceLatency", "mlserver"): _mean("model_infer_request_duration", ("service", "model")),
    ("MLServerLowSuccessRatio", "mlserver"): lambda k, f, s: (
        f"sum({_window(s)}):{_term(k, 'sum', 'model_infer_request_success_total', f, ('service',), '.as_count()')}"
        f" / ({_term(k, 'sum', 'model_infer_request_success_total', f, ('service',), '.as_count()')}"
        f" + {_term(k, 'sum', 'model_infer_request_failure_total', f, ('service',), '.as_count()')})"),
    ("MLServerQueueBacklog", "mlserver"): _mean("parallel_request_queue", ("service",)),
    ("MLServerNotReady", "mlserver"): _rate("rest_server_requests_total", ("service",), ",path:*ready,!status_code:200"),
    ("DatabricksHighErrorRatio", "databricks"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'request_5xx_count_total', f, ('service', 'endpoint'))}"
        f" / {_term(k, 'sum', 'request_count_total', f, ('service', 'endpoint'))}"),
    # a new XID of either class (monitor queries cannot filter by value): the last XID changed
    ("GPUXidError", "dcgm"): lambda k, f, s: f"change(max(last_15m),last_15m):{_term(k, 'max', 'DCGM_FI_DEV_XID_ERRORS', f, GPU_BY)}",
    ("GPUTemperatureHigh", "dcgm"): _gauge("DCGM_FI_DEV_GPU_TEMP", GPU_BY),
    ("GPUFramebufferNearFull", "dcgm"): lambda k, f, s: (
        f"avg({_window(s)}):{_term(k, 'sum', 'DCGM_FI_DEV_FB_USED', f, GPU_BY)}"
        f" / ({_term(k, 'sum', 'DCGM_FI_DEV_FB_USED', f, GPU_BY)} + {_term(k, 'sum', 'DCGM_FI_DEV_FB_FREE', f, GPU_BY)})"),
    ("GPUUncorrectableRowRemap", "dcgm"): lambda k, f, s: f"sum(last_1h):{_term(k, 'sum', 'DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', f, GPU_BY, '.as_count()')}",
    ("GPURowRemapFailure", "dcgm"): _gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", GPU_BY, time="max"),
    ("GPUPCIeReplays", "dcgm"): _rate("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", GPU_BY),
    ("GPUAllocatedButIdle", "dcgm"): _gauge("DCGM_FI_DEV_GPU_UTIL", GPU_BY + ("namespace", "pod"), space="avg", extra=",pod_name:*"),
}

UNMIRRORED: dict[tuple[str, str], str] = {
    ("DatabricksHighP99Latency", "databricks"): "the export API serves each minute's buckets as gauges; the Agent submits histogram "
    "buckets as counters it differences, so a percentile of them means nothing",
    ("LLMHighErrorRatio", "arks-runtime"): "an Arks service's vLLM and SGLang pods count errors in different series (finished_reason, "
    "HTTP status), and one monitor query cannot add a series that is absent",
    ("LLMPreemptions", "arks-runtime"): "SGLang counts no preemptions: on an Arks service backed by SGLang the monitor would never "
    "have data (the Prometheus alert simply stays quiet there)",
    ("GPUXidApplicationError", "dcgm"): "a monitor cannot select by value: GPUXidError's monitor fires on any new XID",
    **{(a, "dcgm"): "the dcgm integration's metric map does not collect the counters it reads" for a in (
        "GPUThermalThrottling", "GPUPowerThrottling", "GPUDoubleBitECCErrors", "GPUNVLinkErrors")},
}
"""Alerts on a collected kind without a monitor, and why (README, Datadog section)."""


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
    flt = f"env:{loaded.environment}" + (f",service:{target.name}" if target else "")
    thr = threshold(spec.name, spec.threshold, loaded, target)
    query = f"{RECIPES[(spec.name, kind)](kind, flt, spec)} {spec.op} {_num(thr)}"
    # no-data pages only on the health service check (target down), sent on every run: an error
    # series appears at the first error (client libraries create labelled children lazily), so an
    # error-ratio monitor has no data on a healthy service
    return _monitor(loaded, spec, target, query, thr, spec.op)


def _monitor(loaded: LoadedConfig, spec: AlertSpec, target: Optional[Target], query: str, thr: float, op: str,
             type_: str = "query alert", title_suffix: str = "") -> MonitorSpec:
    env = loaded.environment
    service = target.name if target else None
    team = target.team if target else loaded.config.alerts.team
    tags = [f"env:{env}", f"team:{team}", "managed-by:infermon", f"severity:{spec.severity}", f"alert:{spec.name}"]
    if service:
        tags.insert(1, f"service:{service}")
    title = f"[{env}] {spec.name}" + (f" {service}" if service else title_suffix)
    return MonitorSpec(spec.name, title, query, thr, op, spec.severity, PRIORITY[spec.severity], _message(loaded, spec, team, service),
                       tags, notify_no_data=type_ == "service check", type=type_)


HEALTH_FAILURES = 2
"""Consecutive failed runs of a check (its ``<namespace>.openmetrics.health`` service check) before
the target-down monitor fires; with a 15 s collection interval about as quick as Prometheus' 5 minutes."""


def _target_down(loaded: LoadedConfig, kind: str, target: Optional[Target]) -> MonitorSpec:
    """InfermonTargetDown on the Datadog side: the Agent cannot scrape the server."""
    over = [f"env:{loaded.environment}"] + ([f"service:{target.name}"] if target else [])
    by = ["endpoint"] if target else ["gpu_pool", "host"]
    quoted = lambda items: ",".join(f'"{i}"' for i in items)  # noqa: E731
    query = (f'"{INTEGRATIONS[kind].namespace}.openmetrics.health".over({quoted(over)}).by({quoted(by)})'
             f".last({HEALTH_FAILURES + 1}).count_by_status()")
    return _monitor(loaded, target_down_spec(kind), target, query, HEALTH_FAILURES, ">=", "service check", " dcgm")


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
    if "InfermonTargetDown" not in disabled:
        out += [_target_down(loaded, t.kind, t) for t in targets(loaded) if t.kind in INTEGRATIONS]
        if loaded.config.gpu_pools:
            out.append(_target_down(loaded, "dcgm", None))
    if loaded.config.gpu_pools:
        for spec in ALERTS:
            if spec.scope == "fleet" and spec.name not in disabled and (spec.name, "dcgm") in RECIPES and collects(loaded, spec):
                out.append(_spec(loaded, spec, "dcgm", None))
    return out


PERCENTILE_TERM = re.compile(r"\bp(?:50|75|90|95|99|99\.9):([A-Za-z0-9_.:]+)\{")


def percentile_metrics(specs: list[MonitorSpec]) -> list[str]:
    """Distributions the monitors read percentiles of: Datadog computes percentiles of a
    distribution only once its tag configuration includes them."""
    return sorted({m for s in specs for m in PERCENTILE_TERM.findall(s.query)})
