"""``infermon render``: validate config, run the program under mocks, write and check files.

Everything is produced in a temporary directory and moved into place only when the whole
render succeeded, so a failed render never leaves partial files behind.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from .. import fastjson, fastyaml, naming
from ..kube_prometheus_stack import delivered_alertmanager_config
from ..config import LoadedConfig
from ..config.load import load as load_config
from . import engine, side, stackfile, validate, worker

WORKER_MIN_RESOURCES = 400
"""From this many resources a render has its objects written and its policies and dashboards checked in
a worker process (below it, the same work in process is as fast)."""
WORKER_LAUNCH_AT = 150
"""The worker is launched at this registration, so that it has started by the time a stack that reaches
``WORKER_MIN_RESOURCES`` registers most of its objects; a stack that stays smaller ends it unused."""
GC_THRESHOLDS = (20000, 50, 50)
"""The cyclic collector's thresholds while a render runs (the interpreter's default: 700, 10, 10)."""


@dataclass
class Rendered:
    stack: str
    loaded: LoadedConfig
    run: engine.RenderRun
    files: dict[str, str] = field(default_factory=dict)
    """Relative path -> content, everything the render writes."""
    checks: list[validate.CheckResult] = field(default_factory=list)
    policies: list = field(default_factory=list)
    """CrossGuard rule results on the render (``components.render.policy``)."""
    config_sources: list[str] = field(default_factory=list)
    """Where the config came from: the stack file, the shared files beneath it, Pulumi.yaml, ESC."""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _short(urn: Optional[str]) -> Optional[str]:
    """``type::name`` of a URN, for a readable parent reference."""
    if not urn:
        return None
    tail = urn.split("::", 2)[-1]
    typ, _, name = tail.rpartition("::")
    return f"{typ.split('$')[-1]}::{name}"


def manifest(run: engine.RenderRun) -> list[dict[str, Any]]:
    return [_entry(run.registrations[i]) for i in _order(run.registrations)]


def _order(registrations: list[engine.Registration]) -> list[int]:
    """The manifest's order: registration indices by type and name (registration order among equals)."""
    return sorted(range(len(registrations)), key=lambda i: (registrations[i].type, registrations[i].name))


def _entry(r: engine.Registration) -> dict[str, Any]:
    return {
        "type": r.type,
        "name": r.name,
        "parent": _short(r.parent),
        "custom": r.custom,
        "dependsOn": sorted(_short(d) for d in r.depends_on),
        "inputs": engine.redact(r.inputs),
    }


def _object_path(obj: dict[str, Any]) -> str:
    md = obj.get("metadata", {})
    ns = md.get("namespace") or "_cluster"
    return f"kubernetes/{ns}/{obj['kind'].lower()}-{md['name']}.yaml"


@contextlib.contextmanager
def _fewer_collections():
    """A render allocates millions of short-lived objects (the SDK's tasks, futures and Outputs per
    resource) while the heap of long-lived ones grows to hundreds of MiB; at the interpreter's default
    thresholds the cyclic collector keeps re-scanning that heap (a third of a 400-service render).
    Collecting less often costs a few MiB of peak memory."""
    saved = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def build(stack: str, root: Optional[Path] = None, secret_values: Optional[dict[str, str]] = None,
          esc_files: Optional[list[Path]] = None, config_of: Optional[str] = None) -> Rendered:
    """Validate the stack's config (raises ConfigError) and render it in memory; with
    ``config_of``, the stack as it would be with that other stack's configuration."""
    with _fewer_collections(), worker.Worker("components.render.side:side_work") as helper:
        return _build(stack, root, secret_values, esc_files, config_of, helper)


