"""DCGM exporter DaemonSets: one per exporter-mode pool, scheduled exactly where the pool is."""

from __future__ import annotations

from conftest import MINIMAL, obj, objects, prometheus_with, render_config, requires

from components.gpu import dcgm_fields


def _env(ds):
    return {e["name"]: e["value"] for e in ds["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_one_daemonset_per_exporter_pool_with_exactly_its_selector_and_tolerations(prod):
    daemonsets = {d["metadata"]["name"]: d for d in objects(prod, "DaemonSet")}
    assert sorted(daemonsets) == ["dcgm-exporter-a10g", "dcgm-exporter-h100"]  # l4 runs under the GPU Operator
    h100 = daemonsets["dcgm-exporter-h100"]["spec"]["template"]["spec"]
    assert h100["nodeSelector"] == {"node.kubernetes.io/instance-type": "p5.48xlarge"}
    assert h100["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Equal", "value": "llm-serving", "effect": "NoSchedule"},
    ]
    a10g = daemonsets["dcgm-exporter-a10g"]["spec"]["template"]["spec"]
    assert a10g["nodeSelector"] == {"node.kubernetes.io/instance-type": "g5.12xlarge"}
    assert a10g["tolerations"] == []


def test_profiling_counters_and_sys_admin_only_where_enabled(prod):
    for pool, profiling in (("h100", True), ("a10g", False)):
        csv = obj(prod, "ConfigMap", f"dcgm-exporter-{pool}")["data"]["counters.csv"]
        container = obj(prod, "DaemonSet", f"dcgm-exporter-{pool}")["spec"]["template"]["spec"]["containers"][0]
        caps = container["securityContext"]["capabilities"]
        assert ("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" in csv) is profiling
        assert (caps.get("add") == ["SYS_ADMIN"]) is profiling
        assert caps["drop"] == ["ALL"]


def test_extra_counters_are_collected_with_their_type(prod):
    csv = obj(prod, "ConfigMap", "dcgm-exporter-h100")["data"]["counters.csv"]
    assert "DCGM_FI_DEV_POWER_VIOLATION, counter," in csv
    assert "DCGM_FI_DEV_THERMAL_VIOLATION, counter," in csv


def test_default_counters_have_the_upstream_types():
    # framebuffer is a gauge in MiB, energy a counter, XID errors a gauge of the last XID
    types = {f.name: f.type for f in dcgm_fields.DEFAULT}
    assert types["DCGM_FI_DEV_FB_USED"] == "gauge"
    assert types["DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"] == "counter"
    assert types["DCGM_FI_DEV_XID_ERRORS"] == "gauge"
    assert not any(f.name.startswith("DCGM_FI_PROF_") for f in dcgm_fields.DEFAULT)


def test_pod_attribution_through_kubelet_pod_resources(dev):
    ds = obj(dev, "DaemonSet", "dcgm-exporter-l4")
    spec = ds["spec"]["template"]["spec"]
    assert _env(ds)["DCGM_EXPORTER_KUBERNETES"] == "true"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["pod-resources"]["hostPath"]["path"] == "/var/lib/kubelet/pod-resources"
    mounts = {m["name"]: m for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["pod-resources"]["readOnly"] is True


def test_gpu_id_type_defaults_to_device_name_on_gke(dev, prod):
    assert _env(obj(dev, "DaemonSet", "dcgm-exporter-l4"))["DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE"] == "device-name"  # gke
    assert _env(obj(prod, "DaemonSet", "dcgm-exporter-a10g"))["DCGM_EXPORTER_KUBERNETES_GPU_ID_TYPE"] == "uid"  # eks


def test_image_is_pinned(prod):
    for ds in objects(prod, "DaemonSet"):
        image = ds["spec"]["template"]["spec"]["containers"][0]["image"]
        tag = image.rsplit(":", 1)[-1]
        assert ":" in image and tag not in ("latest", "") and tag[0].isdigit(), image


def test_service_monitor_honours_exporter_labels_and_tags_the_pool(dev):
    sm = obj(dev, "ServiceMonitor", "dcgm-exporter-l4")
    ep = sm["spec"]["endpoints"][0]
    assert ep["honorLabels"] is True
    assert {"action": "replace", "targetLabel": "gpu_pool", "replacement": "l4"} in ep["relabelings"]
    svc = obj(dev, "Service", "dcgm-exporter-l4")
    assert svc["spec"]["ports"][0]["port"] == 9400
    assert sm["spec"]["selector"]["matchLabels"] == svc["spec"]["selector"]


def test_gpu_operator_mode_declares_only_a_service_monitor(prod):
    sm = obj(prod, "ServiceMonitor", "dcgm-gpu-operator-gpu-operator")
    assert sm["spec"]["namespaceSelector"] == {"matchNames": ["gpu-operator"]}
    assert sm["spec"]["endpoints"][0]["port"] == "gpu-metrics"
    assert sm["spec"]["endpoints"][0]["honorLabels"] is True
    assert not [d for d in objects(prod, "DaemonSet") if "l4" in d["metadata"]["name"]]


def test_changing_counters_rolls_the_pods(tmp_path):
    pool = {"name": "p", "nodeSelector": {"gpu": "yes"}}
    a = render_config(tmp_path / "a", {**MINIMAL, "gpuPools": [pool]})
    b = render_config(tmp_path / "b", {**MINIMAL, "gpuPools": [{**pool, "extraCounters": ["DCGM_FI_DEV_ECC_DBE_VOL_TOTAL"]}]})
    ann = lambda r: obj(r, "DaemonSet", "dcgm-exporter-p")["spec"]["template"]["metadata"]["annotations"]  # noqa: E731
    assert ann(a) != ann(b)


@requires("prometheus")
def test_an_idle_gpu_belongs_to_no_pod_and_operator_pools_carry_their_pool(tmp_path, prod):
    """dcgm-exporter labels only allocated GPUs with their pod; with honorLabels an idle GPU must
    not take the exporter pod's labels instead (checked on the pinned Prometheus)."""
    from components.verify.run import free_port, monitor_jobs

    allocated, idle, operator = free_port(), free_port(), free_port()
    targets = [{"name": "a", "kind": "dcgm", "port": allocated, "labels": {"namespace": "llm", "pod": "chat-0", "container": "vllm"}},
               {"name": "i", "kind": "dcgm", "port": idle, "without": ["pod", "namespace", "container"]},
               {"name": "o", "kind": "dcgm", "port": operator, "without": ["pod", "namespace", "container"]}]
    jobs = monitor_jobs(obj(prod, "ServiceMonitor", "dcgm-exporter-h100"), [f"127.0.0.1:{allocated}", f"127.0.0.1:{idle}"], "monitoring")
    jobs += monitor_jobs(obj(prod, "ServiceMonitor", "dcgm-gpu-operator-gpu-operator"), [f"127.0.0.1:{operator}"], "gpu-operator")
    with prometheus_with(tmp_path, targets, jobs) as prom:
        by_instance = {r["metric"]["instance"]: r["metric"] for r in prom.query("DCGM_FI_DEV_GPU_UTIL")}
        assert by_instance[f"127.0.0.1:{allocated}"]["pod"] == "chat-0" and by_instance[f"127.0.0.1:{allocated}"]["namespace"] == "llm"
        assert "pod" not in by_instance[f"127.0.0.1:{idle}"] and "namespace" not in by_instance[f"127.0.0.1:{idle}"]
        assert by_instance[f"127.0.0.1:{idle}"]["exporter_pod"] == "dcgm-exporter-h100-0"
        assert by_instance[f"127.0.0.1:{operator}"]["gpu_pool"] == "l4"
        assert prom.query('up{gpu_pool="l4"}')  # so InfermonTargetDown (up{gpu_pool!=""} == 0) covers operator pools
