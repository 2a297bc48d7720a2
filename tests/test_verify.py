"""Simulators expose what the real servers expose; `infermon verify` passes on dev and prod."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml
from conftest import ROOT, prometheus_with, requires, stack_file_config
from prometheus_client.parser import text_string_to_metric_families

from components.catalog import KINDS
from components.verify.run import free_port, panel_expr, snake, verify
from components.verify.simulators import Target, encode, exposition


@pytest.mark.parametrize("kind", ["triton", "vllm", "sglang", "mlserver", "databricks", "arks-gateway", "dcgm", "containers", "docker-containers"])
def test_exposition_parses_and_covers_the_catalog(kind):
    text = exposition(Target("t", kind, 1))
    assert list(text_string_to_metric_families(text))  # the official client parses it
    # sample names exactly as written (the client's parser would add _total to Triton's counters)
    samples = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    wanted = KINDS[kind].series_names()
    if kind == "vllm":  # the new generation only; the old names come from an old-generation simulator
        from components.verify.simulators import VLLM_OLD_ONLY
        wanted = {n for n in wanted if not any(n.startswith(o) for o in VLLM_OLD_ONLY)}
    if kind == "dcgm":  # a profiling pool's collectors: the exporter's defaults plus DCGM_FI_PROF_*
        from components.gpu import dcgm_fields
        wanted = {f.name for f in dcgm_fields.DEFAULT + dcgm_fields.PROFILING if f.type != "label"}
    assert wanted <= samples, wanted - samples


def test_triton_counters_have_no_total_and_typed_counter():
    text = exposition(Target("t", "triton", 1))
    assert "# TYPE nv_inference_request_success counter" in text
    assert "nv_inference_request_success_total" not in text


def test_vllm_generations():
    new, old = exposition(Target("t", "vllm", 1)), exposition(Target("t", "vllm", 1, generation="old"))
    assert "vllm:kv_cache_usage_perc" in new and "vllm:gpu_cache_usage_perc" not in new
    assert "vllm:gpu_cache_usage_perc" in old and "vllm:kv_cache_usage_perc" not in old


def test_prefixed_mlserver():
    text = exposition(Target("t", "mlserver", 1, prefix="inference:model_run:mlserver:"))
    assert "inference:model_run:mlserver:model_infer_request_duration_count" in text


def test_counters_stay_monotonic_through_a_fault():
    t = Target("t", "triton", 1)

    def value(text):
        line = next(x for x in text.splitlines() if x.startswith("nv_inference_request_failure{") and 'reason="BACKEND"' in x)
        return float(line.rsplit(" ", 1)[1])

    before = value(exposition(t))
    t.state.apply("error_burst")
    time.sleep(0.2)
    after = value(exposition(t))
    assert after >= before


@pytest.fixture
def databricks_sim(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(tmp_path / "k.pem"), "-out", str(tmp_path / "c.pem")], check=True, capture_output=True)
    port = free_port()
    plan = {"targets": [{"name": "d", "kind": "databricks", "port": port, "tls": True, "token": "sekrit"}],
            "duration": 20, "cert": str(tmp_path / "c.pem"), "key": str(tmp_path / "k.pem")}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    proc = subprocess.Popen([sys.executable, "-m", "components.verify.simulators", str(tmp_path / "plan.json")],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield port, proc
    proc.terminate()
    proc.wait(timeout=10)


def test_databricks_simulator_needs_https_and_the_bearer_token(databricks_sim):
    port, proc = databricks_sim
    ctx = ssl._create_unverified_context()
    url = f"https://127.0.0.1:{port}/api/2.0/serving-endpoints/e1/metrics"
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(url, context=ctx, timeout=5)
    assert exc.value.code == 401
    req = urllib.request.Request(url, headers={"Authorization": "Bearer sekrit"})
    body = urllib.request.urlopen(req, context=ctx, timeout=5).read().decode()
    assert "request_count_total" in body and "request_latency_ms_bucket" in body


def test_simulators_stop_by_themselves(tmp_path):
    plan = {"targets": [{"name": "t", "kind": "triton", "port": free_port()}], "duration": 1}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    proc = subprocess.run([sys.executable, "-m", "components.verify.simulators", str(tmp_path / "plan.json")],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0


PROMETHEUS_3_ACCEPT = ("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,"
                      "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
"""What Prometheus 3.14 sends (scrape/scrape.go acceptHeader with the default scrape protocols)."""


def test_simulators_answer_with_their_servers_content_types():
    sglang_type, sglang = encode(Target("s", "sglang", 1), PROMETHEUS_3_ACCEPT)
    assert sglang_type.startswith("application/openmetrics-text; version=1.0.0")
    assert sglang.decode().endswith("# EOF\n") and "sglang:prompt_tokens_total{" in sglang.decode()
    assert encode(Target("s", "sglang", 1), "")[0].startswith("text/plain; version=0.0.4")  # no Accept: plain text
    assert encode(Target("v", "vllm", 1), PROMETHEUS_3_ACCEPT)[0] == "text/plain; version=1.0.0; charset=utf-8"
    assert encode(Target("t", "triton", 1), PROMETHEUS_3_ACCEPT)[0] == "text/plain; charset=utf-8"
    assert encode(Target("d", "databricks", 1), PROMETHEUS_3_ACCEPT)[0] is None


@requires("prometheus")
def test_prometheus_refuses_a_blank_content_type_unless_the_job_names_a_fallback(tmp_path):
    """Prometheus 3 fails a scrape without a Content-Type; infermon's Databricks jobs carry the fallback."""
    from components.scrape_targets import FALLBACK_SCRAPE_PROTOCOL

    d, s = free_port(), free_port()
    targets = [{"name": "d", "kind": "databricks", "port": d}, {"name": "s", "kind": "sglang", "port": s}]
    jobs = [{"job_name": "no-fallback", "static_configs": [{"targets": [f"127.0.0.1:{d}"]}]},
            {"job_name": "fallback", "fallback_scrape_protocol": FALLBACK_SCRAPE_PROTOCOL, "static_configs": [{"targets": [f"127.0.0.1:{d}"]}]},
            {"job_name": "sglang", "static_configs": [{"targets": [f"127.0.0.1:{s}"]}]}]
    with prometheus_with(tmp_path, targets, jobs) as prom:
        health = {t["scrapePool"]: (t["health"], t["lastError"]) for t in prom.get("/api/v1/targets")["data"]["activeTargets"]}
        assert health["no-fallback"][0] == "down" and "Content-Type" in health["no-fallback"][1], health
        assert health["fallback"] == ("up", ""), health
        assert health["sglang"] == ("up", ""), health  # OpenMetrics, as SGLang negotiates it
        assert prom.query('sglang:token_usage{job="sglang"}')


