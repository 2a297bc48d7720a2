"""`infermon diff` on real changes in a throwaway git repository."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from components.review.diff import MARKER, diff

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
    git(clean, "-c", "user.email=t@t", "-c", "user.name=t", "add", "-A")
    git(clean, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "docker stack")
    try:
        cfg = dict(DOCKER, prometheus={"scrapeInterval": "15s"})
        (clean / "stacks" / "Pulumi.d.yaml").write_text(yaml.safe_dump({"config": {f"infermon:{k}": v for k, v in cfg.items()}}))
        out = diff("HEAD", "d", clean)
        assert "| ~ | `docker:index/container:Container` | `d-h1-prometheus` |" in out
        assert "- `prometheus/prometheus.yml`:" in out and "-  scrape_interval: 30s\n+  scrape_interval: 15s" in out
    finally:
        git(clean, "reset", "-q", "--hard", "HEAD~1")
