"""Arks: LLM runtimes (vLLM / SGLang pods) and the Arks gateway.

Runtime series reach Prometheus through Arks' relabelings (defined here, applied by
``components.workload_monitors``): the ``vllm:``/``sglang:`` prefix becomes a ``runtime``
label and SGLang's queue gauges take vLLM's names. So the runtime catalog is vLLM's and
SGLang's, renamed the way Prometheus stores them.

Gateway metrics checked against scitix/arks pkg/gateway/metrics/metrics.go (Go client:
counters keep the name they are given, so ``gateway_token_usage`` has no ``_total``).
"""

import re
from dataclasses import replace

from . import sglang, vllm
from .base import RATE_WINDOW as W
from .base import Kind, Metric, Signal, nonzero, quantile_signals

ARKS_RUNTIMES = ("sglang", "vllm", "tensorrt", "onnx")
"""Runtime prefixes Arks strips, as in Arks' own runtime ServiceMonitor
(config/prometheus/monitor-runtime.yaml): only runtime series are kept, the prefix becomes
a ``runtime`` label, and SGLang's two queue gauges take vLLM's names, so vLLM and SGLang
runtimes land in one namespace (``num_requests_running{runtime="sglang"}``)."""

ARKS_RENAMES = (("num_running_reqs", "num_requests_running"), ("num_queue_reqs", "num_requests_waiting"))


def arks_runtime_name(name: str) -> str | None:
    """The name a runtime metric has after the Arks relabelings (None when dropped)."""
    m = re.fullmatch(f"({'|'.join(ARKS_RUNTIMES)})[:_](.+)", name)
    if not m:
        return None
    out = m.group(2)
    for old, new in ARKS_RENAMES:
        out = re.sub(f"^(.*?){old}$", lambda mm: mm.group(1) + new, out)
    return out


def _runtime_metrics() -> tuple[Metric, ...]:
    seen: dict[str, Metric] = {}
    for m in vllm.METRICS + sglang.METRICS:
        name = arks_runtime_name(m.name)
        if name and name not in seen:
            seen[name] = replace(m, name=name, labels=tuple(m.labels) + ("runtime",))
    return tuple(seen.values())


def _runtime_signals() -> tuple[Signal, ...]:
    merged: dict[str, Signal] = {}
    sources = vllm.signals(p="") + sglang.signals(p="", running="num_requests_running", waiting="num_requests_waiting")
    for s in sources:
        if s.name in merged:
            prev = merged[s.name]
            merged[s.name] = replace(prev, alternatives=tuple(dict.fromkeys(prev.alternatives + s.alternatives)))
        else:
            merged[s.name] = s
    return tuple(merged.values())


RUNTIME = Kind("arks-runtime", "Arks runtime", _runtime_metrics(), _runtime_signals(), model_label="model_name", key_metric="num_requests_running",
               source="scitix/arks config/prometheus/monitor-runtime.yaml, with the vLLM and SGLang catalogs")

G = ("namespace", "user", "model")

GATEWAY_METRICS = (
    Metric("gateway_requests_total", "counter", "requests", "Requests processed by the gateway.", G + ("status",)),
    Metric("gateway_request_duration_seconds", "histogram", "seconds", "Request duration.", G),
    Metric("gateway_response_process_duration_milliseconds", "histogram", "milliseconds", "Response processing time in the gateway.", G),
    Metric("gateway_token_usage", "counter", "tokens", "Tokens used, by type (input/output).", ("namespace", "user", "token", "type")),
    Metric("gateway_token_distribution", "histogram", "tokens", "Tokens per request, by type (input/output).", ("namespace", "user", "token", "type")),
    Metric("gateway_rate_limit_hits_total", "counter", "requests", "Rate limit hits.", G + ("rule_type",)),
    Metric("gateway_rate_limit_tokens", "gauge", "tokens", "Tokens currently available in the rate limiter.", G + ("rule_type",)),
    Metric("gateway_quota_usage", "gauge", "units", "Current quota usage.", ("namespace", "model", "quota_name", "quota_type")),
    Metric("gateway_quota_limit", "gauge", "units", "Current quota limit.", ("namespace", "model", "quota_name", "quota_type")),
    Metric("gateway_errors_total", "counter", "errors", "Gateway errors, by type.", ("namespace", "model", "error_type")),
)

