"""Docker hosts (``cluster.platform: docker``): containers under the mock engine, their files, the render."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import render_config, rendered_stack

from components.config import ConfigError, parse
from components.docker import containers as c
from components.render.engine import image_id
from pulumi.runtime import rpc

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/remoteImage:RemoteImage"
SECRETS = {"grafanaAdminPassword": "gr4fana-s3cret-value", "slackWebhook": "https://hooks.slack.com/services/T0/B0/test-hook-value",
           "dbxToken": "dapi00000000000000000000000000000000"}

TWO_HOSTS = {
    "cluster": {"name": "lab", "platform": "docker"},
    "docker": {
        "hosts": [
            {"name": "mon", "gpuPool": "a100"},
            {"name": "gpu-2", "daemon": "ssh://ops@10.0.0.12", "address": "10.0.0.12", "gpuPool": "l4"},
        ],
        "publish": {"grafana": 3000, "prometheus": 9090},
        "bindAddress": "10.0.0.11",
        "cadvisorPort": 8088,
    },
    "grafana": {"adminPasswordSecret": "grafanaAdminPassword"},
    "alertmanager": {"receivers": [{"name": "slack", "type": "slack", "secret": "slackWebhook"}]},
    "gpuPools": [{"name": "a100", "profiling": True}, {"name": "l4"}],
    "inference": [{"name": "triton", "kind": "triton", "staticTargets": ["host.docker.internal:8002"]}],
    "endpoints": [{"name": "dbx", "kind": "databricks", "host": "adb-1.azuredatabricks.net", "endpoints": ["e1"], "tokenSecret": "dbxToken"}],
}


def docker_config(**patch):
    cfg = json.loads(json.dumps(TWO_HOSTS))
    cfg.update(patch)
    return cfg


@pytest.fixture(scope="module")
def gpu_host():
    return rendered_stack("gpu-host")


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    return render_config(tmp_path_factory.mktemp("two"), TWO_HOSTS, SECRETS)


def containers(r) -> dict[tuple[str, str], dict]:
    """(host, container name) -> rendered container settings."""
    out = {}
    for rel, text in r.files.items():
        if rel.startswith("docker/") and "/containers/" in rel:
            doc = yaml.safe_load(text)
            out[(rel.split("/")[1], doc["name"])] = doc
    return out


def registrations(r, typ):
    return [x for x in r.run.registrations if x.type == typ]


# --- every container's settings ----------------------------------------------------------


def test_every_container_runs_a_pinned_image_pulled_by_pulumi(gpu_host, two_hosts):
    for r in (gpu_host, two_hosts):
        images = {x.inputs["name"] for x in registrations(r, IMAGE)}
        assert images and all(":" in i.rsplit("/", 1)[-1] and not i.endswith(":latest") for i in images)
        for x in registrations(r, CONTAINER):
            # the container runs exactly the image a RemoteImage of the stack pulled
            assert x.inputs["image"] in {image_id(i) for i in images}, x.name
        assert {doc["image"] for doc in containers(r).values()} == images


def test_one_network_per_host_and_every_container_on_it(two_hosts):
    networks = registrations(two_hosts, "docker:index/network:Network")
    assert sorted(n.inputs["name"] for n in networks) == ["infermon", "infermon"]
    assert {n.inputs["driver"] for n in networks} == {"bridge"}
    for key, doc in containers(two_hosts).items():
        assert [n["name"] for n in doc["networksAdvanced"]] == ["infermon"], key


def test_data_lives_in_named_volumes_on_the_monitoring_host(two_hosts):
    docs = containers(two_hosts)
    volumes = {x.inputs["name"] for x in registrations(two_hosts, "docker:index/volume:Volume")}
    assert volumes == {"infermon-prometheus-data", "infermon-grafana-data", "infermon-alertmanager-data"}
    want = {"infermon-prometheus": "/prometheus", "infermon-grafana": "/var/lib/grafana", "infermon-alertmanager": "/alertmanager"}
    for name, target in want.items():
        mounts = docs[("mon", name)]["mounts"]
        assert {"type": "volume", "source": f"{name}-data", "target": target} in mounts
    # every volume registration depends on nothing but the provider; containers depend on theirs
    prom = next(x for x in registrations(two_hosts, CONTAINER) if x.inputs["name"] == "infermon-prometheus")
    assert any("infermon-prometheus-data" in d for d in prom.depends_on)


def test_monitoring_containers_run_only_on_the_monitoring_host(two_hosts):
    names = {k for k in containers(two_hosts)}
    assert {n for h, n in names if h == "gpu-2"} == {"infermon-cadvisor", "infermon-dcgm-exporter"}
    assert {n for h, n in names if h == "mon"} == {"infermon-prometheus", "infermon-alertmanager", "infermon-grafana",
                                                   "infermon-cadvisor", "infermon-dcgm-exporter"}
    providers = {x.inputs.get("host") for x in two_hosts.run.registrations if x.type == "pulumi:providers:docker"}
    assert providers == {"unix:///var/run/docker.sock", "ssh://ops@10.0.0.12"}


def test_only_the_dcgm_exporter_requests_gpus_and_sys_admin_only_with_profiling(two_hosts):
    for (host, name), doc in containers(two_hosts).items():
        if name == "infermon-dcgm-exporter":
            assert doc["deviceRequests"] == [{"driver": "nvidia", "count": -1, "capabilities": ["gpu"]}]
            adds = doc["capabilities"].get("adds", [])
            assert adds == (["SYS_ADMIN"] if host == "mon" else []), host  # a100 profiles, l4 does not
        else:
            assert "deviceRequests" not in doc and "gpus" not in doc, name


def test_dcgm_collectors_file_is_the_pool_counters(two_hosts):
    profiling = two_hosts.files["docker/mon/dcgm-exporter/etc/dcgm-exporter/counters.csv"]
    plain = two_hosts.files["docker/gpu-2/dcgm-exporter/etc/dcgm-exporter/counters.csv"]
    assert "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" in profiling and "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" not in plain
    assert "DCGM_FI_DEV_GPU_UTIL" in plain


def test_nothing_published_unless_asked(gpu_host, two_hosts):
    # gpu-host publishes Grafana only, on loopback
    published = {name: doc.get("ports") for (_, name), doc in containers(gpu_host).items() if doc.get("ports")}
    assert published == {"infermon-grafana": [{"internal": 3000, "external": 3000, "ip": "127.0.0.1", "protocol": "tcp"}]}
    docs = containers(two_hosts)
    assert docs[("mon", "infermon-prometheus")]["ports"][0]["ip"] == "10.0.0.11"
    assert "ports" not in docs[("mon", "infermon-alertmanager")]
    assert "ports" not in docs[("mon", "infermon-cadvisor")] and "ports" not in docs[("mon", "infermon-dcgm-exporter")]
    # a remote host's exporters are published on its private address only, for the monitoring host
    assert docs[("gpu-2", "infermon-cadvisor")]["ports"] == [{"internal": 8080, "external": 8088, "ip": "10.0.0.12", "protocol": "tcp"}]
    assert docs[("gpu-2", "infermon-dcgm-exporter")]["ports"] == [{"internal": 9400, "external": 9400, "ip": "10.0.0.12", "protocol": "tcp"}]


def test_no_plaintext_secret_anywhere(two_hosts):
    rendered = "\n".join(two_hosts.files.values())
    for value in SECRETS.values():
        assert value not in rendered
    for x in registrations(two_hosts, CONTAINER):
        for env in x.inputs.get("envs") or []:
            assert not any(v in env for v in SECRETS.values())
        uploads = x.inputs.get("uploads")
        if x.inputs["name"] in ("infermon-grafana", "infermon-alertmanager", "infermon-prometheus"):
            # their uploads carry a credential: the engine gets them as a secret
            assert rpc.is_rpc_secret(uploads), x.inputs["name"]
    grafana = containers(two_hosts)[("mon", "infermon-grafana")]
    assert "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password" in grafana["envs"]
    assert not any(e.startswith("GF_SECURITY_ADMIN_PASSWORD=") for e in grafana["envs"])
    secret_files = {u["file"]: u for doc in containers(two_hosts).values() for u in doc.get("uploads", []) if u["content"] == "[secret]"}
    assert secret_files == {
        "/run/secrets/grafana-admin-password": {"file": "/run/secrets/grafana-admin-password", "permissions": "0400", "owner": "472", "content": "[secret]"},
        "/etc/alertmanager/secrets/infermon-alertmanager-receivers/slack": {
            "file": "/etc/alertmanager/secrets/infermon-alertmanager-receivers/slack", "permissions": "0400", "owner": "65534", "content": "[secret]"},
        "/etc/prometheus/secrets/infermon-scrape-credentials/dbx-token": {
            "file": "/etc/prometheus/secrets/infermon-scrape-credentials/dbx-token", "permissions": "0400", "owner": "65534", "content": "[secret]"},
    }


def test_secret_values_reach_the_uploads(tmp_path):
    """The secret config values are what the engine receives (inside the secret wrapper)."""
    r = render_config(tmp_path, TWO_HOSTS, SECRETS)
    grafana = next(x for x in registrations(r, CONTAINER) if x.inputs["name"] == "infermon-grafana")
    uploads = rpc.unwrap_rpc_secret(grafana.inputs["uploads"])
    by_file = {u["file"]: rpc.unwrap_rpc_secret(u["content"]) if rpc.is_rpc_secret(u["content"]) else u["content"] for u in uploads}
    assert by_file["/run/secrets/grafana-admin-password"] == SECRETS["grafanaAdminPassword"]


def test_generated_grafana_password_when_none_is_configured(tmp_path):
    cfg = docker_config(grafana={})
    r = render_config(tmp_path, cfg, {k: v for k, v in SECRETS.items() if k != "grafanaAdminPassword"})
    assert [x.inputs["length"] for x in r.run.registrations if x.type == "random:index/randomPassword:RandomPassword"] == [32]


def test_resource_limits_map_to_docker(gpu_host):
    prom = containers(gpu_host)[("gpu-host-1", "infermon-prometheus")]
    assert prom["memory"] == 4096 and prom["cpus"] == "2"
    assert c.memory_mb("512Mi") == 512 and c.cpus("500m") == "0.5"


# --- the Prometheus configuration and Grafana provisioning ----------------------------------


def test_prometheus_scrapes_every_host_with_host_labels(two_hosts):
    config = yaml.safe_load(two_hosts.files["prometheus/prometheus.yml"])
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert {"prometheus", "alertmanager", "cadvisor", "dcgm/a100", "dcgm/l4", "inference/triton", "endpoint/dbx/e1"} == set(jobs)
    assert [(sc["targets"], sc["labels"]["host"]) for sc in jobs["cadvisor"]["static_configs"]] == \
        [(["cadvisor:8080"], "mon"), (["10.0.0.12:8088"], "gpu-2")]
    assert jobs["dcgm/l4"]["static_configs"] == [{"targets": ["10.0.0.12:9400"],
                                                  "labels": {"gpu_pool": "l4", "node": "gpu-2", "host": "gpu-2", "environment": "test"}}]
    assert jobs["endpoint/dbx/e1"]["authorization"] == {"type": "Bearer",
                                                        "credentials_file": "/etc/prometheus/secrets/infermon-scrape-credentials/dbx-token"}
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    assert config["global"]["external_labels"] == {"cluster": "lab", "environment": "test"}


def test_rule_files_are_the_kubernetes_rules(gpu_host):
    from components.alerts.rules import rule_files

    config = yaml.safe_load(gpu_host.files["prometheus/prometheus.yml"])
    names = sorted(rule_files(gpu_host.loaded))
    assert config["rule_files"] == [f"/etc/prometheus/rules/{n}.yaml" for n in names]
    for n in names:
        assert yaml.safe_load(gpu_host.files[f"prometheus/rules/{n}.yaml"]) == rule_files(gpu_host.loaded)[n]


def test_grafana_provisions_the_datasource_and_keeps_folders(gpu_host):
    ds = yaml.safe_load(gpu_host.files["grafana/provisioning/datasources/infermon.yaml"])["datasources"][0]
    assert (ds["type"], ds["url"], ds["isDefault"]) == ("prometheus", "http://prometheus:9090", True)
    provider = yaml.safe_load(gpu_host.files["grafana/provisioning/dashboards/infermon.yaml"])["providers"][0]
    assert provider["options"] == {"path": "/etc/infermon/dashboards", "foldersFromFilesStructure": True}
    grafana = containers(gpu_host)[("gpu-host-1", "infermon-grafana")]
    dashboards = sorted(u["file"] for u in grafana["uploads"] if u["file"].endswith(".json"))
    assert dashboards == ["/etc/infermon/dashboards/GPU/infermon-gpu-fleet.json", "/etc/infermon/dashboards/LLM/infermon-llm-runtime.json",
                          "/etc/infermon/dashboards/Platform/infermon-containers.json",
                          "/etc/infermon/dashboards/Platform/infermon-fleet-overview.json", "/etc/infermon/dashboards/Triton/infermon-triton.json"]


# --- render -----------------------------------------------------------------------------------


def test_gpu_host_render_passes_promtool_and_every_check(gpu_host):
    checks = {ch.name: ch for ch in gpu_host.checks}
    assert gpu_host.ok, [(ch.name, ch.errors) for ch in gpu_host.checks if not ch.ok]
    assert not checks["promtool check config"].skipped, "promtool must be installed for this test (make test installs it)"
    assert "accepted" in checks["promtool check config"].detail
    assert not checks["promtool check rules"].skipped


def test_promtool_rejects_a_broken_prometheus_config(gpu_host):
    from components.render import validate

    config = yaml.safe_load(gpu_host.files["prometheus/prometheus.yml"])
    config["scrape_configs"][0]["scrape_interval"] = "soon"
    rules = {k: v for k, v in gpu_host.files.items() if k.startswith("prometheus/rules/")}
    assert not validate.check_prometheus_config(yaml.safe_dump(config), rules).ok


def test_render_writes_containers_networks_volumes_and_config(gpu_host):
    files = set(gpu_host.files)
    for rel in ("docker/gpu-host-1/containers/infermon-prometheus.yaml", "docker/gpu-host-1/networks/infermon.yaml",
                "docker/gpu-host-1/volumes/infermon-prometheus-data.yaml", "docker/gpu-host-1/images.yaml",
                "prometheus/prometheus.yml", "alertmanager/alertmanager.yml",
                "grafana/provisioning/datasources/infermon.yaml", "grafana/provisioning/dashboards/infermon.yaml"):
        assert rel in files, rel
    assert not any(rel.startswith("kubernetes/") or rel.startswith("helm/") for rel in files)


def test_render_is_deterministic():
    from components.render import render

    a, b = render.build("gpu-host"), render.build("gpu-host")
    assert a.files == b.files


def test_a_config_change_changes_the_files_label(tmp_path):
    """A preview shows a label change when a container's files change, even when its uploads are secret."""
    def label(r):
        prom = containers(r)[("mon", "infermon-prometheus")]
        return {x["label"]: x["value"] for x in prom["labels"]}["io.infermon.files-sha256"]

    a = render_config(tmp_path / "a", TWO_HOSTS, SECRETS)
    b = render_config(tmp_path / "b", docker_config(prometheus={"scrapeInterval": "15s"}), SECRETS)
    assert label(a) != label(b)


