"""Prometheus recording and alerting rules, from the catalog and the alert specs.

``rule_files(loaded)`` returns ``{name: {"groups": [...]}}``: plain Prometheus rule files
(what ``promtool check rules`` reads, and the ``spec`` of each PrometheusRule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ..catalog import KINDS, for_platform, join_or, render_signal
from ..catalog.base import nonzero
from ..config import LoadedConfig
from ..config.model import duration_seconds
from .specs import ALERTS, AlertSpec

WINDOW = "5m"
SLO_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
BURN_RATES = {
    # SRE workbook, multiwindow multi-burn-rate: (long, short, factor)
    "page": (("1h", "5m", 14.4), ("6h", "30m", 6)),
    "ticket": (("1d", "2h", 3), ("3d", "6h", 1)),
}
LATENCY_HISTOGRAMS = {
    "vllm": ("vllm:e2e_request_latency_seconds", ""),
    "sglang": ("sglang:e2e_request_latency_seconds", ""),
    "arks-runtime": ("e2e_request_latency_seconds", ""),
    "arks-gateway": ("gateway_request_duration_seconds", ""),
    "mlserver": ("rest_server_request_duration_seconds", 'path=~".*/infer"'),
}
"""Kinds with a latency histogram, for latency SLOs: (histogram, extra matchers)."""


def slo_latency_boundaries(kind: str) -> list[float]:
    """Thresholds a latency SLO of ``kind`` can use: its histogram's bucket boundaries (for Arks
    runtimes, those both backends have: the pods run vLLM or SGLang)."""
    from ..catalog.buckets import bucket_bounds
    from .specs import RUNTIME_PREFIXES

    names = tuple(p + "e2e_request_latency_seconds" for p in RUNTIME_PREFIXES[kind]) if kind in RUNTIME_PREFIXES else (LATENCY_HISTOGRAMS[kind][0],)
    return sorted(set.intersection(*(set(bucket_bounds(n)) for n in names)))


@dataclass(frozen=True)
class Target:
    """A service or endpoint group that gets per-service rules."""

    name: str
    kind: str
    prefix: str
    team: str
    overrides: dict[str, float]
    slo: Any = None
    scrape_interval: str = "30s"

    def window(self, at_least: str = WINDOW) -> str:
        """``at_least``, or four scrape intervals when that is longer: a rate needs two samples in
        its window, and with Prometheus 3's left-open ranges a shorter window loses the series
        (and resets every ``for:``) at the first failed scrape."""
        seconds = max(duration_seconds(at_least), 4 * duration_seconds(self.scrape_interval))
        return f"{int(seconds // 60)}m" if seconds % 60 == 0 else f"{int(seconds)}s"


def targets(loaded: LoadedConfig) -> list[Target]:
    cfg = loaded.config
    team = cfg.alerts.team
    default = cfg.prometheus.scrape_interval
    out = [Target(s.name, s.kind, s.metric_prefix or "", s.team or team, dict(s.alerts), s.slo, s.interval or default)
           for s in cfg.inference if s.kind in KINDS]
    out += [Target(e.name, e.kind, "", e.team or team, dict(e.alerts), None, e.interval) for e in cfg.endpoints if e.kind in KINDS]
    # config order carries no meaning here: a reordered config renders the same rules
    return sorted(out, key=lambda t: t.name)


def dcgm_kind(loaded: LoadedConfig):
    """DCGM as the stack's exporters serve it: the platform's view, restricted to the fields some
    pool collects (throttling, ECC and NVLink counters only where ``extraCounters`` add them)."""
    from ..catalog import collecting
    from ..gpu import dcgm_fields

    return collecting(for_platform(KINDS["dcgm"], loaded.config.cluster.platform), dcgm_fields.collected(loaded.config.gpu_pools))


def collects(loaded: LoadedConfig, spec: AlertSpec) -> bool:
    """Whether the stack's DCGM exporters collect what a GPU alert reads."""
    return dcgm_kind(loaded).signal(spec.signal) is not None


def threshold(spec_name: str, default: float, loaded: LoadedConfig, target: Optional[Target] = None) -> float:
    if target is not None and spec_name in target.overrides:
        return target.overrides[spec_name]
    return loaded.config.alerts.thresholds.get(spec_name, default)


def _num(v: float) -> str:
    return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))


