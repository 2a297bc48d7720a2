"""Datadog: checks collect what the catalog uses; monitors mirror the Prometheus alerts."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from conftest import MINIMAL, helm_values, objects, render_config, rendered_stack

from components.datadog import grammar
from components.datadog.names import INTEGRATIONS, dd_metric

NOT_MIRRORED = {"InfermonTargetDown", "InfermonScrapesFailing", "SLOAvailabilityBurnRate", "SLOLatencyBurnRate",
                "GPUXidApplicationError", "LLMHighErrorRatio", "LLMHighInterTokenLatency", "TritonGPUUtilizationHigh", "TritonCPUMemoryHigh",
                "GPUThermalThrottling", "GPUPowerThrottling", "GPUDoubleBitECCErrors", "GPUNVLinkErrors", "GPUPCIeReplays"}  # a monitor cannot filter by value: Datadog's GPUXidError covers both classes


def prometheus_alerts(r) -> set[tuple[str, str, float]]:
    """(alert, service or '', threshold) of every Prometheus alert on a kind Datadog collects."""
    out = set()
    collected = {"infermon-" + k for k in INTEGRATIONS} | {"infermon-gpu"}
    for rel, text in r.files.items():
        if not rel.startswith("prometheus/rules/") or rel.split("/")[-1][:-5] not in collected:
            continue
        for g in yaml.safe_load(text)["groups"]:
            for rule in g["rules"]:
                if "alert" in rule and rule["alert"] not in NOT_MIRRORED:
                    thr = float(re.search(r"[<>]=? (-?[0-9.]+)$", rule["expr"]).group(1))
                    out.add((rule["alert"], rule["labels"].get("service", ""), thr))
    return out


def monitors(r) -> list[dict]:
    return json.loads(r.files.get("datadog/monitors.json", "[]"))


def datadog_alerts(r) -> set[tuple[str, str, float]]:
    out = set()
    for m in monitors(r):
        tags = dict(t.split(":", 1) for t in m["tags"])
        out.add((tags["alert"], tags.get("service", ""), float(m["monitorThresholds"]["critical"])))
    return out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_parity_every_collected_alert_has_a_monitor_with_the_same_threshold_and_back(stack):
    r = rendered_stack(stack)
    assert prometheus_alerts(r) == datadog_alerts(r)
    assert prometheus_alerts(r)


def test_thresholds_are_strings_and_overrides_reach_both_sides(prod):
    ttft = [m for m in monitors(prod) if m["name"] == "[prod] LLMHighTimeToFirstToken chat-vllm"]
    assert ttft and ttft[0]["monitorThresholds"]["critical"] == "1.5"  # inference[].alerts override
    temp = next(m for m in monitors(prod) if m["name"] == "[prod] GPUTemperatureHigh")
    assert temp["monitorThresholds"]["critical"] == "83" and temp["query"].endswith("> 83")  # alerts.thresholds


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_monitor_query_has_the_monitor_grammar(stack):
    for m in monitors(rendered_stack(stack)):
        assert grammar.check(m["query"]) == [], m["query"]


@pytest.mark.parametrize("query", [
    "avg(last_5m):max:dcgm.temperature{env:prod} > 85",                      # no by {}
    "avg:dcgm.temperature{env:prod} by {host} > 85",                         # no time aggregation
    "avg(last_5m):max:dcgm.temperature{env:prod} by {host} >> 85",           # bad comparator
    "avg(last_5m):max:dcgm.temperature{env:prod} by {host} max:x.y{a:b} by {host} > 1",  # two terms, no operator
])
def test_grammar_rejects_malformed_queries(query):
    assert grammar.check(query)


def test_monitor_tags_message_and_settings(prod):
    m = next(m for m in monitors(prod) if m["name"] == "[prod] LLMKVCacheNearFull chat-vllm")
    assert {"env:prod", "service:chat-vllm", "team:llm", "managed-by:infermon"} <= set(m["tags"])
    assert "@pagerduty-inference-prod" in m["message"] and "@slack-llm-alerts" in m["message"]
    assert m["priority"] == "3" and m["renotifyInterval"] == 60 and m["type"] == "query alert"
    crit = next(m for m in monitors(prod) if m["name"].startswith("[prod] TritonHighFailureRatio"))
    assert crit["priority"] == "1" and crit["notifyNoData"] is True


def test_datadog_metric_names_follow_the_agent():
    assert dd_metric("triton", "nv_inference_request_failure") == "nvidia_triton.nv.inference.request_failure.count"
    assert dd_metric("vllm", "vllm:num_requests_waiting") == "vllm.num_requests.waiting"
    assert dd_metric("vllm", "vllm:time_to_first_token_seconds_bucket") == "vllm.time_to_first_token.seconds.bucket"
    assert dd_metric("vllm", "vllm:kv_cache_usage_perc") is None  # the packaged check does not collect it
    assert dd_metric("sglang", "sglang:num_running_reqs") == "sglang.sglang_num_running_reqs"  # ':' becomes '_'
    assert dd_metric("mlserver", "model_infer_request_success_total") == "mlserver.model_infer_request_success.count"
    assert dd_metric("databricks", "request_count_total") == "databricks_serving.request_count_total"  # a gauge: no .count
    assert dd_metric("dcgm", "DCGM_FI_DEV_FB_USED") == "dcgm.frame_buffer.used"


def check(r, path: str) -> dict:
    return yaml.safe_load(r.files[f"datadog/checks/{path}"])


def test_packaged_integrations_where_they_exist(prod):
    assert check(prod, "nvidia_triton.d/infermon-triton-vision.yaml")["instances"][0]["openmetrics_endpoint"] == \
        "http://triton-vision.serving.svc.cluster.local:8002/metrics"
    vllm = check(prod, "vllm.d/infermon-chat-vllm.yaml")
    assert vllm["ad_identifiers"] == ["kube_endpoints://llm/chat-vllm"] and vllm["cluster_check"] is True
    assert vllm["instances"][0]["openmetrics_endpoint"] == "http://%%host%%:8000/metrics"
    ds = next(d for d in objects(prod, "DaemonSet") if d["metadata"]["name"] == "dcgm-exporter-h100")
    ann = json.loads(ds["spec"]["template"]["metadata"]["annotations"]["ad.datadoghq.com/exporter.checks"])
    assert ann["dcgm"]["instances"][0]["openmetrics_endpoint"] == "http://%%host%%:9400/metrics"
    assert "gpu_pool:h100" in ann["dcgm"]["instances"][0]["tags"]


def test_generic_checks_have_a_typed_allow_list_and_distributions(prod):
    sg = check(prod, "openmetrics.d/infermon-code-sglang.yaml")["instances"][0]
    assert sg["namespace"] == "sglang" and sg["histogram_buckets_as_distributions"] is True
    assert {"sglang:num_running_reqs": {"name": "sglang:num_running_reqs", "type": "gauge"}} in sg["metrics"]
    assert {"sglang:prompt_tokens": {"name": "sglang:prompt_tokens", "type": "counter"}} in sg["metrics"]  # no _total
    db = check(prod, "openmetrics.d/infermon-databricks-serving.yaml")["instances"]
    assert len(db) == 2
    types = {list(e)[0]: list(e.values())[0]["type"] for e in db[0]["metrics"]}
    assert types["request_count_total"] == "gauge" and types["request_latency_ms"] == "histogram"
    for text in prod.files.values():
        assert "send_distribution_buckets" not in text


def test_databricks_token_is_read_from_a_mounted_file_never_written(tmp_path):
    cfg = {**MINIMAL,
           "endpoints": [{"name": "dbx", "kind": "databricks", "host": "adb-1.azuredatabricks.net", "endpoints": ["e1"], "tokenSecret": "tok"}],
           "datadog": {"enabled": True, "agent": "deploy", "apiKeySecret": "ddApi", "appKeySecret": "ddApp"}}
    secrets = {"tok": "dapi-CANARY-9", "ddApi": "CANARY-api-key", "ddApp": "CANARY-app-key"}
    r = render_config(tmp_path, cfg, secrets=secrets)
    inst = yaml.safe_load(r.files["datadog/checks/openmetrics.d/infermon-dbx.yaml"])["instances"][0]
    assert inst["auth_token"]["reader"] == {"type": "file", "path": "/etc/datadog-agent/secrets/infermon/dbx-token"}
    assert inst["auth_token"]["writer"]["value"] == "Bearer <TOKEN>"
    for text in r.files.values():
        assert not any(v in text for v in secrets.values())
    values = next(yaml.safe_load(t) for k, t in r.files.items() if k == "helm/datadog.values.yaml")
    assert values["datadog"]["apiKeyExistingSecret"] == "infermon-datadog-api-key"
    assert values["clusterChecksRunner"]["volumes"][0]["secret"]["secretName"] == "infermon-datadog-credentials"
    provider = next(e for e in json.loads(r.files["manifest.json"]) if e["type"] == "pulumi:providers:datadog")
    assert provider["inputs"]["apiKey"] == "[secret]" and provider["inputs"]["appKey"] == "[secret]"


def test_arks_runtime_check_renames_raw_runtime_names_like_arks(prod):
    inst = check(prod, "openmetrics.d/infermon-arks-runtimes.yaml")["instances"][0]
    assert inst["namespace"] == "arks_runtime" and inst["openmetrics_endpoint"] == "http://%%host%%:%%port_http%%/metrics"
    renames = {list(e)[0]: list(e.values())[0]["name"] for e in inst["metrics"]}
    assert renames["vllm:num_requests_waiting"] == "num_requests_waiting"
    assert renames["sglang:num_queue_reqs"] == "num_requests_waiting"
    assert renames["sglang:time_to_first_token_seconds"] == "time_to_first_token_seconds"


def test_existing_agent_gets_a_configmap(dev):
    cms = [o for o in objects(dev, "ConfigMap") if o["metadata"]["name"] == "infermon-datadog-checks"]
    assert cms and sorted(cms[0]["data"]) == ["nvidia_triton.d_infermon-triton.yaml", "vllm.d_infermon-chat.yaml"]
    assert "helm/datadog.values.yaml" not in dev.files


def test_prod_covers_every_kind_it_runs_and_dev_only_its_own(dev, prod):
    checks = lambda r: sorted(k.split("/")[2] for k in r.files if k.startswith("datadog/checks/"))  # noqa: E731
    assert checks(dev) == ["nvidia_triton.d", "vllm.d"]
    assert checks(prod) == ["nvidia_triton.d"] + ["openmetrics.d"] * 6 + ["vllm.d"]
    kinds_dev = {m["query"].split(":")[2].split(".")[0] for m in monitors(dev)}
    assert kinds_dev == {"nvidia_triton", "vllm", "dcgm"}


def test_no_monitors_without_datadog(tmp_path):
    r = render_config(tmp_path, MINIMAL)
    assert "datadog/monitors.json" not in r.files
    assert helm_values(r)  # the rest renders as before
