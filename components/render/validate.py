"""Checks of rendered output with the tools of the field.

- Kubernetes built-in kinds: the JSON schemas of the target Kubernetes version
  (kubernetes-validate, strict: unknown fields are errors).
- Prometheus Operator custom resources: a structural schema of what infermon sets
  (apiVersion, kind, metadata, and every spec field it uses, with their types).
- Scrape configs and rules: ``promtool check config`` / ``check rules``; the Alertmanager
  configuration: ``amtool check-config``; at the versions the chart deploys (``components.tools``).
"""

from __future__ import annotations

import copy
import functools
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

from .. import fastyaml, naming, tools


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str
    errors: list[str] = field(default_factory=list)
    skipped: bool = False


# --- Kubernetes built-in kinds -------------------------------------------------------------


def kubernetes_version_for_schemas(minor: str) -> str:
    return f"{minor}.0"


def check_kubernetes(objects: list[dict[str, Any]], minor: str) -> CheckResult:
    version = kubernetes_version_for_schemas(minor)
    errors = []
    for obj in objects:
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        try:
            _kubernetes_validator(obj["apiVersion"], obj["kind"], version).validate(obj)
        except jsonschema.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{where}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{where}: {exc.message}")
    ok = not errors
    return CheckResult("kubernetes schemas", ok, f"{len(objects)} objects against the Kubernetes v{version} schemas (strict)", errors)


@functools.lru_cache(maxsize=None)
def _kubernetes_validator(api_version: str, kind: str, desired_version: str) -> jsonschema.Validator:
    """The validator ``kubernetes_validate.validate(obj, desired_version, strict=True)`` builds for
    every object (both schema files read, a registry made), built once per kind: the same schema
    file, ``_definitions.json``, registry and Draft 2020-12 validator, whose ``validate`` raises
    the same first error."""
    from kubernetes_validate import utils

    if utils.major_minor(desired_version) > utils.latest_version():
        raise utils.VersionNotSupportedError(version=utils.major_minor(desired_version))
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(desired_version)][-1]
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema_dir = f"v{version}-local-strict"
    try:
        schema = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", desired_version)
    except FileNotFoundError:
        raise utils.SchemaNotFoundError(version=utils.major_minor(desired_version), kind=kind, api_version=api_version) from None
    registry = Resource.from_contents(schema) @ _kubernetes_definitions(schema_dir, desired_version)
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.lru_cache(maxsize=None)
def _kubernetes_definitions(schema_dir: str, desired_version: str) -> Registry:
    """A registry holding ``_definitions.json`` (megabytes, the same for every kind), read once."""
    from kubernetes_validate import utils

    definitions = utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", desired_version)
    return Resource.from_contents(definitions) @ Registry()


# --- operator custom resources ------------------------------------------------------------

_STR = {"type": "string"}
_STRS = {"type": "array", "items": _STR}
_LABELS = {"type": "object", "additionalProperties": _STR}
_DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
_RELABEL = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "action": {"enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod", "labelmap", "LabelMap",
                            "labeldrop", "LabelDrop", "labelkeep", "LabelKeep", "lowercase", "Lowercase", "uppercase", "Uppercase",
                            "keepequal", "KeepEqual", "dropequal", "DropEqual"]},
        "sourceLabels": {"type": "array", "items": {"type": "string", "pattern": r"^[a-zA-Z_][a-zA-Z0-9_]*$"}},
        "separator": _STR,
        "targetLabel": _STR,
        "regex": _STR,
        "modulus": {"type": "integer", "minimum": 0},
        "replacement": _STR,
    },
}
_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", "maxLength": 253},
        "namespace": _STR,
        "labels": _LABELS,
        "annotations": _LABELS,
    },
}
_ENDPOINT_COMMON = {
    "path": _STR,
    "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
    "interval": _DURATION,
    "scrapeTimeout": _DURATION,
    "honorLabels": {"type": "boolean"},
    "relabelings": {"type": "array", "items": _RELABEL},
    "metricRelabelings": {"type": "array", "items": _RELABEL},
}
_SELECTOR = {"type": "object", "additionalProperties": False, "properties": {"matchLabels": _LABELS}}
_NS_SELECTOR = {"type": "object", "additionalProperties": False, "properties": {"matchNames": _STRS, "any": {"type": "boolean"}}}