def test_the_kubelet_job_relabelings_are_read_from_the_pinned_chart():
    """The stand-in for the chart's kubelet ServiceMonitor applies that chart version's cAdvisor defaults."""
    from components import pins
    from components.verify import chart_defaults

    assert chart_defaults.CHART == pins.kps()["chart"], "the chart moved: read kubelet.serviceMonitor.cAdvisorMetricRelabelings again"


@requires("prometheus")
def test_the_charts_cadvisor_relabelings_keep_every_series_the_catalog_reads(tmp_path):
    """A real Prometheus scraping the kubelet simulator with the chart's defaults drops what the chart
    drops (so series budgets are the cluster's) and keeps every containers series infermon reads."""
    from components.verify.chart_defaults import CADVISOR_METRIC_RELABELINGS

    port = free_port()
    targets = [{"name": "k", "kind": "containers", "port": port, "labels": {"namespace": "llm", "pod": "chat-0", "container": "vllm"}}]
    jobs = [{"job_name": "kubelet", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
             "metric_relabel_configs": [snake(r) for r in CADVISOR_METRIC_RELABELINGS]}]
    with prometheus_with(tmp_path, targets, jobs) as prom:
        stored = {r["metric"]["__name__"] for r in prom.query('{job="kubelet"}')}
        hierarchy = prom.query('container_memory_failures_total{job="kubelet", scope="hierarchy"}')
    exposed = {line.split("{")[0].split(" ")[0] for line in exposition(Target("k", "containers", port)).splitlines()
               if line and not line.startswith("#")}
    assert KINDS["containers"].series_names() & exposed <= stored
    assert not {n for n in stored if n.startswith("container_spec_")}
    assert {"container_tasks_state", "container_cpu_user_seconds_total", "container_memory_swap"}.isdisjoint(stored)
    assert "container_memory_failures_total" in stored and not hierarchy


def test_operator_relabelings_become_prometheus_relabel_configs():
    assert snake({"action": "replace", "sourceLabels": ["a"], "targetLabel": "b", "replacement": "$1"}) == \
        {"action": "replace", "source_labels": ["a"], "target_label": "b", "replacement": "$1"}
    assert panel_expr('rate(x{service=~"$service"}[$__rate_interval])') == 'rate(x{service=~".*"}[1m])'


