"""Shapes of the signal catalog: metrics as the servers expose them, and named signals.

A signal is one or more PromQL *alternatives* (joined with ``or``: e.g. a vLLM metric
under its new and its old name). Templates reference metrics as ``{{name}}`` or
``{{name|extra="matchers"}}``; ``render`` turns each reference into
``<prefix><name>{<matchers>}`` where the matchers are the caller's selector, restricted to
labels the metric (or its scrape target) actually has. ``$__rate_interval`` is Grafana's
window; alert rules pass a fixed one instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

REF = re.compile(r"\{\{([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\|([^}]*))?\}\}")
RATE_WINDOW = "$__rate_interval"

TARGET_LABELS = ("cluster", "environment", "service", "team", "inference_kind", "namespace", "pod", "endpoint", "gpu_pool", "node", "host",
                 "job", "instance")
"""Labels every series of a scrape target carries, whatever the metric (set by infermon's
relabelings, the operator, or external labels)."""

SERIES_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


@dataclass(frozen=True)
class Metric:
    name: str
    """Name as scraped (counters with their ``_total`` where the server adds one)."""
    type: str
    """counter | gauge | histogram | summary"""
    unit: str
    """Unit of the value (seconds, microseconds, bytes, MiB, ratio, percent, requests …)."""
    help: str
    labels: tuple[str, ...] = ()
    """Labels the server itself puts on the series."""

    def series(self) -> tuple[str, ...]:
        return tuple(self.name + s for s in SERIES_SUFFIXES.get(self.type, ("",)))


@dataclass(frozen=True)
class Signal:
    name: str
    title: str
    alternatives: tuple[str, ...]
    """PromQL templates, tried in order (``or``)."""
    unit: str = "short"
    """Grafana unit id (reqps, s, ms, percentunit, bytes, …)."""
    description: str = ""
    legend: str = ""
    """Grafana legend template, e.g. ``{{service}} {{model}}``."""
    thresholds: tuple[tuple[float, str], ...] = ()
    """(value, colour) steps above a green base."""


PROMETHEUS_SERIES = ("up", "ALERTS")
"""Series Prometheus writes itself: each target's health and the alerts it evaluates."""

OWN_SERIES = {
    "up": Metric("up", "gauge", "value", "1 when the target's last scrape succeeded.", TARGET_LABELS),
    "ALERTS": Metric("ALERTS", "gauge", "value", "Alerts pending or firing, with the rule's labels.",
                     ("alertname", "alertstate", "severity", "service", "cluster", "environment", "team")),
}
"""Prometheus' own series as templates reference them: never prefixed; selectors apply to the
labels they carry (an alert carries its rule's labels, not the target's namespace)."""

HEALTH_SIGNALS = {s.name: s for s in (
    Signal("targets_down", "Targets down", ("count({{up}} == 0) or vector(0)",), "short",
           "Scrape targets of the selected services that Prometheus cannot reach; 0 when every target is up.", "", ((1, "red"),)),
    Signal("targets_up", "Targets up", ("sum({{up}}) or vector(0)",), "short",
           "Scrape targets of the service that are up; 0 (red) when none answers.", "", ((0, "red"), (1, "green"))),
    Signal("alerts_firing", "Alerts firing", ('count({{ALERTS|alertstate="firing"}}) or vector(0)',), "short",
           "Alerts firing for the selected services right now (Alertmanager has the details).", "", ((1, "red"),)),
)}
"""Signals of every kind's dashboard, over Prometheus' own series."""


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    metrics: tuple[Metric, ...]
    signals: tuple[Signal, ...]
    model_label: Optional[str] = None
    """The label naming the model (``model``, ``model_name``), if the server has one."""
    key_metric: str = ""
    """A series every instance of the kind exposes; dashboards list label values from it."""
    source: str = ""
    """Where the metric names were checked."""

    def metric(self, name: str) -> Metric:
        m = self._metric_by_series.get(name)
        if m is None:
            raise KeyError(f"{self.name}: no catalog metric for series {name!r}")
        return m

    @functools.cached_property
    def _metric_by_series(self) -> dict[str, Metric]:
        """Series name -> the first metric that has it (``metric`` is called for every reference
        of every rendered query)."""
        out: dict[str, Metric] = {}
        for m in self.metrics:
            for s in m.series():
                out.setdefault(s, m)
        return out

    def signal(self, name: str) -> Optional[Signal]:
        return next((s for s in self.signals if s.name == name), None) or HEALTH_SIGNALS.get(name)

    def series_names(self) -> set[str]:
        return {s for m in self.metrics for s in m.series()}


