"""ServiceMonitors / PodMonitors for in-cluster inference services."""

from __future__ import annotations

from conftest import MINIMAL, obj, objects, render_config


def svc(name, kind, **extra):
    return {"name": name, "kind": kind, "namespace": "serving", "selector": {"app": name}, **extra}


def test_default_port_per_kind(tmp_path):
    cfg = {**MINIMAL, "inference": [svc("t", "triton"), svc("v", "vllm"), svc("s", "sglang"), svc("m", "mlserver")]}
    r = render_config(tmp_path, cfg)
    ports = {o["metadata"]["name"]: o["spec"]["endpoints"][0]["targetPort"] for o in objects(r, "ServiceMonitor")}
    assert ports == {"inference-t": 8002, "inference-v": 8000, "inference-s": 30000, "inference-m": 8082}


def test_named_port_path_interval_and_namespace(prod):
    sm = obj(prod, "ServiceMonitor", "inference-diffusion")
    assert sm["spec"]["namespaceSelector"] == {"matchNames": ["imaging"]}
    ep = sm["spec"]["endpoints"][0]
    assert ep["targetPort"] == 8082 and ep["path"] == "/metrics" and ep["interval"] == "15s"
    gw = obj(prod, "ServiceMonitor", "inference-arks-gateway")["spec"]["endpoints"][0]
    assert gw["port"] == "metrics" and "targetPort" not in gw


def test_service_and_team_labels_on_every_target(prod):
    ep = obj(prod, "ServiceMonitor", "inference-chat-vllm")["spec"]["endpoints"][0]
    labels = {r["targetLabel"]: r["replacement"] for r in ep["relabelings"]}
    assert labels == {"service": "chat-vllm", "team": "llm", "inference_kind": "vllm", "environment": "prod"}


def test_pod_monitor_uses_port_number(prod):
    pm = obj(prod, "PodMonitor", "inference-arks-runtimes")
    ep = pm["spec"]["podMetricsEndpoints"][0]
    assert ep["portNumber"] == 8080


def test_arks_runtime_prefix_becomes_a_runtime_label(prod):
    ep = obj(prod, "PodMonitor", "inference-arks-runtimes")["spec"]["podMetricsEndpoints"][0]
    first, second = ep["metricRelabelings"]
    assert first == {"action": "replace", "sourceLabels": ["__name__"], "regex": "(vllm|sglang):(.+)", "targetLabel": "runtime", "replacement": "$1"}
    assert second["targetLabel"] == "__name__" and second["replacement"] == "arks:$2"
    # other kinds keep their names
    assert "metricRelabelings" not in obj(prod, "ServiceMonitor", "inference-chat-vllm")["spec"]["endpoints"][0]


def test_static_target_services_get_no_monitor(dev):
    names = [o["metadata"]["name"] for o in objects(dev, "ServiceMonitor")]
    assert "inference-triton" not in names and "inference-chat" in names
