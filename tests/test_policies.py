"""Every policy rule has a violating and a passing input; the shipped stacks render clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import rendered_stack

from components.render.policy import check as policy_check
from policies.rules import RULES, Resource, evaluate, evaluate_rule

KPS_OK = {
    "chart": "kube-prometheus-stack", "version": "88.5.3", "name": "kube-prometheus-stack",
    "values": {
        "prometheus": {"prometheusSpec": {
            "serviceMonitorSelectorNilUsesHelmValues": False, "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False, "retention": "30d",
            "storageSpec": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "50Gi"}}}}},
            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}},
            "remoteWrite": [{"name": "m", "url": "https://mimir/push"}],
        }},
        "grafana": {"enabled": True, "admin": {"existingSecret": "g"}, "grafana.ini": {"auth.anonymous": {"enabled": False}}},
        "alertmanager": {"enabled": True, "config": {"receivers": [{"name": "pd", "pagerduty_configs": [{"routing_key_file": "/x"}]}]}},
    },
}


def kps(**patch) -> Resource:
    props = json.loads(json.dumps(KPS_OK))
    for path, value in patch.items():
        node = props
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return Resource("kubernetes:helm.sh/v3:Release", "kps", props)


def ds(node_selector, tolerations, image="nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless") -> Resource:
    return Resource("kubernetes:apps/v1:DaemonSet", "dcgm", {
        "metadata": {"name": "dcgm-exporter-p", "labels": {"app.kubernetes.io/name": "dcgm-exporter"}},
        "spec": {"template": {"spec": {"nodeSelector": node_selector, "tolerations": tolerations,
                                       "containers": [{"name": "exporter", "image": image}]}}}})


def monitor(message="x @slack-x", tags=("env:prod", "team:llm")) -> Resource:
    return Resource("datadog:index/monitor:Monitor", "m", {"message": message, "tags": list(tags)})


def sm(labels=None) -> Resource:
    return Resource("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "sm", {"metadata": {"name": "sm", "labels": labels or {}}})


def dash_cm(annotations, uid="u1") -> Resource:
    return Resource("kubernetes:core/v1:ConfigMap", "d", {"metadata": {"name": "d", "labels": {"grafana_dashboard": "1"}, "annotations": annotations},
                                                          "data": {"u1.json": json.dumps({"uid": uid} if uid else {})}})


def container(envs=(), ports=(), privileged=None) -> Resource:
    props = {"name": "infermon-grafana", "envs": list(envs), "ports": list(ports)}
    if privileged is not None:
        props["privileged"] = privileged
    return Resource("docker:index/container:Container", "c", props)


def image(name: str) -> Resource:
    return Resource("docker:index/remoteImage:RemoteImage", "i", {"name": name})


GRAFANA_ENVS = ("GF_SECURITY_ADMIN_USER=admin", "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/p", "GF_AUTH_ANONYMOUS_ENABLED=false")

PROD = {"production": True}

CASES = {
    "gpu-exporter-scheduling": ([ds({"gpu": "h100"}, [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])],
                                [ds({}, []), ds({"gpu": "x"}, [{"operator": "Exists"}])]),
    "pinned-versions": ([ds({"g": "x"}, []), kps(), image("quay.io/prometheus/prometheus:v3.14.0")],
                        [ds({"g": "x"}, [], image="nvcr.io/nvidia/k8s/dcgm-exporter:latest"), ds({"g": "x"}, [], image="dcgm-exporter"), kps(version="88.x"),
                         image("grafana/grafana:latest"), image("grafana/grafana")]),
    "monitors-selected": ([kps(), sm()],
                          [[kps(values__prometheus__prometheusSpec__serviceMonitorSelectorNilUsesHelmValues=True), sm()],
                           [kps(values__prometheus__prometheusSpec__serviceMonitorSelector={"matchLabels": {"team": "x"}}), sm()]]),
    "no-literal-credentials": ([Resource("kubernetes:core/v1:ConfigMap", "c", {"data": {"path": "/etc/secrets/token", "tokenSecret": "dbxToken"}}),
                                Resource("kubernetes:core/v1:Secret", "s", {"stringData": {"token": "dapi0123456789abcdef0123456789abcdef"}}),
                                container(GRAFANA_ENVS)],
                               [Resource("kubernetes:core/v1:ConfigMap", "c", {"data": {"password": "hunter2hunter2"}}),
                                Resource("kubernetes:core/v1:ConfigMap", "c", {"data": {"cfg": "url: https://hooks.slack.com/services/T0/B0/xyz"}}),
                                kps(values__alertmanager__config__global={"slack_api_url": "https://hooks.slack.com/services/T0/B0/secret"}),
                                container(["GF_SECURITY_ADMIN_PASSWORD=hunter2hunter2"]), container(["DD_API_KEY=abc"])]),
    "grafana-secure": ([kps(), container(GRAFANA_ENVS)],
                       [kps(values__grafana__admin={}), kps(values__grafana__adminPassword="prom-operator"),
                        kps(values__grafana__enabled=True),
                        container(["GF_SECURITY_ADMIN_USER=admin"]), container(["GF_SECURITY_ADMIN_PASSWORD=x"]),
                        container(GRAFANA_ENVS[:2] + ("GF_AUTH_ANONYMOUS_ENABLED=true",))]),
    "prod-prometheus-durability": ([kps()],
                                   [kps(values__prometheus__prometheusSpec__storageSpec={}), kps(values__prometheus__prometheusSpec__retention="7d"),
                                    kps(values__prometheus__prometheusSpec__resources={})]),
    "prod-alertmanager-receiver": ([kps()], [kps(values__alertmanager__config={"receivers": [{"name": "null"}]})]),
    "remote-write-tls": ([kps()], [kps(values__prometheus__prometheusSpec__remoteWrite=[{"name": "m", "url": "http://mimir/push"}])]),
    "datadog-monitor-hygiene": ([monitor()], [monitor(message="no handle"), monitor(tags=("env:prod",))]),
    "dashboards-uid-folder": ([dash_cm({"grafana_folder": "GPU"})], [dash_cm({}), dash_cm({"grafana_folder": "GPU"}, uid="")]),
    "docker-exposure": ([container(GRAFANA_ENVS, [{"internal": 3000, "external": 3000, "ip": "127.0.0.1"}], privileged=False)],
                        [container(ports=[{"internal": 3000, "external": 3000, "ip": "0.0.0.0"}]),
                         container(ports=[{"internal": 9090, "external": 9090}]), container(privileged=True)]),
    "prometheus-storage-as-deployed": ([kps()],
                                       [kps(values__prometheus__prometheusSpec__storageSpec={}), kps(values__prometheus__prometheusSpec__storageSpec={"volumeClaimTemplate": {"spec": {
                                           "resources": {"requests": {"storage": "80Gi"}}}}})]),
    "prometheus-replicas-deduplicated": ([kps(), kps(values__prometheus__prometheusSpec__replicas=2, values__prometheus__prometheusSpec__thanos={"image": "x"})],
                                         [kps(values__prometheus__prometheusSpec__replicas=2)]),
}
RULE_CONFIG = {"prometheus-storage-as-deployed": {"size": "50Gi"}}
"""A rule's own policy config (what ``policies/config.<stack>.json`` gives it) in the cases."""