def render(kind: Kind, template: str, selector: dict[str, str], prefix: str = "", window: str = RATE_WINDOW) -> str:
    """One template with every metric reference resolved.

    ``selector`` maps label -> matcher text (``'=~"$service"'``); a matcher is applied only to
    metrics that carry the label, so selecting a model never hides a per-GPU series.
    """

    def sub(m: re.Match) -> str:
        name, extra = m.group(1), m.group(2)
        own = OWN_SERIES.get(name)
        metric = own or kind.metric(name)
        labels = set(metric.labels) | (set() if own else set(TARGET_LABELS))
        matchers = [f"{label}{matcher}" for label, matcher in selector.items() if label in labels]
        if extra:
            matchers.append(extra)
        full = name if own else prefix + name
        return f"{full}{{{', '.join(matchers)}}}" if matchers else full

    return REF.sub(sub, template).replace(RATE_WINDOW, window)


def render_signal(kind: Kind, signal: Signal, selector: dict[str, str], prefix: str = "", window: str = RATE_WINDOW) -> list[str]:
    out: list[str] = []
    for alt in signal.alternatives:
        expr = render(kind, alt, selector, prefix, window)
        if expr not in out:
            out.append(expr)
    return out


def join_or(exprs: list[str]) -> str:
    unique = list(dict.fromkeys(exprs))
    if len(unique) == 1:
        return unique[0]
    return " or ".join(f"({e})" for e in unique)


# --- helpers for writing signals -----------------------------------------------------------


def rate_or_zero(a: str, b: str, by: str, window: str = RATE_WINDOW) -> str:
    """``sum by (by)`` of the rate of ``a``, or 0 where only its sibling counter ``b`` exists yet."""
    ra = f"sum by ({by}) (rate({{{{{a}}}}}[{window}]))"
    rb = f"sum by ({by}) (rate({{{{{b}}}}}[{window}]))"
    return f"({ra} or {rb} * 0)"


def nonzero(denominator: str) -> str:
    """A denominator left out where it is zero: a ratio or mean over no traffic has no value,
    rather than 0/0 = NaN in recording rules, dashboards and SLO windows."""
    return f"({denominator} > 0)"


def rate_sum(a: str, b: str, by: str, window: str = RATE_WINDOW) -> str:
    """``sum by (by)`` of the rates of two counters with the same labels (e.g. success and failure).

    ``rate(a) or rate(b)`` would be wrong: after ``rate`` both have the same label set, so
    ``or`` keeps only ``a``. Each side falls back to the other times zero when it has no series
    yet (client libraries create a labelled counter only on its first increment).
    """
    return f"({rate_or_zero(a, b, by, window)} + {rate_or_zero(b, a, by, window)})"

QUANTILES = (0.5, 0.9, 0.95, 0.99)


def pct(q: float) -> str:
    return f"p{int(q * 100)}"


def quantile_signals(name: str, title: str, bucket_alternatives: tuple[str, ...], by: str, unit: str, description: str,
                     legend: str, scale: str = "") -> tuple[Signal, ...]:
    """One signal per quantile over histogram bucket references (``{{x_bucket}}``)."""
    out = []
    for q in QUANTILES:
        alts = tuple(f"histogram_quantile({q}, sum by (le, {by}) (rate({b}[{RATE_WINDOW}]))){scale}" for b in bucket_alternatives)
        # a legend per quantile: p50 and p99 of one series must not read the same
        out.append(Signal(f"{name}_{pct(q)}", f"{title} {pct(q)}", alts, unit, description, f"{legend} {pct(q)}".strip()))
    return tuple(out)