def _monitor_schema(kind: str, endpoints_key: str, number_key: str, number_schema: dict[str, Any]) -> dict[str, Any]:
    """ServiceMonitor and PodMonitor differ only in the endpoints list and its numeric-port field."""
    endpoint = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"port": _STR, number_key: number_schema, **_ENDPOINT_COMMON},
        "oneOf": [{"required": ["port"]}, {"required": [number_key]}],
    }
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["selector", endpoints_key],
                "additionalProperties": False,
                "properties": {
                    "selector": _SELECTOR,
                    "namespaceSelector": _NS_SELECTOR,
                    endpoints_key: {"type": "array", "minItems": 1, "items": endpoint},
                },
            },
        },
    }


CRD_SCHEMAS: dict[str, dict[str, Any]] = {
    "ServiceMonitor": _monitor_schema("ServiceMonitor", "endpoints", "targetPort", {"type": ["integer", "string"]}),
    "PodMonitor": _monitor_schema("PodMonitor", "podMetricsEndpoints", "portNumber", {"type": "integer", "minimum": 1, "maximum": 65535}),
}
CRD_SCHEMAS["PrometheusRule"] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": _METADATA,
        "spec": {
            "type": "object",
            "required": ["groups"],
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "rules"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": _DURATION,
                            "rules": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["expr"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "record": _STR, "alert": _STR, "expr": _STR, "for": _DURATION,
                                        "labels": _LABELS, "annotations": _LABELS,
                                    },
                                    "oneOf": [{"required": ["record"]}, {"required": ["alert"]}],
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
"""What infermon sets in Prometheus Operator resources (monitoring.coreos.com/v1, operator v0.93)."""


@functools.lru_cache(maxsize=None)
def _crd_validator(kind: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(CRD_SCHEMAS[kind])


def check_custom_resources(objects: list[dict[str, Any]]) -> CheckResult:
    errors = []
    kinds: dict[str, int] = {}
    for obj in objects:
        kind = obj.get("kind", "")
        kinds[kind] = kinds.get(kind, 0) + 1
        where = f"{kind}/{obj.get('metadata', {}).get('name')}"
        schema = CRD_SCHEMAS.get(kind)
        if schema is None:
            errors.append(f"{where}: no structural schema for this kind")
            continue
        for err in sorted(_crd_validator(kind).iter_errors(obj), key=lambda e: list(e.path)):
            errors.append(f"{where}: {'.'.join(str(p) for p in err.path)}: {err.message}")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    return CheckResult("operator resources", not errors, f"{summary} (structural schema of the fields infermon sets)", errors)


# --- promtool -------------------------------------------------------------------------------


def promtool() -> str | None:
    return tools.find("promtool").path


def _not_checked(name: str, what: str, tool: str) -> CheckResult:
    return CheckResult(name, True, f"{tool} not found: {what} NOT checked (run `make setup-tools`)", skipped=True)


def _on(tool: str) -> str:
    """`` (promtool 3.14.0)`` for a check's summary: the version that did the proving."""
    return f" ({tools.find(tool).describe()})"


def check_scrape_configs(jobs: list[dict[str, Any]], scrape_interval: str = "30s") -> CheckResult:
    """``promtool check config`` on a prometheus.yml holding the jobs.

    Credential files the operator would mount are replaced by placeholder files in a
    temporary directory, so promtool can check that every referenced file is readable.
    """
    tool = promtool()
    name = "promtool check config"
    if tool is None:
        return _not_checked(name, "scrape configs were", "promtool")
    if not jobs:
        return CheckResult(name, True, "no additional scrape jobs to check")
    with tempfile.TemporaryDirectory(prefix="infermon-promtool-") as tmp:
        rewritten = copy.deepcopy(jobs)
        for job in rewritten:
            auth = job.get("authorization") or {}
            original = auth.get("credentials_file")
            if original:
                local = Path(tmp) / "secrets" / Path(original).relative_to(naming.PROMETHEUS_SECRETS_DIR)
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_text("placeholder\n")
                auth["credentials_file"] = str(local)
        config = {"global": {"scrape_interval": scrape_interval}, "scrape_configs": rewritten}
        path = Path(tmp) / "prometheus.yml"
        path.write_text(fastyaml.dump(config, sort_keys=False))
        proc = subprocess.run([tool, "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    output = (proc.stdout + proc.stderr).strip().replace(tmp, "<tmp>")
    if proc.returncode != 0:
        return CheckResult(name, False, f"{len(jobs)} scrape jobs rejected{_on('promtool')}", [output])
    return CheckResult(name, True, f"{len(jobs)} scrape jobs accepted{_on('promtool')}")


def check_prometheus_config(text: str, rule_files: dict[str, str]) -> CheckResult:
    """``promtool check config`` on a whole ``prometheus.yml`` (docker stacks), rule files included.

    Paths inside the container (rule files, credential files) are pointed at copies in a
    temporary directory: the rendered rule files, and placeholders for credentials.
    """
    tool = promtool()
    name = "promtool check config"
    if tool is None:
        return _not_checked(name, "prometheus.yml was", "promtool")
    config = yaml.safe_load(text)
    with tempfile.TemporaryDirectory(prefix="infermon-promtool-") as tmp:
        by_name = {Path(rel).name: body for rel, body in rule_files.items()}
        local_rules = []
        for path in config.get("rule_files") or []:
            local = Path(tmp) / "rules" / Path(path).name
            local.parent.mkdir(parents=True, exist_ok=True)
            if Path(path).name not in by_name:
                return CheckResult(name, False, "prometheus.yml names a rule file the render has no content for", [path])
            local.write_text(by_name[Path(path).name])
            local_rules.append(str(local))
        config["rule_files"] = local_rules
        for job in config.get("scrape_configs") or []:
            auth = job.get("authorization") or {}
            if auth.get("credentials_file"):
                local = Path(tmp) / "secrets" / Path(auth["credentials_file"]).name
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_text("placeholder\n")
                auth["credentials_file"] = str(local)
        path = Path(tmp) / "prometheus.yml"
        path.write_text(fastyaml.dump(config, sort_keys=False))
        proc = subprocess.run([tool, "check", "config", str(path)], capture_output=True, text=True, timeout=120)
    output = (proc.stdout + proc.stderr).strip().replace(tmp, "<tmp>")
    jobs = len(config.get("scrape_configs") or [])
    if proc.returncode != 0 or "FAILED" in output:
        return CheckResult(name, False, f"prometheus.yml rejected ({jobs} scrape jobs, {len(local_rules)} rule files){_on('promtool')}", [output])
    return CheckResult(name, True, f"prometheus.yml accepted: {jobs} scrape jobs, {len(local_rules)} rule files{_on('promtool')}")


_PROVISIONING_SCHEMAS = {
    "grafana/provisioning/datasources/infermon.yaml": {
        "type": "object", "required": ["apiVersion", "datasources"],
        "properties": {"apiVersion": {"const": 1}, "datasources": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "uid", "type", "url", "access"],
            "properties": {"type": {"const": "prometheus"}, "access": {"enum": ["proxy", "direct"]},
                           "url": {"type": "string", "pattern": "^https?://"}}}}},
    },
    "grafana/provisioning/dashboards/infermon.yaml": {
        "type": "object", "required": ["apiVersion", "providers"],
        "properties": {"apiVersion": {"const": 1}, "providers": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "type", "options"],
            "properties": {"type": {"const": "file"}, "options": {
                "type": "object", "required": ["path", "foldersFromFilesStructure"],
                "properties": {"foldersFromFilesStructure": {"const": True}}}}}}},
    },
}
"""The fields of Grafana's provisioning files infermon relies on (Grafana docs, administration/provisioning)."""