def _annotations(loaded: LoadedConfig, name: str, summary: str, description: str, dashboard: str, service: Optional[str]) -> dict[str, str]:
    base = loaded.config.alerts.runbook_base_url.rstrip("/")
    query = f"?var-service={service}" if service else ""
    return {
        "summary": summary,
        "description": description,
        "runbook_url": f"{base}/{name.lower()}",
        "dashboard_uid": dashboard,
        "dashboard_url": f"{(loaded.config.grafana.url or '').rstrip('/')}/d/{dashboard}{query}",
    }


def _alert(loaded: LoadedConfig, spec: AlertSpec, expr: str, team: str, service: Optional[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"alert": spec.name, "expr": expr}
    if spec.for_ != "0m":
        rule["for"] = spec.for_
    rule["labels"] = {"severity": spec.severity, "team": team, "managed_by": "infermon"}
    if service:
        # also keeps one service's rules distinct from another's (promtool lints duplicates)
        rule["labels"]["service"] = service
    rule["annotations"] = _annotations(loaded, spec.name, spec.summary, spec.description, spec.dashboard, service)
    return rule


def _signal_expr(kind: str, signal: str, selector: dict[str, str], prefix: str, window: str = WINDOW) -> str:
    k = KINDS[kind]
    return join_or(render_signal(k, k.signal(signal), selector, prefix, window))


def _service_rules(loaded: LoadedConfig, t: Target, disabled: set[str]) -> tuple[list[dict], list[dict]]:
    """(recording rules, alerting rules) of one target."""
    records: list[dict] = []
    alerts: list[dict] = []
    sel = {"service": f'="{t.name}"'}
    for spec in ALERTS:
        if t.kind not in spec.kinds or spec.scope != "service" or spec.name in disabled:
            continue
        if KINDS[t.kind].signal(spec.signal) is None:
            continue
        thr = threshold(spec.name, spec.threshold, loaded, t)
        window = t.window()
        if spec.record:
            records.append({"record": spec.record, "expr": _signal_expr(t.kind, spec.signal, sel, t.prefix, window), "labels": {"service": t.name}})
            expr = f'{spec.record}{{service="{t.name}"}} {spec.op} {_num(thr)}'
        else:
            expr = f"({_signal_expr(t.kind, spec.signal, sel, t.prefix, window)}) {spec.op} {_num(thr)}"
        alerts.append(_alert(loaded, spec, expr, t.team, t.name))
    return records, alerts


KIND_DASHBOARD = {"mlserver": "infermon-mlserver", "triton": "infermon-triton", "databricks": "infermon-managed-endpoints",
                  "arks-gateway": "infermon-llm-gateway", "dcgm": "infermon-gpu-fleet"}
"""uid of the dashboard an alert on a kind's targets links to (LLM runtimes: the runtime dashboard)."""


def target_down_spec(kind: str) -> AlertSpec:
    """InfermonTargetDown for the targets of ``kind`` (DCGM exporters fleet-wide, services one by one);
    the Datadog monitor mirroring it shares its name, severity and dashboard."""
    if kind == "dcgm":
        return AlertSpec("InfermonTargetDown", ("dcgm",), "", "==", 0, "5m", "critical",
                         "DCGM exporter on {{ $labels.node }} is down",
                         "Prometheus cannot scrape the DCGM exporter {{ $labels.instance }} of pool {{ $labels.gpu_pool }}: GPU alerts are blind.",
                         KIND_DASHBOARD["dcgm"], scope="fleet")
    return AlertSpec("InfermonTargetDown", (kind,), "", "==", 0, "5m", "critical",
                     "{{ $labels.service }}: scrape target {{ $labels.instance }} is down",
                     "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}).", KIND_DASHBOARD.get(kind, "infermon-llm-runtime"))


def target_missing_spec(kind: str) -> AlertSpec:
    """InfermonTargetMissing: a ServiceMonitor/PodMonitor (or a pool's DCGM exporters) with no
    target at all has no ``up`` series, so InfermonTargetDown never sees it."""
    if kind == "dcgm":
        return AlertSpec("InfermonTargetMissing", ("dcgm",), "", "==", 1, "15m", "warning",
                         "GPU pool {{ $labels.gpu_pool }} has no DCGM exporter target",
                         "Prometheus scrapes no DCGM exporter of pool {{ $labels.gpu_pool }}: its exporter pods are not "
                         "scheduled (node selector, taints) or its ServiceMonitor selects nothing. GPU alerts on it are blind.",
                         KIND_DASHBOARD["dcgm"], scope="fleet")
    return AlertSpec("InfermonTargetMissing", (kind,), "", "==", 1, "15m", "warning",
                     "{{ $labels.service }}: no scrape target at all",
                     "Prometheus scrapes no target of {{ $labels.service }}: its monitor selects no Service or Pod (labels, "
                     "namespace, port name) or the workload has no ready pods. Its panels are empty and its alerts blind.",
                     KIND_DASHBOARD.get(kind, "infermon-llm-runtime"))


def _target_rules(loaded: LoadedConfig, ts: list[Target], disabled: set[str]) -> list[dict]:
    rules = []
    discovered = {s.name for s in loaded.config.inference if s.selector}  # static targets always have an up series
    for t in ts:
        if "InfermonTargetDown" not in disabled:
            rules.append(_alert(loaded, target_down_spec(t.kind), f'up{{service="{t.name}"}} == 0', t.team, t.name))
        if "InfermonScrapesFailing" not in disabled:
            spec = AlertSpec("InfermonScrapesFailing", (t.kind,), "", "<", 0.9, "15m", "warning",
                             "{{ $labels.service }}: scrapes of {{ $labels.instance }} keep failing",
                             "Only {{ $value | humanizePercentage }} of scrapes succeeded over 15 minutes.", KIND_DASHBOARD.get(t.kind, "infermon-llm-runtime"))
            rules.append(_alert(loaded, spec, f'avg_over_time(up{{service="{t.name}"}}[15m]) < 0.9 and avg_over_time(up{{service="{t.name}"}}[15m]) > 0',
                                t.team, t.name))
        if t.name in discovered and "InfermonTargetMissing" not in disabled:
            rules.append(_alert(loaded, target_missing_spec(t.kind), f'absent(up{{service="{t.name}"}})', t.team, t.name))
    if loaded.config.gpu_pools and "InfermonTargetDown" not in disabled:
        rules.append(_alert(loaded, target_down_spec("dcgm"), 'up{gpu_pool!=""} == 0', loaded.config.alerts.team, None))
    if loaded.config.cluster.platform != "docker" and "InfermonTargetMissing" not in disabled:
        for pool in sorted({p.name for p in loaded.config.gpu_pools if p.mode == "exporter"}):
            rule = _alert(loaded, target_missing_spec("dcgm"), f'absent(up{{gpu_pool="{pool}"}})', loaded.config.alerts.team, None)
            rule["labels"]["gpu_pool"] = pool  # one rule per pool (promtool lints rules that differ by expression only)
            rules.append(rule)
    return rules


def le_matcher(threshold_s: float) -> str:
    """Matches a bucket boundary as Go (``2``) and Python (``2.0``) clients format it."""
    text = _num(threshold_s).replace(".", "\\\\.")  # a PromQL string holding the regex 0\.5
    return f'le=~"{text}' + ('(\\\\.0)?"' if "\\" not in text else '"')


def _slo_rules(loaded: LoadedConfig, t: Target, disabled: set[str]) -> tuple[list[dict], list[dict]]:
    records: list[dict] = []
    alerts: list[dict] = []
    slo = t.slo
    if slo is None:
        return records, alerts
    sel = {"service": f'="{t.name}"'}
    objectives: list[tuple[str, str, float, dict[str, str]]] = []
    if slo.availability is not None and "SLOAvailabilityBurnRate" not in disabled:
        for w in SLO_WINDOWS:
            records.append({"record": f"service:slo_availability_errors:ratio_rate{w}",
                            "expr": _signal_expr(t.kind, "error_ratio", sel, t.prefix, t.window(w)), "labels": {"service": t.name}})
        objectives.append(("SLOAvailabilityBurnRate", "service:slo_availability_errors:ratio_rate", slo.availability, {}))
    if slo.latency is not None and "SLOLatencyBurnRate" not in disabled:
        hist, extra = LATENCY_HISTOGRAMS[t.kind]
        k = KINDS[t.kind]
        le = le_matcher(slo.latency.threshold)
        for w in SLO_WINDOWS:
            good = f"{{{{{hist}_bucket|{le}{', ' + extra if extra else ''}}}}}"
            total = f"{{{{{hist}_count{'|' + extra if extra else ''}}}}}"
            template = f"1 - (sum by (service) (rate({good}[{t.window(w)}])) / " + nonzero(f"sum by (service) (rate({total}[{t.window(w)}]))") + ")"
            from ..catalog.base import render

            records.append({"record": f"service:slo_latency_slow:ratio_rate{w}", "expr": render(k, template, sel, t.prefix, t.window(w)),
                            "labels": {"service": t.name}})
        objectives.append(("SLOLatencyBurnRate", "service:slo_latency_slow:ratio_rate", slo.latency.objective,
                           {"latency_threshold": f"{_num(slo.latency.threshold)}s"}))
    for name, record, objective, extra_labels in objectives:
        budget = _num(round(1 - objective, 10))
        for severity, pairs in (("critical", BURN_RATES["page"]), ("warning", BURN_RATES["ticket"])):
            parts = [f'({record}{long}{{service="{t.name}"}} > ({_num(f)} * {budget}) and {record}{short}{{service="{t.name}"}} > ({_num(f)} * {budget}))'
                     for long, short, f in pairs]
            what = "availability" if name.startswith("SLOAvailability") else "latency"
            spec = AlertSpec(name, (t.kind,), "", ">", 0, "2m" if severity == "critical" else "15m", severity,
                             f"{{{{ $labels.service }}}}: {what} error budget burning {'fast' if severity == 'critical' else 'steadily'}",
                             f"The {what} objective of {_num(objective * 100)}% is being missed; at this rate the 30-day error budget runs out "
                             f"in {'under two days' if severity == 'critical' else 'under a month'}.", "infermon-fleet-overview")
            rule = _alert(loaded, spec, " or ".join(parts), t.team, t.name)
            rule["labels"].update({"slo": what, **extra_labels})
            alerts.append(rule)
    return records, alerts


def rule_files(loaded: LoadedConfig) -> dict[str, dict[str, Any]]:
    """Rule files by name (``infermon-<kind>``, ``infermon-gpu``, ``infermon-targets``, ``infermon-slo``)."""
    cfg = loaded.config
    disabled = set(cfg.alerts.disabled)
    files: dict[str, dict[str, Any]] = {}
    ts = targets(loaded)

    by_kind: dict[str, tuple[list[dict], list[dict]]] = {}
    slo_records: list[dict] = []
    slo_alerts: list[dict] = []
    for t in ts:
        rec, al = _service_rules(loaded, t, disabled)
        bucket = by_kind.setdefault(t.kind, ([], []))
        bucket[0].extend(r for r in rec if r not in bucket[0])
        bucket[1].extend(al)
        srec, sal = _slo_rules(loaded, t, disabled)
        slo_records += srec
        slo_alerts += sal
    for kind, (rec, al) in by_kind.items():
        groups = []
        if rec:
            groups.append({"name": f"infermon.{kind}.recording", "interval": cfg.prometheus.evaluation_interval, "rules": rec})
        if al:
            groups.append({"name": f"infermon.{kind}.alerts", "rules": al})
        if groups:
            files[f"infermon-{kind}"] = {"groups": groups}

    if cfg.gpu_pools:
        gpu = [_alert(loaded, spec, f"({_signal_expr('dcgm', spec.signal, {}, '')}) {spec.op} {_num(threshold(spec.name, spec.threshold, loaded))}",
                      cfg.alerts.team, None)
               # on docker no GPU is allocated to a pod, and optional counters exist only where collected
               for spec in ALERTS if spec.scope == "fleet" and spec.name not in disabled and collects(loaded, spec)]
        if gpu:
            files["infermon-gpu"] = {"groups": [{"name": "infermon.gpu.alerts", "rules": gpu}]}

    target_rules = _target_rules(loaded, ts, disabled)
    if target_rules:
        files["infermon-targets"] = {"groups": [{"name": "infermon.targets.alerts", "rules": target_rules}]}
    if slo_alerts:
        files["infermon-slo"] = {"groups": [
            {"name": "infermon.slo.recording", "interval": cfg.prometheus.evaluation_interval, "rules": slo_records},
            {"name": "infermon.slo.alerts", "rules": slo_alerts},
        ]}
    return dict(sorted(files.items()))
