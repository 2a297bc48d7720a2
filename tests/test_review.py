"""`infermon diff` on real changes in a throwaway git repository."""

from __future__ import annotations

import json
from contextlib import contextmanager
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from components.review.diff import MARKER, change_lines, diff, stack_markdown, value_changes

STACK = {
    "cluster": {"name": "c1"},
    "inference": [
        {"name": "triton", "kind": "triton", "staticTargets": ["triton.serving.svc.cluster.local:8002"]},
        {"name": "chat", "kind": "vllm", "namespace": "llm", "selector": {"app": "vllm"}},
    ],
    "gpuPools": [{"name": "l4", "nodeSelector": {"gpu": "l4"}}],
    "alerts": {"thresholds": {"GPUTemperatureHigh": 85}},
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def write_stack(repo: Path, cfg: dict) -> None:
    (repo / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": {f"infermon:{k}": v for k, v in cfg.items()}}, sort_keys=False))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A copy of this project's tracked code with one small stack, committed as the base."""
    repo = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], check=True, capture_output=True, text=True).stdout.split()
    for rel in files:
        if rel.startswith(("components/", "dashboards/", "policies/", "tools/")):
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, repo / rel)
    (repo / "stacks").mkdir()
    write_stack(repo, STACK)
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "base")
    return repo


@contextmanager
def committed(repo: Path, message: str):
    """What the working tree holds, committed as the new base for the block; undone after it."""
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", message)
    try:
        yield
    finally:
        git(repo, "reset", "-q", "--hard", "HEAD~1")


@pytest.fixture
def clean(repo):
    yield repo
    git(repo, "checkout", "-q", "--", ".")


def test_no_change_says_so(clean):
    out = diff("HEAD", "t", clean)
    assert out.startswith(MARKER) and "No changes." in out


def test_reordered_config_is_no_change(clean):
    cfg = dict(STACK, inference=list(reversed(STACK["inference"])))
    write_stack(clean, cfg)
    assert "No changes." in diff("HEAD", "t", clean)


def test_threshold_change(clean):
    write_stack(clean, dict(STACK, alerts={"thresholds": {"GPUTemperatureHigh": 80}}))
    out = diff("HEAD", "t", clean)
    assert "- `GPUTemperatureHigh`: threshold 85 → **80**" in out
    assert "PrometheusRule` | `t-rules-infermon-gpu`" in out


