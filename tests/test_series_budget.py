"""metrics.keep: used keeps exactly the series infermon reads, at scrape time."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import MINIMAL, obj, render_config, requires, stack_file_config

from components.series_budget import used_series

SERVICES = [
    {"name": "chat", "kind": "vllm", "namespace": "llm", "selector": {"app": "vllm"}},
    {"name": "arks", "kind": "arks-runtime", "namespace": "arks", "selector": {"app": "rt"}},
    {"name": "sd", "kind": "mlserver", "staticTargets": ["sd:8082"], "metricPrefix": "inference:model_run:mlserver:"},
]


def keep_regex(rules: list[dict]) -> re.Pattern:
    (keep,) = [r for r in rules if r["action"] == "keep" and r.get("regex", "").count("|") > 3]
    return re.compile(keep["regex"])


def test_used_keeps_what_signals_read_and_drops_the_rest(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "inference": SERVICES, "metrics": {"keep": "used", "extra": ["process_resident_memory_bytes"]}})
    ep = obj(r, "ServiceMonitor", "inference-chat")["spec"]["endpoints"][0]
    regex = keep_regex(ep["metricRelabelings"])
    assert regex.fullmatch("vllm:time_to_first_token_seconds_bucket")
    assert regex.fullmatch("vllm:gpu_cache_usage_perc") and regex.fullmatch("vllm:kv_cache_usage_perc")  # both generations
    assert regex.fullmatch("process_resident_memory_bytes")  # metrics.extra
    assert not regex.fullmatch("vllm:request_params_n_bucket") and not regex.fullmatch("python_gc_collections_total")


def test_arks_keep_comes_after_the_renaming(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "inference": SERVICES, "metrics": {"keep": "used"}})
    rules = obj(r, "ServiceMonitor", "inference-arks")["spec"]["endpoints"][0]["metricRelabelings"]
    assert rules[-1]["action"] == "keep" and [x["action"] for x in rules[:-1]].count("keep") == 1  # Arks' own keep first
    assert re.compile(rules[-1]["regex"]).fullmatch("num_requests_waiting")


def test_static_jobs_keep_prefixed_names(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "inference": SERVICES, "metrics": {"keep": "used"}})
    (job,) = yaml.safe_load(r.files["prometheus/scrape-configs.yaml"])
    regex = keep_regex(job["metric_relabel_configs"])
    assert regex.fullmatch("inference:model_run:mlserver:model_infer_request_duration_count")
    assert not regex.fullmatch("model_infer_request_duration_count")


def test_all_is_the_default_and_a_service_can_override(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "inference": [dict(SERVICES[0], metricsKeep="used"), dict(SERVICES[2])]})
    assert "metricRelabelings" in obj(r, "ServiceMonitor", "inference-chat")["spec"]["endpoints"][0]
    (job,) = yaml.safe_load(r.files["prometheus/scrape-configs.yaml"])
    assert "metric_relabel_configs" not in job


def test_latency_slo_series_are_kept():
    assert {"vllm:e2e_request_latency_seconds_bucket", "vllm:e2e_request_latency_seconds_count"} <= used_series("vllm")


@requires("prometheus")
def test_every_panel_and_alert_still_answers_with_keep_used(tmp_path):
    from components.verify.run import verify
    from conftest import write_stack

    doc = stack_file_config("dev")
    cfg = {k.split(":", 1)[1]: v for k, v in doc.items()}
    cfg["metrics"] = {"keep": "used"}
    secrets = {k: "x" for k, v in cfg.items() if isinstance(v, dict) and "secure" in v}
    for k in secrets:
        cfg.pop(k)
    write_stack(tmp_path, "dev", cfg, secrets)
    report = verify("dev", tmp_path, progress=lambda m: None)
    assert report.ok, [c for c in report.checks if not c.ok]


SIMULATED = ["triton", "vllm", "sglang", "arks-gateway", "mlserver", "dcgm", "containers", "docker-containers"]


@pytest.mark.parametrize("kind", SIMULATED)
def test_keep_used_stores_every_series_read_from_the_complete_exposition(kind):
    """From the complete exposition of each simulated server (every family its upstream server
    registers), the keep-list keeps exactly the series panels, rules and monitors read: each of
    them is exposed and kept, everything else is dropped."""
    from types import SimpleNamespace

    from components.catalog import KINDS
    from components.series_budget import keep_rule
    from components.verify.simulators import Target, collect

    loaded = SimpleNamespace(config=SimpleNamespace(metrics=SimpleNamespace(extra=[])))
    regex = re.compile(keep_rule(loaded, kind)["regex"])
    fields = [m.name for m in KINDS[kind].metrics] if kind == "dcgm" else []  # every field a pool may collect
    exposed: set[str] = set()
    for generation in (["new", "old"] if kind == "vllm" else ["new"]):
        text, _ = collect(Target(name="t", kind=kind, port=0, generation=generation, fields=fields))
        # series names as Prometheus stores them (prometheus_client's parser would add _total to Triton's counters)
        exposed |= {re.split(r"[{ ]", line, maxsplit=1)[0] for line in text.splitlines() if line and not line.startswith("#")}
    used = used_series(kind)
    assert used <= exposed, f"read but not exposed: {sorted(used - exposed)}"
    assert {n for n in exposed if regex.fullmatch(n)} == used
    assert len(exposed) > len(used)  # the complete exposition has families to drop
