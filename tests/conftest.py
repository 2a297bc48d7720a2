"""Shared fixtures: render stacks in memory, or from a stack file written for the test."""

from __future__ import annotations

import contextlib
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import tools
from components.render import render

ROOT = Path(__file__).resolve().parents[1]


def requires(tool: str) -> pytest.MarkDecorator:
    """Skip where ``tool`` (prometheus, promtool, alertmanager, amtool) is missing altogether."""
    return pytest.mark.skipif(tools.find(tool).path is None, reason=f"{tool} not found (`make setup-tools` builds it)")


def tool(name: str) -> str:
    """Path of the binary the project proves with (the pinned build, else PATH)."""
    path = tools.find(name).path
    assert path, f"{name} not found"
    return path


@functools.lru_cache(maxsize=None)
def rendered_stack(stack: str) -> render.Rendered:
    return render.build(stack)


@pytest.fixture
def dev() -> render.Rendered:
    return rendered_stack("dev")


@pytest.fixture
def prod() -> render.Rendered:
    return rendered_stack("prod")


def stack_file_config(stack: str) -> dict[str, Any]:
    """The ``config:`` of a repository stack as one complete file (shared files merged in,
    secrets as their ``secure:`` values), to copy into a test's own project."""
    from components.render import effective

    return yaml.safe_load(effective.flat(stack))["config"]


def write_stack(root: Path, stack: str, config: dict[str, Any], secrets: dict[str, str] | None = None) -> Path:
    """Write ``root/stacks/Pulumi.<stack>.yaml`` with ``infermon:`` keys and ``secure:`` secrets."""
    doc: dict[str, Any] = {f"infermon:{k}": v for k, v in config.items()}
    for key in secrets or {}:
        doc[f"infermon:{key}"] = {"secure": f"v1:test:{key}"}
    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"config": doc}, sort_keys=False))
    return path


def render_config(tmp_path: Path, config: dict[str, Any], secrets: dict[str, str] | None = None, stack: str = "test") -> render.Rendered:
    write_stack(tmp_path, stack, config, secrets)
    return render.build(stack, tmp_path, secret_values=secrets)


def objects(r: render.Rendered, kind: str) -> list[dict[str, Any]]:
    out = []
    for rel, text in sorted(r.files.items()):
        if rel.startswith("kubernetes/"):
            obj = yaml.safe_load(text)
            if obj["kind"] == kind:
                out.append(obj)
    return out


def obj(r: render.Rendered, kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects(r, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def helm_values(r: render.Rendered) -> dict[str, Any]:
    return yaml.safe_load(r.files["helm/kube-prometheus-stack.values.yaml"])


MINIMAL = {"cluster": {"name": "c1"}}


@contextlib.contextmanager
def prometheus_with(tmp_path: Path, targets: list[dict[str, Any]], scrape_configs: list[dict[str, Any]]):
    """The simulators of ``targets`` and the pinned Prometheus scraping ``scrape_configs`` every
    second, on loopback; yields the Prometheus API client. Both stop on exit."""
    from components.verify.run import Prom, _wait, free_port

    (tmp_path / "plan.json").write_text(json.dumps({"targets": targets, "duration": 90}))
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": scrape_configs}))
    port = free_port()
    sims = subprocess.Popen([sys.executable, "-m", "components.verify.simulators", str(tmp_path / "plan.json")], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    server = subprocess.Popen([tool("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                               f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert sims.stdout.readline().strip() == "ready"
        prom = Prom(port)

        def scraped() -> bool:
            active = prom.get("/api/v1/targets")["data"]["activeTargets"]
            return len(active) == sum(len(sc["targets"]) for j in scrape_configs for sc in j["static_configs"]) and \
                all(t["lastScrape"] != "0001-01-01T00:00:00Z" for t in active)

        assert _wait(scraped, 30)
        yield prom
    finally:
        for p in (server, sims):
            p.terminate()
            p.wait(timeout=10)
