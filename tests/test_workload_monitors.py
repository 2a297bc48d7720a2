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


def test_service_and_team_labels_on_every_target(prod):
    ep = obj(prod, "ServiceMonitor", "inference-chat-vllm")["spec"]["endpoints"][0]
    labels = {r["targetLabel"]: r["replacement"] for r in ep["relabelings"]}
    assert labels == {"service": "chat-vllm", "team": "llm", "inference_kind": "vllm", "environment": "prod"}


def test_pod_monitor_uses_port_number(tmp_path):
    r = render_config(tmp_path, {**MINIMAL, "inference": [svc("v", "vllm", monitor="pod")]})
    ep = obj(r, "PodMonitor", "inference-v")["spec"]["podMetricsEndpoints"][0]
    assert ep["portNumber"] == 8000


def test_arks_defaults_follow_arks_own_monitors(prod):
    gw = obj(prod, "ServiceMonitor", "inference-arks-gateway")["spec"]["endpoints"][0]
    rt = obj(prod, "ServiceMonitor", "inference-arks-runtimes")["spec"]["endpoints"][0]
    assert gw["port"] == "metrics" and rt["port"] == "http"


def test_arks_runtime_prefix_becomes_a_runtime_label(prod):
    ep = obj(prod, "ServiceMonitor", "inference-arks-runtimes")["spec"]["endpoints"][0]
    keep, label, strip, running, waiting = ep["metricRelabelings"]
    assert keep == {"action": "keep", "sourceLabels": ["__name__"], "regex": "(sglang|vllm|tensorrt|onnx)[:_].+"}
    assert label["targetLabel"] == "runtime" and label["replacement"] == "$1"
    assert strip["targetLabel"] == "__name__" and strip["replacement"] == "$2"
    assert running["regex"] == "(.*?)num_running_reqs" and running["replacement"] == "${1}num_requests_running"
    assert waiting["regex"] == "(.*?)num_queue_reqs" and waiting["replacement"] == "${1}num_requests_waiting"
    # other kinds keep their names
    assert "metricRelabelings" not in obj(prod, "ServiceMonitor", "inference-chat-vllm")["spec"]["endpoints"][0]


def test_arks_renames_match_what_prometheus_would_do():
    from components.workload_monitors import arks_runtime_name

    assert arks_runtime_name("vllm:num_requests_running") == "num_requests_running"
    assert arks_runtime_name("sglang:num_running_reqs") == "num_requests_running"
    assert arks_runtime_name("sglang:num_queue_reqs") == "num_requests_waiting"
    assert arks_runtime_name("vllm:time_to_first_token_seconds") == "time_to_first_token_seconds"
    assert arks_runtime_name("process_cpu_seconds_total") is None


def test_static_target_services_get_no_monitor(dev):
    names = [o["metadata"]["name"] for o in objects(dev, "ServiceMonitor")]
    assert "inference-triton" not in names and "inference-chat" in names