# --- dashboards without Kubernetes labels ----------------------------------------------------------


def _queries_and_variables(r):
    for rel, text in r.files.items():
        if rel.startswith("grafana/") and rel.endswith(".json"):
            d = json.loads(text)
            for p in d["panels"]:
                for t in p.get("targets", []):
                    yield d["uid"], t["expr"]
            for v in d.get("templating", {}).get("list", []):
                yield d["uid"], json.dumps(v.get("query", ""))


def test_dashboards_use_no_kubernetes_label_on_docker(gpu_host):
    import re

    k8s = re.compile(r"\b(namespace|pod)\b")
    offending = [(uid, q) for uid, q in _queries_and_variables(gpu_host) if k8s.search(q)]
    assert offending == []
    variables = {d: [v["name"] for v in json.loads(t)["templating"]["list"]] for d, t in
                 ((rel.split("/")[-1][:-5], t) for rel, t in gpu_host.files.items() if rel.endswith(".json") and rel.startswith("grafana/"))}
    assert variables["infermon-containers"] == ["datasource", "cluster", "host", "container"]
    assert "namespace" not in variables["infermon-triton"]


def test_containers_dashboard_groups_by_container_name_on_docker(gpu_host, dev):
    docker = json.loads(gpu_host.files["grafana/Platform/infermon-containers.json"])
    exprs = [t["expr"] for p in docker["panels"] for t in p.get("targets", [])]
    assert exprs and all("by (host, name)" in e for e in exprs)
    k8s = json.loads(dev.files["grafana/Platform/infermon-containers.json"])
    assert all("namespace" in t["expr"] for p in k8s["panels"] for t in p.get("targets", []))