# "grafana.ini" has a dot the kps() helper cannot address: set the anonymous-admin case directly
CASES["grafana-secure"][1][2].props["values"]["grafana"]["grafana.ini"] = {"auth.anonymous": {"enabled": True, "org_role": "Admin"}}


def violations(rule_name: str, resources: list[Resource]) -> list:
    rule = next(r for r in RULES if r.name == rule_name)
    return evaluate_rule(rule, resources, {**PROD, **RULE_CONFIG.get(rule_name, {})})


def test_every_rule_has_cases():
    assert {r.name for r in RULES} == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_passing_input(rule):
    assert violations(rule, CASES[rule][0]) == []


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_violating_input_is_caught(rule):
    for bad in CASES[rule][1]:
        inputs = bad if isinstance(bad, list) else [bad]
        assert violations(rule, inputs), (rule, bad)


def test_production_rules_are_advisory_nowhere_but_prod():
    bad = kps(values__prometheus__prometheusSpec__storageSpec={})
    assert not [v for v in evaluate([bad], {"production": False}) if v.policy == "prod-prometheus-durability"]


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu-host"])
def test_shipped_stacks_render_clean(stack):
    assert rendered_stack(stack).policies == []


def test_prod_enforcement_is_mandatory_and_dev_advisory():
    bad = [{"type": "datadog:index/monitor:Monitor", "name": "m", "inputs": {"message": "x", "tags": []}}]
    assert {p.enforcement for p in policy_check(bad, "prod")} == {"mandatory"}
    assert {p.enforcement for p in policy_check(bad, "dev")} == {"advisory"}


