"""`promtool test rules` for every alert: it fires on its fault and stays silent on healthy series.

The rules under test are rendered from a stack with one service of every kind; the input
series use the metric names, types and labels the real servers expose (the catalog's), with
realistic rates (requests per minute, histogram buckets, per-minute Databricks gauges).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import requires, tool

from components.alerts.rules import rule_files
from components.alerts.specs import ALL_NAMES
from components.config import parse

pytestmark = requires("promtool")

STACK = {
    "cluster": {"name": "c1"},
    "inference": [
        {"name": "t", "kind": "triton", "staticTargets": ["t:8002"]},
        {"name": "v", "kind": "vllm", "staticTargets": ["v:8000"], "slo": {"availability": 0.995, "latency": {"threshold": 10, "objective": 0.99}}},
        {"name": "s", "kind": "sglang", "staticTargets": ["s:30000"]},
        {"name": "a", "kind": "arks-runtime", "staticTargets": ["a:8080"]},
        {"name": "g", "kind": "arks-gateway", "staticTargets": ["g:8080"]},
        {"name": "m", "kind": "mlserver", "staticTargets": ["m:8082"]},
        {"name": "k", "kind": "vllm", "namespace": "llm", "selector": {"app": "k"}},  # discovered by a ServiceMonitor
    ],
    "endpoints": [{"name": "d", "kind": "databricks", "host": "adb-1.azuredatabricks.net", "endpoints": ["e1"], "tokenSecret": "tok"}],
    "gpuPools": [{"name": "p", "nodeSelector": {"gpu": "yes"}, "extraCounters": [
        "DCGM_FI_DEV_THERMAL_VIOLATION", "DCGM_FI_DEV_POWER_VIOLATION", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL",
        "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL"]}],
}
NVLINK = ("CRC_FLIT", "CRC_DATA", "REPLAY", "RECOVERY")
MINUTES = 180
LLM_PREFIX = {"v": "vllm:", "s": "sglang:", "a": ""}


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def counter(name: str, labels: dict, per_min: float) -> dict:
    return {"series": name + _labels(labels), "values": f"0+{per_min:g}x{MINUTES}"}


def gauge(name: str, labels: dict, value) -> dict:
    return {"series": name + _labels(labels), "values": f"{value}x{MINUTES}" if not isinstance(value, str) else value}


def histogram(name: str, labels: dict, bounds: list[str], per_min: list[float], kind: str = "counter") -> list[dict]:
    """Buckets with ``per_min`` observations per minute in each bucket (cumulative, +Inf last)."""
    out, total = [], 0.0
    make = counter if kind == "counter" else gauge
    for le, n in zip(bounds, per_min):
        total += n
        out.append(make(f"{name}_bucket", {**labels, "le": le}, total))
    out.append(make(f"{name}_count", labels, total))
    out.append(make(f"{name}_sum", labels, total))
    return out


def llm(svc: str, name: str) -> str:
    """A vLLM-named metric as service ``svc``'s runtime exposes it."""
    p = LLM_PREFIX[svc]
    if p == "sglang:":
        name = {"num_requests_waiting": "num_queue_reqs", "kv_cache_usage_perc": "token_usage"}.get(name, name)
    return p + name


GPU = {"gpu": "0", "gpu_pool": "p", "node": "n1", "UUID": "GPU-1"}