def _build(stack: str, root: Optional[Path], secret_values: Optional[dict[str, str]], esc_files: Optional[list[Path]],
           config_of: Optional[str], helper: worker.Worker) -> Rendered:
    sf = stackfile.read(config_of or stack, root, secret_values, esc_files)
    project = stackfile.project_dir(root)
    loaded = load_config(sf.config, sf.secret_keys, stack, project, config_stack=sf.stack)
    docker = loaded.config.cluster.platform == "docker"
    recorded: list[dict[str, Any]] = []
    helper.send((stack, root, loaded.config.cluster.monitoring_namespace))

    def on_record(registration: engine.Registration) -> None:
        # side_work gets each resource's manifest entry (secrets redacted) as it is registered: in a
        # large stack, in a worker process on the other core, while the program runs on
        recorded.append(_entry(registration))
        helper.send(recorded[-1])
        if len(recorded) == min(WORKER_LAUNCH_AT, WORKER_MIN_RESOURCES):
            helper.spawn()

    run = engine.run(stack, sf.config, sf.secret_keys, project=project, config_stack=sf.stack,
                     on_record=None if docker else on_record)
    out = Rendered(stack, loaded, run)
    out.config_sources = [str(sf.path.relative_to(project)) if sf.path.is_relative_to(project) else str(sf.path),
                          *(f"over {f}" for f in reversed(loaded.shared)), *(f"with {s}" for s in sf.sources)]

    if docker:
        entries = manifest(run)
        _write_manifest(out, entries)
        return _build_docker(out, entries, root)

    helper.send("end")
    helper.finish(here=len(recorded) < WORKER_MIN_RESOURCES)
    order = _order(run.registrations)
    entries = [recorded[i] for i in order]
    objs = side.kubernetes_objects(entries)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="infermon-check") as tools:
        # first what needs none of the worker's texts, while it may still be writing them
        _write_manifest(out, entries)
        helm: dict[str, str] = {}
        alertmanager = None
        for e in entries:
            if e["type"] == side.HELM_RELEASE:
                helm[f"helm/{e['inputs']['name']}.values.yaml"] = side.dump_yaml(e["inputs"].get("values", {}))
                if e["inputs"].get("chart") == "kube-prometheus-stack":
                    alertmanager = delivered_alertmanager_config(e["inputs"].get("values", {}))
        if alertmanager is not None:
            helm["alertmanager/alertmanager.yaml"] = side.dump_yaml(alertmanager)
        am = tools.submit(validate.check_alertmanager_config, helm.get("alertmanager/alertmanager.yaml"))
        jobs = scrape_jobs(run)
        scrape = tools.submit(validate.check_scrape_configs, jobs, loaded.config.prometheus.scrape_interval)
        builtin = [o for o in objs if not o["apiVersion"].startswith(side.OPERATOR_GROUP)]
        out.checks.append(validate.check_kubernetes(builtin, loaded.config.cluster.kubernetes_version))

        object_texts, spec_texts = helper.receive()
        for i, e in zip(order, entries):
            if i in object_texts:
                out.files[_object_path(e["inputs"])] = object_texts[i]
        out.files.update(helm)
        rule_of = {side.rule_file(e["inputs"]): i for i, e in zip(order, entries) if i in spec_texts}
        rule_files = {rel: spec_texts[i] for rel, i in rule_of.items()}
        out.files.update(rule_files)
        out.files.update(side.grafana_files(entries))
        out.files.update(datadog_files(entries))
        out.files["prometheus/scrape-configs.yaml"] = side.dump_yaml(jobs) if jobs else "[]\n"
        datadog = validate.check_datadog(out.files)
        custom_check, dashboards_check, out.policies, rule_checks = helper.receive()
        out.checks.append(custom_check)
        rules = validate.rules_result(rule_files, {rel: rule_checks[i] for rel, i in rule_of.items() if i in rule_checks})
        out.checks += [scrape.result(), rules, am.result(), dashboards_check, datadog]
    return out


def _write_manifest(out: Rendered, entries: list[dict[str, Any]]) -> None:
    out.files["manifest.json"] = fastjson.dumps(entries) + "\n"
    out.files["outputs.json"] = fastjson.dumps(out.run.outputs) + "\n"


def _build_docker(out: Rendered, entries: list[dict[str, Any]], root: Optional[Path]) -> Rendered:
    from . import docker, policy

    loaded = out.loaded
    out.files.update(docker.files(entries, loaded))
    config = yaml.safe_load(out.files["prometheus/prometheus.yml"])
    jobs = config.get("scrape_configs") or []
    out.files["prometheus/scrape-configs.yaml"] = side.dump_yaml(jobs)
    rules = {k: v for k, v in out.files.items() if k.startswith("prometheus/rules/")}
    out.checks.append(validate.check_prometheus_config(out.files["prometheus/prometheus.yml"], rules))
    out.checks.append(validate.check_rules(rules))
    out.checks.append(validate.check_alertmanager_config(out.files.get(docker.ALERTMANAGER_FILE)))
    out.checks.append(validate.check_grafana_provisioning(out.files))
    out.checks.append(validate.check_dashboards(out.files))
    out.policies = policy.check(entries, out.stack, root)
    return out


def datadog_files(entries: list[dict[str, Any]]) -> dict[str, str]:
    """``datadog/monitors.json`` and ``datadog/checks/<check>.d/<file>.yaml``."""
    files: dict[str, str] = {}
    monitors = [e["inputs"] for e in entries if e["type"] == "datadog:index/monitor:Monitor"]
    if monitors:
        files["datadog/monitors.json"] = fastjson.dumps(sorted(monitors, key=lambda m: m["name"])) + "\n"
    for e in entries:
        inputs = e["inputs"]
        if e["type"] == side.HELM_RELEASE and inputs.get("chart") == "datadog":
            for directory, confs in sorted(inputs["values"]["clusterAgent"]["advancedConfd"].items()):
                for file, text in sorted(confs.items()):
                    files[f"datadog/checks/{directory}/{file}"] = text
        elif e["type"] == "kubernetes:core/v1:ConfigMap" and inputs.get("metadata", {}).get("name") == "infermon-datadog-checks":
            text = inputs["data"]["values.yaml"]
            files["datadog/agent-values.yaml"] = text
            for directory, confs in sorted(fastyaml.load(text)["clusterAgent"]["advancedConfd"].items()):
                for file, conf in sorted(confs.items()):
                    files[f"datadog/checks/{directory}/{file}"] = conf
    return files


def scrape_jobs(run: engine.RenderRun) -> list[dict[str, Any]]:
    """The additional scrape jobs, read back from the Secret the program declared.

    Kubernetes marks all Secret data secret; this one holds only job definitions and
    credential *file paths* (the tokens are in another Secret), so it is read unredacted.
    """
    for r in run.registrations:
        md = r.inputs.get("metadata") or {}
        if r.type == "kubernetes:core/v1:Secret" and md.get("name") == naming.SCRAPE_CONFIG_SECRET:
            data = engine.unwrap(r.inputs.get("stringData") or {})
            return fastyaml.load(data.get(naming.SCRAPE_CONFIG_KEY, "[]")) or []
    return []


def write(files: dict[str, str], out_dir: Path) -> None:
    """Replace ``out_dir`` with the rendered ``files`` (``Rendered.files``), atomically as far as the
    filesystem allows."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for rel, content in sorted(files.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            os.replace(out_dir, old / "x")
            os.replace(tmp, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