def test_a_prod_storage_change_is_stopped_until_the_deployed_volumes_are_recorded(tmp_path):
    """CrossGuard sees no deployed state: prod's policy config records the volumes, and a storage
    change that does not match them is a mandatory violation naming the resize procedure."""
    import shutil

    from conftest import stack_file_config, write_stack

    from components.render import render

    cfg = {k.split(":", 1)[1]: v for k, v in stack_file_config("prod").items()}
    secrets = {k: "x" for k, v in cfg.items() if isinstance(v, dict) and set(v) == {"secure"}}
    cfg = {k: v for k, v in cfg.items() if k not in secrets}
    cfg["prometheus"]["storage"]["size"] = "300Gi"
    write_stack(tmp_path, "prod", cfg, secrets)
    (tmp_path / "policies").mkdir()
    shutil.copy(Path(__file__).parents[1] / "policies" / "config.prod.json", tmp_path / "policies")
    found = [p for p in render.build("prod", tmp_path, secret_values=secrets).policies if p.violation.policy == "prometheus-storage-as-deployed"]
    assert [p.enforcement for p in found] == ["mandatory"]
    assert "size '200Gi' → '300Gi'" in found[0].violation.message and "--cascade=orphan" in found[0].violation.message
    record = json.loads((tmp_path / "policies" / "config.prod.json").read_text())
    record["prometheus-storage-as-deployed"]["size"] = "300Gi"  # after the procedure, the PR records the new volumes
    (tmp_path / "policies" / "config.prod.json").write_text(json.dumps(record))
    assert not [p for p in render.build("prod", tmp_path, secret_values=secrets).policies if p.violation.policy == "prometheus-storage-as-deployed"]


def test_policy_pack_entry_point_adapts_every_rule():
    import ast
    from pathlib import Path

    # constructing a PolicyPack starts a server and blocks, so only read the entry point
    tree = ast.parse((Path(__file__).parents[1] / "policies" / "__main__.py").read_text())
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"PolicyPack", "ResourceValidationPolicy", "StackValidationPolicy"} <= calls


SHORTEST_CREDENTIALS = {
    "a Slack webhook URL": "https://hooks.slack.com/services/x",
    "a Databricks token": "dapi" + "0" * 32,
    "a Grafana service-account token": "glsa_" + "a" * 20,
    "a bearer token": "Bearer " + "a" * 16,
    "an AWS access key": "AKIA" + "A" * 16,
    "a URL with a password": "http://a:b@",
    "a 32-hex-digit key (Datadog API key shape)": "0" * 32,
}


@pytest.mark.parametrize("what", sorted(SHORTEST_CREDENTIALS))
def test_credential_prefilters_let_the_shortest_match_through(what):
    """The substring and length tests before each search never rule out a string the search finds."""
    from policies.rules.no_literal_credentials import PATTERNS, validate

    pattern, _, needs, shortest = next(p for p in PATTERNS if p[1] == what)
    example = SHORTEST_CREDENTIALS[what]
    assert pattern.fullmatch(example) and len(example) == shortest
    assert pattern.search(example[:-1]) is None  # nothing shorter matches
    assert needs is None or any(n in example for n in needs)
    found = validate(Resource("kubernetes:core/v1:ConfigMap", "c", {"data": {"cfg": f"x {example} y"}}), {})
    assert found and what in found[0]