@requires("prometheus")
@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_verify_passes(stack):
    report = verify(stack, progress=lambda m: None)
    assert report.ok, "\n".join(f"{c.name}: {c.detail} {c.failures}" for c in report.checks if not c.ok)
    names = [c.name for c in report.checks]
    datadog = ["Datadog check forms", "Datadog monitors fed"] if stack != "gpu-host" else []
    lost = ["alerts fire on lost target"] if stack != "gpu-host" else []  # a docker host has no discovered targets
    # prod runs 2 shards x 2 replicas behind Thanos Query: the global view is proved against one unsharded Prometheus
    sharded = ["targets split across shards"] if stack == "prod" else []
    compared = ["global view equals one Prometheus", "no series doubled"] if stack == "prod" else []
    assert names == datadog + ["jobs up", *sharded, "dashboard panels answer", *compared, "recording rules", "quiet at baseline",
                               "alerts fire on faults", "alerts fire on application XID", "alerts fire on outage"] + lost
    if sharded:
        split = next(c for c in report.checks if c.name == "targets split across shards")
        assert all(int(n) > 0 for n in split.detail.split(" targets")[0].split(" + ")), split.detail
        assert "×4 behind thanos query" in report.prometheus
    if datadog:
        fed = next(c for c in report.checks if c.name == "Datadog monitors fed")
        n, m = fed.detail.split(" ", 1)[0].split("/")
        assert n == m and int(n) > 0, fed.detail


def test_docker_simulators_carry_docker_labels_only():
    """cAdvisor on a Docker host labels by container name; DCGM there has no pod mapping."""
    cadvisor = exposition(Target("c", "docker-containers", 1, labels={"name": "triton"}))
    assert 'name="triton"' in cadvisor and "namespace=" not in cadvisor and "pod=" not in cadvisor
    dcgm = exposition(Target("d", "dcgm", 1, without=["pod", "namespace", "container"]))
    assert "DCGM_FI_DEV_GPU_UTIL{" in dcgm and "pod=" not in dcgm and "namespace=" not in dcgm


@requires("prometheus")
def test_verify_of_a_docker_stack_scrapes_the_rendered_prometheus_yml(tmp_path):
    from components.render import render
    from components.verify.run import build_plan

    rendered = render.build("gpu-host")
    plan = build_plan(rendered, tmp_path, "t", 9999)
    rendered_jobs = {j["job_name"] for j in yaml.safe_load(rendered.files["prometheus/prometheus.yml"])["scrape_configs"]}
    assert {j["job_name"] for j in plan.jobs} == rendered_jobs  # Alertmanager's job scrapes the Prometheus under test
    keep = {j["job_name"]: j.get("metric_relabel_configs") for j in plan.jobs}
    assert keep["cadvisor"] and keep["dcgm/l40s"]  # the series budget's keep rules are what verify runs


def test_scrape_loss_fault_fails_one_scrape_in_ten(tmp_path):
    port = free_port()
    (tmp_path / "plan.json").write_text(json.dumps({"targets": [{"name": "t", "kind": "triton", "port": port}], "duration": 20}))
    proc = subprocess.Popen([sys.executable, "-m", "components.verify.simulators", str(tmp_path / "plan.json")], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        url = f"http://127.0.0.1:{port}"
        urllib.request.urlopen(urllib.request.Request(f"{url}/-/fault?name=scrape_loss", method="POST"), timeout=5).read()
        codes = []
        for _ in range(30):
            try:
                codes.append(urllib.request.urlopen(f"{url}/metrics", timeout=5).status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
        assert codes.count(503) == 3 and codes.count(200) == 27
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@requires("prometheus")
def test_verify_passes_on_a_stack_with_tight_thresholds(tmp_path):
    """A team's strict but legitimate objectives (95 % under 2 s, TTFT p95 under 0.3 s, 99.9 %
    availability) hold on a healthy simulated fleet, and every alert still fires on its fault."""
    doc = stack_file_config("dev")
    cfg = {k.split(":", 1)[1]: v for k, v in doc.items() if not (isinstance(v, dict) and "secure" in v)}
    secrets = {k.split(":", 1)[1]: "x" for k, v in doc.items() if isinstance(v, dict) and "secure" in v}
    chat = next(s for s in cfg["inference"] if s["name"] == "chat")
    chat["slo"] = {"availability": 0.999, "latency": {"threshold": 2, "objective": 0.95}}
    chat["alerts"] = {"LLMHighTimeToFirstToken": 0.3}
    from conftest import write_stack

    write_stack(tmp_path, "dev", cfg, secrets)
    report = verify("dev", tmp_path, progress=lambda m: None)
    assert report.ok, "\n".join(f"{c.name}: {c.detail} {c.failures}" for c in report.checks if not c.ok)
