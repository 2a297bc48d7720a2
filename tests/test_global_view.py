"""Past one Prometheus: shards and replicas behind Thanos, rules placed by what they read."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, helm_values, obj, objects, render_config, requires, stack_file_config, tool, write_stack

from components import naming, pins, thanos_query
from components.alerts import placement
from components.alerts.prometheus_rules import placed_rule_files
from components.alerts.rules import rule_files
from components.render import operator_crds
from components.verify import global_view as gv
from policies.rules import replicas_deduplicated
from policies.rules._common import HELM_RELEASE, Resource


@pytest.mark.parametrize("expr", [
    "DCGM_FI_DEV_GPU_TEMP > 83",
    "up{service=\"a\"} == 0",
    "max by (service, instance, gpu_uuid) (nv_gpu_utilization) > 0.95",
    "histogram_quantile(0.95, sum by (le, instance) (rate(h_bucket[5m])))",
    "rate(a[5m]) / on (instance) rate(b[5m])",
    "sum without (gpu) (x) / y",
    "avg_over_time(up[15m]) < 0.9 and avg_over_time(up[15m]) > 0",
    "time() - x > 60",
])
def test_a_rule_on_each_targets_own_series_stays_on_the_shards(expr):
    assert placement.reasons(expr) == []


@pytest.mark.parametrize("expr,why", [
    ("sum by (service) (rate(x[5m])) > 1", "sum by (service) merges targets"),
    ("count(up) < 3", "count merges targets"),
    ("max without (instance) (x) > 1", "max without (instance) merges targets"),
    ("absent(up{service=\"a\"})", "absent() needs every target"),
    ("a / ignoring (instance) b", "ignoring (instance) joins targets"),
    ("a and on (service) b", "on (service) joins targets"),
    ("x > scalar(y)", "scalar() needs every target"),
])
def test_a_rule_that_merges_targets_needs_the_global_view(expr, why):
    assert why in placement.reasons(expr)


def test_a_rule_reading_a_global_record_is_global_too_and_files_keep_their_groups():
    files = {"infermon-x": {"groups": [
        {"name": "x.recording", "rules": [{"record": "service:x:rate5m", "expr": "sum by (service) (rate(x[5m]))"},
                                          {"record": "instance:x:rate5m", "expr": "rate(x[5m])"}]},
        {"name": "x.alerts", "rules": [{"alert": "XHigh", "expr": "service:x:rate5m > 1"},
                                       {"alert": "XInstanceHigh", "expr": "instance:x:rate5m > 1"}]}]}}
    local, glob = placement.split(files)
    assert local == {"infermon-x": {"groups": [
        {"name": "x.recording", "rules": [{"record": "instance:x:rate5m", "expr": "rate(x[5m])"}]},
        {"name": "x.alerts", "rules": [{"alert": "XInstanceHigh", "expr": "instance:x:rate5m > 1"}]}]}}
    assert [g["name"] for g in glob["infermon-x-global"]["groups"]] == ["x.recording.global", "x.alerts.global"]
    assert placement.global_rules(files["infermon-x"]["groups"][1]["rules"] + files["infermon-x"]["groups"][0]["rules"])[
        "alert:XHigh:service:x:rate5m > 1"] == ["reads service:x:rate5m, recorded on the global view"]


def test_sharded_prod_runs_every_rule_once_on_the_side_that_can_evaluate_it(prod):
    placed = placed_rule_files(prod.loaded)
    rules = [r for spec, _ in placed.values() for g in spec["groups"] for r in g["rules"]]
    unsplit = [r for spec in rule_files(prod.loaded).values() for g in spec["groups"] for r in g["rules"]]
    assert sorted(map(str, rules)) == sorted(map(str, unsplit))  # nothing lost, nothing twice
    for name, (spec, on_global) in placed.items():
        o = obj(prod, "PrometheusRule", name)
        assert (o["metadata"]["labels"].get(placement.PLACEMENT_LABEL) == "global") == on_global == name.endswith("-global")
        for g in spec["groups"]:
            for r in g["rules"]:
                assert bool(placement.global_rules(rules).get(placement._key(r))) == on_global, r
    assert any(not g for _, g in placed.values()) and any(g for _, g in placed.values())


def test_sharded_prod_deploys_sidecars_ruler_and_query_and_grafana_reads_query(prod):
    v = helm_values(prod)
    spec = v["prometheus"]["prometheusSpec"]
    image = pins.kps()["images"]["thanos"]
    assert spec["shards"] == 2 and spec["replicas"] == 2 and spec["thanos"] == {"image": image}
    assert spec["ruleSelector"] == {"matchExpressions": [{"key": placement.PLACEMENT_LABEL, "operator": "NotIn", "values": ["global"]}]}
    assert v["prometheus"]["thanosService"] == {"enabled": True}
    assert v["defaultRules"]["labels"] == {placement.PLACEMENT_LABEL: "global"}
    ruler = v["thanosRuler"]["thanosRulerSpec"]
    assert v["thanosRuler"]["enabled"] and ruler["ruleSelector"] == {"matchLabels": {placement.PLACEMENT_LABEL: "global"}}
    assert ruler["queryEndpoints"] == ["http://infermon-thanos-query.monitoring.svc:9090"]
    assert ruler["labels"] == spec["externalLabels"] and ruler["replicas"] == 2
    assert ruler["alertmanagersUrl"] == ["http://infermon-alertmanager.monitoring.svc:9093"]
    assert f"{ruler['image']['registry']}/{ruler['image']['repository']}:{ruler['image']['tag']}" == image
    assert v["grafana"]["sidecar"]["datasources"]["url"] == "http://infermon-thanos-query.monitoring.svc:9090"

    query = obj(prod, "Deployment", naming.THANOS_QUERY_SERVICE)
    container = query["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image
    assert "--query.replica-label=prometheus_replica" in container["args"] and "--query.replica-label=thanos_ruler_replica" in container["args"]
    # the Services the chart and the operator create: <fullname>-thanos-discovery, thanos-ruler-operated
    assert "--endpoint=dnssrv+_grpc._tcp.infermon-thanos-discovery.monitoring.svc.cluster.local" in container["args"]
    assert "--endpoint=dnssrv+_grpc._tcp.thanos-ruler-operated.monitoring.svc.cluster.local" in container["args"]
    service = obj(prod, "Service", naming.THANOS_QUERY_SERVICE)
    assert service["spec"]["selector"] == query["spec"]["selector"]["matchLabels"] == query["spec"]["template"]["metadata"]["labels"]
    assert {"name": "http", "port": 9090, "targetPort": "http"} in service["spec"]["ports"]
    assert {p["name"] for p in container["ports"]} == {"grpc", "http"}
    assert prod.run.outputs["queryService"] == "infermon-thanos-query.monitoring.svc:9090"


def test_one_prometheus_gets_no_thanos(dev):
    v = helm_values(dev)
    assert "thanos" not in v["prometheus"]["prometheusSpec"] and "thanosRuler" not in v
    assert "datasources" not in v["grafana"]["sidecar"] and not objects(dev, "Deployment")
    assert all(placement.PLACEMENT_LABEL not in o["metadata"]["labels"] for o in objects(dev, "PrometheusRule"))


def prod_like(change) -> tuple[dict, dict]:
    """prod's complete configuration (secrets as set values), changed by ``change``."""
    flat = stack_file_config("prod")
    cfg = {k.split(":", 1)[1]: v for k, v in flat.items() if not (isinstance(v, dict) and "secure" in v)}
    secrets = {k.split(":", 1)[1]: "x" for k, v in flat.items() if isinstance(v, dict) and "secure" in v}
    change(cfg["prometheus"])
    return cfg, secrets


