"""Signals every LLM runtime has in the same shape (vLLM, SGLang, Arks runtimes)."""

from .base import RATE_WINDOW as W
from .base import Signal

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
