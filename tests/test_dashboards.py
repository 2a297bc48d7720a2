"""Dashboards: real PromQL on catalogued metrics, stable uids, variables, delivery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, objects, render_config, rendered_stack, stack_file_config

import dashboards
from components.catalog import KINDS
from components.catalog.base import PROMETHEUS_SERIES
from components.catalog.promql import metric_names

GOLDEN = Path(__file__).parent / "golden" / "dashboards"
PREFIX = "inference:model_run:mlserver:"
"""The metric prefix of prod's managed MLServer service."""

COVERS = {m.UID: m.KINDS for m in dashboards.PER_KIND}
COVERS |= {dashboards.gpu_fleet.UID: ("dcgm",), dashboards.containers.UID: ("containers",),
           dashboards.fleet_overview.UID: tuple(k for m in dashboards.PER_KIND for k in m.KINDS)}


def grafana(r) -> dict[str, dict]:
    return {json.loads(t)["uid"]: json.loads(t) for rel, t in r.files.items() if rel.startswith("grafana/")}


def panels(d: dict) -> list[dict]:
    return [p for p in d["panels"] if p["type"] != "row"]


def test_prod_writes_all_eight_dashboards_in_their_folders(prod):
    paths = sorted(rel for rel in prod.files if rel.startswith("grafana/"))
    assert paths == [
        "grafana/Diffusion/infermon-mlserver.json",
        "grafana/GPU/infermon-gpu-fleet.json",
        "grafana/LLM/infermon-llm-gateway.json",
        "grafana/LLM/infermon-llm-runtime.json",
        "grafana/Managed endpoints/infermon-managed-endpoints.json",
        "grafana/Platform/infermon-containers.json",
        "grafana/Platform/infermon-fleet-overview.json",
        "grafana/Triton/infermon-triton.json",
    ]


def test_dev_gets_only_the_dashboards_it_needs(dev):
    assert sorted(grafana(dev)) == ["infermon-containers", "infermon-fleet-overview", "infermon-gpu-fleet",
                                    "infermon-llm-runtime", "infermon-triton"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_query_parses_and_uses_only_metrics_of_the_kinds_it_covers(stack):
    for uid, d in grafana(rendered_stack(stack)).items():
        allowed = set().union(*(KINDS[k].series_names() for k in COVERS[uid])) | set(PROMETHEUS_SERIES)
        for p in panels(d):
            assert p["targets"], (uid, p["title"])
            for t in p["targets"]:
                names = {n.removeprefix(PREFIX) for n in metric_names(t["expr"])}
                assert names and names <= allowed, (uid, p["title"], names - allowed)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_panel_is_described_with_a_unit_and_unique_id(stack):
    for uid, d in grafana(rendered_stack(stack)).items():
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), uid
        for p in panels(d):
            assert p.get("description"), (uid, p["title"])
            assert p["fieldConfig"]["defaults"].get("unit"), (uid, p["title"])
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_uids_are_stable_and_variables_present(prod):
    by_uid = grafana(prod)
    expected_vars = {
        "infermon-llm-runtime": ["datasource", "cluster", "namespace", "service", "model"],
        "infermon-llm-gateway": ["datasource", "cluster", "namespace", "service", "model"],
        "infermon-triton": ["datasource", "cluster", "namespace", "service", "model"],
        "infermon-mlserver": ["datasource", "cluster", "namespace", "service", "model"],
        "infermon-managed-endpoints": ["datasource", "cluster", "service", "endpoint"],
        "infermon-gpu-fleet": ["datasource", "cluster", "pool", "node"],
        "infermon-containers": ["datasource", "cluster", "namespace", "pod"],
        "infermon-fleet-overview": ["datasource", "cluster"],
    }
    assert sorted(by_uid) == sorted(expected_vars)
    for uid, names in expected_vars.items():
        assert [v["name"] for v in by_uid[uid]["templating"]["list"]] == names, uid
        assert "infermon" in by_uid[uid]["tags"]


