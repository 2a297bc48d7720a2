"""The Helm release: selectors that pick every monitor, storage, labels, and no secret in values."""

from __future__ import annotations

import json

from conftest import MINIMAL, helm_values, obj, render_config

SELECTOR_FLAGS = [
    "serviceMonitorSelectorNilUsesHelmValues",
    "podMonitorSelectorNilUsesHelmValues",
    "ruleSelectorNilUsesHelmValues",
    "probeSelectorNilUsesHelmValues",
    "scrapeConfigSelectorNilUsesHelmValues",
]


def release(r):
    (entry,) = [e for e in json.loads(r.files["manifest.json"])
                if e["type"] == "kubernetes:helm.sh/v3:Release" and e["inputs"]["chart"] == "kube-prometheus-stack"]
    return entry


def test_chart_is_pinned(dev):
    inputs = release(dev)["inputs"]
    assert inputs["chart"] == "kube-prometheus-stack"
    assert inputs["version"] == "88.5.3"
    assert inputs["repositoryOpts"]["repo"] == "https://prometheus-community.github.io/helm-charts"


def test_every_selector_flag_is_false_so_no_monitor_is_silently_ignored(dev):
    spec = helm_values(dev)["prometheus"]["prometheusSpec"]
    for flag in SELECTOR_FLAGS:
        assert spec[flag] is False, flag


def test_external_labels_retention_and_storage(prod):
    spec = helm_values(prod)["prometheus"]["prometheusSpec"]
    assert spec["externalLabels"] == {"cluster": "prod-eks-1", "environment": "prod", "region": "eu-west-1"}
    assert spec["retention"] == "30d"
    assert spec["retentionSize"] == "180GiB"
    assert spec["replicas"] == 2
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "200Gi"
    assert claim["storageClassName"] == "gp3"
    assert spec["resources"]["requests"] == {"cpu": "2", "memory": "16Gi"}


def test_remote_write_credentials_are_secret_references_only(prod):
    (rw,) = helm_values(prod)["prometheus"]["prometheusSpec"]["remoteWrite"]
    assert rw["url"].startswith("https://")
    assert rw["basicAuth"] == {
        "username": {"name": "infermon-remote-write", "key": "mimir-username"},
        "password": {"name": "infermon-remote-write", "key": "mimir-password"},
    }
    secret = obj(prod, "Secret", "infermon-remote-write")
    assert secret["stringData"] == {"mimir-username": "[secret]", "mimir-password": "[secret]"}


def test_bearer_token_remote_write_uses_authorization_credentials(tmp_path):
    cfg = {**MINIMAL, "prometheus": {"remoteWrite": [{"name": "gc", "url": "https://gc/push", "bearerTokenSecret": "gcToken"}]}}
    r = render_config(tmp_path, cfg, secrets={"gcToken": "glc_CANARY"})
    (rw,) = helm_values(r)["prometheus"]["prometheusSpec"]["remoteWrite"]
    assert rw["authorization"] == {"type": "Bearer", "credentials": {"name": "infermon-remote-write", "key": "gc-token"}}


def test_managed_platform_does_not_scrape_hidden_control_plane(prod):
    values = helm_values(prod)
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[component] == {"enabled": False}
    assert values["defaultRules"]["rules"]["etcd"] is False


def test_generic_platform_keeps_control_plane_scraping(tmp_path):
    values = helm_values(render_config(tmp_path, MINIMAL))
    assert "kubeControllerManager" not in values
    assert "rules" not in values["defaultRules"]


def test_grafana_admin_from_existing_secret_with_generated_password(dev):
    grafana = helm_values(dev)["grafana"]
    assert grafana["admin"]["existingSecret"] == "infermon-grafana-admin"
    assert "adminPassword" not in grafana
    assert grafana["grafana.ini"]["auth.anonymous"]["enabled"] is False
    secret = obj(dev, "Secret", "infermon-grafana-admin")
    assert secret["stringData"] == {"admin-user": "[secret]", "admin-password": "[secret]"}
    types = [e["type"] for e in json.loads(dev.files["manifest.json"])]
    assert "random:index/randomPassword:RandomPassword" in types


def test_grafana_password_from_config_secret_generates_nothing(prod):
    names = [e["name"] for e in json.loads(prod.files["manifest.json"]) if e["type"] == "random:index/randomPassword:RandomPassword"]
    assert not [n for n in names if "grafana" in n], names  # prod's only generated secret is the Datadog Cluster Agent token


def test_sidecar_picks_dashboards_with_folders(dev):
    sidecar = helm_values(dev)["grafana"]["sidecar"]["dashboards"]
    assert sidecar["label"] == "grafana_dashboard"
    assert sidecar["folderAnnotation"] == "grafana_folder"
    assert sidecar["provider"]["foldersFromFilesStructure"] is True


def test_alertmanager_receivers_read_credentials_from_mounted_files(prod):
    am = helm_values(prod)["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == ["infermon-alertmanager-receivers"]
    receivers = {r["name"]: r for r in am["config"]["receivers"]}
    assert receivers["pagerduty-oncall"]["pagerduty_configs"][0]["routing_key_file"] == \
        "/etc/alertmanager/secrets/infermon-alertmanager-receivers/pagerduty-oncall"
    assert receivers["slack-llm"]["slack_configs"][0]["api_url_file"].endswith("/slack-llm")
    route = am["config"]["route"]
    assert route["receiver"] == "slack-platform"
    assert route["routes"][2] == {"receiver": "pagerduty-oncall", "matchers": ['severity="critical"'], "continue": True}


def test_custom_resources_depend_on_the_release(prod):
    entries = json.loads(prod.files["manifest.json"])
    rel = "kubernetes:helm.sh/v3:Release::prod-kube-prometheus-stack-release"
    crs = [e for e in entries if e["type"].startswith("kubernetes:monitoring.coreos.com/")]
    assert crs
    for e in crs:
        assert rel in e["dependsOn"], e["name"]


def test_release_waits_for_the_secrets_it_references(prod):
    deps = release(prod)["dependsOn"]
    for name in ("scrape-targets-configs", "scrape-targets-credentials", "kube-prometheus-stack-grafana-admin",
                 "kube-prometheus-stack-remote-write", "kube-prometheus-stack-alertmanager-receivers"):
        assert f"kubernetes:core/v1:Secret::prod-{name}" in deps
