"""Bad configs are rejected before anything is registered, each with path, value and what is allowed."""

from __future__ import annotations

import pytest

from components.config import ConfigError, parse

BASE = {"cluster": {"name": "c1"}}
POOL = {"name": "h100", "nodeSelector": {"gpu": "h100"}}


def issues(raw, secret_keys=()):
    with pytest.raises(ConfigError) as exc:
        parse(raw, list(secret_keys), "test")
    return [str(i) for i in exc.value.issues]


CASES = [
    (
        "enum value",
        {**BASE, "gpuPools": [POOL, {**POOL, "name": "a100", "tolerations": [{"key": "k", "effect": "NO_SCHEDULE"}]}]},
        "gpuPools[1].tolerations[0].effect: 'NO_SCHEDULE' is not one of NoSchedule, PreferNoSchedule, NoExecute",
    ),
    (
        "misspelled nested key",
        {**BASE, "gpuPools": [{**POOL, "nodeSelectr": {}}]},
        "gpuPools[0].nodeSelectr: unknown key 'nodeSelectr'; did you mean 'nodeSelector'?",
    ),
    (
        "misspelled top-level key",
        {**BASE, "prometeus": {"retention": "7d"}},
        "prometeus: unknown key 'prometeus'; did you mean 'prometheus'?",
    ),
    (
        "invalid kubernetes name",
        {**BASE, "inference": [{"name": "Triton_A", "kind": "triton", "staticTargets": ["t:8002"]}]},
        "inference[0].name: 'Triton_A' is not a valid Kubernetes name",
    ),
    (
        "out of range",
        {**BASE, "prometheus": {"replicas": 0}},
        "prometheus.replicas: 0 is out of range: must be at least 1",
    ),
    (
        "bad duration",
        {**BASE, "prometheus": {"retention": "15 days"}},
        "prometheus.retention: '15 days' is not a Prometheus duration such as 30s, 5m, 15d",
    ),
    (
        "duplicate names",
        {**BASE, "gpuPools": [POOL, POOL]},
        "gpuPools[1].name: duplicate GPU pool name 'h100' (also gpuPools[0])",
    ),
    (
        "service with no way to be found",
        {**BASE, "inference": [{"name": "llm", "kind": "vllm"}]},
        "inference[0]: service 'llm' (kind vllm) has no way to be found",
    ),
    (
        "selector without namespace",
        {**BASE, "inference": [{"name": "llm", "kind": "vllm", "selector": {"app": "vllm"}}]},
        "inference[0].namespace: required with selector",
    ),
    (
        "kind without a default port",
        {**BASE, "inference": [{"name": "gw", "kind": "generic", "namespace": "apps", "selector": {"app": "gw"}}]},
        "inference[0].port: required for kind generic",
    ),
    (
        "gpu-operator pool with exporter-only setting",
        {**BASE, "gpuPools": [{**POOL, "mode": "gpu-operator", "profiling": True}]},
        "gpuPools[0].profiling: is an exporter-mode setting",
    ),
    (
        "exporter pool without node selector",
        {**BASE, "gpuPools": [{"name": "h100"}]},
        "gpuPools[0].nodeSelector: required in exporter mode",
    ),
    (
        "unknown DCGM field",
        {**BASE, "gpuPools": [{**POOL, "extraCounters": ["DCGM_FI_DEV_POWER_VIOLATON"]}]},
        "gpuPools[0].extraCounters[0]: 'DCGM_FI_DEV_POWER_VIOLATON' is not a DCGM field the exporter knows; did you mean 'DCGM_FI_DEV_POWER_VIOLATION'?",
    ),
    (
        "profiling field without profiling",
        {**BASE, "gpuPools": [{**POOL, "extraCounters": ["DCGM_FI_PROF_SM_ACTIVE"]}]},
        "gpuPools[0].extraCounters[0]: 'DCGM_FI_PROF_SM_ACTIVE' is a profiling field: set profiling: true on this pool",
    ),
    (
        "databricks without token",
        {**BASE, "endpoints": [{"name": "db", "kind": "databricks", "host": "adb-1.azuredatabricks.net", "endpoints": ["e1"]}]},
        "endpoints[0].tokenSecret: required for kind databricks",
    ),
    (
        "route to an unknown receiver",
        {**BASE, "alertmanager": {"routes": [{"receiver": "pager"}]}},
        "alertmanager.routes[0].receiver: 'pager' is not one of the receivers (none defined)",
    ),
    (
        "credential as a plain header",
        {**BASE, "prometheus": {"remoteWrite": [{"name": "m", "url": "https://m/push", "headers": {"Authorization": "Bearer x"}}]}},
        "prometheus.remoteWrite[0].headers.Authorization: is not a header known to carry no credential",
    ),
    (
        "port that is neither number nor name",
        {**BASE, "inference": [{"name": "t", "kind": "triton", "namespace": "s", "selector": {"a": "b"}, "port": "Metrics Port"}]},
        "inference[0].port: 'Metrics Port' is not a whole number, nor a valid Kubernetes name",
    ),
]


