"""Datadog: checks collect what the catalog uses; monitors mirror the Prometheus alerts."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from conftest import MINIMAL, helm_values, objects, render_config, rendered_stack

from components.datadog import grammar
from components.datadog.monitors import UNMIRRORED
from components.datadog.names import INTEGRATIONS, dd_metric

PROMETHEUS_ONLY = {"InfermonTargetDown", "InfermonScrapesFailing", "SLOAvailabilityBurnRate", "SLOLatencyBurnRate"}
"""Compared apart: target-down is a service check monitor in Datadog; the others stay Prometheus-only."""


def prometheus_alerts(r) -> set[tuple[str, str, float]]:
    """(alert, service or '', threshold) of every Prometheus alert on a kind Datadog collects."""
    out = set()
    collected = {"infermon-" + k: k for k in INTEGRATIONS} | {"infermon-gpu": "dcgm"}
    for rel, text in r.files.items():
        kind = collected.get(rel.split("/")[-1][:-5].removesuffix("-global"))  # a sharded stack places some rules globally
        if not rel.startswith("prometheus/rules/") or kind is None:
            continue
        for g in yaml.safe_load(text)["groups"]:
            for rule in g["rules"]:
                if "alert" in rule and rule["alert"] not in PROMETHEUS_ONLY and (rule["alert"], kind) not in UNMIRRORED:
                    thr = float(re.search(r"[<>]=? (-?[0-9.]+)$", rule["expr"]).group(1))
                    out.add((rule["alert"], rule["labels"].get("service", ""), thr))
    return out


def monitors(r) -> list[dict]:
    return json.loads(r.files.get("datadog/monitors.json", "[]"))


def datadog_alerts(r) -> set[tuple[str, str, float]]:
    out = set()
    for m in monitors(r):
        tags = dict(t.split(":", 1) for t in m["tags"])
        if tags["alert"] not in PROMETHEUS_ONLY:
            out.add((tags["alert"], tags.get("service", ""), float(m["monitorThresholds"]["critical"])))
    return out


def test_target_down_is_a_service_check_monitor_per_collected_service(prod):
    """The Agent's own health service check of each check stands for Prometheus' up == 0."""
    down = {m["name"]: m for m in monitors(prod) if m["type"] == "service check"}
    services = {s.name for s in prod.loaded.config.inference} | {e.name for e in prod.loaded.config.endpoints}
    assert set(down) == {f"[prod] InfermonTargetDown {s}" for s in services} | {"[prod] InfermonTargetDown dcgm"}
    vllm = down["[prod] InfermonTargetDown chat-vllm"]
    assert vllm["query"] == '"vllm.openmetrics.health".over("env:prod","service:chat-vllm").by("endpoint").last(3).count_by_status()'
    assert vllm["monitorThresholds"] == {"critical": "2", "ok": "1"} and vllm["notifyNoData"] is True
    for m in down.values():
        assert grammar.check_service_check(m["query"]) == []


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
        if m["type"] == "query alert":
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
    assert crit["priority"] == "1" and crit["notifyNoData"] is False
    # no data on a metric monitor is a healthy service that has not failed yet; absence is the
    # target-down service check's to page on
    assert {m["type"] for m in monitors(prod) if m["notifyNoData"]} == {"service check"}


def test_datadog_metric_names_follow_the_agent():
    """Names as the Agent's engine submits them (tests/test_datadog_engine.py runs it)."""
    assert dd_metric("triton", "nv_inference_request_failure") == "nvidia_triton.inference.request_failure.count"  # no nv.
    assert dd_metric("vllm", "vllm:num_requests_waiting") == "vllm.num_requests.waiting"
    assert dd_metric("vllm", "vllm:time_to_first_token_seconds_bucket") == "vllm.time_to_first_token.seconds"  # a distribution
    assert dd_metric("vllm", "vllm:e2e_request_latency_seconds_sum") == "vllm.e2e_request_latency.seconds.sum"
    # both vLLM generations under one name (extra_metrics over the packaged map)
    assert dd_metric("vllm", "vllm:kv_cache_usage_perc") == dd_metric("vllm", "vllm:gpu_cache_usage_perc") == "vllm.kv_cache_usage_perc"
    assert dd_metric("sglang", "sglang:num_running_reqs") == "sglang.num_running_reqs"  # raw_metric_prefix
    assert dd_metric("mlserver", "model_infer_request_success_total") == "mlserver.model_infer_request_success.count"
    assert dd_metric("databricks", "request_count_total") == "databricks_serving.request_count_total"  # a gauge: no .count
    assert dd_metric("dcgm", "DCGM_FI_DEV_FB_USED") == "dcgm.frame_buffer.used"