def check_grafana_provisioning(files: dict[str, str]) -> CheckResult:
    """Provisioning files have Grafana's shape, and every dashboard sits in a folder directory."""
    errors: list[str] = []
    present = [rel for rel in _PROVISIONING_SCHEMAS if rel in files]
    if not present:
        return CheckResult("grafana provisioning", True, "not used")
    for rel, schema in _PROVISIONING_SCHEMAS.items():
        if rel not in files:
            errors.append(f"{rel}: missing")
            continue
        doc = yaml.safe_load(files[rel])
        errors += [f"{rel}: {'.'.join(str(p) for p in e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]
    dashboards = [rel for rel in files if rel.startswith("grafana/") and rel.endswith(".json")]
    errors += [f"{rel}: not inside a folder directory" for rel in dashboards if rel.count("/") != 2]
    return CheckResult("grafana provisioning", not errors, f"data source and dashboard provider; {len(dashboards)} dashboards in folder directories", errors)


def check_rules(files: dict[str, str]) -> CheckResult:
    """``promtool check rules`` on every rendered rule file."""
    waits = {rel: start_rule_check(rel, text) for rel, text in sorted(files.items())}
    return rules_result(files, {rel: wait() for rel, wait in waits.items() if wait is not None})


def start_rule_check(rel: str, text: str) -> Optional[Callable[[], tuple[int, str]]]:
    """``promtool check rules`` on one rule file, started now; the returned function waits for its exit
    code and output (``None``: no promtool here). A large render's worker starts each file's check
    as the file's PrometheusRule is registered."""
    tool = promtool()
    if tool is None:
        return None
    tmp = tempfile.mkdtemp(prefix="infermon-rules-")
    path = Path(tmp) / Path(rel).name
    path.write_text(text)
    proc = subprocess.Popen([tool, "check", "rules", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait() -> tuple[int, str]:
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return proc.returncode, (out + err).strip().replace(tmp + "/", "")

    return wait


def rules_result(files: dict[str, str], outcomes: dict[str, tuple[int, str]]) -> CheckResult:
    """The check of ``files`` from promtool's exit code and output on each (``start_rule_check``)."""
    name = "promtool check rules"
    if promtool() is None:
        return _not_checked(name, "rule files were", "promtool")
    if not files:
        return CheckResult(name, True, "no rule files")
    output = "\n".join(outcomes[rel][1] for rel in sorted(files))
    rules = sum(int(n) for n in re.findall(r"SUCCESS: (\d+) rules found", output))
    # lint findings (duplicate rules) keep exit code 0
    if any(outcomes[rel][0] != 0 for rel in files) or "FAILED" in output:
        return CheckResult(name, False, f"{len(files)} rule files rejected{_on('promtool')}", [output])
    return CheckResult(name, True, f"{len(files)} rule files, {rules} rules accepted{_on('promtool')}")


def check_alertmanager_config(text: str | None) -> CheckResult:
    """``amtool check-config`` on the Alertmanager configuration as Alertmanager will load it."""
    name = "amtool check-config"
    if text is None:
        return CheckResult(name, True, "no Alertmanager in this stack")
    tool = tools.find("amtool").path
    if tool is None:
        return _not_checked(name, "the Alertmanager configuration was", "amtool")
    with tempfile.TemporaryDirectory(prefix="infermon-amtool-") as tmp:
        path = Path(tmp) / "alertmanager.yaml"
        path.write_text(text)
        proc = subprocess.run([tool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    output = (proc.stdout + proc.stderr).strip().replace(tmp + "/", "")
    if proc.returncode != 0:
        return CheckResult(name, False, f"Alertmanager configuration rejected{_on('amtool')}", [output])
    receivers = ", ".join(r["name"] for r in (yaml.safe_load(text) or {}).get("receivers") or [])
    return CheckResult(name, True, f"Alertmanager configuration accepted (receivers: {receivers}){_on('amtool')}")


# --- dashboards ----------------------------------------------------------------------------


def check_dashboards(files: dict[str, str]) -> CheckResult:
    """Every dashboard query parses with promql-parser and selects only catalogued metrics."""
    errors: list[str] = []
    count = queries = 0
    for rel, text in sorted(files.items()):
        if not (rel.startswith("grafana/") and rel.endswith(".json")):
            continue
        count += 1
        n, problems = dashboard_problems(text)
        queries += n
        errors += problems
    return CheckResult("dashboards", not errors, f"{count} dashboards, {queries} queries parse (promql-parser) and use catalogued metrics", errors)


@functools.lru_cache(maxsize=64)
def dashboard_problems(text: str) -> tuple[int, tuple[str, ...]]:
    """A dashboard's query count and the problems of its queries (remembered: a render's worker finds
    them as the dashboards are registered, before ``check_dashboards`` asks)."""
    import json

    from ..catalog.promql import metric_names

    known = _known_series()
    errors: list[str] = []
    queries = 0
    d = json.loads(text)
    for panel in d.get("panels", []):
        for target in panel.get("targets", []):
            queries += 1
            try:
                names = metric_names(target["expr"])
            except Exception as exc:  # promql-parser raises its own error types
                errors.append(f"{d['uid']} / {panel.get('title')}: does not parse: {exc}")
                continue
            # a service's metric prefix (ending in ':' or '_') may precede a catalogued name
            unknown = {n for n in names if not _catalogued(n, known)}
            if unknown:
                errors.append(f"{d['uid']} / {panel.get('title')}: metrics not in the catalog: {', '.join(sorted(unknown))}")
    return queries, tuple(errors)


@functools.lru_cache(maxsize=1)
def _known_series() -> frozenset[str]:
    from ..catalog import KINDS
    from ..catalog.base import PROMETHEUS_SERIES

    return frozenset(set().union(*(k.series_names() for k in KINDS.values())) | set(PROMETHEUS_SERIES))


def _catalogued(name: str, known: set[str]) -> bool:
    """``name`` is a catalogued name, or one preceded by a prefix ending in ':' or '_' (the same as
    ``any(name == k or name.endswith(":" + k) or name.endswith("_" + k) for k in known)``)."""
    return name in known or any(c in ":_" and name[i + 1:] in known for i, c in enumerate(name))


# --- datadog ---------------------------------------------------------------------------------


def check_datadog(files: dict[str, str]) -> CheckResult:
    """Monitor queries have Datadog's shape and use names the Agent's checks produce."""
    import json

    from ..catalog import KINDS
    from ..datadog import forms, grammar
    from ..datadog.names import INTEGRATIONS, dd_metric

    if "datadog/monitors.json" not in files:
        checks = [k for k in files if k.startswith("datadog/checks/")]
        return CheckResult("datadog", True, f"{len(checks)} check files, no monitors" if checks else "not enabled")
    known = {dd_metric(k, s) for k in INTEGRATIONS for s in KINDS[k].series_names()} - {None}
    errors: list[str] = []
    monitors = json.loads(files["datadog/monitors.json"])
    for mon in monitors:
        if mon.get("type") == "service check":
            errors += [f"{mon['name']}: {p}" for p in grammar.check_service_check(mon["query"])]
            continue
        errors += [f"{mon['name']}: {p}" for p in grammar.check(mon["query"])]
        unknown = [n for n in grammar.metrics(mon["query"]) if n not in known]
        if unknown:
            errors.append(f"{mon['name']}: metrics no check collects: {', '.join(unknown)}")
    errors += forms.form_problems(files)
    checks = [k for k in files if k.startswith("datadog/checks/")]
    return CheckResult("datadog", not errors, f"{len(monitors)} monitors (query grammar, Agent names), {len(checks)} check files in forms the "
                       "Agent schedules; `infermon verify` feeds them through the Agent's check engine", errors)