def fixtures(alert: str, fire: bool) -> list[tuple[str, list[dict]]]:
    """(service or '' for fleet alerts, input series) cases for one alert."""
    f = fire
    if alert == "MLServerHighInferenceLatency":
        L = {"service": "m", "model": "sd", "version": "1"}
        return [("m", [counter("model_infer_request_duration_count", L, 60), counter("model_infer_request_duration_sum", L, 60 * (12 if f else 1))])]
    if alert == "MLServerLowSuccessRatio":
        L = {"service": "m", "model": "sd", "version": "1"}
        return [("m", [counter("model_infer_request_success_total", L, 90), counter("model_infer_request_failure_total", L, 10 if f else 0.5)])]
    if alert == "MLServerQueueBacklog":  # MLServer's buckets: prometheus_client's defaults, highest finite 10.0
        L = {"service": "m"}
        per_min, mean = 60, (80 if f else 2)
        buckets = [counter("parallel_request_queue_bucket", {**L, "le": le}, per_min if f is False or le == "+Inf" else 0)
                   for le in ("1.0", "5.0", "10.0", "+Inf")]
        return [("m", buckets + [counter("parallel_request_queue_count", L, per_min), counter("parallel_request_queue_sum", L, per_min * mean)])]
    if alert == "MLServerNotReady":
        L = {"service": "m", "app_name": "mlserver", "method": "GET", "path": "/v2/health/ready"}
        return [("m", [counter("rest_server_requests_total", {**L, "status_code": "503" if f else "200"}, 6)])]
    if alert == "TritonHighFailureRatio":
        L = {"service": "t", "model": "resnet", "version": "1"}
        return [("t", [counter("nv_inference_request_success", L, 90), counter("nv_inference_request_failure", {**L, "reason": "BACKEND"}, 10 if f else 0)])]
    if alert == "TritonHighQueueTime":
        L = {"service": "t", "model": "resnet", "version": "1"}
        return [("t", [counter("nv_inference_request_success", L, 60), counter("nv_inference_queue_duration_us", L, 60 * (1e6 if f else 1e5))])]
    if alert == "TritonPendingRequestsHigh":  # a steady backlog of 200 for an hour, not only growth
        L = {"service": "t", "model": "resnet", "version": "1"}
        return [("t", [gauge("nv_inference_pending_request_count", L, 200 if f else 5)])]
    if alert == "TritonPendingRequestsGrowing":
        L = {"service": "t", "model": "resnet", "version": "1"}
        return [("t", [gauge("nv_inference_pending_request_count", L, f"0+1x{MINUTES}" if f else f"5x{MINUTES}")])]
    if alert == "LLMHighTimeToFirstToken":
        return [(s, histogram(llm(s, "time_to_first_token_seconds"), {"service": s, "model_name": "llama"}, ["0.5", "1.0", "2.5", "5.0", "+Inf"],
                              [0, 0, 0, 60, 0] if f else [60, 0, 0, 0, 0])) for s in LLM_PREFIX]
    if alert == "LLMHighE2ELatency":
        return [(s, histogram(llm(s, "e2e_request_latency_seconds"), {"service": s, "model_name": "llama"}, ["10.0", "20.0", "40.0", "80.0", "+Inf"],
                              [0, 0, 0, 60, 0] if f else [60, 0, 0, 0, 0])) for s in LLM_PREFIX]
    if alert == "LLMHighErrorRatio":  # internal errors fire; client aborts and failing health checks do not
        L = {"service": "v", "model_name": "llama"}
        bad = {**L, "finished_reason": "error" if f else "abort"}
        vllm_case = ("v", [counter("vllm:request_success_total", {**L, "finished_reason": "stop"}, 90), counter("vllm:request_success_total", bad, 10)])
        # SGLang: HTTP 5xx by route; behind the Prometheus Operator the route is exported_endpoint
        # (its endpoint target label is the port), and Arks strips the sglang: prefix
        cases = [vllm_case]
        for svc, name, route in (("s", "sglang:http_responses_total", {"endpoint": "/v1/chat/completions"}),
                                 ("a", "http_responses_total", {"endpoint": "http", "exported_endpoint": "/generate", "runtime": "sglang"})):
            ok = {"service": svc, "method": "POST", "status_code": "200", **route}
            if f:
                cases.append((svc, [counter(name, ok, 90), counter(name, {**ok, "status_code": "500"}, 10)]))
            else:
                health = {**ok, "method": "GET", "status_code": "503", ("exported_endpoint" if svc == "a" else "endpoint"): "/health"}
                cases.append((svc, [counter(name, ok, 90), counter(name, health, 30),
                                    counter(f"{'sglang:' if svc == 's' else ''}num_aborted_requests_total", {"service": svc, "model_name": "llama"}, 20)]))
        return cases
    if alert == "LLMHighInterTokenLatency":
        return [(s, histogram(llm(s, "inter_token_latency_seconds"), {"service": s, "model_name": "llama"}, ["0.05", "0.1", "0.5", "1.0", "+Inf"],
                              [0, 0, 0, 60, 0] if f else [60, 0, 0, 0, 0])) for s in LLM_PREFIX]
    if alert == "TritonGPUUtilizationHigh":
        return [("t", [gauge("nv_gpu_utilization", {"service": "t", "instance": "t:8002", "gpu_uuid": "GPU-1"}, 0.99 if f else 0.6)])]
    if alert == "TritonCPUMemoryHigh":
        L = {"service": "t", "instance": "t:8002"}
        return [("t", [gauge("nv_cpu_memory_total_bytes", L, 64e9), gauge("nv_cpu_memory_used_bytes", L, 62e9 if f else 30e9)])]
    if alert == "LLMRequestsWaiting":
        return [(s, [gauge(llm(s, "num_requests_waiting"), {"service": s, "model_name": "llama"}, 30 if f else 2)]) for s in LLM_PREFIX]
    if alert == "LLMKVCacheNearFull":
        return [(s, [gauge(llm(s, "kv_cache_usage_perc"), {"service": s, "model_name": "llama", "instance": "i1"}, 0.99 if f else 0.5)])
                for s in LLM_PREFIX]
    if alert == "LLMPreemptions":
        return [(s, [counter(llm(s, "num_preemptions_total"), {"service": s, "model_name": "llama"}, 30 if f else 0)]) for s in ("v", "a")]
    if alert == "LLMGatewayHighErrorRatio":
        L = {"service": "g", "namespace": "arks", "user": "u", "model": "llama"}
        return [("g", [counter("gateway_requests_total", {**L, "status": "200"}, 90), counter("gateway_requests_total", {**L, "status": "500"}, 10 if f else 0)])]
    if alert == "LLMGatewayRateLimitSurge":
        L = {"service": "g", "namespace": "arks", "user": "u", "model": "llama", "rule_type": "rpm"}
        return [("g", [counter("gateway_rate_limit_hits_total", L, 120 if f else 6)])]
    if alert == "LLMGatewayQuotaNearLimit":
        L = {"service": "g", "namespace": "arks", "model": "llama", "quota_name": "q", "quota_type": "tokens"}
        return [("g", [gauge("gateway_quota_usage", L, 95 if f else 50), gauge("gateway_quota_limit", L, 100)])]
    if alert == "DatabricksHighErrorRatio":  # per-minute gauges: 10 % fires; 0.5 %, 2 of 4 requests and no traffic do not
        L = {"service": "d", "endpoint": "e1"}
        if f:
            return [("d", [gauge("request_count_total", L, 30), gauge("request_5xx_count_total", L, 3)])]
        return [("d", [gauge("request_count_total", L, total), gauge("request_5xx_count_total", L, errors)]) for total, errors in ((6000, 30), (4, 2), (0, 0))]
    if alert == "DatabricksHighP99Latency":
        L = {"service": "d", "endpoint": "e1"}
        return [("d", histogram("request_latency_ms", L, ["500", "1000", "5000", "+Inf"], [0, 0, 100, 0] if f else [100, 0, 0, 0], kind="gauge"))]
    if alert in ("GPUXidError", "GPUXidApplicationError"):
        # dcgm-exporter keeps the last XID: a new one fires, one that has stood for an hour does not
        mine, other = (79, 13) if alert == "GPUXidError" else (13, 79)
        new = lambda code: gauge("DCGM_FI_DEV_XID_ERRORS", GPU, f"0x50 {code}x{MINUTES - 51}")  # noqa: E731
        if f:
            return [("", [new(mine)])]
        return [("", [gauge("DCGM_FI_DEV_XID_ERRORS", GPU, mine)]), ("", [new(other)]), ("", [gauge("DCGM_FI_DEV_XID_ERRORS", GPU, 0)])]
    if alert == "GPUUncorrectableRowRemap":  # a counter: one remap fires; rows remapped long ago do not
        return [("", [gauge("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", GPU, "0x50 1x129" if f else "2x180")])]
    if alert in ("GPUThermalThrottling", "GPUPowerThrottling"):  # violation counters count nanoseconds throttled
        name = "DCGM_FI_DEV_THERMAL_VIOLATION" if alert == "GPUThermalThrottling" else "DCGM_FI_DEV_POWER_VIOLATION"
        share = (0.3 if alert == "GPUThermalThrottling" else 0.8) if f else 0.02
        return [("", [counter(name, GPU, share * 60e9)])]
    if alert == "GPUDoubleBitECCErrors":  # new errors fire; errors counted long ago do not
        return [("", [gauge("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", GPU, "0x50 1x129" if f else "2x180")])]
    if alert == "GPUNVLinkErrors":  # a burst of recovery errors fires; a trickle of CRC errors does not
        per_min = {"RECOVERY": 5} if f else {"CRC_FLIT": 0.2}
        return [("", [counter(f"DCGM_FI_DEV_NVLINK_{c}_ERROR_COUNT_TOTAL", GPU, per_min.get(c, 0)) for c in NVLINK])]
    if alert == "GPUPCIeReplays":
        return [("", [counter("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", GPU, 60 if f else 1)])]
    if alert == "GPUTemperatureHigh":
        return [("", [gauge("DCGM_FI_DEV_GPU_TEMP", GPU, 90 if f else 60)])]
    if alert == "GPUFramebufferNearFull":
        return [("", [gauge("DCGM_FI_DEV_FB_USED", GPU, 79000 if f else 40000), gauge("DCGM_FI_DEV_FB_FREE", GPU, 1000 if f else 40000)])]
    if alert == "GPURowRemapFailure":
        return [("", [gauge("DCGM_FI_DEV_ROW_REMAP_FAILURE", GPU, 1 if f else 0)])]
    if alert == "GPUAllocatedButIdle":
        return [("", [gauge("DCGM_FI_DEV_GPU_UTIL", {**GPU, "namespace": "llm", "pod": "chat-0"}, 1 if f else 80)])]
    if alert == "InfermonTargetDown":
        return [("t", [gauge("up", {"service": "t", "job": "inference/t", "instance": "t:8002"}, 0 if f else 1)]),
                ("", [gauge("up", {"gpu_pool": "p", "job": "dcgm", "instance": "n1:9400", "service": "dcgm-exporter-p"}, 0 if f else 1)])]
    if alert == "InfermonTargetMissing":
        # a monitor that selects nothing, and a pool whose exporters never schedule, leave no up series at all;
        # a target that is down still has one (InfermonTargetDown's case)
        other = gauge("up", {"service": "t", "job": "inference/t", "instance": "t:8002"}, 1)
        if f:
            return [("k", [other]), ("", [other])]
        return [("k", [gauge("up", {"service": "k", "job": "inference-k", "instance": "10.0.0.7:8000"}, "1x60 0x120"),
                       gauge("up", {"gpu_pool": "p", "job": "dcgm-exporter-p", "instance": "10.0.0.9:9400"}, 0)])]
    if alert == "InfermonScrapesFailing":
        flap = " ".join("1" if i % 2 else "0" for i in range(MINUTES))
        return [("m", [gauge("up", {"service": "m", "job": "inference/m", "instance": "m:8082"}, flap if f else f"1x{MINUTES}")])]
    if alert == "SLOAvailabilityBurnRate":
        L = {"service": "v", "model_name": "llama"}
        if f:  # internal errors burn the budget
            return [("v", [counter("vllm:request_success_total", {**L, "finished_reason": "stop"}, 80),
                           counter("vllm:request_success_total", {**L, "finished_reason": "error"}, 20)])]
        # clients aborting do not; nor does a server that never had an error (no "error" series at all)
        return [("v", [counter("vllm:request_success_total", {**L, "finished_reason": "stop"}, 80),
                       counter("vllm:request_success_total", {**L, "finished_reason": "abort"}, 20)])]
    if alert == "SLOLatencyBurnRate":
        L = {"service": "v", "model_name": "llama"}
        return [("v", histogram("vllm:e2e_request_latency_seconds", L, ["5.0", "10.0", "20.0", "+Inf"], [0, 0, 60, 0] if f else [60, 0, 0, 0]))]
    raise KeyError(alert)


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory) -> Path:
    loaded = parse({**STACK, "tok": "x"}, ["tok"], "test")
    d = tmp_path_factory.mktemp("rules")
    for name, spec in rule_files(loaded).items():
        (d / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return d


def rule_alert_names(d: Path) -> set[str]:
    return {r["alert"] for p in d.glob("*.yaml") for g in yaml.safe_load(p.read_text())["groups"] for r in g["rules"] if "alert" in r}


def test_every_alert_is_rendered_for_the_test_stack(rules_dir):
    assert rule_alert_names(rules_dir) == set(ALL_NAMES)


def test_alerts_on_optional_dcgm_counters_need_a_pool_that_collects_them():
    """Throttling, ECC and NVLink alerts read counters dcgm-exporter does not collect by default:
    on a pool without them the rules would never have data."""
    plain = {**STACK, "gpuPools": [{"name": "p", "nodeSelector": {"gpu": "yes"}}]}
    names = {r["alert"] for f in rule_files(parse({**plain, "tok": "x"}, ["tok"], "test")).values() for g in f["groups"] for r in g["rules"] if "alert" in r}
    optional = {"GPUThermalThrottling", "GPUPowerThrottling", "GPUDoubleBitECCErrors", "GPUNVLinkErrors"}
    assert not names & optional
    assert "GPUPCIeReplays" in names  # the PCIe replay counter is a default one
    thermal = {**STACK, "gpuPools": [{"name": "p", "nodeSelector": {"gpu": "yes"}, "extraCounters": ["DCGM_FI_DEV_THERMAL_VIOLATION"]}]}
    names = {r["alert"] for f in rule_files(parse({**thermal, "tok": "x"}, ["tok"], "test")).values() for g in f["groups"] for r in g["rules"] if "alert" in r}
    assert names & optional == {"GPUThermalThrottling"}


def _run(rules_dir: Path, alert: str, tmp_path: Path) -> subprocess.CompletedProcess:
    eval_time = "170m" if alert == "GPUAllocatedButIdle" else "60m"
    tests = []
    for fire in (True, False):
        for service, series in fixtures(alert, fire):
            selector = f'alertname="{alert}", alertstate="firing"' + (f', service="{service}"' if service else ', service=~"|dcgm.*"')
            if fire:
                check = {"expr": f"count(ALERTS{{{selector}}}) > bool 0", "eval_time": eval_time, "exp_samples": [{"labels": "{}", "value": 1}]}
                tests.append({"interval": "1m", "input_series": series, "promql_expr_test": [check]})
            else:
                tests.append({"interval": "1m", "input_series": series,
                              "alert_rule_test": [{"eval_time": eval_time, "alertname": alert, "exp_alerts": []}]})
    files = sorted(str(p) for p in rules_dir.glob("*.yaml"))
    test_file = tmp_path / f"{alert}.test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": files, "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    return subprocess.run([tool("promtool"), "test", "rules", str(test_file)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("alert", ALL_NAMES)
def test_alert_fires_on_its_fault_and_is_silent_otherwise(alert, rules_dir, tmp_path):
    proc = _run(rules_dir, alert, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_harness_can_fail(rules_dir, tmp_path):
    # healthy series presented as the fault: the firing expectation must fail
    original = fixtures

    def swapped(alert, fire):
        return original(alert, not fire)

    globals()["fixtures"] = swapped
    try:
        proc = _run(rules_dir, "TritonHighFailureRatio", tmp_path)
    finally:
        globals()["fixtures"] = original
    assert proc.returncode != 0


def test_promtool_check_rules_accepts_every_file(rules_dir):
    proc = subprocess.run([tool("promtool"), "check", "rules", *sorted(str(p) for p in rules_dir.glob("*.yaml"))], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_render_check_names_the_rule_file_promtool_rejects(rules_dir):
    """Each rule file is checked in its own promtool process: a broken one fails the check, named with
    promtool's error, and the others are still counted."""
    from components.render.validate import check_rules

    files = {f"prometheus/rules/{p.name}": p.read_text() for p in sorted(rules_dir.glob("*.yaml"))}
    good = check_rules(files)
    assert good.ok and good.detail.startswith(f"{len(files)} rule files, "), good.detail
    broken = dict(files)
    broken["prometheus/rules/zz-broken.yaml"] = "groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: rate(x[5m]\n"
    bad = check_rules(broken)
    assert not bad.ok and bad.detail.startswith(f"{len(broken)} rule files rejected"), bad.detail
    assert "zz-broken.yaml" in bad.errors[0] and "FAILED" in bad.errors[0]
    assert bad.errors[0].count("SUCCESS") == len(files)


def test_success_ratio_is_zero_when_only_failures_exist(rules_dir, tmp_path):
    """A model that never succeeded has no success series at all; the ratio must still be 0."""
    original = fixtures

    def only_failures(alert, fire):
        L = {"service": "m", "model": "sd", "version": "1"}
        return [("m", [counter("model_infer_request_failure_total", L, 10)])] if fire else original(alert, fire)

    globals()["fixtures"] = only_failures
    try:
        proc = _run(rules_dir, "MLServerLowSuccessRatio", tmp_path)
    finally:
        globals()["fixtures"] = original
    assert proc.returncode == 0, proc.stdout


def test_promtool_lint_finds_no_duplicate_rules(rules_dir):
    proc = subprocess.run([tool("promtool"), "check", "rules", *sorted(str(p) for p in rules_dir.glob("*.yaml"))], capture_output=True, text=True)
    assert "FAILED" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_latency_alert_survives_scrape_loss_at_a_long_scrape_interval(tmp_path):
    """An MLServer scraped every 3 minutes that is slow for an hour, one scrape in six lost: the
    rule's window (four scrape intervals) still holds two samples, so the alert fires (a 5-minute
    window would hold one sample at every third evaluation, and the alert would never fire)."""
    loaded = parse({"cluster": {"name": "c1"}, "inference": [{"name": "m", "kind": "mlserver", "staticTargets": ["m:8082"], "interval": "3m"}]},
                   [], "test")
    rules = tmp_path / "rules"
    rules.mkdir()
    for name, spec in rule_files(loaded).items():
        (rules / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    L = '{service="m", model="sd", version="1"}'
    steps = 30  # 90 minutes at 3-minute scrapes
    count = " ".join("_" if i % 6 == 5 else str(60 * 3 * i) for i in range(steps))
    total = " ".join("_" if i % 6 == 5 else str(60 * 3 * i * 12) for i in range(steps))  # 12 s per inference
    test = {"rule_files": sorted(str(p) for p in rules.glob("*.yaml")), "evaluation_interval": "1m",
            "tests": [{"interval": "3m", "input_series": [{"series": f"model_infer_request_duration_count{L}", "values": count},
                                                          {"series": f"model_infer_request_duration_sum{L}", "values": total}],
                       "promql_expr_test": [{"expr": 'count(ALERTS{alertname="MLServerHighInferenceLatency", alertstate="firing"}) > bool 0',
                                             "eval_time": "80m", "exp_samples": [{"labels": "{}", "value": 1}]}]}]}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    proc = subprocess.run([tool("promtool"), "test", "rules", str(tmp_path / "t.yaml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ratio_recordings_have_no_value_at_zero_traffic(rules_dir, tmp_path):
    """Flat counters (no request in the window): every ratio and SLO recording rule records
    nothing, not 0/0 = NaN."""
    flat = {"service": "x"}
    series = [counter(n, {**flat, "service": s}, 0) for s, names in {
        "t": ("nv_inference_request_success", "nv_inference_request_failure", "nv_inference_queue_duration_us"),
        "m": ("model_infer_request_success_total", "model_infer_request_failure_total"),
        "g": ("gateway_requests_total",),
        "v": ("vllm:request_success_total", "vllm:e2e_request_latency_seconds_count")}.items() for n in names]
    series.append(counter("vllm:e2e_request_latency_seconds_bucket", {"service": "v", "le": "10.0"}, 0))
    records = sorted({r["record"] for p in rules_dir.glob("*.yaml") for g in yaml.safe_load(p.read_text())["groups"]
                      for r in g["rules"] if "record" in r and ("ratio" in r["record"] or "mean" in r["record"])})
    assert len(records) >= 8, records
    test = {"rule_files": sorted(str(p) for p in rules_dir.glob("*.yaml")), "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "promql_expr_test": [{"expr": f"{r} != {r}", "eval_time": "60m", "exp_samples": []}
                                            for r in records]}]}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    proc = subprocess.run([tool("promtool"), "test", "rules", str(tmp_path / "t.yaml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