def test_triton_legends_name_model_and_version(prod):
    d = grafana(prod)["infermon-triton"]
    legends = {t["legendFormat"] for p in panels(d) for t in p["targets"]}
    assert "{{service}} {{model}}-{{version}}" in legends


def test_llm_runtime_queries_both_vllm_generations(prod):
    d = grafana(prod)["infermon-llm-runtime"]
    (kv,) = [p for p in panels(d) if p["title"] == "KV-cache utilisation"]
    names = metric_names(kv["targets"][0]["expr"])
    assert {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage", "kv_cache_usage_perc"} <= names


def test_metric_prefix_flows_into_every_query_of_that_service(tmp_path):
    cfg = {**MINIMAL, "inference": [{"name": "sd", "kind": "mlserver", "staticTargets": ["sd.serving:8082"],
                                     "metricPrefix": "inference:model_run:mlserver:"}]}
    d = grafana(render_config(tmp_path, cfg))["infermon-mlserver"]
    for p in panels(d):
        for t in p["targets"]:
            # Prometheus' own series (up, ALERTS) carry no server prefix
            assert all(n.startswith("inference:model_run:mlserver:") for n in metric_names(t["expr"]) - set(PROMETHEUS_SERIES)), t["expr"]
    overview = grafana(render_config(tmp_path / "b", cfg))["infermon-fleet-overview"]
    assert all("inference:model_run:mlserver:" in t["expr"] for p in panels(overview) for t in p["targets"]
               if metric_names(t["expr"]) - set(PROMETHEUS_SERIES))


def test_overview_has_a_row_per_service_linking_to_its_dashboard(prod):
    d = grafana(prod)["infermon-fleet-overview"]
    rows = [p["title"] for p in d["panels"] if p["type"] == "row"]
    assert rows == sorted(rows) and len(rows) == 8  # by service name, whatever the config order
    triton = next(p for p in panels(d) if "triton-vision" in p["targets"][0]["expr"])
    assert triton["links"][0]["url"] == "/d/infermon-triton?var-service=triton-vision"


def _steps(panel) -> list[tuple]:
    return [(st["value"], st["color"]) for st in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_overview_shows_a_dead_service_in_red_and_latency_against_its_alert(prod):
    """A service whose targets are all down reads 0 on a red Up stat (not "No data"); the latency
    and saturation stats turn red where the service's alerts fire."""
    d = grafana(prod)["infermon-fleet-overview"]
    row = [p for p in panels(d) if 'service="chat-vllm"' in p["targets"][0]["expr"]]
    by_title = {p["title"]: p for p in row}
    up = by_title["Up"]
    assert up["targets"][0]["expr"] == 'sum(up{cluster=~"$cluster", service="chat-vllm"}) or vector(0)'
    assert _steps(up) == [(None, "green"), (0, "red"), (1, "green")]
    assert _steps(by_title["Latency"])[-1] == (30, "red")  # LLMHighE2ELatency: p95 > 30 s
    assert _steps(by_title["Saturation"])[-1] == (0.95, "red")  # LLMKVCacheNearFull
    assert by_title["Firing"]["targets"][0]["expr"] == 'count(ALERTS{cluster=~"$cluster", service="chat-vllm", alertstate="firing"}) or vector(0)'


def test_sidecar_configmaps_carry_label_and_folder(prod):
    cms = [o for o in objects(prod, "ConfigMap") if o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    assert len(cms) == 8
    gpu = next(o for o in cms if o["metadata"]["name"] == "dashboard-infermon-gpu-fleet")
    assert gpu["metadata"]["annotations"] == {"grafana_folder": "GPU"}
    assert json.loads(gpu["data"]["infermon-gpu-fleet.json"])["uid"] == "infermon-gpu-fleet"


def test_api_delivery_uses_folders_and_dashboards_with_the_same_json(tmp_path, dev):
    stack = stack_file_config("dev")
    cfg = {k.split(":", 1)[1]: v for k, v in stack.items()}
    cfg["grafana"] = {"delivery": "api", "url": "https://grafana.example.com", "authSecret": "grafanaToken"}
    r = render_config(tmp_path, cfg, secrets={"grafanaToken": "glsa_CANARY"}, stack="dev")
    entries = json.loads(r.files["manifest.json"])
    types = [e["type"] for e in entries]
    assert types.count("grafana:oss/folder:Folder") == 4 and types.count("grafana:oss/dashboard:Dashboard") == 5
    dash = [e for e in entries if e["type"] == "grafana:oss/dashboard:Dashboard"]
    assert all(e["inputs"]["overwrite"] is True and e["inputs"]["message"] == "infermon: stack dev" for e in dash)
    provider = next(e for e in entries if e["type"] == "pulumi:providers:grafana")
    assert provider["inputs"]["auth"] == "[secret]"
    assert not any("glsa_CANARY" in t for t in r.files.values())
    assert not [o for o in objects(r, "ConfigMap") if o["metadata"].get("labels", {}).get("grafana_dashboard")]
    # the same dashboards as with the sidecar
    assert {k: v for k, v in r.files.items() if k.startswith("grafana/")} == {k: v for k, v in dev.files.items() if k.startswith("grafana/")}


@pytest.mark.parametrize("uid", sorted(COVERS))
def test_golden(uid, prod):
    """Snapshot of each prod dashboard; regenerate with UPDATE_GOLDEN=1 after an intended change."""
    text = next(t for rel, t in prod.files.items() if rel.endswith(f"/{uid}.json"))
    path = GOLDEN / f"{uid}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"no golden file for {uid}: run UPDATE_GOLDEN=1 pytest tests/test_dashboards.py"
    assert text == path.read_text(), f"{uid} changed; review the diff and run UPDATE_GOLDEN=1 if intended"


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_every_query_of_a_panel_has_its_own_legend(stack):
    """Two queries of one panel with one legend (p50 and p99 of a service) cannot be told apart."""
    from conftest import rendered_stack

    shared = []
    for rel, text in rendered_stack(stack).files.items():
        if rel.startswith("grafana/") and rel.endswith(".json"):
            for p in json.loads(text).get("panels", []):
                legends = [t.get("legendFormat", "") for t in p.get("targets", [])]
                if len(legends) != len(set(legends)):
                    shared.append(f"{rel}: {p['title']}: {legends}")
    assert not shared, shared


def test_a_multi_query_panel_describes_every_query(prod):
    panels = [p for rel, t in prod.files.items() if rel.startswith("grafana/") and rel.endswith(".json")
              for p in json.loads(t).get("panels", []) if len(p.get("targets", [])) > 1]
    assert panels
    for p in panels:
        assert p["description"].count(": ") >= len(p["targets"]), (p["title"], p["description"])



@pytest.mark.parametrize("uid", ["infermon-llm-runtime", "infermon-triton", "infermon-mlserver", "infermon-llm-gateway",
                                 "infermon-managed-endpoints"])
def test_the_first_row_answers_up_firing_rate_errors_latency(prod, uid):
    d = grafana(prod)[uid]
    first_row = []
    for p in d["panels"][1:]:
        if p.get("type") == "row":
            break
        first_row.append(p)
    assert d["panels"][0]["title"] == "Health"
    assert [p["title"] for p in first_row][:2] == ["Targets down", "Alerts firing"]
    assert all(p["type"] == "stat" for p in first_row) and len(first_row) == 5
    exprs = " ".join(t["expr"] for p in first_row for t in p["targets"])
    assert "up{" in exprs and "ALERTS{" in exprs


def test_panels_turn_red_where_the_stack_alerts(prod):
    """Thresholds come from the alerts: prod's GPUTemperatureHigh override (83) colours the
    temperature panel; a success ratio is red below its alert's 95 %."""
    def steps(uid, title):
        (p,) = [p for p in grafana(prod)[uid]["panels"] if p.get("title") == title]
        return [(s["value"], s["color"]) for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    assert steps("infermon-gpu-fleet", "GPU temperature") == [(None, "green"), (83, "red")]
    assert steps("infermon-mlserver", "Success ratio") == [(None, "red"), (0.95, "green")]