@pytest.mark.parametrize("raw,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config_message(raw, expected):
    found = issues(raw)
    assert any(i.startswith(expected) for i in found), found


def test_every_problem_is_reported_at_once():
    raw = {**BASE, "prometeus": {}, "gpuPools": [{"name": "X"}]}
    assert len(issues(raw)) >= 2


def test_secret_set_in_plaintext_is_rejected():
    raw = {**BASE, "grafana": {"adminPasswordSecret": "gpw"}, "gpw": "hunter2"}
    found = issues(raw, secret_keys=())
    assert found == ["grafana.adminPasswordSecret: 'infermon:gpw' is set in plaintext; secrets must be set with `pulumi config set --secret gpw …`"]


def test_missing_secret_suggests_the_close_key():
    raw = {**BASE, "grafana": {"adminPasswordSecret": "grafanaPassword"}, "grafanaPasword": "x"}
    found = issues(raw, secret_keys=["grafanaPasword"])
    assert any(i.startswith("grafana.adminPasswordSecret: names a secret key that is not set") and "did you mean 'grafanaPasword'?" in i
               for i in found), found


def test_secret_inside_structured_key_is_rejected():
    found = issues({**BASE, "grafana": {"adminUser": "x"}}, secret_keys=["grafana"])
    assert found[0].startswith("grafana: 'infermon:grafana' holds a secret inside it")


def test_unreferenced_secret_key_is_unknown():
    found = issues({**BASE, "stray": "x"}, secret_keys=["stray"])
    assert found[0].startswith("stray: unknown key 'stray'")


def test_valid_config_parses_with_defaults():
    loaded = parse({**BASE, "gpuPools": [POOL]}, [], "staging")
    assert loaded.environment == "staging"
    assert loaded.config.prometheus.retention == "15d"
    assert loaded.config.gpu_pools[0].mode == "exporter"


def test_invalid_config_registers_no_resource():
    """The program validates before declaring anything: nothing partial reaches the engine."""
    from components.render import engine

    bad = {"cluster": {"name": "c1"}, "gpuPools": [{"name": "p"}]}  # exporter pool without nodeSelector
    calls = []
    with pytest.raises(ConfigError):
        engine.run("bad", bad, [], program=lambda loaded: calls.append(loaded) or {})
    assert calls == []
    # and the real program, given a valid config, does register resources through the same path
    good = engine.run("good", {"cluster": {"name": "c1"}}, [])
    assert any(r.type == "infermon:index:ObservabilityStack" for r in good.registrations)


@pytest.mark.parametrize("raw,expected", [
    ({**BASE, "alerts": {"thresholds": {"GPUTemperatureHgh": 80}}},
     "alerts.thresholds.GPUTemperatureHgh: 'GPUTemperatureHgh' is not an infermon alert; did you mean 'GPUTemperatureHigh'?"),
    ({**BASE, "inference": [{"name": "t", "kind": "triton", "staticTargets": ["t:8002"], "alerts": {"LLMKVCacheNearFull": 0.9}}]},
     "inference[0].alerts.LLMKVCacheNearFull: alert 'LLMKVCacheNearFull' does not apply to kind triton"),
    ({**BASE, "inference": [{"name": "t", "kind": "triton", "staticTargets": ["t:8002"], "slo": {"latency": {"threshold": 1, "objective": 0.99}}}]},
     "inference[0].slo.latency: kind triton exports no latency histogram"),
    ({**BASE, "inference": [{"name": "v", "kind": "vllm", "staticTargets": ["v:8000"], "slo": {"availability": 1.5}}]},
     "inference[0].slo.availability: 1.5 is out of range: must be below 1"),
])
def test_bad_alert_config(raw, expected):
    found = issues(raw)
    assert any(i.startswith(expected) for i in found), found


def test_datadog_monitors_need_keys():
    found = issues({**BASE, "datadog": {"enabled": True}})
    assert any(i.startswith("datadog.apiKeySecret: required with monitors: true") for i in found), found
    found = issues({**BASE, "datadog": {"notify": ["@slack-x"]}})
    assert any(i.startswith("datadog.enabled: is false but Datadog settings are configured") for i in found), found