def test_replicas_alone_behind_thanos_query_keep_every_rule_on_prometheus(tmp_path):
    r = render_config(tmp_path, *prod_like(lambda p: p.update(shards=1)))
    v = helm_values(r)
    assert v["prometheus"]["prometheusSpec"]["thanos"] and "thanosRuler" not in v and "ruleSelector" not in v["prometheus"]["prometheusSpec"]
    assert "--endpoint=dnssrv+_grpc._tcp.thanos-ruler-operated.monitoring.svc.cluster.local" not in \
        obj(r, "Deployment", naming.THANOS_QUERY_SERVICE)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not any(name.endswith("-global") for name in placed_rule_files(r.loaded))


def test_a_sharded_stack_without_a_global_view_exits_2_with_the_ways_out(tmp_path):
    cfg, secrets = prod_like(lambda p: (p.update(shards=3), p.pop("globalView")))
    write_stack(tmp_path, "big", cfg, secrets)
    out = subprocess.run([sys.executable, "-m", "components", "render", "--stack", "big", "--project-dir", str(tmp_path),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "prometheus.shards: 3 needs a global view" in text and "globalView: thanos" in text and "keep shards: 1" in text
    assert "Pulumi.big.yaml" in text and not (tmp_path / "out").exists()


def test_replicas_without_a_deduplicating_view_is_a_policy_warning():
    def release(spec):
        return Resource(HELM_RELEASE, "kps", {"chart": "kube-prometheus-stack", "values": {"prometheus": {"prometheusSpec": spec}}})

    [msg] = replicas_deduplicated.validate(release({"replicas": 2}), {})
    assert "replicas is 2 with no deduplicating view" in msg and "globalView: thanos" in msg
    assert replicas_deduplicated.validate(release({"replicas": 2, "thanos": {"image": "x"}}), {}) == []
    assert replicas_deduplicated.validate(release({"replicas": 1}), {}) == []


@requires("promtool")
def test_the_operators_shard_relabelling_is_a_valid_prometheus_config_for_every_shard(tmp_path):
    for shard in range(3):
        cfg = {"scrape_configs": [{"job_name": "j", "static_configs": [{"targets": ["10.0.0.1:8002"]}],
                                   "relabel_configs": gv.shard_relabelings(shard, 3)}]}
        (tmp_path / "p.yml").write_text(yaml.safe_dump(cfg))
        out = subprocess.run([tool("promtool"), "check", "config", str(tmp_path / "p.yml")], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
    assert gv.pod_name(0, 1) == "prometheus-infermon-prometheus-1" and gv.pod_name(2, 0) == "prometheus-infermon-prometheus-shard-2-0"


def test_query_arguments_name_every_store_and_replica_label():
    args = thanos_query.args("obs", with_ruler=True)
    assert args[0] == "query" and [a for a in args if a.startswith("--endpoint=")] == [
        "--endpoint=dnssrv+_grpc._tcp.infermon-thanos-discovery.obs.svc.cluster.local",
        "--endpoint=dnssrv+_grpc._tcp.thanos-ruler-operated.obs.svc.cluster.local"]


needs_crds = pytest.mark.skipif(not (operator_crds.crd_dir() / "monitoring.coreos.com_thanosrulers.yaml").is_file(),
                                reason="operator CRDs not fetched (`make setup-tools`)")


@needs_crds
def test_the_thanos_ruler_and_prometheus_the_chart_writes_pass_the_operators_crds(prod):
    check = next(c for c in prod.checks if c.name == "operator CRDs")
    assert check.ok and not check.skipped, check.errors
    assert "1 Prometheus" in check.detail and "1 ThanosRuler" in check.detail and "15 PrometheusRule" in check.detail


@needs_crds
def test_the_crd_check_refuses_a_wrong_type_and_an_undeclared_field(prod):
    values = copy.deepcopy(helm_values(prod))
    values["thanosRuler"]["thanosRulerSpec"]["replicas"] = "two"
    values["prometheus"]["prometheusSpec"]["thanos"]["imag"] = "quay.io/thanos/thanos:v0.42.4"
    check = operator_crds.check([], values, "monitoring")
    assert not check.ok
    assert "ThanosRuler/infermon-thanos-ruler: spec.replicas: 'two' is not of type 'integer'" in check.errors
    assert any(e.startswith("Prometheus/infermon-prometheus: spec.thanos: ") and "'imag' was unexpected" in e for e in check.errors)


def _answer(*series):
    return [{"metric": m, "value": [0, str(v)]} for m, v in series]


def test_the_comparison_catches_what_sharding_gets_wrong_and_passes_jitter():
    ignored = gv.ignored_labels(gv.Topology(2, 2, {"cluster": "c"}, {"cluster": "c"}))
    one = _answer(({"service": "a"}, 10.0), ({"service": "b"}, 4.0))
    assert gv.differences("p", _answer(({"service": "a", "cluster": "c", "prometheus": "m/x"}, 10.4), ({"service": "b"}, 3.8)), one, ignored) == []
    # one shard's share of a sum
    [half] = gv.differences("p", _answer(({"service": "a"}, 5.0), ({"service": "b"}, 4.0)), one, ignored)
    assert "1 values differ by more than 10%" in half and "5 through the global view, 10 unsharded" in half
    # a replica not deduplicated: the same series twice
    assert gv.differences("p", _answer(({"service": "a"}, 10.0), ({"service": "a"}, 10.0), ({"service": "b"}, 4.0)), one, ignored) == \
        ["p: 1 series answered twice"]
    # a shard's targets missing
    assert "1 series missing through the global view" in gv.differences("p", _answer(({"service": "a"}, 10.0)), one, ignored)[0]


def test_the_shard_split_check_names_a_target_on_two_shards():
    topo = gv.Topology(2, 2, {}, {}, servers={(0, 0): 1, (0, 1): 2, (1, 0): 3, (1, 1): 4})
    targets = {1: {"a", "b"}, 2: {"a", "b"}, 3: {"c"}, 4: {"c"}}
    assert gv.split_problems(topo, targets.get) == ([], [2, 1])
    targets[3] = targets[4] = {"b", "c"}
    assert gv.split_problems(topo, targets.get)[0] == ["shards 0 and 1 both scrape b (and 0 more)"]
    targets[2] = {"a"}
    assert "the replicas of shard 0 scrape different targets" in gv.split_problems(topo, targets.get)[0]