GLEG = "{{service}} {{model}}"

GATEWAY_SIGNALS = (
    Signal("request_rate", "Requests", (f"sum by (service) (rate({{{{gateway_requests_total}}}}[{W}]))",), "reqps", "Requests per second through the gateway.", "{{service}}"),
    Signal("requests_by_status", "Requests by status", (f"sum by (service, status) (rate({{{{gateway_requests_total}}}}[{W}]))",),
           "reqps", "Requests per second by HTTP status code.", "{{service}} {{status}}"),
    Signal("error_ratio", "Non-2xx ratio",
           (f'sum by (service) (rate({{{{gateway_requests_total|status!~"2.."}}}}[{W}])) / ' + nonzero(f"sum by (service) (rate({{{{gateway_requests_total}}}}[{W}]))"),),
           "percentunit", "Requests answered with a non-2xx status, as a share of all requests.", "{{service}}", ((0.01, "orange"), (0.05, "red"))),
    *quantile_signals("duration", "Request duration", ("{{gateway_request_duration_seconds_bucket}}",), "service, model", "s",
                      "Time from request to response through the gateway, upstream runtime included.", GLEG),
    Signal("errors_by_type", "Errors by type", (f"sum by (service, model, error_type) (rate({{{{gateway_errors_total}}}}[{W}]))",),
           "ops", "Gateway errors per second by type.", "{{service}} {{model}} {{error_type}}"),
    Signal("token_usage", "Token usage", (f"sum by (service, type) (rate({{{{gateway_token_usage}}}}[{W}]))",),
           "short", "Input and output tokens per second.", "{{service}} {{type}}"),
    *quantile_signals("token_distribution", "Tokens per request", ("{{gateway_token_distribution_bucket}}",), "service, type", "short",
                      "Tokens per request, input and output.", "{{service}} {{type}}"),
    Signal("rate_limit_hits", "Rate-limit hits", (f"sum by (service, model, rule_type) (rate({{{{gateway_rate_limit_hits_total}}}}[{W}]))",),
           "ops", "Requests rejected by rate limits per second, by rule type.", "{{service}} {{model}} {{rule_type}}"),
    Signal("rate_limit_tokens", "Rate-limit tokens available", ("min by (service, model, rule_type) ({{gateway_rate_limit_tokens}})",),
           "short", "Tokens left in the rate limiter bucket.", "{{service}} {{model}} {{rule_type}}"),
    Signal("quota_usage_ratio", "Quota used",
           ("max by (service, model, quota_name, quota_type) ({{gateway_quota_usage}}) / max by (service, model, quota_name, quota_type) ({{gateway_quota_limit}})",),
           "percentunit", "Quota usage against its limit.", "{{service}} {{quota_name}} {{quota_type}}", ((0.8, "orange"), (0.95, "red"))),
    Signal("quota_used", "Quota used", ("max by (service, quota_name, quota_type) ({{gateway_quota_usage}})",),
           "short", "Current quota usage.", "used {{service}} {{quota_name}} {{quota_type}}"),
    Signal("quota_limit", "Quota limit", ("max by (service, quota_name, quota_type) ({{gateway_quota_limit}})",),
           "short", "Current quota limit.", "limit {{service}} {{quota_name}} {{quota_type}}"),
    Signal("latency", "Request duration p95",
           (f"histogram_quantile(0.95, sum by (le, service) (rate({{{{gateway_request_duration_seconds_bucket}}}}[{W}])))",),
           "s", "95th percentile request duration through the gateway.", "{{service}}"),
    Signal("saturation", "Quota used",
           ("max by (service) ({{gateway_quota_usage}} / {{gateway_quota_limit}})",),
           "percentunit", "The quota closest to its limit.", "{{service}}"),
)

GATEWAY = Kind("arks-gateway", "Arks gateway", GATEWAY_METRICS, GATEWAY_SIGNALS, model_label="model", key_metric="gateway_requests_total",
               source="scitix/arks pkg/gateway/metrics/metrics.go; config/prometheus/monitor-gw.yaml")