def test_per_pod_gpu_panels_and_alerts_only_on_kubernetes(gpu_host, prod):
    def titles(r):
        return {p["title"] for p in json.loads(r.files["grafana/GPU/infermon-gpu-fleet.json"])["panels"]}

    assert "GPU utilisation by pod" in titles(prod) and "GPU utilisation by pod" not in titles(gpu_host)
    gpu_alerts = {r["alert"] for g in yaml.safe_load(gpu_host.files["prometheus/rules/infermon-gpu.yaml"])["groups"] for r in g["rules"]}
    assert "GPUAllocatedButIdle" not in gpu_alerts and "GPUXidError" in gpu_alerts


# --- config --------------------------------------------------------------------------------


def parse_docker(cfg, secrets=("grafanaAdminPassword", "slackWebhook", "dbxToken")):
    raw = dict(cfg)
    for k in secrets:
        raw[k] = "x" * 12
    return parse(raw, list(secrets), "test")


def errors(cfg) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_docker(cfg)
    return [str(i) for i in exc.value.issues]


def test_two_host_config_is_valid():
    assert parse_docker(TWO_HOSTS).config.docker.hosts[1].address == "10.0.0.12"


@pytest.mark.parametrize("patch, path, words", [
    ({"docker": {"hosts": []}}, "docker.hosts", "at least one"),
    ({"docker": {"hosts": [{"name": "a"}, {"name": "b", "gpuPool": "a100"}]}}, "docker.hosts[1].address", "required"),
    ({"docker": {"hosts": [{"name": "a", "gpuPool": "a10"}]}}, "docker.hosts[0].gpuPool", "did you mean 'a100'"),
    ({"docker": {"hosts": [{"name": "a", "gpuPool": "a100"}], "monitoringHost": "b"}}, "docker.monitoringHost", "not one of"),
    ({"gpuPools": [{"name": "a100"}, {"name": "l4"}, {"name": "h100"}]}, "gpuPools[2].name", "on no Docker host"),
    ({"gpuPools": [{"name": "a100", "nodeSelector": {"gpu": "x"}}, {"name": "l4"}]}, "gpuPools[0].nodeSelector", "Kubernetes setting"),
    ({"gpuPools": [{"name": "a100", "mode": "gpu-operator"}, {"name": "l4"}]}, "gpuPools[0].mode", "Kubernetes-only"),
    ({"gpuPools": [{"name": "a100", "extraCounters": ["DCGM_FI_DEV_GPU_UTL"]}, {"name": "l4"}]}, "gpuPools[0].extraCounters[0]",
     "did you mean 'DCGM_FI_DEV_GPU_UTIL'"),
    ({"inference": [{"name": "t", "kind": "triton", "namespace": "x", "selector": {"a": "b"}}]}, "inference[0].selector", "Kubernetes setting"),
    ({"inference": [{"name": "t", "kind": "triton"}]}, "inference[0].staticTargets", "host.docker.internal:8002"),
    ({"inference": [{"name": "g", "kind": "arks-gateway", "staticTargets": ["g:9090"]}]}, "inference[0].kind", "needs Kubernetes"),
    ({"prometheus": {"storage": {"size": "10Gi"}}}, "prometheus.storage", "Docker volume"),
    ({"prometheus": {"replicas": 2}}, "prometheus.replicas", "one Prometheus"),
    ({"prometheus": {"resources": {"requests": {"cpu": "1"}}}}, "prometheus.resources.requests", "limits"),
    ({"datadog": {"enabled": True, "apiKeySecret": "dbxToken", "appKeySecret": "dbxToken"}}, "datadog.enabled", "not supported yet"),
    ({"alertmanager": {"enabled": False}, "docker": {"hosts": [{"name": "a", "gpuPool": "a100"}, {"name": "b", "address": "10.0.0.2", "gpuPool": "l4"}],
                                                    "publish": {"alertmanager": 9093}}}, "docker.publish.alertmanager", "no Alertmanager"),
    ({"docker": {"hosts": [{"name": "a", "gpuPool": "a100"}, {"name": "b", "address": "10.0.0.2", "gpuPool": "l4"}],
                 "publish": {"grafana": 9090, "prometheus": 9090}}}, "docker.publish.prometheus", "already used"),
])
def test_docker_config_errors_name_path_and_fix(patch, path, words):
    cfg = docker_config(**patch)
    found = [e for e in errors(cfg) if e.startswith(path + ":")]
    assert found and words in found[0], errors(cfg)


def test_docker_section_needs_platform_docker():
    cfg = docker_config(cluster={"name": "c", "platform": "eks"})
    assert any(e.startswith("docker: only for cluster.platform: docker") for e in errors(cfg))


def test_bad_docker_stack_writes_nothing(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT, write_stack

    write_stack(tmp_path, "bad", docker_config(docker={"hosts": [{"name": "a"}, {"name": "b"}]}), SECRETS)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "components", "render", "--stack", "bad", "--project-dir", str(tmp_path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "docker.hosts[1].address" in proc.stderr + proc.stdout
    assert not out.exists()