def test_a_change_to_a_shared_file_shows_in_every_stack_that_extends_it(clean):
    shared = clean / "stacks" / "shared" / "fleet.yaml"
    shared.parent.mkdir(exist_ok=True)
    shared.write_text(yaml.safe_dump({"config": {"infermon:alerts": {"thresholds": {"GPUTemperatureHigh": 84}}}}))
    own = {f"infermon:{k}": v for k, v in STACK.items() if k != "alerts"}
    for name in ("a", "b"):
        (clean / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": {"infermon:extends": ["shared/fleet.yaml"], **own}}))
    with committed(clean, "two stacks on a shared file"):
        shared.write_text(yaml.safe_dump({"config": {"infermon:alerts": {"thresholds": {"GPUTemperatureHigh": 80}}}}))
        out = diff("HEAD", "all", clean)
    for name in ("a", "b"):
        section = out.split(f"### Stack `{name}`")[1].split("### Stack")[0]
        assert "- `GPUTemperatureHigh`: threshold 84 → **80**" in section
    assert "No changes." in out.split("### Stack `t`")[1]


def test_new_panel(clean):
    path = clean / "dashboards" / "triton.py"
    path.write_text(path.read_text().replace('        P("pending_requests"),', '        P("pending_requests"),\n        P("latency"),'))
    out = diff("HEAD", "t", clean)
    assert "- `infermon-triton`: + panel “Batching / Mean request time”" in out


def test_new_gpu_pool(clean):
    write_stack(clean, dict(STACK, gpuPools=STACK["gpuPools"] + [{"name": "h100", "nodeSelector": {"gpu": "h100"}}]))
    out = diff("HEAD", "t", clean)
    assert "| + | `kubernetes:apps/v1:DaemonSet` | `t-dcgm-h100-daemonset` | |" in out
    assert "- + ServiceMonitor monitoring/dcgm-exporter-h100" in out


def test_introduced_policy_violation_and_no_secret(clean):
    cfg = dict(STACK, prometheus={"remoteWrite": [{"name": "m", "url": "http://mimir/push", "bearerTokenSecret": "tok"}]}, tok={"secure": "v1:x"})
    write_stack(clean, cfg)
    out = diff("HEAD", "t", clean)
    assert "introduced: `remote-write-tls`" in out
    assert "offline-placeholder" not in out and "v1:x" not in out


DOCKER = {
    "cluster": {"name": "h1", "platform": "docker"},
    "docker": {"hosts": [{"name": "h1", "gpuPool": "l4"}]},
    "gpuPools": [{"name": "l4"}],
    "inference": [{"name": "triton", "kind": "triton", "staticTargets": ["host.docker.internal:8002"]}],
}


def test_docker_config_change_shows_the_file_diff(clean):
    (clean / "stacks" / "Pulumi.d.yaml").write_text(yaml.safe_dump({"config": {f"infermon:{k}": v for k, v in DOCKER.items()}}))
    with committed(clean, "docker stack"):
        cfg = dict(DOCKER, prometheus={"scrapeInterval": "15s"})
        (clean / "stacks" / "Pulumi.d.yaml").write_text(yaml.safe_dump({"config": {f"infermon:{k}": v for k, v in cfg.items()}}))
        out = diff("HEAD", "d", clean)
        assert "| ± **replace** | `docker:index/container:Container` | `d-h1-prometheus` |" in out  # pulumi-docker recreates it
        assert "- `prometheus/prometheus.yml`:" in out and "-  scrape_interval: 30s\n+  scrape_interval: 15s" in out


def test_retention_change_shows_old_and_new_value(clean):
    write_stack(clean, dict(STACK, prometheus={"retention": "45d"}))
    out = diff("HEAD", "t", clean)
    assert "**+ 0 ~ 1 − 0, 0 replace**" in out
    assert "  - `values.prometheus.prometheusSpec.retention`: `15d` → `45d`" in out


def test_threshold_change_shows_the_rule_expression_of_that_rule_only(clean):
    write_stack(clean, dict(STACK, alerts={"thresholds": {"GPUTemperatureHigh": 80}}))
    out = diff("HEAD", "t", clean)
    changed = [line for line in out.splitlines() if line.startswith("  - `spec.groups[")]
    assert len(changed) == 1 and changed[0].startswith("  - `spec.groups[infermon.gpu.alerts].rules[GPUTemperatureHigh].expr`: "), changed
    old, new = changed[0].split(": ", 1)[1].split(" → ")
    assert old.endswith("(DCGM_FI_DEV_GPU_TEMP)) > 85`") and new.endswith("(DCGM_FI_DEV_GPU_TEMP)) > 80`")


def test_changed_secret_says_changed_and_never_shows_a_value(clean):
    cfg = dict(STACK, prometheus={"remoteWrite": [{"name": "m", "url": "https://mimir/push", "bearerTokenSecret": "tok"}]})
    write_stack(clean, dict(cfg, tok={"secure": "v1:AAAA-old-ciphertext"}))
    with committed(clean, "secret"):
        write_stack(clean, dict(cfg, tok={"secure": "v1:BBBB-new-ciphertext"}))
        out = diff("HEAD", "t", clean)
        assert "- `infermon:tok`: changed (value not shown)" in out
        assert "AAAA" not in out and "BBBB" not in out and "offline-placeholder" not in out


def manifest(*resources):
    return {"manifest.json": json.dumps([{"type": t, "name": n, "inputs": i} for t, n, i in resources])}


def test_a_daemonset_selector_change_is_flagged_as_a_replace(tmp_path):
    ds = lambda pool: {"metadata": {"name": "dcgm"}, "spec": {"selector": {"matchLabels": {"pool": pool}}, "template": {}}}  # noqa: E731
    out = stack_markdown("s", manifest(("kubernetes:apps/v1:DaemonSet", "s-dcgm", ds("l4"))),
                         manifest(("kubernetes:apps/v1:DaemonSet", "s-dcgm", ds("l4-b"))), "", tmp_path)
    assert "**+ 0 ~ 0 − 0, 1 replace**" in out
    assert "| ± **replace** | `kubernetes:apps/v1:DaemonSet` | `s-dcgm` |" in out
    assert "**replaced**: `spec.selector.matchLabels.pool` cannot change in place" in out
    assert "`spec.selector.matchLabels.pool`: `l4` → `l4-b`" in out


def test_list_elements_are_matched_by_name_not_position():
    old = {"receivers": [{"name": "a", "url": "1"}, {"name": "b", "url": "2"}]}
    new = {"receivers": [{"name": "b", "url": "2"}, {"name": "a", "url": "3"}]}
    assert value_changes(old, new) == [("receivers[a].url", "1", "3")]


def test_a_secret_input_change_never_shows_a_value():
    lines = change_lines("stringData.token", "[secret]", "[secret]")
    assert lines == ["  - `stringData.token`: secret changed (values not shown)"]


def test_two_hundred_changed_dashboards_collapse(tmp_path):
    def dashboards(expr):
        return {f"grafana/F/d{i}.json": json.dumps({"uid": f"d{i}", "panels": [{"title": "p", "targets": [{"expr": expr}]}]}) for i in range(200)}

    out = stack_markdown("s", dashboards("up"), dashboards("up == 1"), "", tmp_path)
    assert out.count("~ query of “p”") == 200
    assert "<details><summary>175 more dashboards</summary>" in out
    before = out[:out.index("<details><summary>175 more dashboards")]
    assert before.count("~ query of “p”") == 25


def test_a_chart_bump_lists_chart_operator_crds_and_the_upgrade_notes(clean):
    pins = clean / "components" / "pins.yaml"
    pins.write_text(pins.read_text().replace("chart: 88.5.3", "chart: 90.1.0").replace("operator: v0.93.1", "operator: v0.95.0"))
    out = diff("HEAD", "t", clean)
    notes = "https://github.com/prometheus-community/helm-charts/blob/main/charts/kube-prometheus-stack/UPGRADE.md"
    assert "### Pinned versions" in out
    assert f"- kube-prometheus-stack chart 88.5.3 → **90.1.0**; read: {notes}#from-88x-to-89x, {notes}#from-89x-to-90x" in out
    assert "- Prometheus Operator v0.93.1 → **v0.95.0**: the monitoring.coreos.com **CRDs change**" in out
    # the same bump, resource by resource: the CRD sources and the release version
    assert "`kubernetes:yaml/v2:ConfigGroup` | `t-kube-prometheus-stack-crds`" in out
    assert "v0.95.0/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" in out
    assert "  - `version`: `88.5.3` → `90.1.0`" in out


def test_a_chart_bump_on_the_same_operator_says_the_crds_stay(clean):
    pins = clean / "components" / "pins.yaml"
    pins.write_text(pins.read_text().replace("chart: 88.5.3", "chart: 88.6.0"))
    out = diff("HEAD", "t", clean)
    assert "the operator (chart appVersion) is unchanged: **the CRDs do not change**" in out
    assert "UPGRADE.md;" not in out and "UPGRADE.md" in out


def test_a_storage_change_is_a_blocking_finding_with_the_procedure(clean):
    write_stack(clean, dict(STACK, prometheus={"storage": {"size": "50Gi"}}))
    with committed(clean, "storage"):
        write_stack(clean, dict(STACK, prometheus={"storage": {"size": "200Gi", "storageClass": "fast-ssd"}}))
        out = diff("HEAD", "t", clean)
        assert "**Blocking: changes that do not do what they say**" in out
        blocking = out.split("**Blocking")[1].split("\n\n")[1]
        assert blocking.startswith("- **Prometheus storage** (`volumeClaimTemplate.spec.resources.requests.storage` `50Gi` → `200Gi`; "
                                   "`volumeClaimTemplate.spec.storageClassName` _(unset)_ → `fast-ssd`)"), blocking
        assert "patch each PVC" in blocking and "--cascade=orphan" in blocking


def test_a_retention_change_is_not_blocking(clean):
    write_stack(clean, dict(STACK, prometheus={"retention": "45d"}))
    assert "Blocking" not in diff("HEAD", "t", clean)
