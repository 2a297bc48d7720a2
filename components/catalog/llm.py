"""Signals every LLM runtime has in the same shape (vLLM, SGLang, Arks runtimes)."""

from .base import RATE_WINDOW as W
from .base import Signal, nonzero

BY = "service, model_name"
LEG = "{{service}} {{model_name}}"


def throughput(p: str) -> tuple[Signal, ...]:
    """Prompt and generation token throughput from ``<p>prompt_tokens_total`` / ``<p>generation_tokens_total``."""
    out = []
    for kind, what in (("prompt", "Prefill tokens processed"), ("generation", "Tokens generated")):
        counter = f"{{{{{p}{kind}_tokens_total}}}}"
        title = "Prompt" if kind == "prompt" else "Generation"
        out.append(Signal(f"{kind}_throughput", f"{title} tokens/s (total)", (f"sum by (service) (rate({counter}[{W}]))",),
                          "short", f"{what} per second, all instances.", "{{service}}"))
        out.append(Signal(f"{kind}_throughput_instance", f"{title} tokens/s per instance",
                          (f"sum by (service, instance) (rate({counter}[{W}]))",),
                          "short", f"{what} per second, per instance.", "{{service}} {{instance}}"))
    return tuple(out)


def latency(p: str) -> Signal:
    """The overview latency: p95 of ``<p>e2e_request_latency_seconds``."""
    return Signal("latency", "E2E latency p95",
                  (f"histogram_quantile(0.95, sum by (le, service) (rate({{{{{p}e2e_request_latency_seconds_bucket}}}}[{W}])))",),
                  "s", "95th percentile end-to-end request latency.", "{{service}}")


def mean(name: str, title: str, histogram: str, description: str, by: str = BY, legend: str = LEG) -> Signal:
    """The mean of a histogram (``_sum`` over ``_count``), beside its quantiles."""
    return Signal(name, title, (f"sum by ({by}) (rate({{{{{histogram}_sum}}}}[{W}])) / " + nonzero(f"sum by ({by}) (rate({{{{{histogram}_count}}}}[{W}]))"),),
                  "s", description, f"{legend} mean".strip())


def heatmap(name: str, title: str, histogram: str, description: str) -> Signal:
    """Requests per second in each bucket of a histogram (a heatmap: ``{{le}}`` rows)."""
    return Signal(name, title, (f"sum by (le) (rate({{{{{histogram}_bucket}}}}[{W}]))",), "s", description, "{{le}}")


def per_instance(running: str, waiting: str) -> tuple[Signal, ...]:
    """Running and waiting requests per instance: is the load balanced across replicas?"""
    return (
        Signal("running_instance", "Running requests per instance", (f"sum by (service, instance) ({{{{{running}}}}})",), "short",
               "Requests running on each instance: an uneven spread means the load balancer or session affinity favours some replicas.",
               "{{service}} {{instance}} running"),
        Signal("waiting_instance", "Waiting requests per instance", (f"sum by (service, instance) ({{{{{waiting}}}}})",), "short",
               "Requests queued on each instance.", "{{service}} {{instance}} waiting"),
    )