def check(r, path: str) -> dict:
    return yaml.safe_load(r.files[f"datadog/checks/{path}"])


def test_packaged_integrations_where_they_exist(prod):
    assert check(prod, "nvidia_triton.d/infermon-triton-vision.yaml")["instances"][0]["openmetrics_endpoint"] == \
        "http://triton-vision.serving.svc.cluster.local:8002/metrics"
    vllm = check(prod, "vllm.d/infermon-chat-vllm.yaml")
    assert vllm["advanced_ad_identifiers"] == [{"kube_endpoints": {"name": "chat-vllm", "namespace": "llm"}}] and vllm["cluster_check"] is True
    assert vllm["instances"][0]["openmetrics_endpoint"] == "http://%%host%%:8000/metrics"
    ds = next(d for d in objects(prod, "DaemonSet") if d["metadata"]["name"] == "dcgm-exporter-h100")
    ann = json.loads(ds["spec"]["template"]["metadata"]["annotations"]["ad.datadoghq.com/exporter.checks"])
    assert ann["dcgm"]["instances"][0]["openmetrics_endpoint"] == "http://%%host%%:9400/metrics"
    assert "gpu_pool:h100" in ann["dcgm"]["instances"][0]["tags"]


def test_generic_checks_have_a_typed_allow_list_and_distributions(prod):
    sg = check(prod, "openmetrics.d/infermon-code-sglang.yaml")["instances"][0]
    assert sg["namespace"] == "sglang" and sg["histogram_buckets_as_distributions"] is True
    assert sg["raw_metric_prefix"] == "sglang:" and sg["collect_counters_with_distributions"] is True
    assert {"num_running_reqs": {"name": "num_running_reqs", "type": "gauge"}} in sg["metrics"]
    assert {"prompt_tokens": {"name": "prompt_tokens", "type": "counter"}} in sg["metrics"]  # no _total
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


def test_existing_agent_gets_chart_values_for_its_release(dev):
    """The Cluster Agent reads check files from conf.d directories: the existing release gets them
    the way the chart itself delivers them (clusterAgent.advancedConfd), as a values file."""
    cms = [o for o in objects(dev, "ConfigMap") if o["metadata"]["name"] == "infermon-datadog-checks"]
    assert cms and sorted(cms[0]["data"]) == ["values.yaml"]
    values = yaml.safe_load(cms[0]["data"]["values.yaml"])
    assert sorted(values["clusterAgent"]["advancedConfd"]) == ["nvidia_triton.d", "vllm.d"]
    assert sorted(values["clusterAgent"]["advancedConfd"]["vllm.d"]) == ["infermon-chat.yaml"]
    assert values["datadog"]["clusterChecks"]["enabled"] is True
    assert dev.files["datadog/agent-values.yaml"] == cms[0]["data"]["values.yaml"]
    assert "helm/datadog.values.yaml" not in dev.files


