"""The work a render does beside its program, and what it shares with the render.

``side_work`` runs in the render's worker process for a large stack (``worker.Worker``) and in the
render's own process otherwise; this module imports no Pulumi SDK, so a worker starts in a fraction
of the render's import time and memory. The helpers say which manifest entries are Kubernetes
objects and where the render writes their files.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterable

from .. import fastyaml
from . import validate

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
OPERATOR_GROUP = "monitoring.coreos.com/"
GRAFANA_FOLDER = "grafana:oss/folder:Folder"
GRAFANA_DASHBOARD = "grafana:oss/dashboard:Dashboard"


def dump_yaml(obj: Any) -> str:
    """YAML as every file of a render is written (``yaml.safe_dump``'s bytes, sorted keys, width 120)."""
    return fastyaml.dump(obj, sort_keys=True, width=120)


def is_object(entry: dict[str, Any]) -> bool:
    """The entry is a Kubernetes object the render writes as a file."""
    return entry["type"].startswith("kubernetes:") and entry["type"] != HELM_RELEASE and entry["custom"]


def kubernetes_objects(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["inputs"] for e in entries if is_object(e)]


def rule_file(obj: dict[str, Any]) -> str:
    """Where a PrometheusRule's spec is written (the file promtool checks)."""
    return f"prometheus/rules/{obj['metadata']['name']}.yaml"


def side_work(inbox: Iterable[Any], send: Callable[[Any], None]) -> None:
    """What a render can do beside its program (``worker.Worker``), fed ``(stack, root, monitoring
    namespace)``, the manifest entries in registration order, then ``"end"``: as each entry comes,
    the Kubernetes object's YAML, a PrometheusRule's spec and its promtool check (started), a
    custom resource against the operator's CRDs, the per-resource policies and the dashboards'
    queries; at the end, the chart's own custom resources, the stack policies and the
    dashboard-query check, which read nothing the render writes afterwards. Answers ``(object texts,
    rule spec texts)`` by registration index, then ``(custom resources check, dashboard check,
    policy results, promtool's exit code and output by registration index)``."""
    from . import operator_crds, policy

    messages = iter(inbox)
    first = next(messages, None)
    if first is None:
        return  # the render stopped before its program ran
    stack, root, namespace = first
    evaluation = policy.Evaluation(stack, root)
    crds = operator_crds.Check() if operator_crds.available() else None
    recorded: list[dict[str, Any]] = []
    object_texts: dict[int, str] = {}
    spec_texts: dict[int, str] = {}
    rule_checks: dict[int, Callable[[], tuple[int, str]]] = {}
    try:
        for message in messages:
            if message == "end":
                break
            recorded.append(message)
            evaluation.add(message)
            if is_object(message):
                obj = message["inputs"]
                object_texts[len(recorded) - 1] = dump_yaml(obj)
                if crds is not None and obj["apiVersion"].startswith(OPERATOR_GROUP):
                    crds.add(obj, (message["type"], message["name"], len(recorded) - 1))  # the manifest's order
                if obj.get("kind") == "PrometheusRule":
                    spec_texts[len(recorded) - 1] = text = dump_yaml(obj["spec"])
                    wait = validate.start_rule_check(rule_file(obj), text)  # promtool runs while the program goes on
                    if wait is not None:
                        rule_checks[len(recorded) - 1] = wait
            for text in dashboard_texts(message):
                with contextlib.suppress(Exception):  # check_dashboards raises it, if it reads this text
                    validate.dashboard_problems(text)  # remembered for check_dashboards
        else:
            return  # the render stopped before its end
        send((object_texts, spec_texts))
        entries = sorted(recorded, key=lambda e: (e["type"], e["name"]))
        checks = (custom_resources_check(entries, namespace, crds), validate.check_dashboards(grafana_files(entries)), evaluation.results(entries))
        outcomes = {i: rule_checks.pop(i)() for i in list(rule_checks)}
        send((*checks, outcomes))
    finally:
        for wait in rule_checks.values():  # promtool runs the render no longer waits for: ended, files removed
            with contextlib.suppress(Exception):
                wait()


def custom_resources_check(entries: list[dict[str, Any]], namespace: str, crds) -> validate.CheckResult:
    """The monitoring.coreos.com objects against the pinned operator's CRDs (``crds``: the
    ``operator_crds.Check`` fed them as they came), with the Prometheus and ThanosRuler the chart
    writes from its values; without the fetched CRDs (``crds`` None), infermon's own structural
    schema of the fields it sets."""
    if crds is None:
        return validate.check_custom_resources([o for o in kubernetes_objects(entries) if o["apiVersion"].startswith(OPERATOR_GROUP)])
    kps_values = next((e["inputs"].get("values") or {} for e in entries if e["type"] == HELM_RELEASE
                       and e["inputs"].get("chart") == "kube-prometheus-stack"), None)
    return crds.result(kps_values, namespace)


def grafana_files(entries: list[dict[str, Any]]) -> dict[str, str]:
    """``grafana/<folder>/<uid>.json`` for every dashboard the stack delivers, either way."""
    files: dict[str, str] = {}
    folders = {e["name"]: e["inputs"].get("title") for e in entries if e["type"] == GRAFANA_FOLDER}
    folder_by_uid = {e["inputs"].get("uid"): e["inputs"].get("title") for e in entries if e["type"] == GRAFANA_FOLDER}
    for e in entries:
        inputs = e["inputs"]
        if is_dashboard_configmap(e):
            folder = inputs["metadata"]["annotations"]["grafana_folder"]
            for key, text in sorted(inputs.get("data", {}).items()):
                files[f"grafana/{folder}/{key}"] = text
        elif e["type"] == GRAFANA_DASHBOARD:
            text = inputs["configJson"]
            uid = json.loads(text)["uid"]
            folder = folder_by_uid.get(inputs.get("folder")) or folders.get(inputs.get("folder"), "General")
            files[f"grafana/{folder}/{uid}.json"] = text
    return files


def is_dashboard_configmap(entry: dict[str, Any]) -> bool:
    """A ConfigMap Grafana's dashboard sidecar loads."""
    return entry["type"] == "kubernetes:core/v1:ConfigMap" and (entry["inputs"].get("metadata", {}).get("labels") or {}).get("grafana_dashboard") == "1"


def dashboard_texts(entry: dict[str, Any]) -> list[str]:
    """The dashboards an entry delivers, as ``grafana_files`` finds them."""
    if is_dashboard_configmap(entry):
        return list(entry["inputs"].get("data", {}).values())
    if entry["type"] == GRAFANA_DASHBOARD:
        return [entry["inputs"]["configJson"]]
    return []