def test_node_agent_tolerates_every_gpu_pool_and_keeps_a_stable_token(prod, tmp_path):
    values = yaml.safe_load(prod.files["helm/datadog.values.yaml"])
    tolerations = values["agents"]["tolerations"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations
    assert {"key": "dedicated", "operator": "Equal", "value": "llm-serving", "effect": "NoSchedule"} in tolerations
    assert values["clusterAgent"]["tokenExistingSecret"] == "infermon-datadog-cluster-agent-token"
    assert values["datadog"]["operator"]["enabled"] is False
    assert rendered_stack("prod").files["helm/datadog.values.yaml"] == prod.files["helm/datadog.values.yaml"]
    token = [o for o in objects(prod, "Secret") if o["metadata"]["name"] == "infermon-datadog-cluster-agent-token"]
    assert token and token[0]["stringData"] == {"token": "[secret]"}  # generated once, a secret in the stack's state
    generated = [e for e in json.loads(prod.files["manifest.json"]) if e["type"] == "random:index/randomPassword:RandomPassword"]
    assert [e["name"] for e in generated] == ["prod-datadog-cluster-agent-token"]


def test_percentile_monitors_get_percentiles_enabled_on_their_distribution(prod):
    configs = [e["inputs"] for e in json.loads(prod.files["manifest.json"]) if e["type"] == "datadog:index/metricTagConfiguration:MetricTagConfiguration"]
    by_name = {c["metricName"]: c for c in configs}
    for m in monitors(prod):
        for metric in re.findall(r"\bp\d+:([a-z_.]+)\{", m["query"]):
            c = by_name[metric]
            assert c["metricType"] == "distribution" and c["includePercentiles"] is True and c["excludeTagsMode"] is True


def test_prod_covers_every_kind_it_runs_and_dev_only_its_own(dev, prod):
    checks = lambda r: sorted(k.split("/")[2] for k in r.files if k.startswith("datadog/checks/"))  # noqa: E731
    assert checks(dev) == ["nvidia_triton.d", "vllm.d"]
    assert checks(prod) == ["dcgm.d", "nvidia_triton.d"] + ["openmetrics.d"] * 6 + ["vllm.d"]  # dcgm.d: the GPU Operator's exporter
    kinds_dev = {m["query"].split(":")[2].split(".")[0] for m in monitors(dev) if m["type"] == "query alert"}
    assert kinds_dev == {"nvidia_triton", "vllm", "dcgm"}


def test_no_monitors_without_datadog(tmp_path):
    r = render_config(tmp_path, MINIMAL)
    assert "datadog/monitors.json" not in r.files
    assert helm_values(r)  # the rest renders as before


def test_datadog_resources_register_exactly_as_the_sdk_registers_them(monkeypatch):
    """infermon registers its Datadog resources by type token (the SDK's import costs seconds per
    render): the same stack rendered through pulumi-datadog's own classes registers the same
    resources, inputs, secret outputs and provider plugin version."""
    import pulumi_datadog as sdk

    from components.datadog import component, resources
    from components.render import engine, render

    def snake(name: str) -> str:
        return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()

    class SdkMonitor:
        def __init__(self, name, inputs, opts=None):
            kw = {snake(k): v for k, v in inputs.items()}
            kw["monitor_thresholds"] = sdk.MonitorMonitorThresholdsArgs(**kw["monitor_thresholds"])
            sdk.Monitor(name, **kw, opts=opts)

    class SdkTagConfiguration:
        def __init__(self, name, inputs, opts=None):
            sdk.MetricTagConfiguration(name, **{snake(k): v for k, v in inputs.items()}, opts=opts)

    def registrations(use_sdk: bool):
        seen = []
        original = engine._Monitor.RegisterResource

        def spy(self, request):
            if "datadog" in request.type and request.custom:
                seen.append((request.type, request.name, request.version, sorted(request.additionalSecretOutputs), bool(request.provider)))
            return original(self, request)

        with monkeypatch.context() as m:
            m.setattr(engine._Monitor, "RegisterResource", spy)
            if use_sdk:
                m.setattr(component.resources, "Provider", sdk.Provider)
                m.setattr(component.resources, "Monitor", SdkMonitor)
                m.setattr(component.resources, "MetricTagConfiguration", SdkTagConfiguration)
            r = render.build("prod")  # not the cached render: each side registers afresh
        inputs = [(g.type, g.name, g.inputs) for g in r.run.registrations if "datadog" in g.type and g.custom]
        return sorted(seen), sorted(inputs, key=lambda x: (x[0], x[1]))

    ours, sdks = registrations(False), registrations(True)
    assert ours == sdks
    kinds = {t for t, *_ in ours[0]}
    assert kinds == {"pulumi:providers:datadog", "datadog:index/monitor:Monitor", "datadog:index/metricTagConfiguration:MetricTagConfiguration"}
    assert all(v == sdk._utilities.get_version() for _, _, v, _, _ in ours[0])
    assert resources.PACKAGE == sdk.__name__
